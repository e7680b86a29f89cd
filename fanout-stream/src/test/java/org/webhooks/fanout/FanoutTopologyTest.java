package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;
import static org.webhooks.fanout.Fixtures.bytes;
import static org.webhooks.fanout.Fixtures.event;
import static org.webhooks.fanout.Fixtures.subscription;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.schemas.OperationalEventJson;
import org.webhooks.schemas.avro.MatchSource;
import org.webhooks.schemas.avro.MatchVerdict;
import org.webhooks.schemas.avro.MatchVerdicts;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;
import org.webhooks.schemas.avro.SubscriptionVerdict;
import org.webhooks.data.DeliveryIds;

/**
 * Drives the production topology with TopologyTestDriver; values go through the real serde against
 * the real registry of the shared embedded stack.
 */
class FanoutTopologyTest {

  /** Record time of the events, i.e. when the call platform published them. */
  private static final Instant PUBLISHED = Instant.parse("2025-01-15T15:45:33Z");
  /** The fanout's clock, later than publication as it would be in production. */
  private static final Instant NOW = Instant.parse("2025-01-15T15:45:34Z");
  private static final Instant EARLIER = PUBLISHED.minus(Duration.ofDays(1));

  private static SchemaRegistryClient registry;

  @TempDir Path stateDir;

  private Topics topics;
  private FanoutMetrics metrics;
  private TopologyTestDriver driver;
  private TestInputTopic<String, Subscription> subscriptions;
  private TestInputTopic<String, CallEvent> events;
  private TestInputTopic<String, byte[]> rawEvents;
  private TestOutputTopic<String, DeliveryTask> deliveries;
  private TestOutputTopic<String, DeadLetter> deadLetters;
  private TestOutputTopic<String, MatchVerdicts> verdicts;
  private TestInputTopic<String, OperationalEvent> operational;

  @BeforeAll
  static void registry() {
    registry = new SchemaRegistryClient(TestStack.shared().registryUrl());
  }

  @BeforeEach
  void startDriver() {
    startDriver(WebhooksConfig.defaults().maxEventBytes());
  }

  private void startDriver(int maxEventBytes) {
    topics = WebhooksConfig.defaults().with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-").topics();
    metrics = new FanoutMetrics();
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fanout-topology-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    driver = new TopologyTestDriver(
        FanoutTopology.build(topics, registry, Clock.fixed(NOW, ZoneOffset.UTC), metrics, maxEventBytes), props);
    subscriptions = driver.createInputTopic(topics.subscriptions().name(), new StringSerializer(),
        topics.subscriptions().valueSerde(registry).serializer());
    events = driver.createInputTopic(topics.callEvents().name(), new StringSerializer(),
        topics.callEvents().valueSerde(registry).serializer());
    rawEvents = driver.createInputTopic(topics.callEvents().name(), new StringSerializer(),
        new ByteArraySerializer());
    deliveries = driver.createOutputTopic(topics.deliveries().name(), new StringDeserializer(),
        topics.deliveries().valueSerde(registry).deserializer());
    deadLetters = driver.createOutputTopic(topics.deadLetters().name(), new StringDeserializer(),
        topics.deadLetters().valueSerde(registry).deserializer());
    verdicts = driver.createOutputTopic(topics.matchVerdicts().name(), new StringDeserializer(),
        topics.matchVerdicts().valueSerde(registry).deserializer());
    operational = driver.createInputTopic(topics.operationalEvents().name(), new StringSerializer(),
        topics.operationalEvents().valueSerde(registry).serializer());
  }

