package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.fanout.FanoutService;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.TestStack;

/**
 * The README's filter examples, end to end on the real broker and registry with the real fanout,
 * worker and HTTP receivers: the eight example payloads (plus two variants of them, so that each filter
 * has something to leave out) are published, and each filtered subscription receives exactly the events
 * its filter selects.
 */
class FilterEndToEndIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String ACCOUNT = "acct_f";

  /** A call.completed by another agent, with another outcome. */
  private static final String OTHER_AGENT = "evt_variant_agent_456";
  /** A sentiment.changed above the threshold. */
  private static final String MILD_SENTIMENT = "evt_variant_mild_sentiment";
  /** Published last; only the sentinel subscription takes it. */
  private static final String SENTINEL = "evt_sentinel";

  @TempDir Path stateDir;

  private final List<Service> services = new ArrayList<>();
  private final List<AutoCloseable> receivers = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = services.size() - 1; i >= 0; i--) {
      services.get(i).close();
    }
    for (AutoCloseable r : receivers) {
      r.close();
    }
  }

  @Test
  void eachFilterOfTheReadmeSelectsExactlyItsExampleEvents() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    // one partition: the fanout handles the events in the order published, so that once the sentinel's
    // task is visible every earlier event has been matched
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "filters-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "1")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.INSTANCE_ID, "filters-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, stateDir.toString());
    KafkaClients.ensureTopics(config);
    Map<String, JsonNode> examples = EndToEndIT.examples();

    // the README's examples, each with the events it must receive, and nothing else
    Map<String, Case> cases = new LinkedHashMap<>();
    // every example is agent_123's, as are the mild variant and the sentinel; only agent_456's is left out
    List<String> byAgent = new ArrayList<>(examples.values().stream().map(e -> e.get("event_id").asText()).toList());
    byAgent.addAll(List.of(MILD_SENTIMENT, SENTINEL));
    cases.put("by agent id", new Case(EventTypes.ALL, "data.agent_id == 'agent_123'", byAgent));
    cases.put("by a customer property", new Case(EventTypes.ALL,
        "has(data.customer) && data.customer.tier == 'gold'", List.of("evt_0001started")));
    cases.put("by a sentiment score threshold", new Case(List.of("sentiment.changed"),
        "data.sentiment_score < -0.5", List.of("evt_0004sentiment")));
    cases.put("by outcome", new Case(List.of("call.completed"), "data.outcome == 'appointment_booked'",
        List.of("evt_abc123")));
    cases.put("over a list field", new Case(List.of("call.started", "call.completed"),
        "has(data.customer) && 'vip' in data.customer.tags", List.of("evt_0001started")));
    cases.put("a long call, an integer against a double", new Case(List.of("call.completed", "call.failed"),
        "data.duration_seconds > 100.5", List.of("evt_abc123")));
    cases.put("unguarded missing field", new Case(EventTypes.ALL, "data.customer.tier == 'gold'",
        List.of("evt_0001started")));
    cases.put("sentinel", new Case(List.of("call.failed"), "data.reason == 'sentinel'", List.of(SENTINEL)));

    Map<String, Subscription> subscriptions = new LinkedHashMap<>();
    Map<String, RecordingReceiver> receiverOf = new LinkedHashMap<>();
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      for (Map.Entry<String, Case> c : cases.entrySet()) {
        RecordingReceiver receiver = new RecordingReceiver();
        receivers.add(receiver);
        Subscription s = SubscriptionRules.newSubscription(ACCOUNT, receiver.url(), c.getValue().types(), null,
            c.getValue().filter(), config.targetPolicy(), Instant.now());
        store.save(s);
        subscriptions.put(c.getKey(), s);
        receiverOf.put(c.getKey(), receiver);
      }
    }
    for (String name : Services.PIPELINE) {
      Service s = Services.create(name, config);
      s.start();
      services.add(s);
    }

    List<ObjectNode> events = new ArrayList<>();
    examples.values().forEach(e -> events.add(e.deepCopy()));
    ObjectNode otherAgent = examples.get("call.completed").deepCopy();
    otherAgent.put("event_id", OTHER_AGENT);
    ((ObjectNode) otherAgent.get("data")).put("agent_id", "agent_456").put("outcome", "voicemail")
        .put("duration_seconds", 100);
    events.add(otherAgent);
    ObjectNode mild = examples.get("sentiment.changed").deepCopy();
    mild.put("event_id", MILD_SENTIMENT);
    ((ObjectNode) mild.get("data")).put("sentiment_score", -0.2);
    events.add(mild);
    ObjectNode sentinel = examples.get("call.failed").deepCopy();
    sentinel.put("event_id", SENTINEL);
    ((ObjectNode) sentinel.get("data")).put("reason", "sentinel");
    events.add(sentinel);
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      for (ObjectNode e : events) {
        e.put("account_id", ACCOUNT);
        publisher.publish(CallEventJson.parse(e, Instant.now())).get();
      }
    }

    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    await().atMost(WAIT).until(() -> tasks(config, registry).stream().anyMatch(t -> t.getEventId().equals(SENTINEL)));
    List<DeliveryTask> tasks = tasks(config, registry);
    for (Map.Entry<String, Case> c : cases.entrySet()) {
      String id = subscriptions.get(c.getKey()).getId();
      assertThat(tasks.stream().filter(t -> t.getSubscriptionId().equals(id)).map(DeliveryTask::getEventId))
          .as(c.getKey() + ": " + c.getValue().filter())
          .containsExactlyInAnyOrderElementsOf(c.getValue().expected());
    }

    // and each receiver got exactly those, signed
    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts(config, registry)).hasSize(tasks.size()));
    assertThat(attempts(config, registry)).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
    for (Map.Entry<String, Case> c : cases.entrySet()) {
      RecordingReceiver receiver = receiverOf.get(c.getKey());
      String secret = subscriptions.get(c.getKey()).getSecrets().get(0).getSecret();
      assertThat(receiver.requests()).as(c.getKey()).extracting(r -> r.header("webhook-id"))
          .containsExactlyInAnyOrderElementsOf(c.getValue().expected());
      for (RecordingReceiver.Request r : receiver.requests()) {
        assertThat(WebhookSignature.verify(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
            r.header("webhook-signature"))).isTrue();
        if (examples.values().stream().anyMatch(e -> e.get("event_id").asText().equals(r.header("webhook-id")))) {
          JsonNode example = examples.values().stream()
              .filter(e -> e.get("event_id").asText().equals(r.header("webhook-id"))).findFirst().orElseThrow();
          assertThat(JSON.readTree(r.body())).isEqualTo(example);
        }
      }
    }

    // the unguarded filter met 10 events without a customer (EOS may count a re-run transaction twice)
    FanoutService fanout = services.stream().filter(FanoutService.class::isInstance).map(FanoutService.class::cast)
        .findFirst().orElseThrow();
    assertThat(fanout.metrics().filterErrors("missing_field")).isGreaterThanOrEqualTo(10);
    assertThat(fanout.metrics().filterErrors("no_matching_overload")).isZero();
  }

  private record Case(List<String> types, String filter, List<String> expected) {}

  private static List<DeliveryTask> tasks(WebhooksConfig config, SchemaRegistryClient registry) {
    return TopicReader.readAll(config, config.topics().deliveries().name(),
        config.topics().deliveries().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }

  private static List<DeliveryAttempt> attempts(WebhooksConfig config, SchemaRegistryClient registry) {
    return TopicReader.readAll(config, config.topics().attempts().name(),
        config.topics().attempts().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }
}
