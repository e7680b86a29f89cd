package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;
import org.webhooks.testing.TestStack;
import org.webhooks.worker.DeliveryWorker;

/**
 * Retries through the tiers with the whole pipeline (fanout, worker, retry scheduler) on a
 * second-scale schedule: an endpoint that recovers gets the event, identical every time; one that
 * never does is dead-lettered after exactly the schedule's attempts, and redelivered once by the CLI;
 * a retry whose subscription was deleted while it waited ends cancelled, without a request.
 */
class RetryIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path stateDir;

  private WebhooksConfig config;
  private SchemaRegistryClient registry;
  private Receiver receiver;
  private final List<Service> services = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "retry-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "2")
        .with(Setting.RETRY_SCHEDULE, "1s,2s")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.INSTANCE_ID, "retry-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, stateDir.toString());
    registry = new SchemaRegistryClient(config.registryUrl());
    KafkaClients.ensureTopics(config);
    receiver = Receiver.start(new AtomicLong());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = services.size() - 1; i >= 0; i--) {
      services.get(i).close();
    }
    receiver.close();
  }

  @Test
  void anEndpointThatFailsTwiceGetsTheEventOnTheThirdAttemptNeverEarly() throws Exception {
    receiver.answer("/flaky", new Receiver.Sequence(new Receiver.Status(500, "down"),
        new Receiver.Status(503, "still down"), new Receiver.Status(200, "ok")));
    Subscription sub = subscribe(receiver.url("/flaky"));
    startServices();
    publishCompleted("evt_flaky");

    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts()).hasSize(3));
    List<DeliveryAttempt> attempts = attempts();
    assertThat(attempts).extracting(DeliveryAttempt::getAttempt).containsExactly(1, 2, 3);
    assertThat(attempts).extracting(DeliveryAttempt::getOutcome)
        .containsExactly(AttemptOutcome.HTTP_ERROR, AttemptOutcome.HTTP_ERROR, AttemptOutcome.SUCCEEDED);
    assertThat(attempts).extracting(DeliveryAttempt::getFinal$).containsExactly(false, false, true);
    assertThat(attempts.get(0).getRetryTopic()).isEqualTo(config.topics().retry(Duration.ofSeconds(1)).name());
    assertThat(attempts.get(1).getRetryTopic()).isEqualTo(config.topics().retry(Duration.ofSeconds(2)).name());
    for (int i = 1; i < 3; i++) {
      // no attempt before its due time
      assertThat(attempts.get(i).getStartedAt()).isAfterOrEqualTo(attempts.get(i - 1).getNextAttemptAt());
    }

    List<Receiver.Received> got = receiver.received("/flaky");
    assertThat(got).hasSize(3);
    // a fresh webhook-timestamp each time (the attempts are at least a second apart), signed anew
    assertThat(got).extracting(r -> Long.parseLong(r.header("webhook-timestamp"))).isSorted()
        .doesNotHaveDuplicates();
    String secret = sub.getSecrets().get(0).getSecret();
    for (Receiver.Received r : got) {
      assertThat(r.body()).isEqualTo(got.get(0).body());
      assertThat(r.header("webhook-id")).isEqualTo("evt_flaky");
      assertThat(WebhookSignature.verify(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
          r.header("webhook-signature"))).isTrue();
    }
    assertThat(deadLetters()).isEmpty();
  }

  @Test
  void anEndpointThatNeverRecoversIsDeadLetteredAndRedeliveredOnceAfterItIsFixed() throws Exception {
    receiver.answer("/down", new Receiver.Status(500, "down"));
    Subscription sub = subscribe(receiver.url("/down"));
    startServices();
    publishCompleted("evt_down");
    writeGarbageDelivery(sub.getId());

    // the record that is no task is dead-lettered at once, the task after its last attempt
    await().atMost(WAIT).untilAsserted(() -> assertThat(deadLetters()).extracting(DeadLetter::getKind)
        .containsExactlyInAnyOrder(DeadLetterKind.UNDECODABLE, DeadLetterKind.EXHAUSTED));
    assertThat(attempts()).extracting(DeliveryAttempt::getAttempt).containsExactly(1, 2, 3);
    DeadLetter dl = deadLetters().stream().filter(d -> d.getKind() == DeadLetterKind.EXHAUSTED).findFirst()
        .orElseThrow();
    assertThat(dl.getAttempts()).isEqualTo(3);
    assertThat(dl.getLastStatus()).isEqualTo(500);
    assertThat(receiver.received("/down")).hasSize(3);

    Cli listed = cli("dead-letters", "list", "--subscription", sub.getId(), "--json");
    assertThat(listed.exit).isZero();
    JsonNode entry = JSON.readTree(listed.out.trim());
    assertThat(entry.get("event_id").asText()).isEqualTo("evt_down");
    assertThat(entry.get("attempts").asInt()).isEqualTo(3);
    assertThat(entry.get("last_status").asInt()).isEqualTo(500);
    assertThat(entry.get("redelivered").asBoolean()).isFalse();

    receiver.answer("/down", new Receiver.Status(200, "fixed"));
    Cli first = cli("dead-letters", "redeliver", "--subscription", sub.getId());
    assertThat(first.exit).as(first.err).isZero();
    assertThat(first.out).contains("redelivered 1 dead letter(s)");
    Cli second = cli("dead-letters", "redeliver", "--subscription", sub.getId());
    assertThat(second.exit).isZero();
    assertThat(second.out).contains("redelivered 0 dead letter(s)");
    Cli byId = cli("dead-letters", "redeliver", "--id", entry.get("id").asText());
    assertThat(byId.exit).isEqualTo(2);
    assertThat(byId.err).contains("redelivered already");
    // a record that could not be decoded is listed with the rest, and never redelivered
    List<JsonNode> all = new ArrayList<>();
    for (String line : cli("dead-letters", "list", "--json").out.trim().split("\\R")) {
      all.add(JSON.readTree(line));
    }
    JsonNode garbage = all.stream().filter(n -> n.get("kind").asText().equals("undecodable")).findFirst().orElseThrow();
    assertThat(all).hasSize(2);
    Cli undecodable = cli("dead-letters", "redeliver", "--id", garbage.get("id").asText());
    assertThat(undecodable.exit).isEqualTo(2);
    assertThat(undecodable.err).contains("is an undecodable record, which cannot be redelivered");

    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts()).hasSize(4));
    DeliveryAttempt redelivered = attempts().get(3);
    assertThat(redelivered.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
    assertThat(redelivered.getAttempt()).isEqualTo(1);
    assertThat(redelivered.getEventId()).isEqualTo("evt_down");
    // one fresh task only: both redeliver commands ran before this, and the second wrote nothing
    assertThat(tasks()).filteredOn(t -> t.getAttempt() == 1).hasSize(2);
    assertThat(receiver.received("/down")).hasSize(4);
    assertThat(receiver.received("/down").get(3).body()).isEqualTo(receiver.received("/down").get(0).body());
    JsonNode after = JSON.readTree(cli("dead-letters", "list", "--subscription", sub.getId(), "--json").out.trim());
    assertThat(after.get("redelivered").asBoolean()).isTrue();
  }

  @Test
  void aRetryWhoseSubscriptionIsDeletedMeanwhileEndsCancelledWhenDueWithoutARequest() throws Exception {
    receiver.answer("/deleted", new Receiver.Status(500, "down"));
    Subscription sub = subscribe(receiver.url("/deleted"));
    // the scheduler's clock stands still until the deletion has been read: the retry cannot come due before
    MutableClock schedulerClock = new MutableClock(Instant.now());
    startServices(Services.FANOUT_STREAM, Services.DELIVERY_WORKER);
    RetryScheduler scheduler = new RetryScheduler(config, schedulerClock);
    scheduler.start();
    services.add(scheduler);
    publishCompleted("evt_deleted");

    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts()).hasSize(1));
    assertThat(attempts().get(0).getOutcome()).isEqualTo(AttemptOutcome.HTTP_ERROR);
    await().atMost(WAIT).untilAsserted(() -> assertThat(TopicReader.readAll(config,
        config.topics().retry(Duration.ofSeconds(1)).name(), new ByteArrayDeserializer())).hasSize(1));
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.delete(sub.getId());
    }
    DeliveryWorker worker = (DeliveryWorker) services.get(1);
    assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
    schedulerClock.advance(Duration.ofMinutes(1));

    await().atMost(WAIT).untilAsserted(() -> assertThat(attempts()).hasSize(2));
    DeliveryAttempt cancelled = attempts().get(1);
    assertThat(cancelled.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED);
    assertThat(cancelled.getAttempt()).isEqualTo(2);
    assertThat(cancelled.getFinal$()).isTrue();
    assertThat(cancelled.getError()).contains("deleted");
    assertThat(receiver.received("/deleted")).hasSize(1);
    assertThat(deadLetters()).isEmpty();
  }

  private record Cli(int exit, String out, String err) {}

  private Cli cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-servers", config.bootstrapServers(), "--registry-url", config.registryUrl(),
        "--topic-prefix", config.topicPrefix()));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
    return new Cli(exit, out.toString(), err.toString());
  }

  private void publishCompleted(String eventId) throws Exception {
    ObjectNode event = (ObjectNode) EndToEndIT.examples().get("call.completed").deepCopy();
    event.put("account_id", "acct_r");
    event.put("event_id", eventId);
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      publisher.publish(CallEventJson.parse(event, Instant.now())).get();
    }
  }

  private Subscription subscribe(String url) {
    Subscription s = SubscriptionRules.newSubscription("acct_r", url, List.of("call.completed"), null, null,
        config.targetPolicy(), Instant.now());
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.save(s);
    }
    return s;
  }

  /** Writes a record to webhook-deliveries that is not a task, keyed by {@code subscriptionId}. */
  private void writeGarbageDelivery(String subscriptionId) throws Exception {
    Properties p = KafkaClients.common(config);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(config.topics().deliveries().name(), subscriptionId,
          "not a task".getBytes(StandardCharsets.UTF_8))).get();
    }
  }

  private void startServices() {
    startServices(Services.PIPELINE.toArray(String[]::new));
  }

  private void startServices(String... names) {
    for (String name : names) {
      Service s = Services.create(name, config);
      s.start();
      services.add(s);
    }
  }

  private List<DeliveryAttempt> attempts() {
    return TopicReader.readAll(config, config.topics().attempts().name(),
        config.topics().attempts().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value)
        .sorted(java.util.Comparator.comparing(DeliveryAttempt::getStartedAt)).toList();
  }

  private List<DeadLetter> deadLetters() {
    return TopicReader.readAll(config, config.topics().deadLetters().name(),
        config.topics().deadLetters().valueSerde(registry).deserializer()).stream().map(ConsumerRecord::value)
        .filter(d -> d.getKind() != DeadLetterKind.REDELIVERED).toList();
  }

  /** @return the tasks of webhook-deliveries, without the record that is no task */
  private List<DeliveryTask> tasks() {
    String topic = config.topics().deliveries().name();
    var serde = config.topics().deliveries().valueSerde(registry).deserializer();
    return TopicReader.readAll(config, topic, new ByteArrayDeserializer()).stream()
        .filter(r -> r.value()[0] == 0)
        .map(r -> serde.deserialize(topic, r.value())).toList();
  }
}
