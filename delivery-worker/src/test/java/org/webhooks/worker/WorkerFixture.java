package org.webhooks.worker;

import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.data.SubscriptionCodec;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/**
 * The Kafka side of a worker test on the shared embedded broker and registry: its own topic prefix
 * and topics, a producer of subscriptions and tasks, readers of attempts and dead letters, and the
 * workers it started (closed with it).
 */
final class WorkerFixture implements AutoCloseable {

  static final String ACCOUNT = "acct_test";

  private final WebhooksConfig config;
  private final Topics topics;
  private final SchemaRegistryClient registry;
  private final KafkaProducer<String, byte[]> producer;
  private final OutputReader<DeliveryAttempt> attempts;
  private final OutputReader<DeadLetter> deadLetters;
  private final List<DeliveryWorker> workers = new ArrayList<>();
  private final SubscriptionCodec subscriptions;

  private WorkerFixture(WebhooksConfig config) {
    this.config = config;
    this.topics = config.topics();
    this.registry = new SchemaRegistryClient(config.registryUrl());
    this.subscriptions = new SubscriptionCodec(config);
    KafkaClients.ensureTopics(config);
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    this.producer = new KafkaProducer<>(p);
    this.attempts = new OutputReader<>(config, topics.attempts(), registry);
    this.deadLetters = new OutputReader<>(config, topics.deadLetters(), registry);
  }