  @Test
  void everySubscriptionOfTheAccountGetsAVerdictSayingWhyItDidOrDidNotReceiveTheEvent() {
    Subscription matched = save(subscription("acct_v", EARLIER, "call.completed"));
    Subscription otherType = save(subscription("acct_v", EARLIER, "call.started"));
    Subscription disabled = subscription("acct_v", EARLIER, "call.completed");
    disabled.setEnabled(false);
    save(disabled);
    Subscription later = save(subscription("acct_v", PUBLISHED.plusSeconds(1), "call.completed"));
    Subscription filterFalse = subscription("acct_v", EARLIER, "call.completed");
    filterFalse.setFilter("data.agent_id == 'agent_9'");
    save(filterFalse);
    Subscription filterError = subscription("acct_v", EARLIER, "call.completed");
    filterError.setFilter("data.outcome == 'booked'");
    save(filterError);
    Subscription otherAccount = save(subscription("acct_w", EARLIER, "call.completed"));

    publish(event("acct_v", "call.completed", "evt_v", "call_v"));

    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(matched.getId());
    List<TestRecord<String, MatchVerdicts>> out = verdicts.readRecordsToList();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).key()).isEqualTo("evt_v");
    MatchVerdicts v = out.get(0).value();
    assertThat(v.getAccountId()).isEqualTo("acct_v");
    assertThat(v.getEventType()).isEqualTo("call.completed");
    assertThat(v.getPublishedAt()).isEqualTo(PUBLISHED);
    assertThat(v.getDecidedAt()).isEqualTo(NOW);
    assertThat(v.getSource()).isEqualTo(MatchSource.FANOUT);
    assertThat(v.getUnlisted()).isZero();
    assertThat(v.getVerdicts()).extracting(SubscriptionVerdict::getSubscriptionId, SubscriptionVerdict::getVerdict,
        SubscriptionVerdict::getDetail).containsExactlyInAnyOrder(
            tuple(matched.getId(), MatchVerdict.MATCHED, null),
            tuple(otherType.getId(), MatchVerdict.EVENT_TYPE_NOT_SELECTED, null),
            tuple(disabled.getId(), MatchVerdict.DISABLED, null),
            tuple(later.getId(), MatchVerdict.CREATED_AFTER_EVENT, null),
            tuple(filterFalse.getId(), MatchVerdict.FILTER_FALSE, null),
            tuple(filterError.getId(), MatchVerdict.FILTER_ERROR, "missing_field"));
    assertThat(v.toString()).doesNotContain(otherAccount.getId());

    // an event of an account without subscriptions is recorded too: it happened, nobody got it
    publish(event("acct_none", "call.started", "evt_n", "call_n"));
    MatchVerdicts none = verdicts.readValue();
    assertThat(none.getEventId()).isEqualTo("evt_n");
    assertThat(none.getVerdicts()).isEmpty();
  }

  @Test
  void anOperationalEventIsMatchedFilteredAndDeliveredLikeACallEventWithinItsAccount() throws Exception {
    Subscription alerts = save(subscription("acct_o", EARLIER, "endpoint.failing", "endpoint.recovered"));
    Subscription filtered = subscription("acct_o", EARLIER, "endpoint.failing");
    filtered.setFilter("data.endpoint_id == 'sub_other'");
    save(filtered);
    Subscription calls = save(subscription("acct_o", EARLIER, "call.completed"));
    Subscription otherAccount = save(subscription("acct_p", EARLIER, "endpoint.failing"));
    OperationalEvent failing = OperationalEvent.newBuilder().setEventId("op_1")
        .setEventType(OperationalEventType.ENDPOINT_FAILING).setAccountId("acct_o").setSubscriptionId(calls.getId())
        .setUrl(calls.getUrl()).setOccurredAt(PUBLISHED).setReason("success rate 0% over the last 15m")
        .setWindowMs(900_000L).setWindowAttempts(10L).setWindowSuccesses(0L).setSuccessRate(0.0).build();

    operational.pipeInput(calls.getId(), failing, PUBLISHED);

    List<TestRecord<String, DeliveryTask>> tasks = deliveries.readRecordsToList();
    assertThat(tasks).extracting(TestRecord::key).containsExactly(alerts.getId());
    DeliveryTask task = tasks.get(0).value();
    assertThat(task.getEventId()).isEqualTo("op_1");
    assertThat(task.getEventType()).isEqualTo("endpoint.failing");
    assertThat(task.getDeliveryId()).isEqualTo(DeliveryIds.of(alerts.getId(), "op_1"));
    assertThat(task.getCallId()).isEmpty();
    assertThat(task.getEventPublishedAt()).isEqualTo(PUBLISHED);
    assertThat(bytes(task.getBody())).isEqualTo(OperationalEventJson.render(failing));
    var body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(bytes(task.getBody()));
    assertThat(body.get("event_type").asText()).isEqualTo("endpoint.failing");
    assertThat(body.get("data").get("endpoint_id").asText()).isEqualTo(calls.getId());
    MatchVerdicts v = verdicts.readValue();
    assertThat(v.getEventId()).isEqualTo("op_1");
    assertThat(v.getVerdicts()).extracting(SubscriptionVerdict::getSubscriptionId, SubscriptionVerdict::getVerdict)
        .containsExactlyInAnyOrder(tuple(alerts.getId(), MatchVerdict.MATCHED),
            tuple(filtered.getId(), MatchVerdict.FILTER_FALSE),
            tuple(calls.getId(), MatchVerdict.EVENT_TYPE_NOT_SELECTED));
    assertThat(v.toString()).doesNotContain(otherAccount.getId());
  }

  @AfterEach
  void closeDriver() {
    driver.close();
  }

  @Test
  void oneTaskPerEnabledSubscriptionOfTheEventType() {
    Subscription completed = save(subscription("acct_a", EARLIER, "call.completed"));
    Subscription both = save(subscription("acct_a", EARLIER, "call.started", "call.completed"));
    Subscription started = save(subscription("acct_a", EARLIER, "call.started"));
    Subscription disabled = subscription("acct_a", EARLIER, "call.completed", "call.started");
    disabled.setEnabled(false);
    save(disabled);

    publish(event("acct_a", "call.completed", "evt_1", "call_1"));
    List<TestRecord<String, DeliveryTask>> first = deliveries.readRecordsToList();
    assertThat(first).extracting(TestRecord::key)
        .containsExactlyInAnyOrder(completed.getId(), both.getId());

    publish(event("acct_a", "call.started", "evt_2", "call_1"));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key)
        .containsExactlyInAnyOrder(both.getId(), started.getId());

    for (TestRecord<String, DeliveryTask> record : first) {
      DeliveryTask task = record.value();
      assertThat(task.getSubscriptionId()).isEqualTo(record.key());
      assertThat(task.getDeliveryId()).isEqualTo(DeliveryIds.of(record.key(), "evt_1"));
      assertThat(task.getAccountId()).isEqualTo("acct_a");
      assertThat(task.getEventId()).isEqualTo("evt_1");
      assertThat(task.getEventType()).isEqualTo("call.completed");
      assertThat(task.getCallId()).isEqualTo("call_1");
      assertThat(task.getAttempt()).isEqualTo(1);
      assertThat(task.getEventPublishedAt()).isEqualTo(PUBLISHED);
      assertThat(task.getCreatedAt()).isEqualTo(NOW);
      assertThat(task.getDueAt()).isEqualTo(NOW);
      assertThat(task.getFirstAttemptAt()).isNull();
      assertThat(task.getLastStatus()).isNull();
      assertThat(task.getTest()).isFalse();
    }
    assertThat(metrics.eventsIn()).isEqualTo(2);
    assertThat(metrics.deliveriesOut()).isEqualTo(4);
  }

  @Test
  void bodyIsTheRenderedEventAndTheSameBytesForEveryMatch() {
    save(subscription("acct_a", EARLIER, "call.completed"));
    save(subscription("acct_a", EARLIER, "call.completed"));
    save(subscription("acct_a", EARLIER, "call.completed"));
    CallEvent event = publish(event("acct_a", "call.completed", "evt_body", "call_2"));

    List<DeliveryTask> tasks = deliveries.readValuesToList();
    assertThat(tasks).hasSize(3);
    byte[] expected = CallEventJson.render(event);
    for (DeliveryTask task : tasks) {
      assertThat(bytes(task.getBody())).isEqualTo(expected);
    }
    // The body keeps the JSON types of the producer's free-form objects.
    assertThat(new String(expected, StandardCharsets.UTF_8))
        .contains("\"event_id\":\"evt_body\"", "\"timestamp\":\"2025-01-15T15:45:32Z\"", "\"tier\":2",
            "\"ltv\":1234.5", "\"attempt\":1");
  }

  @Test
  void anEventIsOnlyMatchedWithSubscriptionsOfItsOwnAccount() {
    Subscription a = save(subscription("acct_a", EARLIER, "call.completed", "call.started"));
    Subscription b = save(subscription("acct_b", EARLIER, "call.completed", "call.started"));
    // Account ids that share a prefix with the separator in between must not see each other's events.
    Subscription aPipe = save(subscription("acct_a|b", EARLIER, "call.completed"));
    Subscription aBackslash = save(subscription("acct_a\\", EARLIER, "call.completed"));

    publish(event("acct_a", "call.completed", "evt_a", "call_a"));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(a.getId());

    publish(event("acct_b", "call.completed", "evt_b", "call_b"));
    List<DeliveryTask> forB = deliveries.readValuesToList();
    assertThat(forB).extracting(DeliveryTask::getSubscriptionId).containsExactly(b.getId());
    assertThat(forB).extracting(DeliveryTask::getAccountId).containsExactly("acct_b");

    publish(event("acct_a|b", "call.completed", "evt_pipe", "call_p"));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(aPipe.getId());

    publish(event("acct_a\\", "call.completed", "evt_backslash", "call_s"));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(aBackslash.getId());

    publish(event("acct_c", "call.completed", "evt_c", "call_c"));
    assertThat(deliveries.isEmpty()).isTrue();
  }

  @Test
  void aSubscriptionCreatedAfterTheEventWasPublishedDoesNotReceiveIt() {
    Subscription atPublication = save(subscription("acct_a", PUBLISHED, "call.completed"));
    Subscription afterPublication = save(subscription("acct_a", PUBLISHED.plusMillis(1), "call.completed"));

    publish(event("acct_a", "call.completed", "evt_1", "call_1"), PUBLISHED);
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(atPublication.getId());

    publish(event("acct_a", "call.completed", "evt_2", "call_1"), PUBLISHED.plusMillis(1));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key)
        .containsExactlyInAnyOrder(atPublication.getId(), afterPublication.getId());
  }

  @Test
  void aTombstoneStopsMatchingAndEmptiesTheStore() {
    Subscription kept = save(subscription("acct_a", EARLIER, "call.completed"));
    Subscription deleted = save(subscription("acct_a", EARLIER, "call.completed"));
    publish(event("acct_a", "call.completed", "evt_1", "call_1"));
    assertThat(deliveries.readKeyValuesToList()).hasSize(2);

    subscriptions.pipeInput(deleted.getId(), null, EARLIER);
    publish(event("acct_a", "call.completed", "evt_2", "call_1"));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(kept.getId());

    assertThat(storeKeys()).containsExactlyInAnyOrder(
        SubscriptionStoreKeys.subscription("acct_a", kept.getId()), SubscriptionStoreKeys.index(kept.getId()));
    // A tombstone of a subscription the store never held changes nothing.
    subscriptions.pipeInput("sub_unknown", null, EARLIER);
    assertThat(storeKeys()).hasSize(2);
  }

  @Test
  void anUpdatedSubscriptionReplacesTheOldOne() {
    Subscription sub = save(subscription("acct_a", EARLIER, "call.completed"));
    sub.setEventTypes(List.of("call.failed"));
    save(sub);

    publish(event("acct_a", "call.completed", "evt_1", "call_1"));
    assertThat(deliveries.isEmpty()).isTrue();
    publish(event("acct_a", "call.failed", "evt_2", "call_1"));
    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(sub.getId());

    sub.setEnabled(false);
    sub.setDisabledReason("endpoint answered 410 Gone");
    save(sub);
    publish(event("acct_a", "call.failed", "evt_3", "call_1"));
    assertThat(deliveries.isEmpty()).isTrue();
  }

  @Test
  void aFilterSelectsAmongTheEventsOfItsTypes() {
    Subscription plain = save(subscription("acct_a", EARLIER, "call.completed"));
    Subscription byAgent = subscription("acct_a", EARLIER, "call.completed");
    byAgent.setFilter("data.agent_id == 'agent_7' && data.customer.tier >= 2");
    save(byAgent);
    Subscription otherAgent = subscription("acct_a", EARLIER, "call.completed");
    otherAgent.setFilter("data.agent_id == 'agent_8'");
    save(otherAgent);

    publish(event("acct_a", "call.completed", "evt_1", "call_1"));

    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key)
        .containsExactlyInAnyOrder(plain.getId(), byAgent.getId());
    assertThat(metrics.filtersMatched()).isEqualTo(1);
    assertThat(metrics.filtersNotMatched()).isEqualTo(1);
  }

  @Test
  void aFilterThatFailsOrDoesNotCompileDeliversNothingIsCountedAndTheStreamGoesOn() {
    Subscription missing = subscription("acct_a", EARLIER, "call.completed");
    missing.setFilter("data.sentiment_score < -0.5");
    save(missing);
    Subscription wrongType = subscription("acct_a", EARLIER, "call.completed");
    wrongType.setFilter("data.agent_id > 3");
    save(wrongType);
    Subscription broken = subscription("acct_a", EARLIER, "call.completed");
    broken.setFilter("data.agent_id == ");
    save(broken);
    Subscription guarded = subscription("acct_a", EARLIER, "call.completed");
    guarded.setFilter("has(data.sentiment_score) && data.sentiment_score < -0.5");
    save(guarded);
    Subscription plain = save(subscription("acct_a", EARLIER, "call.completed"));

    publish(event("acct_a", "call.completed", "evt_1", "call_1"));
    publish(event("acct_a", "call.completed", "evt_2", "call_1"));

    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key)
        .containsExactly(plain.getId(), plain.getId());
    assertThat(metrics.filterErrors("missing_field")).isEqualTo(2);
    assertThat(metrics.filterErrors("no_matching_overload")).isEqualTo(2);
    assertThat(metrics.filterErrors("invalid_filter")).isEqualTo(2);
    assertThat(metrics.filterErrors("not_boolean")).isZero();
    // the guarded filter is false, not an error
    assertThat(metrics.filtersNotMatched()).isEqualTo(2);
    assertThat(deadLetters.isEmpty()).isTrue();
  }

  @Test
  void undecodableRecordsAreDeadLetteredAndLaterEventsStillProcessed() {
    Subscription sub = save(subscription("acct_a", EARLIER, "call.completed"));
    byte[] garbage = "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8);
    byte[] good = topics.callEvents().valueSerde(registry).serializer()
        .serialize(topics.callEvents().name(), event("acct_a", "call.completed", "evt_x", "call_x"));
    byte[] truncated = Arrays.copyOf(good, 12);

    rawEvents.pipeInput("call_bad", garbage, PUBLISHED);
    rawEvents.pipeInput("call_cut", truncated, PUBLISHED);
    rawEvents.pipeInput("call_null", null, PUBLISHED);
    publish(event("acct_a", "call.completed", "evt_after", "call_after"));

    List<TestRecord<String, DeadLetter>> letters = deadLetters.readRecordsToList();
    assertThat(letters).extracting(TestRecord::key).containsExactly("call_bad", "call_cut", "call_null");
    assertThat(letters).extracting(r -> r.value().getKind()).containsOnly(DeadLetterKind.UNDECODABLE);
    assertThat(letters).extracting(r -> r.value().getSourceTopic()).containsOnly(topics.callEvents().name());
    assertThat(letters).extracting(r -> r.value().getSourcePartition()).containsOnly(0);
    assertThat(letters).extracting(r -> r.value().getSourceOffset()).containsExactly(0L, 1L, 2L);
    assertThat(letters).extracting(r -> r.value().getDeadLetteredAt()).containsOnly(NOW);

    DeadLetter bad = letters.get(0).value();
    assertThat(bad.getReason()).contains("magic byte");
    assertThat(bytes(bad.getRawValue())).isEqualTo(garbage);
    assertThat(bytes(bad.getRawKey())).isEqualTo("call_bad".getBytes(StandardCharsets.UTF_8));
    assertThat(bad.getTask()).isNull();

    DeadLetter cut = letters.get(1).value();
    assertThat(cut.getReason()).startsWith("cannot decode a value of schema id");
    assertThat(bytes(cut.getRawValue())).isEqualTo(truncated);

    DeadLetter tombstone = letters.get(2).value();
    assertThat(tombstone.getReason()).contains("no value");
    assertThat(tombstone.getRawValue()).isNull();

    assertThat(deliveries.readKeyValuesToList()).extracting(kv -> kv.key).containsExactly(sub.getId());
    assertThat(metrics.deadLetters()).isEqualTo(3);
    assertThat(metrics.eventsIn()).isEqualTo(4);
  }

  @Test
  void anEventTooLargeToDeliverIsDeadLetteredAndLaterEventsStillFlow() {
    Subscription sub = save(subscription("acct_a", EARLIER, "call.completed"));
    CallEvent huge = event("acct_a", "call.completed", "evt_huge", "call_huge");
    huge.setExtraData("{\"blob\":\"" + "x".repeat(WebhooksConfig.defaults().maxEventBytes()) + "\"}");
    publish(huge);
    publish(event("acct_a", "call.completed", "evt_after", "call_after"));

    List<TestRecord<String, DeadLetter>> letters = deadLetters.readRecordsToList();
    assertThat(letters).hasSize(1);
    assertThat(letters.get(0).value().getReason()).contains("evt_huge").contains("bytes");
    assertThat(deliveries.readValuesToList()).extracting(DeliveryTask::getEventId).containsExactly("evt_after");
    assertThat(sub.getId()).isNotBlank();
  }

  @Test
  void theLargestEventIsTheSettingAndAnEventOfExactlyThatSizeIsDelivered() {
    driver.close();
    startDriver(2048);
    save(subscription("acct_a", EARLIER, "call.completed"));
    publish(eventRenderingTo(2048, "evt_fits"));
    publish(eventRenderingTo(2049, "evt_over"));

    assertThat(deliveries.readValuesToList()).singleElement().satisfies(task -> {
      assertThat(task.getEventId()).isEqualTo("evt_fits");
      assertThat(task.getBody().remaining()).isEqualTo(2048);
    });
    assertThat(deadLetters.readValuesToList()).singleElement().satisfies(letter -> {
      assertThat(letter.getKind()).isEqualTo(DeadLetterKind.UNDECODABLE);
      assertThat(letter.getReason())
          .isEqualTo("event evt_over renders to 2049 bytes, more than the 2048 of WEBHOOKS_MAX_EVENT_BYTES");
    });
  }

  @Test
  void anEventWhoseIdsAreTooLongToCarryBesideItsBodyIsDeadLettered() {
    driver.close();
    startDriver(2048);
    // the account id is not part of the body: a delivery carries it beside the body
    String longAccount = "acct_" + "a".repeat(30_000);
    save(subscription(longAccount, EARLIER, "call.completed"));
    save(subscription("acct_b", EARLIER, "call.completed"));
    publish(event(longAccount, "call.completed", "evt_long", "call_1"));
    publish(event("acct_b", "call.completed", "evt_other", "call_2"));

    assertThat(deliveries.readValuesToList()).extracting(DeliveryTask::getEventId).containsExactly("evt_other");
    assertThat(deadLetters.readValuesToList()).singleElement()
        .satisfies(letter -> assertThat(letter.getReason()).contains("evt_long").contains("too long"));
  }

  /** @return a call.completed event of acct_a whose rendered body is exactly {@code bytes} long */
  private static CallEvent eventRenderingTo(int bytes, String eventId) {
    CallEvent event = event("acct_a", "call.completed", eventId, "call_" + eventId);
    event.setExtraData("{\"blob\":\"\"}");
    int base = CallEventJson.render(event).length;
    event.setExtraData("{\"blob\":\"" + "x".repeat(bytes - base) + "\"}");
    assertThat(CallEventJson.render(event)).hasSize(bytes);
    return event;
  }

  @Test
  void anUndecodableSubscriptionRecordActsAsADelete() {
    Subscription sub = save(subscription("acct_a", EARLIER, "call.completed"));
    TestInputTopic<String, byte[]> rawSubscriptions = driver.createInputTopic(
        topics.subscriptions().name(), new StringSerializer(), new ByteArraySerializer());
    rawSubscriptions.pipeInput(sub.getId(), new byte[] {AvroSerde.MAGIC_BYTE, 0, 0, 0}, EARLIER);

    publish(event("acct_a", "call.completed", "evt_1", "call_1"));
    assertThat(deliveries.isEmpty()).isTrue();
    assertThat(storeKeys()).isEmpty();
    assertThat(metrics.undecodableSubscriptions()).isEqualTo(1);
  }

  @Test
  void aRegistryThatCannotBeReachedFailsTheRecordInsteadOfDeadLetteringIt() throws Exception {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    SchemaRegistryClient unreachable =
        new SchemaRegistryClient("http://127.0.0.1:" + closedPort + "/apis/ccompat/v7");
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "fanout-topology-test-outage");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("outage").toString());
    byte[] good = topics.callEvents().valueSerde(registry).serializer()
        .serialize(topics.callEvents().name(), event("acct_a", "call.completed", "evt_1", "call_1"));

    try (TopologyTestDriver outage = new TopologyTestDriver(
        FanoutTopology.build(topics, unreachable, Clock.fixed(NOW, ZoneOffset.UTC), metrics), props)) {
      TestInputTopic<String, byte[]> in = outage.createInputTopic(topics.callEvents().name(),
          new StringSerializer(), new ByteArraySerializer());
      TestOutputTopic<String, DeadLetter> out = outage.createOutputTopic(topics.deadLetters().name(),
          new StringDeserializer(), topics.deadLetters().valueSerde(registry).deserializer());

      Throwable failure = catchThrowable(
          () -> in.pipeInput("call_1", good, PUBLISHED));

      assertThat(SchemaRegistryClient.isUnreachable(failure)).as("failure %s", failure).isTrue();
      assertThat(out.isEmpty()).isTrue();
      assertThat(metrics.deadLetters()).isZero();
    }
  }

  private Subscription save(Subscription subscription) {
    subscriptions.pipeInput(subscription.getId(), subscription, subscription.getUpdatedAt());
    return subscription;
  }

  private CallEvent publish(CallEvent event) {
    return publish(event, PUBLISHED);
  }

  private CallEvent publish(CallEvent event, Instant publishedAt) {
    events.pipeInput(event.getCallId(), event, publishedAt);
    return event;
  }

  private List<String> storeKeys() {
    KeyValueStore<String, byte[]> store = driver.getKeyValueStore(FanoutTopology.SUBSCRIPTION_STORE);
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      List<String> keys = new ArrayList<>();
      it.forEachRemaining(kv -> keys.add(kv.key));
      return keys;
    }
  }
}
