package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.webhooks.fanout.Fixtures.bytes;
import static org.webhooks.fanout.Fixtures.event;
import static org.webhooks.fanout.Fixtures.subscription;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.data.DeliveryIds;
import org.webhooks.testing.MutableClock;

/**
 * {@link FanoutService} on the real embedded broker and registry: real producers in, a read_committed
 * consumer out.
 */
class FanoutServiceIntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path stateDir;

  private WebhooksConfig config;
  private Topics topics;
  private SchemaRegistryClient registry;
  private Admin admin;
  private KafkaProducer<String, byte[]> producer;
  private final List<FanoutService> services = new ArrayList<>();

  @BeforeEach
  void setUp() {
    EmbeddedStack stack = TestStack.shared();
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "3");
    topics = config.topics();
    registry = new SchemaRegistryClient(config.registryUrl());
    KafkaClients.ensureTopics(config);
    admin = Admin.create(KafkaClients.common(config));
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
  }

  @AfterEach
  void tearDown() {
    services.forEach(FanoutService::close);
    producer.close();
    admin.close();
  }

  @Test
  void eachEventBecomesOneCommittedTaskPerMatchingSubscriptionOfItsAccount() {
    FanoutService service = start(stateDir);
    Instant before = Instant.now().minusSeconds(60);
    Subscription a1 = save(subscription("acct_a", before, "call.completed"));
    Subscription a2 = save(subscription("acct_a", before, "call.completed", "call.started"));
    Subscription b1 = save(subscription("acct_b", before, "call.completed", "call.started"));
    await().atMost(WAIT).until(() -> service.metrics().subscriptionUpdates() == 3);

    CallEvent started = event("acct_a", "call.started", "evt_1", "call_1");
    CallEvent completed = event("acct_a", "call.completed", "evt_2", "call_1");
    CallEvent other = event("acct_b", "call.completed", "evt_3", "call_2");
    Map<String, RecordMetadata> published = new HashMap<>();
    for (CallEvent e : List.of(started, completed, other)) {
      published.put(e.getEventId(), publish(e));
    }
    awaitEventsCommitted();

    List<ConsumerRecord<String, DeliveryTask>> tasks = readAll(topics.deliveries().name(),
        topics.deliveries().valueSerde(registry).deserializer(), 4);
    assertThat(tasks).extracting(r -> r.key() + "/" + r.value().getEventId()).containsExactlyInAnyOrder(
        a2.getId() + "/evt_1", a1.getId() + "/evt_2", a2.getId() + "/evt_2", b1.getId() + "/evt_3");
    Map<String, CallEvent> byId = Map.of("evt_1", started, "evt_2", completed, "evt_3", other);
    for (ConsumerRecord<String, DeliveryTask> record : tasks) {
      DeliveryTask task = record.value();
      CallEvent source = byId.get(task.getEventId());
      assertThat(task.getSubscriptionId()).isEqualTo(record.key());
      assertThat(task.getAccountId()).isEqualTo(source.getAccountId());
      assertThat(task.getDeliveryId()).isEqualTo(DeliveryIds.of(record.key(), task.getEventId()));
      assertThat(bytes(task.getBody())).isEqualTo(CallEventJson.render(source));
      assertThat(task.getEventPublishedAt().toEpochMilli())
          .isEqualTo(published.get(task.getEventId()).timestamp());
      assertThat(task.getCreatedAt()).isEqualTo(task.getDueAt()).isAfterOrEqualTo(task.getEventPublishedAt());
      assertThat(task.getAttempt()).isEqualTo(1);
      assertThat(task.getTest()).isFalse();
    }
    assertThat(service.metrics().deliveriesOut()).isEqualTo(4);
  }

  @Test
  void garbageOnCallEventsIsDeadLetteredAndLaterEventsStillFlow() throws Exception {
    FanoutService service = start(stateDir);
    Subscription sub = save(subscription("acct_a", Instant.now().minusSeconds(60), "call.completed"));
    await().atMost(WAIT).until(() -> service.metrics().subscriptionUpdates() == 1);

    byte[] garbage = {0x13, 0x37, (byte) 0xff, 0x00, 0x42, 0x42};
    RecordMetadata bad = producer.send(new ProducerRecord<>(topics.callEvents().name(), "call_9", garbage)).get();
    // Same key, so the good event sits behind the bad record in the same partition.
    publish(event("acct_a", "call.completed", "evt_after", "call_9"));
    awaitEventsCommitted();

    List<ConsumerRecord<String, DeadLetter>> letters = readAll(topics.deadLetters().name(),
        topics.deadLetters().valueSerde(registry).deserializer(), 1);
    assertThat(letters).hasSize(1);
    DeadLetter letter = letters.get(0).value();
    assertThat(letters.get(0).key()).isEqualTo("call_9");
    assertThat(letter.getKind()).isEqualTo(DeadLetterKind.UNDECODABLE);
    assertThat(letter.getReason()).contains("magic byte 0x13");
    assertThat(letter.getSourceTopic()).isEqualTo(topics.callEvents().name());
    assertThat(letter.getSourcePartition()).isEqualTo(bad.partition());
    assertThat(letter.getSourceOffset()).isEqualTo(bad.offset());
    assertThat(bytes(letter.getRawKey())).isEqualTo("call_9".getBytes(StandardCharsets.UTF_8));
    assertThat(bytes(letter.getRawValue())).isEqualTo(garbage);

    List<ConsumerRecord<String, DeliveryTask>> tasks = readAll(topics.deliveries().name(),
        topics.deliveries().valueSerde(registry).deserializer(), 1);
    assertThat(tasks).extracting(r -> r.key() + "/" + r.value().getEventId())
        .containsExactly(sub.getId() + "/evt_after");
    assertThat(service.isReady()).isTrue();
  }

  @Test
  void aRestartedInstanceRebuildsTheStoreThroughTheProcessorAndHonoursTombstones(@TempDir Path freshStateDir) {
    Instant before = Instant.now().minusSeconds(60);
    FanoutService first = start(stateDir);
    Subscription kept = save(subscription("acct_a", before, "call.completed"));
    Subscription deletedEarly = save(subscription("acct_a", before, "call.completed"));
    Subscription deletedWhileDown = save(subscription("acct_a", before, "call.completed"));
    delete(deletedEarly);
    await().atMost(WAIT).until(() -> first.metrics().subscriptionUpdates() == 4);
    publish(event("acct_a", "call.completed", "evt_1", "call_1"));
    awaitEventsCommitted();
    first.close();

    // While no instance runs: one new subscription, one deleted. The next instance reads both while
    // restoring the store from its checkpoint, through the same processor.
    Subscription addedWhileDown = save(subscription("acct_a", before, "call.completed"));
    delete(deletedWhileDown);

    FanoutService second = start(stateDir);
    publish(event("acct_a", "call.completed", "evt_2", "call_1"));
    awaitEventsCommitted();
    assertThat(second.metrics().subscriptionUpdates()).isEqualTo(2);
    second.close();

    // A new state dir under the same application id: the whole topic is restored through the processor.
    FanoutService third = start(freshStateDir);
    assertThat(third.metrics().subscriptionUpdates()).isEqualTo(6);
    publish(event("acct_a", "call.completed", "evt_3", "call_1"));
    awaitEventsCommitted();

    List<ConsumerRecord<String, DeliveryTask>> tasks = readAll(topics.deliveries().name(),
        topics.deliveries().valueSerde(registry).deserializer(), 6);
    assertThat(tasks).extracting(r -> r.value().getEventId() + "->" + r.key()).containsExactlyInAnyOrder(
        "evt_1->" + kept.getId(), "evt_1->" + deletedWhileDown.getId(),
        "evt_2->" + kept.getId(), "evt_2->" + addedWhileDown.getId(),
        "evt_3->" + kept.getId(), "evt_3->" + addedWhileDown.getId());
  }

  private FanoutService start(Path dir) {
    FanoutService service = new FanoutService(config, dir);
    services.add(service);
    service.start();
    await().atMost(WAIT).until(service::isReady);
    return service;
  }

  private Subscription save(Subscription subscription) {
    byte[] value = topics.subscriptions().valueSerde(registry).serializer()
        .serialize(topics.subscriptions().name(), subscription);
    send(topics.subscriptions().name(), subscription.getId(), value);
    return subscription;
  }

  /**
   * A stream thread that fails is replaced, and the instance stays not ready for
   * {@link FanoutService#UNREADY_AFTER_THREAD_FAILURE} after the last failure even though Kafka
   * Streams is RUNNING again; the event it failed on is processed once the cause is gone.
   */
  @Test
  void aFailedStreamThreadIsReplacedAndTheInstanceIsNotReadyForAWhile() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    try (RegistryProxy proxy = new RegistryProxy(config.registryUrl())) {
      FanoutService service = new FanoutService(config.with(Setting.REGISTRY_URL, proxy.url()), stateDir, clock);
      services.add(service);
      service.start();
      Subscription sub = save(subscription("acct_a", Instant.now().minusSeconds(60), "call.completed"));
      await().atMost(WAIT).until(() -> service.isReady() && service.metrics().subscriptionUpdates() == 1);

      // the event's schema id is not cached yet: with the registry cut off the stream thread fails
      proxy.cut(true);
      publish(event("acct_a", "call.completed", "evt_while_cut", "call_1"));
      await().atMost(WAIT).until(() -> service.metrics().threadsReplaced() >= 1);
      assertThat(service.isReady()).isFalse();

      proxy.cut(false);
      awaitEventsCommitted();
      List<ConsumerRecord<String, DeliveryTask>> tasks = readAll(topics.deliveries().name(),
          topics.deliveries().valueSerde(registry).deserializer(), 1);
      assertThat(tasks).extracting(r -> r.key() + "/" + r.value().getEventId())
          .containsExactly(sub.getId() + "/evt_while_cut");
      await().atMost(WAIT).until(() -> service.streamsState() == org.apache.kafka.streams.KafkaStreams.State.RUNNING);
      assertThat(service.isReady()).isFalse();

      clock.advance(FanoutService.UNREADY_AFTER_THREAD_FAILURE);
      assertThat(service.isReady()).isTrue();
    }
  }

  private void delete(Subscription subscription) {
    send(topics.subscriptions().name(), subscription.getId(), null);
  }

  private RecordMetadata publish(CallEvent event) {
    byte[] value = topics.callEvents().valueSerde(registry).serializer()
        .serialize(topics.callEvents().name(), event);
    return send(topics.callEvents().name(), event.getCallId(), value);
  }

  private RecordMetadata send(String topic, String key, byte[] value) {
    try {
      return producer.send(new ProducerRecord<>(topic, key, value)).get();
    } catch (InterruptedException | ExecutionException e) {
      throw new AssertionError("cannot produce to " + topic, e);
    }
  }

  /** Waits until the service has committed its consumer offset at the end of every call-events partition. */
  private void awaitEventsCommitted() {
    String group = config.topicPrefix() + FanoutService.NAME;
    String topic = topics.callEvents().name();
    await().atMost(WAIT).until(() -> {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      for (int p = 0; p < config.partitions(); p++) {
        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
      }
      var ends = admin.listOffsets(latest).all().get();
      Map<TopicPartition, OffsetAndMetadata> committed =
          admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
      return ends.entrySet().stream().allMatch(e -> e.getValue().offset() == 0
          || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue().offset()));
    });
  }

  /**
   * Reads a topic from the start with read_committed until at least {@code expected} records arrived,
   * then on to the last stable offset of every partition, so that a surplus record would show too.
   */
  private <V> List<ConsumerRecord<String, V>> readAll(String topic, Deserializer<V> values, int expected) {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(p, new StringDeserializer(), values)) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
          .map(info -> new TopicPartition(topic, info.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      await().atMost(WAIT).until(() -> {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        return out.size() >= expected;
      });
      Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
      await().atMost(WAIT).until(() -> {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
        return partitions.stream().allMatch(tp -> consumer.position(tp) >= ends.get(tp));
      });
    }
    return out;
  }
}
