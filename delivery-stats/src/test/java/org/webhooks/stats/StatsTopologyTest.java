package org.webhooks.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.webhooks.stats.Attempts.attempt;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.MatchSource;
import org.webhooks.schemas.avro.MatchVerdict;
import org.webhooks.schemas.avro.MatchVerdicts;
import org.webhooks.schemas.avro.SubscriptionVerdict;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.TestStack;

/**
 * Drives the production topology with TopologyTestDriver (values through the real serde against the
 * real registry of the shared embedded stack) and reads its stores through the same reader the
 * service answers queries with.
 */
class StatsTopologyTest {

  /** 2025-01-15T15:45:00Z, a minute boundary. */
  private static final Instant T0 = Instant.parse("2025-01-15T15:45:00Z");
  private static final AlertPolicy POLICY = new AlertPolicy(Duration.ofMinutes(10), 4, 0.5, Duration.ofMinutes(5),
      Duration.ofHours(2));

  private static SchemaRegistryClient registry;

  @TempDir Path stateDir;

  private Topics topics;
  private MutableClock clock;
  private RecordingDisabler disabler;
  private StatsMetrics metrics;
  private TopologyTestDriver driver;
  private TestInputTopic<String, DeliveryAttempt> attempts;
  private TestInputTopic<String, byte[]> rawAttempts;
  private TestOutputTopic<String, OperationalEvent> events;
  private TestOutputTopic<String, DeadLetter> deadLetters;
  private LocalStatsReader reader;

  /** Records what it is asked to disable and answers as told. */
  static final class RecordingDisabler implements EndpointDisabler {
    final List<String> disabled = new ArrayList<>();
    final Set<String> deleted = new java.util.HashSet<>();
    Result answer = Result.DISABLED;

    @Override
    public boolean isDeleted(String accountId, String subscriptionId) {
      return deleted.contains(subscriptionId);
    }

    @Override
    public Result disable(String accountId, String subscriptionId, String reason, Instant now) {
      disabled.add(accountId + "/" + subscriptionId + ": " + reason);
      return answer;
    }
  }

  @BeforeAll
  static void registry() {
    registry = new SchemaRegistryClient(TestStack.shared().registryUrl());
  }