  /**
   * @param overrides settings on top of: the shared stack (its data dir, so its secrets key), a unique
   *     topic prefix, 2 partitions, no retry tiers, {@code 127.0.0.1} as allowed target, instance id
   *     {@code w1}, one owner loop (the default depends on the machine's cores, and the caps tests set
   *     are a loop's)
   */
  static WorkerFixture create(Map<Setting, String> overrides) {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.DATA_DIR, stack.dataDir().toString())
        .with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "2")
        .with(Setting.RETRY_SCHEDULE, "")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.INSTANCE_ID, "w1")
        .with(Setting.WORKER_LOOPS, "1");
    for (Map.Entry<Setting, String> e : overrides.entrySet()) {
      config = config.with(e.getKey(), e.getValue());
    }
    return new WorkerFixture(config);
  }

  WebhooksConfig config() {
    return config;
  }

  SchemaRegistryClient registry() {
    return registry;
  }

  /** Starts a worker and waits until it has joined its group and read the subscriptions. */
  DeliveryWorker startWorker(Clock clock) {
    DeliveryWorker worker = new DeliveryWorker(config, clock);
    workers.add(worker);
    worker.start();
    await().atMost(Duration.ofSeconds(30)).until(worker::isReady);
    return worker;
  }

  /** Saves a new enabled subscription to {@code call.completed} events, with a generated secret. */
  Subscription subscribe(String url) {
    Subscription s = newSubscription(url);
    publish(s);
    return s;
  }

  /** Builds, without saving, a new enabled subscription with a generated secret. */
  Subscription newSubscription(String url) {
    return SubscriptionRules.newSubscription(ACCOUNT, url, List.of("call.completed"), null, null,
        config.targetPolicy(), Instant.now());
  }

  /** Saves {@code s} as the CLI and the control plane do: through the codec, its secrets encrypted. */
  void publish(Subscription s) {
    String topic = topics.subscriptions().name();
    try {
      producer.send(new ProducerRecord<>(topic, s.getId(), subscriptions.encode(topic, s))).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes the tombstone of a subscription. */
  void delete(String subscriptionId) {
    try {
      producer.send(new ProducerRecord<>(topics.subscriptions().name(), subscriptionId, null)).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes a task due now for {@code s}. */
  DeliveryTask deliver(Subscription s) {
    return deliver(s, Instant.now());
  }

  /** Writes {@code task} to {@code webhook-deliveries} as it is, as the retry scheduler forwards a due task. */
  void forward(DeliveryTask task) {
    send(topics.deliveries(), task.getSubscriptionId(), task);
  }

  /** Writes a task for {@code s} that is due at {@code dueAt}. */
  DeliveryTask deliver(Subscription s, Instant dueAt) {
    String eventId = "evt_" + UUID.randomUUID();
    Instant now = Instant.now();
    DeliveryTask task = DeliveryTask.newBuilder()
        .setDeliveryId("dlv_" + UUID.randomUUID())
        .setSubscriptionId(s.getId())
        .setAccountId(s.getAccountId())
        .setEventId(eventId)
        .setEventType("call.completed")
        .setCallId("call_1")
        .setBody(ByteBuffer.wrap(body(eventId)))
        .setAttempt(1)
        .setEventPublishedAt(now)
        .setCreatedAt(now)
        .setDueAt(dueAt)
        .build();
    send(topics.deliveries(), s.getId(), task);
    return task;
  }

  /** The rendered body of an event: non-ASCII text included, so that byte-exactness shows. */
  static byte[] body(String eventId) {
    return ("{\"event_id\":\"" + eventId + "\",\"event_type\":\"call.completed\","
        + "\"timestamp\":\"2025-01-01T10:00:00Z\","
        + "\"data\":{\"call_id\":\"call_1\",\"duration_seconds\":247,\"transcript\":\"Merci, très bien ✓\"}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] bytes(DeliveryTask task) {
    ByteBuffer b = task.getBody().duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  /** @return every committed attempt record so far. */
  List<DeliveryAttempt> attempts() {
    return attempts.readToEnd();
  }

  /** @return every committed dead letter so far. */
  List<DeadLetter> deadLetters() {
    return deadLetters.readToEnd();
  }

  /**
   * @return every committed record of {@code topic} so far, decoded as the platform decodes it
   *     (subscriptions through the codec, their secrets decrypted)
   */
  @SuppressWarnings("unchecked")
  <V extends SpecificRecord> List<V> read(Topic<V> topic) {
    try (OutputReader<V> reader = new OutputReader<>(config, topic, registry)) {
      if (topic.name().equals(topics.subscriptions().name())) {
        reader.decodeWith(value -> (V) subscriptions.decode(topic.name(), value));
      }
      return reader.readToEnd();
    }
  }

  /** @return the topics of this fixture's configuration. */
  Topics topics() {
    return topics;
  }

  List<DeliveryAttempt> attemptsOf(DeliveryTask task) {
    return attempts().stream().filter(a -> a.getDeliveryId().equals(task.getDeliveryId())).toList();
  }

  List<DeadLetter> deadLettersOf(DeliveryTask task) {
    return deadLetters().stream()
        .filter(d -> d.getTask() != null && d.getTask().getDeliveryId().equals(task.getDeliveryId())).toList();
  }

  private <V extends SpecificRecord> void send(Topic<V> topic, String key, V value) {
    try {
      byte[] bytes = topic.valueSerde(registry).serializer().serialize(topic.name(), value);
      producer.send(new ProducerRecord<>(topic.name(), key, bytes)).get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    for (DeliveryWorker w : workers) {
      w.close();
    }
    producer.close();
    attempts.close();
    deadLetters.close();
  }

  /** Reads a topic from the beginning with {@code read_committed}, keeping what it has read. */
  static final class OutputReader<V extends SpecificRecord> implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Topic<V> topic;
    private final SchemaRegistryClient registry;
    private final List<V> read = new ArrayList<>();
    private java.util.function.Function<byte[], V> decoder;

    OutputReader(WebhooksConfig config, Topic<V> topic, SchemaRegistryClient registry) {
      this.topic = topic;
      this.registry = registry;
      Properties p = KafkaClients.common(config);
      p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
      this.consumer = new KafkaConsumer<>(p);
      List<TopicPartition> parts = consumer.partitionsFor(topic.name()).stream()
          .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      this.decoder = value -> topic.valueSerde(registry).deserializer().deserialize(topic.name(), value);
    }

    void decodeWith(java.util.function.Function<byte[], V> decoder) {
      this.decoder = decoder;
    }

    /** @return everything committed up to the end offsets as of this call. */
    synchronized List<V> readToEnd() {
      Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          read.add(decoder.apply(r.value()));
        }
      }
      return new ArrayList<>(read);
    }

    @Override
    public synchronized void close() {
      consumer.close();
    }
  }
}
