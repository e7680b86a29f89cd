package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.fanout.FanoutService;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.AttemptPage;
import org.webhooks.stats.AttemptQuery;
import org.webhooks.stats.AttemptRecord;
import org.webhooks.stats.DeliveryStatsQueries;
import org.webhooks.stats.DeliveryStatsService;
import org.webhooks.stats.EndpointStats;
import org.webhooks.stats.LatencyPrecision;
import org.webhooks.stats.StatsUnavailableException;
import org.webhooks.stats.StatsWindow;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;
import org.webhooks.testing.TestStack;
import org.webhooks.worker.DeliveryWorker;

/**
 * delivery-stats end to end on the embedded broker: events published, fanned out, sent by the real
 * worker to a real receiver that answers with known statuses after known delays, and the statistics,
 * attempt index, health and operational events delivery-stats makes of the attempts.
 */
class DeliveryStatsIT {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final int EVENTS = 30;
  /** The receiver's delay before answering the n-th request (cycled), ms. */
  private static final long[] DELAYS = {0, 5, 10, 20, 40, 80, 150};

  @TempDir Path dir;

  private WebhooksConfig config;
  private SchemaRegistryClient registry;
  private Receiver receiver;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "stats-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "3")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.INSTANCE_ID, "stats-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, dir.toString());
    registry = new SchemaRegistryClient(config.registryUrl());
    receiver = Receiver.start(new AtomicLong());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    receiver.close();
  }

  @Test
  void theStatsOfAnEndpointAreWhatItsReceiverSawAndAnswerTheSameAfterARestart() throws Exception {
    // failed attempts are retried an hour later: never within the test
    config = config.with(Setting.RETRY_SCHEDULE, "1h");
    KafkaClients.ensureTopics(config);
    List<Receiver.Answer> answers = new ArrayList<>();
    for (int i = 0; i < EVENTS; i++) {
      answers.add(new Receiver.Delayed(DELAYS[i % DELAYS.length],
          new Receiver.Status(i % 3 == 2 ? 500 : 200, i % 3 == 2 ? "down" : "ok")));
    }
    receiver.answer("/mix", new Receiver.Sequence(answers.toArray(Receiver.Answer[]::new)));
    Subscription mix = subscribe("acct_s", receiver.url("/mix"), "call.completed");
    Subscription other = subscribe("acct_other", receiver.url("/other"), "call.completed");
    // the stats service's clock: query windows end ten minutes after the attempts
    MutableClock statsClock = new MutableClock(Instant.now().plus(Duration.ofMinutes(10)));
    start(new FanoutService(config, dir.resolve("fanout")));
    start(new DeliveryWorker(config));
    DeliveryStatsService stats = start(new DeliveryStatsService(config, dir.resolve("stats-1"), statsClock));
    StringWriter tailed = new StringWriter();
    Thread tail = tail(tailed, "--subscription", mix.getId(), "--failed");

    for (int i = 0; i < EVENTS; i++) {
      publish("acct_s", "evt_s_" + i, "call.completed");
    }
    // another account's event with the same id
    publish("acct_other", "evt_s_0", "call.completed");

    DeliveryStatsQueries q = stats.queries();
    await().atMost(WAIT).ignoreException(StatsUnavailableException.class).untilAsserted(() -> {
      assertThat(q.stats("acct_s", mix.getId(), StatsWindow.HOUR).total().attempts()).isEqualTo(EVENTS);
      assertThat(q.stats("acct_other", other.getId(), StatsWindow.HOUR).total().attempts()).isEqualTo(1);
    });
    // its changelogs take records as large as the platform's own topics do, not the broker's 1 MiB
    try (Admin admin = Admin.create(KafkaClients.common(config))) {
      List<String> changelogs = admin.listTopics().names().get().stream()
          .filter(t -> t.startsWith(config.topicPrefix() + DeliveryStatsService.NAME) && t.endsWith("-changelog"))
          .toList();
      assertThat(changelogs).isNotEmpty();
      admin.describeConfigs(changelogs.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList())
          .all().get().values().forEach(c -> assertThat(c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value())
              .isEqualTo(Integer.toString(KafkaClients.maxRecordBytes(config.maxEventBytes()))));
    }
    List<Receiver.Received> got = receiver.received("/mix");
    assertThat(got).hasSize(EVENTS);
    long okCount = 0;
    for (int i = 0; i < got.size(); i++) {
      okCount += i % 3 == 2 ? 0 : 1;
    }
    long okAnswered = okCount;
    EndpointStats hour = q.stats("acct_s", mix.getId(), StatsWindow.HOUR);
    assertThat(hour.total().attempts()).isEqualTo(got.size());
    assertThat(hour.total().succeeded()).isEqualTo(okAnswered);
    assertThat(hour.total().failed()).isEqualTo(got.size() - okAnswered);
    assertThat(hour.total().outcomes()).containsEntry("http_error", got.size() - okAnswered);
    assertThat(hour.series().stream().mapToLong(b -> b.attempts()).sum()).isEqualTo(got.size());

    // percentiles: within the stated precision of the latencies the worker recorded, and never below
    // what the receiver made them wait
    long[] recorded = attempts().stream().filter(a -> a.getSubscriptionId().equals(mix.getId()))
        .mapToLong(DeliveryAttempt::getLatencyMs).sorted().toArray();
    assertThat(recorded).hasSize(EVENTS);
    long[] delays = new long[EVENTS];
    for (int i = 0; i < EVENTS; i++) {
      delays[i] = DELAYS[i % DELAYS.length];
    }
    Arrays.sort(delays);
    for (double p : new double[] {50, 95, 99}) {
      Long reported = p == 50 ? hour.total().latencyP50Ms() : p == 95 ? hour.total().latencyP95Ms()
          : hour.total().latencyP99Ms();
      long exact = nearestRank(recorded, p);
      assertThat(reported).as("p%s", p).isBetween(exact,
          exact + (long) Math.floor(exact * LatencyPrecision.RELATIVE_ERROR));
      assertThat(reported).as("p%s against the receiver's delay", p).isGreaterThanOrEqualTo(nearestRank(delays, p));
    }

    // the attempt index, newest first in pages, and by event across accounts
    List<AttemptRecord> listed = allAttempts(q, "acct_s", mix.getId(), 7);
    assertThat(listed).hasSize(EVENTS);
    assertThat(listed).extracting(AttemptRecord::startedAt).isSortedAccordingTo((x, y) -> y.compareTo(x));
    assertThat(listed.stream().filter(a -> a.outcome().equals("http_error")).count()).isEqualTo(got.size() - okAnswered);
    assertThat(q.eventAttempts("acct_s", "evt_s_0").attempts()).extracting(AttemptRecord::subscriptionId)
        .containsExactly(mix.getId());
    assertThat(q.eventAttempts("acct_other", "evt_s_0").attempts()).extracting(AttemptRecord::subscriptionId)
        .containsExactly(other.getId());
    // tenancy: another account asking about this endpoint gets nothing
    assertThat(q.stats("acct_other", mix.getId(), StatsWindow.DAY).total().attempts()).isZero();
    assertThat(q.attempts("acct_other", mix.getId(), AttemptQuery.all()).data()).isEmpty();
    assertThat(q.health("acct_other", mix.getId())).isEmpty();
    assertThat(q.health("acct_s", mix.getId()).orElseThrow().lastSuccessAt()).isNotNull();

    // attempts tail printed the failed attempts of the endpoint, one line each
    await().atMost(WAIT).untilAsserted(() -> assertThat(tailed.toString().lines()
        .filter(l -> l.contains(mix.getId()) && l.contains("http_error  500")).count()).isEqualTo(got.size() - okAnswered));
    assertThat(tailed.toString().lines()).allMatch(l -> l.contains(" " + receiver.url("/mix") + "  http_error  500  "));
    tail.interrupt();
    tail.join(10_000);
    assertThat(tail.isAlive()).isFalse();

    // a restart on a fresh state dir restores the stores from their changelogs
    var before = answers(q, mix, other);
    stats.close();
    DeliveryStatsService restarted = start(new DeliveryStatsService(config, dir.resolve("stats-2"), statsClock));
    await().atMost(WAIT).ignoreException(StatsUnavailableException.class)
        .untilAsserted(() -> assertThat(answers(restarted.queries(), mix, other)).isEqualTo(before));
  }

  @Test
  void alertsAreEmittedOncePerTransitionAndAnEndpointWithoutSuccessIsDisabled() throws Exception {
    config = config.with(Setting.RETRY_SCHEDULE, "")
        .with(Setting.FAILING_MIN_ATTEMPTS, "4")
        .with(Setting.FAILING_SUCCESS_RATE, "0.5")
        .with(Setting.FAILING_WINDOW, "1h")
        .with(Setting.AUTO_DISABLE_AFTER, "10s");
    KafkaClients.ensureTopics(config);
    receiver.answer("/flaky", new Receiver.Sequence(new Receiver.Status(500, "down"), new Receiver.Status(500, "down"),
        new Receiver.Status(500, "down"), new Receiver.Status(500, "down"), new Receiver.Status(500, "down"),
        new Receiver.Status(500, "down"), new Receiver.Status(200, "ok")));
    receiver.answer("/down", new Receiver.Status(503, "unavailable"));
    Subscription flaky = subscribe("acct_a", receiver.url("/flaky"), "call.completed");
    Subscription down = subscribe("acct_a", receiver.url("/down"), "call.failed");
    // worker and stats on one clock the test moves; ahead of the fanout's, so tasks are due at once
    MutableClock clock = new MutableClock(Instant.now().plus(Duration.ofHours(1)));
    start(new FanoutService(config, dir.resolve("fanout")));
    start(new DeliveryWorker(config, clock));
    DeliveryStatsService stats = start(new DeliveryStatsService(config, dir.resolve("stats"), clock));
    DeliveryStatsQueries q = stats.queries();

    for (int i = 0; i < 6; i++) {
      publish("acct_a", "evt_f_" + i, "call.completed");
    }
    await().atMost(WAIT).ignoreException(StatsUnavailableException.class).untilAsserted(() ->
        assertThat(q.health("acct_a", flaky.getId()))
            .hasValueSatisfying(h -> assertThat(h.consecutiveFailures()).isEqualTo(6)));
    for (int i = 6; i < 12; i++) {
      publish("acct_a", "evt_f_" + i, "call.completed");
    }
    await().atMost(WAIT).untilAsserted(() -> assertThat(types(flaky)).contains(OperationalEventType.ENDPOINT_RECOVERED));
    // the sixth success brings the rate back to 6 of 12
    assertThat(types(flaky)).containsExactly(
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED,
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED,
        OperationalEventType.ENDPOINT_FAILING, OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED,
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.ENDPOINT_RECOVERED);
    OperationalEvent failing = events(flaky).get(4);
    assertThat(failing.getWindowAttempts()).isEqualTo(4);
    assertThat(failing.getWindowSuccesses()).isZero();
    assertThat(failing.getLastStatusCode()).isEqualTo(500);
    assertThat(failing.getUrl()).isEqualTo(receiver.url("/flaky"));

    // auto-disable after 10 s without a success: the warning at 5 s, the disable at 10 s
    publish("acct_a", "evt_d_1", "call.failed");
    await().atMost(WAIT).untilAsserted(() -> assertThat(types(down))
        .containsExactly(OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED));
    clock.advance(Duration.ofSeconds(5));
    await().atMost(WAIT).untilAsserted(() -> assertThat(types(down)).containsExactly(
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.ENDPOINT_FAILING));
    assertThat(events(down).get(1).getReason()).contains("no successful attempt since");
    assertThat(subscription(down.getId()).getEnabled()).isTrue();
    clock.advance(Duration.ofSeconds(5));
    await().atMost(WAIT).untilAsserted(() -> assertThat(types(down)).containsExactly(
        OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, OperationalEventType.ENDPOINT_FAILING,
        OperationalEventType.ENDPOINT_DISABLED));
    Subscription disabled = subscription(down.getId());
    assertThat(disabled.getEnabled()).isFalse();
    assertThat(disabled.getDisabledReason()).startsWith("no successful attempt for 10s");
    assertThat(events(down).get(2).getReason()).startsWith("no successful attempt for 10s");

    // later evaluations and attempts add no second event: read one more attempt, move the clock on
    clock.advance(Duration.ofSeconds(10));
    publish("acct_a", "evt_f_12", "call.completed");
    await().atMost(WAIT).ignoreException(StatsUnavailableException.class).untilAsserted(() -> assertThat(
        q.stats("acct_a", flaky.getId(), StatsWindow.HOUR).total().succeeded()).isEqualTo(7));
    assertThat(types(down)).containsExactly(OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED,
        OperationalEventType.ENDPOINT_FAILING, OperationalEventType.ENDPOINT_DISABLED);
    assertThat(types(flaky)).filteredOn(t -> t != OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED)
        .containsExactly(OperationalEventType.ENDPOINT_FAILING, OperationalEventType.ENDPOINT_RECOVERED);
    assertThat(q.health("acct_a", down.getId()).orElseThrow().disabledAt()).isNotNull();
    assertThat(receiver.received("/down")).hasSize(1);
  }

  private static long nearestRank(long[] sorted, double percentile) {
    int rank = (int) Math.ceil(percentile / 100 * sorted.length);
    return sorted[Math.max(0, rank - 1)];
  }

  private record Answers(EndpointStats hour, EndpointStats day, List<AttemptRecord> attempts, Object event,
      Object health, Object otherHealth) {}

  private static Answers answers(DeliveryStatsQueries q, Subscription mix, Subscription other) {
    return new Answers(q.stats("acct_s", mix.getId(), StatsWindow.HOUR), q.stats("acct_s", mix.getId(), StatsWindow.DAY),
        allAttempts(q, "acct_s", mix.getId(), 7), q.eventAttempts("acct_s", "evt_s_3"), q.health("acct_s", mix.getId()),
        q.health("acct_other", other.getId()));
  }

  private static List<AttemptRecord> allAttempts(DeliveryStatsQueries q, String account, String subscription, int limit) {
    List<AttemptRecord> out = new ArrayList<>();
    AttemptQuery query = new AttemptQuery(java.util.Set.of(), null, null, null, null, limit);
    AttemptPage page = q.attempts(account, subscription, query);
    out.addAll(page.data());
    while (page.nextCursor() != null) {
      page = q.attempts(account, subscription, query.next(page.nextCursor()));
      out.addAll(page.data());
    }
    return out;
  }

  private <S extends Service> S start(S service) {
    service.start();
    closing.add(service);
    return service;
  }

  /** Runs {@code attempts tail} in a thread until it is interrupted; returns once it follows the topic. */
  private Thread tail(StringWriter out, String... flags) {
    List<String> args = new ArrayList<>(List.of("attempts", "tail"));
    args.addAll(List.of(flags));
    args.addAll(List.of("--bootstrap-servers", config.bootstrapServers(), "--registry-url", config.registryUrl(),
        "--topic-prefix", config.topicPrefix()));
    StringWriter err = new StringWriter();
    Thread t = new Thread(() -> Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true),
        args.toArray(String[]::new)), "attempts-tail");
    t.start();
    closing.add(() -> {
      t.interrupt();
      t.join(10_000);
    });
    await().atMost(WAIT).until(() -> err.toString().contains("following"));
    return t;
  }

  private Subscription subscribe(String account, String url, String eventType) {
    Subscription s = SubscriptionRules.newSubscription(account, url, List.of(eventType), null, null,
        config.targetPolicy(), Instant.now());
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.save(s);
    }
    return s;
  }

  private Subscription subscription(String id) {
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      return store.find(id).orElseThrow();
    }
  }

  private void publish(String account, String eventId, String type) throws Exception {
    ObjectNode event = (ObjectNode) EndToEndIT.examples().get(type).deepCopy();
    event.put("account_id", account);
    event.put("event_id", eventId);
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      publisher.publish(CallEventJson.parse(event, Instant.now())).get();
    }
  }

  private List<DeliveryAttempt> attempts() {
    return TopicReader.readAll(config, config.topics().attempts().name(),
        config.topics().attempts().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }

  private List<OperationalEvent> events(Subscription s) {
    return TopicReader.readAll(config, config.topics().operationalEvents().name(),
            config.topics().operationalEvents().valueSerde(registry).deserializer()).stream()
        .filter(r -> r.key().equals(s.getId())).map(ConsumerRecord::value).toList();
  }

  private List<OperationalEventType> types(Subscription s) {
    return events(s).stream().map(OperationalEvent::getEventType).toList();
  }
}
