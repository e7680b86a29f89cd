package org.webhooks.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.TestStack;

/**
 * The scheduler holds each tier's partition until the task at its head is due on its clock, then
 * forwards the identical bytes to the deliveries topic; never early, also across a restart.
 */
class RetrySchedulerTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  private WebhooksConfig config;
  private Topics topics;
  private SchemaRegistryClient registry;
  private KafkaProducer<String, byte[]> producer;
  private final List<RetryScheduler> schedulers = new ArrayList<>();

  @BeforeEach
  void setUp() {
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, TestStack.shared().bootstrapServers())
        .with(Setting.REGISTRY_URL, TestStack.shared().registryUrl())
        .with(Setting.TOPIC_PREFIX, "s" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "1")
        .with(Setting.RETRY_SCHEDULE, "1m,5m")
        .with(Setting.INSTANCE_ID, "s1");
    topics = config.topics();
    registry = new SchemaRegistryClient(config.registryUrl());
    KafkaClients.ensureTopics(config);
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    producer = new KafkaProducer<>(p);
  }

  @AfterEach
  void tearDown() {
    schedulers.forEach(RetryScheduler::close);
    producer.close();
  }

  @Test
  void aTaskIsForwardedOnceDueAsTheIdenticalBytesAndNeverBefore() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    byte[] held = write(Duration.ofMinutes(1), "sub_a", clock.instant().plus(Duration.ofMinutes(1)));
    RetryScheduler scheduler = new RetryScheduler(config, clock);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    scheduler.metrics().bindTo(meters);
    start(scheduler);

    // a task due now in the other tier proves the scheduler reads; the held one stays
    byte[] dueNow = write(Duration.ofMinutes(5), "sub_b", clock.instant());
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(1));
    clock.advance(Duration.ofSeconds(59));
    byte[] alsoDueNow = write(Duration.ofMinutes(5), "sub_b", clock.instant());
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(2));
    assertThat(deliveries()).extracting(ConsumerRecord::value).containsExactly(dueNow, alsoDueNow);

    // the clock jumps 5 s past the held task's due time before the scheduler looks again
    clock.advance(Duration.ofSeconds(6));
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(3));
    ConsumerRecord<byte[], byte[]> forwarded = deliveries().get(2);
    assertThat(forwarded.value()).isEqualTo(held);
    assertThat(new String(forwarded.key(), StandardCharsets.UTF_8)).isEqualTo("sub_a");
    assertThat(scheduler.metrics().forwarded()).isEqualTo(3);
    // lateness: forwarded time minus due time on the scheduler's clock, 0 for the two due at once
    Timer lateness = meters.get("webhooks.retry.lateness").timer();
    assertThat(lateness.count()).isEqualTo(3);
    assertThat(lateness.max(TimeUnit.MILLISECONDS)).isEqualTo(5000);
    assertThat(lateness.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(5000);
  }

  /** Retries written under a former schedule (a 1 h tier) are forwarded by a scheduler whose schedule lacks it. */
  @Test
  void retriesWaitingInATierTheScheduleNoLongerHasAreForwarded() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    WebhooksConfig former = config.with(Setting.RETRY_SCHEDULE, "1m,1h");
    KafkaClients.ensureTopics(former);
    byte[] dueNow = write(Duration.ofHours(1), "sub_a", clock.instant());
    byte[] dueLater = write(Duration.ofHours(1), "sub_a", clock.instant().plusSeconds(30));

    start(clock);
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(1));
    assertThat(deliveries().get(0).value()).isEqualTo(dueNow);
    clock.advance(Duration.ofSeconds(30));
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(2));
    assertThat(deliveries().get(1).value()).isEqualTo(dueLater);
  }

  @Test
  void aHeldPartitionStaysHeldAcrossARestart() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    write(Duration.ofMinutes(1), "sub_a", clock.instant().plus(Duration.ofMinutes(1)));
    RetryScheduler first = start(clock);
    write(Duration.ofMinutes(5), "sub_b", clock.instant());
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(1));
    first.halt();

    RetryScheduler second = start(clock);
    byte[] probe = write(Duration.ofMinutes(5), "sub_b", clock.instant());
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(2));
    assertThat(deliveries().get(1).value()).isEqualTo(probe);

    clock.advance(Duration.ofMinutes(1));
    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(3));
    assertThat(second.metrics().forwarded()).isEqualTo(2);
  }

  @Test
  void aRecordThatCannotBeDecodedIsDeadLetteredAndTheTierGoesOn() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    String tier = topics.retry(Duration.ofMinutes(1)).name();
    producer.send(new ProducerRecord<>(tier, "sub_x", "not avro".getBytes(StandardCharsets.UTF_8))).get();
    byte[] good = write(Duration.ofMinutes(1), "sub_y", clock.instant());
    RetryScheduler scheduler = start(clock);

    await().atMost(WAIT).untilAsserted(() -> assertThat(deliveries()).hasSize(1));
    assertThat(deliveries().get(0).value()).isEqualTo(good);
    List<DeadLetter> dead = read(topics.deadLetters().name()).stream()
        .map(r -> new AvroSerde<DeadLetter>(registry, DeadLetter.getClassSchema()).deserialize(r.topic(), r.value()))
        .toList();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).getKind()).isEqualTo(DeadLetterKind.UNDECODABLE);
    assertThat(dead.get(0).getSourceTopic()).isEqualTo(tier);
    assertThat(dead.get(0).getSourceOffset()).isZero();
    assertThat(dead.get(0).getRawValue()).isEqualTo(ByteBuffer.wrap("not avro".getBytes(StandardCharsets.UTF_8)));
    assertThat(scheduler.metrics().undecodableRecords()).isEqualTo(1);
  }

  private RetryScheduler start(MutableClock clock) {
    return start(new RetryScheduler(config, clock));
  }

  private RetryScheduler start(RetryScheduler s) {
    schedulers.add(s);
    s.start();
    await().atMost(WAIT).until(s::isReady);
    return s;
  }

  /** Writes a task due at {@code dueAt} to the tier of {@code delay}; returns its value bytes. */
  private byte[] write(Duration delay, String subscriptionId, Instant dueAt) throws Exception {
    Instant now = Instant.now();
    DeliveryTask task = DeliveryTask.newBuilder()
        .setDeliveryId("dlv_" + UUID.randomUUID())
        .setSubscriptionId(subscriptionId)
        .setAccountId("acct_1")
        .setEventId("evt_" + UUID.randomUUID())
        .setEventType("call.completed")
        .setCallId("call_1")
        .setBody(ByteBuffer.wrap("{\"event_id\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
        .setAttempt(2)
        .setEventPublishedAt(now)
        .setCreatedAt(now)
        .setDueAt(dueAt)
        .build();
    String topic = topics.retry(delay).name();
    byte[] bytes = new AvroSerde<DeliveryTask>(registry, DeliveryTask.getClassSchema()).serialize(topic, task);
    producer.send(new ProducerRecord<>(topic, subscriptionId, bytes)).get();
    return bytes;
  }

  private List<ConsumerRecord<byte[], byte[]>> deliveries() {
    return read(topics.deliveries().name());
  }

  /** Everything committed in {@code topic} so far. */
  private List<ConsumerRecord<byte[], byte[]>> read(String topic) {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      Map<TopicPartition, Long> end = c.endOffsets(parts);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
        c.poll(Duration.ofMillis(100)).forEach(out::add);
      }
      return out;
    }
  }
}
