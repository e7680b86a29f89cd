package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.webhooks.fanout.FanoutService;
import org.webhooks.worker.DeliveryWorker;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.testing.TestStack;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.producer.JsonLinesPublisher;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/**
 * The whole data path on the real embedded broker and registry: publish, fanout, worker, a real HTTP
 * receiver, and the attempts and dead letters it leaves behind.
 */
class EndToEndIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path stateDir;

  private WebhooksConfig config;
  private SchemaRegistryClient registry;
  private final List<Service> services = new ArrayList<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @BeforeEach
  void topics() {
    EmbeddedStack stack = TestStack.shared();
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "e2e-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "3")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.INSTANCE_ID, "e2e-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, stateDir.toString());
    registry = new SchemaRegistryClient(config.registryUrl());
    KafkaClients.ensureTopics(config);
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = services.size() - 1; i >= 0; i--) {
      services.get(i).close();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  @Test
  void everyExampleIsDeliveredSignedWithItsExactBodyAndRecorded() throws Exception {
    RecordingReceiver receiver = receiver();
    Subscription sub = subscribe("acct_a", receiver.url(), EventTypes.ALL);
    startServices();

    StringBuilder lines = new StringBuilder();
    Map<String, JsonNode> examples = examples();
    for (JsonNode example : examples.values()) {
      ObjectNode line = example.deepCopy();
      line.put("account_id", "acct_a");
      lines.append(line).append('\n');
    }
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      JsonLinesPublisher.Result result = new JsonLinesPublisher(publisher, Clock.systemUTC())
          .publish(new BufferedReader(new StringReader(lines.toString())));
      assertThat(result.errors()).isEmpty();
      assertThat(result.published()).isEqualTo(8);
    }

    await().atMost(WAIT).until(() -> receiver.requests().size() >= 8);
    String secret = sub.getSecrets().get(0).getSecret();
    Map<String, RecordingReceiver.Request> byId = receiver.requests().stream()
        .collect(Collectors.toMap(r -> r.header("webhook-id"), r -> r, (a, b) -> a));
    assertThat(byId.keySet()).containsExactlyInAnyOrderElementsOf(
        examples.values().stream().map(e -> e.get("event_id").asText()).toList());
    for (JsonNode example : examples.values()) {
      RecordingReceiver.Request request = byId.get(example.get("event_id").asText());
      assertThat(JSON.readTree(request.body())).isEqualTo(example);
      assertThat(request.header("content-type")).startsWith("application/json");
      assertThat(WebhookSignature.verify(secret, request.header("webhook-id"), request.header("webhook-timestamp"),
          request.body(), request.header("webhook-signature"))).isTrue();
    }

    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts()).hasSize(8));
    assertThat(attempts()).allSatisfy(a -> {
      assertThat(a.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      assertThat(a.getStatusCode()).isEqualTo(200);
      assertThat(a.getFinal$()).isTrue();
      assertThat(a.getSubscriptionId()).isEqualTo(sub.getId());
      assertThat(a.getLatencyMs()).isGreaterThanOrEqualTo(0);
    });
  }

  @Test
  void anEventOfTheLargestSizeIsDeliveredWhole() throws Exception {
    // 1 MiB, the default: as a task, with its ids, it is more than Kafka's default record limit
    int limit = config.maxEventBytes();
    RecordingReceiver receiver = receiver();
    Subscription sub = subscribe("acct_a", receiver.url(), List.of("call.completed"));
    startServices();
    ObjectNode line = (ObjectNode) examples().get("call.completed").deepCopy();
    line.put("account_id", "acct_a");
    ((ObjectNode) line.get("data")).putObject("metadata").put("blob", "");
    int base = CallEventJson.render(CallEventJson.parse(line, Instant.now())).length;
    ((ObjectNode) line.get("data")).putObject("metadata").put("blob", "x".repeat(limit - base));

    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      JsonLinesPublisher.Result result = new JsonLinesPublisher(publisher, Clock.systemUTC(), limit)
          .publish(new BufferedReader(new StringReader(line + "\n")));
      assertThat(result.errors()).isEmpty();
      assertThat(result.published()).isEqualTo(1);
    }

    await().atMost(WAIT).until(() -> !receiver.requests().isEmpty());
    RecordingReceiver.Request request = receiver.requests().get(0);
    assertThat(request.body()).hasSize(limit);
    assertThat(WebhookSignature.verify(sub.getSecrets().get(0).getSecret(), request.header("webhook-id"),
        request.header("webhook-timestamp"), request.body(), request.header("webhook-signature"))).isTrue();
    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts()).singleElement()
        .satisfies(a -> assertThat(a.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED)));
  }

  @Test
  void anAccountNeverReceivesAnotherAccountsEvents() throws Exception {
    RecordingReceiver receiverA = receiver();
    RecordingReceiver receiverB = receiver();
    Subscription subA = subscribe("acct_a", receiverA.url(), EventTypes.ALL);
    Subscription subB = subscribe("acct_b", receiverB.url(), EventTypes.ALL);
    startServices();

    List<String> ids = new ArrayList<>();
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      for (JsonNode example : examples().values()) {
        ObjectNode line = example.deepCopy();
        line.put("account_id", "acct_a");
        publisher.publish(CallEventJson.parse(line, Instant.now())).get();
        ids.add(example.get("event_id").asText());
      }
    }

    await().atMost(WAIT).until(() -> receiverA.requests().size() >= ids.size());
    // The fanout writes all tasks of an event in one transaction: once A's are visible, B's would be too.
    List<DeliveryTask> tasks = tasks();
    assertThat(tasks).hasSize(ids.size());
    assertThat(tasks).allSatisfy(t -> assertThat(t.getSubscriptionId()).isEqualTo(subA.getId()));
    assertThat(tasks).noneSatisfy(t -> assertThat(t.getSubscriptionId()).isEqualTo(subB.getId()));
    assertThat(receiverB.requests()).isEmpty();
  }

  @Test
  void anUndecodableRecordIsDeadLetteredAndLaterEventsStillFlow() throws Exception {
    RecordingReceiver receiver = receiver();
    subscribe("acct_a", receiver.url(), List.of("call.completed"));
    startServices();

    byte[] garbage = "not avro at all".getBytes();
    Properties props = KafkaClients.common(config);
    try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      raw.send(new ProducerRecord<>(config.topics().callEvents().name(), "call_xyz789".getBytes(), garbage)).get();
    }
    ObjectNode good = (ObjectNode) examples().get("call.completed").deepCopy();
    good.put("account_id", "acct_a");
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      publisher.publish(CallEventJson.parse(good, Instant.now())).get();
    }

    await().atMost(WAIT).until(() -> receiver.requests().size() >= 1);
    assertThat(receiver.requests().get(0).header("webhook-id")).isEqualTo("evt_abc123");
    List<DeadLetter> deadLetters = TopicReader.readAll(config, config.topics().deadLetters().name(),
        config.topics().deadLetters().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
    assertThat(deadLetters).hasSize(1);
    DeadLetter dl = deadLetters.get(0);
    assertThat(dl.getKind()).isEqualTo(DeadLetterKind.UNDECODABLE);
    assertThat(dl.getReason()).isNotBlank();
    assertThat(dl.getSourceTopic()).isEqualTo(config.topics().callEvents().name());
    assertThat(bytes(dl.getRawValue())).isEqualTo(garbage);
  }

  /**
   * A producer whose clock runs a day behind (or that sets the event's own time): the broker stamps the
   * record with its publish time, so a subscription created before it was published receives it.
   */
  @Test
  void anEventStampedADayAgoByItsProducerReachesASubscriptionCreatedBeforeItWasPublished() throws Exception {
    RecordingReceiver receiver = receiver();
    subscribe("acct_a", receiver.url(), List.of("call.completed"));
    startServices();

    ObjectNode line = (ObjectNode) examples().get("call.completed").deepCopy();
    line.put("account_id", "acct_a");
    CallEvent event = CallEventJson.parse(line, Instant.now());
    String topic = config.topics().callEvents().name();
    try (KafkaProducer<String, CallEvent> producer = new KafkaProducer<>(KafkaClients.common(config),
        new StringSerializer(), config.topics().callEvents().valueSerde(registry).serializer())) {
      long dayAgo = Instant.now().minus(Duration.ofDays(1)).toEpochMilli();
      producer.send(new ProducerRecord<>(topic, null, dayAgo, event.getCallId(), event)).get();
    }

    await().atMost(WAIT).until(() -> receiver.requests().size() >= 1);
    assertThat(receiver.requests().get(0).header("webhook-id")).isEqualTo("evt_abc123");
  }

  @Test
  void aDeletedSubscriptionGetsNoMoreDeliveries() throws Exception {
    RecordingReceiver kept = receiver();
    RecordingReceiver deleted = receiver();
    subscribe("acct_a", kept.url(), List.of("call.completed"));
    Subscription gone = subscribe("acct_a", deleted.url(), List.of("call.completed"));
    startServices();

    publishCompleted("evt_before");
    await().atMost(WAIT).until(() -> kept.requests().size() == 1 && deleted.requests().size() == 1);

    FanoutService fanout = service(FanoutService.class);
    long updatesBefore = fanout.metrics().subscriptionUpdates();
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.delete(gone.getId());
    }
    // a deletion takes effect once read (README): by the fanout's global store and by the
    // worker's view, which the send-time lookup consults
    await().atMost(WAIT).until(() -> fanout.metrics().subscriptionUpdates() > updatesBefore);
    assertThat(service(DeliveryWorker.class).awaitSubscriptionsRead(WAIT)).isTrue();
    publishCompleted("evt_after");
    await().atMost(WAIT).until(() -> kept.requests().size() == 2);

    // Every task of evt_after was written in one fanout transaction; each must reach a final attempt.
    List<DeliveryTask> after = tasks().stream().filter(t -> t.getEventId().equals("evt_after")).toList();
    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts().stream()
        .filter(a -> a.getEventId().equals("evt_after")).count()).isEqualTo(after.size()));
    assertThat(attempts()).filteredOn(a -> a.getEventId().equals("evt_after") && a.getSubscriptionId().equals(gone.getId()))
        .allSatisfy(a -> assertThat(a.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED));
    assertThat(deleted.requests()).extracting(r -> r.header("webhook-id")).containsExactly("evt_before");
  }

  private void publishCompleted(String eventId) throws Exception {
    ObjectNode event = (ObjectNode) examples().get("call.completed").deepCopy();
    event.put("account_id", "acct_a");
    event.put("event_id", eventId);
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      publisher.publish(CallEventJson.parse(event, Instant.now())).get();
    }
  }

  private Subscription subscribe(String account, String url, List<String> types) {
    Subscription s = SubscriptionRules.newSubscription(account, url, types, null, null, config.targetPolicy(),
        Instant.now());
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.save(s);
    }
    return s;
  }

  /** Services start after the test's subscriptions exist: the fanout loads them all before its first event. */
  private void startServices() {
    for (String name : Services.PIPELINE) {
      Service s = Services.create(name, config);
      s.start();
      services.add(s);
    }
  }

  private <S extends Service> S service(Class<S> type) {
    return services.stream().filter(type::isInstance).map(type::cast).findFirst().orElseThrow();
  }

  private RecordingReceiver receiver() throws Exception {
    RecordingReceiver r = new RecordingReceiver();
    closeables.add(r);
    return r;
  }

  private List<DeliveryAttempt> attempts() {
    return TopicReader.readAll(config, config.topics().attempts().name(),
        config.topics().attempts().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }

  private List<DeliveryTask> tasks() {
    return TopicReader.readAll(config, config.topics().deliveries().name(),
        config.topics().deliveries().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value).toList();
  }

  private static byte[] bytes(java.nio.ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  static Map<String, JsonNode> examples() throws Exception {
    Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
    for (String type : EventTypes.ALL) {
      try (InputStream in = EndToEndIT.class.getResourceAsStream("/examples/" + type + ".json")) {
        out.put(type, JSON.readTree(in));
      }
    }
    return out;
  }
}