  @BeforeEach
  void startDriver() {
    topics = WebhooksConfig.defaults().with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-").topics();
    clock = new MutableClock(T0.plus(Duration.ofMinutes(30)));
    disabler = new RecordingDisabler();
    metrics = new StatsMetrics();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "stats-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    driver = new TopologyTestDriver(StatsTopology.build(topics, registry, POLICY, Duration.ofDays(30), clock,
        disabler, metrics), props, T0);
    attempts = driver.createInputTopic(topics.attempts().name(), new StringSerializer(),
        topics.attempts().valueSerde(registry).serializer());
    rawAttempts = driver.createInputTopic(topics.attempts().name(), new StringSerializer(), new ByteArraySerializer());
    events = driver.createOutputTopic(topics.operationalEvents().name(), new StringDeserializer(),
        topics.operationalEvents().valueSerde(registry).deserializer());
    deadLetters = driver.createOutputTopic(topics.deadLetters().name(), new StringDeserializer(),
        topics.deadLetters().valueSerde(registry).deserializer());
    reader = new LocalStatsReader(new LocalStatsReader.Stores() {
      @Override
      public ReadOnlyWindowStore<String, byte[]> window(String name) {
        return driver.getWindowStore(name);
      }

      @Override
      public ReadOnlyKeyValueStore<String, byte[]> keyValue(String name) {
        return driver.getKeyValueStore(name);
      }
    }, LocalStatsReader.Decoders.of(topics, registry), POLICY, Duration.ofDays(30), clock);
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  private void pipe(DeliveryAttempt a) {
    attempts.pipeInput(a.getSubscriptionId(), a, a.getStartedAt().plusMillis(a.getLatencyMs()));
  }

  @Test
  void countsByOutcomePerMinuteAndPercentilesWithinTheStatedPrecision() {
    long[] latencies = new long[200];
    for (int i = 0; i < latencies.length; i++) {
      latencies[i] = 3 + (i * 37L) % 997;
    }
    for (int i = 0; i < latencies.length; i++) {
      AttemptOutcome outcome = i % 4 == 0 ? AttemptOutcome.HTTP_ERROR : AttemptOutcome.SUCCEEDED;
      // 100 in the first minute, 100 in the third
      Instant at = T0.plus(Duration.ofMinutes(i < 100 ? 0 : 2)).plusMillis(i * 10L);
      pipe(attempt("acct_a", "sub_1", "evt_" + i, outcome, outcome == AttemptOutcome.SUCCEEDED ? 200 : 500,
          latencies[i], at));
    }
    pipe(attempt("acct_a", "sub_1", "evt_d", AttemptOutcome.DEFERRED, null, 0, T0.plusSeconds(5)));

    EndpointStats stats = reader.stats("acct_a", "sub_1", StatsWindow.HOUR);

    assertThat(stats.total().attempts()).isEqualTo(200);
    assertThat(stats.total().succeeded()).isEqualTo(150);
    assertThat(stats.total().failed()).isEqualTo(50);
    assertThat(stats.total().successRate()).isEqualTo(0.75);
    assertThat(stats.total().outcomes()).containsEntry("http_error", 50L).containsEntry("deferred", 1L)
        .containsEntry("timeout", 0L);
    assertThat(stats.series()).hasSize(60);
    assertThat(stats.series()).filteredOn(b -> b.attempts() > 0).extracting(StatsBucket::start, StatsBucket::attempts)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(T0, 100L),
            org.assertj.core.groups.Tuple.tuple(T0.plus(Duration.ofMinutes(2)), 100L));
    long[] sorted = latencies.clone();
    Arrays.sort(sorted);
    assertWithinPrecision(stats.total().latencyP50Ms(), nearestRank(sorted, 50));
    assertWithinPrecision(stats.total().latencyP95Ms(), nearestRank(sorted, 95));
    assertWithinPrecision(stats.total().latencyP99Ms(), nearestRank(sorted, 99));
    long[] firstMinute = Arrays.copyOf(latencies, 100);
    Arrays.sort(firstMinute);
    StatsBucket t0 = stats.series().stream().filter(b -> b.start().equals(T0)).findFirst().orElseThrow();
    assertWithinPrecision(t0.latencyP95Ms(), nearestRank(firstMinute, 95));

    EndpointStats day = reader.stats("acct_a", "sub_1", StatsWindow.DAY);
    assertThat(day.series()).hasSize(24);
    assertThat(day.total().attempts()).isEqualTo(200);
    assertThat(day.total().latencyP99Ms()).isEqualTo(stats.total().latencyP99Ms());
    assertThat(reader.stats("acct_a", "sub_1", StatsWindow.WEEK).series()).hasSize(168);
  }

  static long nearestRank(long[] sorted, double percentile) {
    int rank = (int) Math.ceil(percentile / 100 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  static void assertWithinPrecision(Long reported, long exact) {
    assertThat(reported).isNotNull();
    assertThat(reported).isBetween(exact, exact + (long) Math.floor(exact * LatencyPrecision.RELATIVE_ERROR));
  }

  @Test
  void attemptsAreListedNewestFirstInPagesFilteredByOutcomeTypeAndTime() {
    List<DeliveryAttempt> piped = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      AttemptOutcome outcome = i % 2 == 0 ? AttemptOutcome.SUCCEEDED : AttemptOutcome.TIMEOUT;
      // two attempts share a millisecond: the index keeps both
      Instant at = T0.plusSeconds(i == 4 ? 3 : i);
      DeliveryAttempt a = attempt("acct_a", "sub_1", "evt_" + i, i == 6 ? "call.started" : "call.completed",
          outcome, outcome == AttemptOutcome.SUCCEEDED ? 200 : null, 10, at, 1, true);
      pipe(a);
      piped.add(a);
    }
    List<String> all = new ArrayList<>();
    AttemptQuery query = new AttemptQuery(Set.of(), null, null, null, null, 3);
    AttemptPage page = reader.attempts("acct_a", "sub_1", query);
    int pages = 1;
    all.addAll(page.data().stream().map(AttemptRecord::eventId).toList());
    while (page.nextCursor() != null) {
      page = reader.attempts("acct_a", "sub_1", query.next(page.nextCursor()));
      all.addAll(page.data().stream().map(AttemptRecord::eventId).toList());
      pages++;
    }
    assertThat(pages).isEqualTo(3);
    // newest first; evt_4 and evt_3 share T0+3s, the later one read listed first
    assertThat(all).containsExactly("evt_6", "evt_5", "evt_4", "evt_3", "evt_2", "evt_1", "evt_0");

    assertThat(reader.attempts("acct_a", "sub_1", new AttemptQuery(Set.of(AttemptOutcome.TIMEOUT), null, null, null,
        null, 50)).data()).extracting(AttemptRecord::eventId).containsExactly("evt_5", "evt_3", "evt_1");
    assertThat(reader.attempts("acct_a", "sub_1", new AttemptQuery(Set.of(), "call.started", null, null, null, 50))
        .data()).extracting(AttemptRecord::eventId).containsExactly("evt_6");
    assertThat(reader.attempts("acct_a", "sub_1", new AttemptQuery(Set.of(), null, T0.plusSeconds(1),
        T0.plusSeconds(2), null, 50)).data()).extracting(AttemptRecord::eventId).containsExactly("evt_2", "evt_1");
    AttemptRecord first = reader.attempts("acct_a", "sub_1", AttemptQuery.all()).data().get(0);
    DeliveryAttempt source = piped.get(6);
    assertThat(first.attemptId()).isEqualTo(source.getAttemptId());
    assertThat(first.outcome()).isEqualTo("succeeded");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.finalAttempt()).isTrue();
    assertThat(first.startedAt()).isEqualTo(source.getStartedAt());
    assertThatThrownBy(() -> reader.attempts("acct_a", "sub_1", query.next("nonsense")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("cursor:");
  }

  @Test
  void anEventsAttemptsAcrossTheAccountsEndpointsAndNoOtherAccounts() {
    pipe(attempt("acct_a", "sub_1", "evt_x", AttemptOutcome.HTTP_ERROR, 503, 20, T0));
    pipe(attempt("acct_a", "sub_2", "evt_x", AttemptOutcome.SUCCEEDED, 200, 20, T0.plusSeconds(1)));
    pipe(attempt("acct_a", "sub_1", "evt_x", AttemptOutcome.SUCCEEDED, 200, 20, T0.plusSeconds(60)));
    pipe(attempt("acct_b", "sub_3", "evt_x", AttemptOutcome.SUCCEEDED, 200, 20, T0.plusSeconds(2)));
    pipe(attempt("acct_a|b", "sub_4", "evt_x", AttemptOutcome.SUCCEEDED, 200, 20, T0.plusSeconds(3)));
    pipe(attempt("acct_a", "sub_1", "evt_y", AttemptOutcome.SUCCEEDED, 200, 20, T0));

    EventAttempts x = reader.eventAttempts("acct_a", "evt_x");
    assertThat(x.attempts()).extracting(AttemptRecord::subscriptionId, AttemptRecord::outcome).containsExactly(
        org.assertj.core.groups.Tuple.tuple("sub_1", "http_error"), org.assertj.core.groups.Tuple.tuple("sub_2", "succeeded"),
        org.assertj.core.groups.Tuple.tuple("sub_1", "succeeded"));
    assertThat(reader.eventAttempts("acct_b", "evt_x").attempts()).extracting(AttemptRecord::subscriptionId)
        .containsExactly("sub_3");
    assertThat(reader.eventAttempts("acct_a|b", "evt_x").attempts()).extracting(AttemptRecord::subscriptionId)
        .containsExactly("sub_4");
    assertThat(reader.eventAttempts("acct_c", "evt_x").attempts()).isEmpty();
  }

  @Test
  void anEventsMatchVerdictsAreFoundByEventWithinItsAccountOldestDecisionFirst() {
    TestInputTopic<String, MatchVerdicts> verdicts = driver.createInputTopic(topics.matchVerdicts().name(),
        new StringSerializer(), topics.matchVerdicts().valueSerde(registry).serializer());
    verdicts.pipeInput("evt_x", verdicts("acct_a", "evt_x", MatchSource.FANOUT, T0.plusSeconds(1),
        new SubscriptionVerdict("sub_1", MatchVerdict.MATCHED, null),
        new SubscriptionVerdict("sub_2", MatchVerdict.FILTER_ERROR, "missing_field")), T0);
    verdicts.pipeInput("evt_x", verdicts("acct_b", "evt_x", MatchSource.FANOUT, T0.plusSeconds(1),
        new SubscriptionVerdict("sub_3", MatchVerdict.DISABLED, null)), T0);
    verdicts.pipeInput("evt_x", verdicts("acct_a", "evt_x", MatchSource.REPLAY, T0.plusSeconds(90),
        new SubscriptionVerdict("sub_2", MatchVerdict.MATCHED, null)), T0.plusSeconds(90));
    rawVerdicts().pipeInput("evt_bad", new byte[] {0, 0, 0, 0, 1, 2}, T0);

    EventVerdicts a = reader.eventVerdicts("acct_a", "evt_x");

    assertThat(a.decisions()).extracting(MatchDecision::source).containsExactly("fanout", "replay");
    assertThat(a.decisions().get(0).publishedAt()).isEqualTo(T0);
    assertThat(a.decisions().get(0).verdicts()).containsExactly(new MatchDecision.Verdict("sub_1", "matched", null),
        new MatchDecision.Verdict("sub_2", "filter_error", "missing_field"));
    assertThat(reader.eventVerdicts("acct_b", "evt_x").decisions()).hasSize(1);
    assertThat(reader.eventVerdicts("acct_c", "evt_x").decisions()).isEmpty();
    assertThat(reader.eventVerdicts("acct_a", "evt_y").decisions()).isEmpty();
    assertThat(deadLetters.readValuesToList()).extracting(DeadLetter::getSourceTopic)
        .containsExactly(topics.matchVerdicts().name());
  }

  private TestInputTopic<String, byte[]> rawVerdicts() {
    return driver.createInputTopic(topics.matchVerdicts().name(), new StringSerializer(), new ByteArraySerializer());
  }

  private static MatchVerdicts verdicts(String account, String eventId, MatchSource source, Instant decidedAt,
      SubscriptionVerdict... verdicts) {
    return MatchVerdicts.newBuilder().setEventId(eventId).setEventType("call.completed").setAccountId(account)
        .setPublishedAt(T0).setDecidedAt(decidedAt).setSource(source).setVerdicts(List.of(verdicts)).build();
  }

  @Test
  void anAttemptIsFoundByItsIdWithinItsAccountOnly() {
    DeliveryAttempt first = attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.HTTP_ERROR, 500, 20, T0);
    DeliveryAttempt sameMs = attempt("acct_a", "sub_1", "evt_2", AttemptOutcome.SUCCEEDED, 200, 20, T0);
    pipe(first);
    pipe(sameMs);
    pipe(attempt("acct_a", "sub_2", "evt_1", AttemptOutcome.SUCCEEDED, 200, 20, T0.plusSeconds(1)));

    AttemptRecord found = reader.attempt("acct_a", sameMs.getAttemptId()).orElseThrow();

    assertThat(found.eventId()).isEqualTo("evt_2");
    assertThat(found.subscriptionId()).isEqualTo("sub_1");
    assertThat(reader.attempt("acct_a", first.getAttemptId()).orElseThrow().outcome()).isEqualTo("http_error");
    assertThat(reader.attempt("acct_b", first.getAttemptId())).isEmpty();
    assertThat(reader.attempt("acct_a", "no-such-attempt")).isEmpty();
  }

  @Test
  void deliveriesOfOperationalEventsRaiseNoAlertButA410StillReportsTheDisable() {
    Instant t = clock.instant().minusSeconds(30);
    // an endpoint that receives only alerts fails every one of them, to the end of their schedules
    for (int i = 1; i <= 8; i++) {
      pipe(attempt("acct_a", "sub_alerts", "op_" + i, "endpoint.failing", AttemptOutcome.HTTP_ERROR, 500, 20,
          t.plusSeconds(i), 3, true));
    }
    clock.advance(Duration.ofHours(3));
    driver.advanceWallClockTime(Duration.ofHours(3));

    assertThat(events.isEmpty()).isTrue();
    assertThat(reader.health("acct_a", "sub_alerts")).isEmpty();
    assertThat(disabler.disabled).isEmpty();
    // but they are counted and listed like any attempt
    assertThat(reader.attempts("acct_a", "sub_alerts", AttemptQuery.all()).data()).hasSize(8);

    pipe(attempt("acct_a", "sub_alerts", "op_9", "endpoint.recovered", AttemptOutcome.HTTP_ERROR, 410, 20,
        clock.instant(), 1, true));
    assertThat(events.readValuesToList()).extracting(OperationalEvent::getEventType)
        .containsExactly(OperationalEventType.ENDPOINT_DISABLED);
  }

  @Test
  void anotherAccountSeesNothingOfASubscription() {
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.HTTP_ERROR, 500, 20, T0));

    assertThat(reader.stats("acct_b", "sub_1", StatsWindow.HOUR).total().attempts()).isZero();
    assertThat(reader.attempts("acct_b", "sub_1", AttemptQuery.all()).data()).isEmpty();
    assertThat(reader.health("acct_b", "sub_1")).isEmpty();
    assertThat(reader.eventAttempts("acct_b", "evt_1").attempts()).isEmpty();
    assertThat(reader.stats("acct_a", "sub_1", StatsWindow.HOUR).total().attempts()).isEqualTo(1);
    assertThat(reader.health("acct_a", "sub_1")).isPresent();
  }

  @Test
  void failingAndRecoveredAreEmittedOncePerTransitionAndExhaustedOncePerFinalFailure() {
    // 4 attempts at least, success rate under 50 % over 10 minutes
    Instant t = clock.instant().minusSeconds(30);
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.SUCCEEDED, 200, 20, t.plusSeconds(1)));
    for (int i = 2; i <= 6; i++) {
      pipe(attempt("acct_a", "sub_1", "evt_" + i, "call.completed", AttemptOutcome.HTTP_ERROR, 500, 20,
          t.plusSeconds(i), 3, true));
    }
    List<OperationalEvent> out = events.readValuesToList();
    assertThat(out).extracting(OperationalEvent::getEventType).containsExactly(
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED,
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.ENDPOINT_FAILING,
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED);
    OperationalEvent failing = out.get(3);
    assertThat(failing.getWindowAttempts()).isEqualTo(4);
    assertThat(failing.getWindowSuccesses()).isEqualTo(1);
    assertThat(failing.getSuccessRate()).isEqualTo(0.25);
    assertThat(failing.getConsecutiveFailures()).isEqualTo(3);
    assertThat(failing.getLastStatusCode()).isEqualTo(500);
    assertThat(failing.getReason()).contains("success rate 25%", "1 of 4 attempts", "below 50%");
    OperationalEvent exhausted = out.get(0);
    assertThat(exhausted.getMessageEventId()).isEqualTo("evt_2");
    assertThat(exhausted.getAttempts()).isEqualTo(3);
    assertThat(exhausted.getDeliveryId()).isEqualTo("dlv_sub_1_evt_2");
    assertThat(reader.health("acct_a", "sub_1").orElseThrow().failing()).isTrue();

    // successes until the rate is back at 50 %: 1 + 4 of 10
    for (int i = 7; i <= 10; i++) {
      pipe(attempt("acct_a", "sub_1", "evt_" + i, AttemptOutcome.SUCCEEDED, 200, 20, t.plusSeconds(i)));
      if (i < 10) {
        assertThat(events.isEmpty()).as("no event after success %d", i).isTrue();
      }
    }
    assertThat(events.readValuesToList()).extracting(OperationalEvent::getEventType)
        .containsExactly(OperationalEventType.ENDPOINT_RECOVERED);
    pipe(attempt("acct_a", "sub_1", "evt_11", AttemptOutcome.SUCCEEDED, 200, 20, t.plusSeconds(11)));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.isEmpty()).isTrue();
    assertThat(reader.health("acct_a", "sub_1").orElseThrow().failing()).isFalse();
    assertThat(metrics.events(OperationalEventType.ENDPOINT_FAILING)).isEqualTo(1);
    assertThat(metrics.events(OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED)).isEqualTo(5);
  }

  @Test
  void aDeliveryDeadLetteredWhileItsCircuitStayedOpenIsExhausted() {
    Instant t = clock.instant().minusSeconds(30);
    pipe(attempt("acct_a", "sub_1", "evt_1", "call.completed", AttemptOutcome.DEFERRED, null, 0, t, 2, false));
    assertThat(events.isEmpty()).as("a parked delivery is not exhausted").isTrue();

    pipe(attempt("acct_a", "sub_1", "evt_1", "call.completed", AttemptOutcome.DEFERRED, null, 0, t.plusSeconds(1), 2,
        true));
    List<OperationalEvent> out = events.readValuesToList();
    assertThat(out).extracting(OperationalEvent::getEventType)
        .containsExactly(OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED);
    assertThat(out.get(0).getMessageEventId()).isEqualTo("evt_1");
  }

  @Test
  void aCircuitOpenLongerThanTheSettingMakesTheEndpointFailingAtTheNextEvaluation() {
    Instant opened = clock.instant();
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.DEFERRED, null, 0, opened));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.isEmpty()).isTrue();
    EndpointHealthReport health = reader.health("acct_a", "sub_1").orElseThrow();
    assertThat(health.circuit()).isEqualTo("open");
    assertThat(health.circuitOpenSince()).isEqualTo(opened);

    clock.advance(POLICY.circuitOpen());
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    List<OperationalEvent> out = events.readValuesToList();
    assertThat(out).extracting(OperationalEvent::getEventType).containsExactly(OperationalEventType.ENDPOINT_FAILING);
    assertThat(out.get(0).getCircuitOpenSince()).isEqualTo(opened);
    assertThat(out.get(0).getReason()).contains("circuit open since " + opened);
    assertThat(metrics.endpointsFailing()).isEqualTo(1);
    assertThat(metrics.endpointsCircuitOpen()).isEqualTo(1);

    // a successful probe closes the circuit and ends the alert
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.SUCCEEDED, 200, 20, clock.instant()));
    assertThat(events.readValuesToList()).extracting(OperationalEvent::getEventType)
        .containsExactly(OperationalEventType.ENDPOINT_RECOVERED);
    assertThat(reader.health("acct_a", "sub_1").orElseThrow().circuit()).isEqualTo("closed");
  }

  @Test
  void anEndpointWithoutASuccessIsWarnedAtHalfTheTimeAndDisabledAtTheFullTimeOnce() {
    Instant start = clock.instant();
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.CONNECTION_ERROR, null, 20, start));
    clock.advance(POLICY.autoDisableAfter().dividedBy(2).minusSeconds(1));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.isEmpty()).isTrue();

    clock.advance(Duration.ofSeconds(1));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    List<OperationalEvent> warned = events.readValuesToList();
    assertThat(warned).extracting(OperationalEvent::getEventType).containsExactly(OperationalEventType.ENDPOINT_FAILING);
    assertThat(warned.get(0).getReason()).contains("no successful attempt since " + start,
        "disabled at " + start.plus(POLICY.autoDisableAfter()));
    assertThat(disabler.disabled).isEmpty();

    clock.advance(POLICY.autoDisableAfter().dividedBy(2));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    List<OperationalEvent> disabled = events.readValuesToList();
    assertThat(disabled).extracting(OperationalEvent::getEventType).containsExactly(OperationalEventType.ENDPOINT_DISABLED);
    assertThat(disabled.get(0).getReason()).startsWith("no successful attempt for 2h (failing since " + start + ")");
    assertThat(disabler.disabled).containsExactly("acct_a/sub_1: no successful attempt for 2h (failing since " + start + ")");
    assertThat(reader.health("acct_a", "sub_1").orElseThrow().disabledAt()).isEqualTo(clock.instant());

    clock.advance(Duration.ofHours(1));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.isEmpty()).isTrue();
    assertThat(disabler.disabled).hasSize(1);

    // re-enabled: an attempt started after the disable gives the endpoint a fresh start
    pipe(attempt("acct_a", "sub_1", "evt_2", AttemptOutcome.HTTP_ERROR, 500, 20, clock.instant()));
    EndpointHealthReport after = reader.health("acct_a", "sub_1").orElseThrow();
    assertThat(after.disabledAt()).isNull();
    assertThat(after.failingSince()).isEqualTo(clock.instant());
    assertThat(after.consecutiveFailures()).isEqualTo(1);
  }

  @Test
  void aDisableRefusedForNowIsAskedAgainAndTheHealthOfADeletedSubscriptionIsDropped() {
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.TIMEOUT, null, 20, clock.instant()));
    disabler.answer = EndpointDisabler.Result.NOT_READY;
    clock.advance(POLICY.autoDisableAfter());
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.readValuesToList()).extracting(OperationalEvent::getEventType)
        .containsExactly(OperationalEventType.ENDPOINT_FAILING);
    assertThat(disabler.disabled).hasSize(1);

    disabler.answer = EndpointDisabler.Result.NOT_FOUND;
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(disabler.disabled).hasSize(2);
    assertThat(events.isEmpty()).isTrue();
    assertThat(reader.health("acct_a", "sub_1")).isEmpty();

    // the health of a subscription deleted otherwise is dropped at the next evaluation
    pipe(attempt("acct_a", "sub_2", "evt_1", AttemptOutcome.SUCCEEDED, 200, 20, clock.instant()));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(reader.health("acct_a", "sub_2")).isPresent();
    disabler.deleted.add("sub_2");
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(reader.health("acct_a", "sub_2")).isEmpty();
    assertThat(reader.stats("acct_a", "sub_2", StatsWindow.HOUR).total().attempts()).isEqualTo(1);
  }

  @Test
  void a410GoneIsReportedAsDisabledOnceAndNotJudgedAfter() {
    pipe(attempt("acct_a", "sub_1", "evt_1", "call.completed", AttemptOutcome.HTTP_ERROR, 410, 20, clock.instant(), 1,
        true));
    assertThat(events.readValuesToList()).extracting(OperationalEvent::getEventType).containsExactly(
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.ENDPOINT_DISABLED);
    // the deliveries behind it end cancelled: no judgement of a disabled endpoint
    pipe(attempt("acct_a", "sub_1", "evt_2", "call.completed", AttemptOutcome.CANCELLED, null, 0, clock.instant(), 1,
        true));
    clock.advance(POLICY.autoDisableAfter());
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.isEmpty()).isTrue();
    assertThat(disabler.disabled).isEmpty();
  }

  @Test
  void whileABacklogOfOldAttemptsIsReadNothingIsJudgedOnHowLongItLasted() {
    Instant old = clock.instant().minus(Duration.ofDays(1));
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.HTTP_ERROR, 500, 20, old));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.isEmpty()).isTrue();
    assertThat(disabler.disabled).isEmpty();

    // caught up: the warning comes first, the disable in the same evaluation, as the streak is long over due
    clock.advance(POLICY.evaluationInterval().multipliedBy(2));
    driver.advanceWallClockTime(POLICY.evaluationInterval());
    assertThat(events.readValuesToList()).extracting(OperationalEvent::getEventType)
        .containsExactly(OperationalEventType.ENDPOINT_FAILING, OperationalEventType.ENDPOINT_DISABLED);
    assertThat(disabler.disabled).hasSize(1);
  }

  @Test
  void anUndecodableAttemptIsDeadLetteredAndTheStreamGoesOn() {
    rawAttempts.pipeInput("sub_1", new byte[] {0, 0, 0, 0, 9, 1, 2});
    pipe(attempt("acct_a", "sub_1", "evt_1", AttemptOutcome.SUCCEEDED, 200, 20, T0));

    List<DeadLetter> letters = deadLetters.readValuesToList();
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).getKind()).isEqualTo(DeadLetterKind.UNDECODABLE);
    assertThat(letters.get(0).getSourceTopic()).isEqualTo(topics.attempts().name());
    assertThat(letters.get(0).getRawValue().array()).containsExactly(0, 0, 0, 0, 9, 1, 2);
    assertThat(reader.stats("acct_a", "sub_1", StatsWindow.HOUR).total().attempts()).isEqualTo(1);
    assertThat(metrics.deadLetters()).isEqualTo(1);
    assertThat(metrics.attempts()).isEqualTo(2);
  }

  @Test
  void attemptsOlderThanTheRetentionAreNotListed() {
    Instant now = clock.instant();
    pipe(attempt("acct_a", "sub_1", "evt_old", AttemptOutcome.SUCCEEDED, 200, 20, now.minus(Duration.ofDays(31))));
    pipe(attempt("acct_a", "sub_1", "evt_new", AttemptOutcome.SUCCEEDED, 200, 20, now));

    assertThat(reader.attempts("acct_a", "sub_1", AttemptQuery.all()).data()).extracting(AttemptRecord::eventId)
        .containsExactly("evt_new");
    assertThat(reader.eventAttempts("acct_a", "evt_old").attempts()).isEmpty();
  }
}
