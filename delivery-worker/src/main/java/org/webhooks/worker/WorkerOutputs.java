package org.webhooks.worker;

import java.time.Duration;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.webhooks.data.SubscriptionCodec;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/**
 * The records a worker writes, each keyed by subscription id (the raw key for an undecodable
 * record) and serialized for its topic: attempts, retried and parked tasks, dead letters, and the
 * subscription versions it writes itself (disabled after a 410).
 */
final class WorkerOutputs {

  private final Topics topics;
  private final AvroSerde<DeliveryTask> tasks;
  private final AvroSerde<DeliveryAttempt> attempts;
  private final AvroSerde<DeadLetter> deadLetters;
  private final SubscriptionCodec subscriptions;

  /**
   * @param subscriptions how subscription records are written: through the one codec, so that their
   *     secrets are encrypted like everyone else's
   */
  WorkerOutputs(Topics topics, SchemaRegistryClient registry, SubscriptionCodec subscriptions) {
    this.topics = topics;
    this.tasks = new AvroSerde<>(registry, topics.deliveries().valueSchema());
    this.attempts = new AvroSerde<>(registry, topics.attempts().valueSchema());
    this.deadLetters = new AvroSerde<>(registry, topics.deadLetters().valueSchema());
    this.subscriptions = subscriptions;
  }

  /** Registers every output schema, so that writing an outcome never waits on the registry. */
  void register(SchemaRegistryClient registry) {
    registerValue(registry, topics.attempts());
    registerValue(registry, topics.deadLetters());
    registerValue(registry, topics.deliveries());
    registerValue(registry, topics.subscriptions());
    topics.retryTopics().forEach(t -> registerValue(registry, t));
  }

  private static void registerValue(SchemaRegistryClient registry, Topic<?> topic) {
    registry.register(topic.valueSubject(), topic.valueSchema());
  }

  /** @return the decoded task of a {@code webhook-deliveries} record. */
  DeliveryTask task(String topic, byte[] value) {
    return tasks.deserialize(topic, value);
  }

  ProducerRecord<String, byte[]> attempt(DeliveryAttempt attempt) {
    String topic = topics.attempts().name();
    return new ProducerRecord<>(topic, attempt.getSubscriptionId(), attempts.serialize(topic, attempt));
  }

  /** @return the record that makes {@code task} wait {@code tier} (zero: due at once). */
  ProducerRecord<String, byte[]> waiting(DeliveryTask task, Duration tier) {
    String topic = tierTopic(tier);
    return new ProducerRecord<>(topic, task.getSubscriptionId(), tasks.serialize(topic, task));
  }

  /** @return the topic a task waiting {@code tier} goes to. */
  String tierTopic(Duration tier) {
    return topics.tierTopic(tier).name();
  }

  ProducerRecord<String, byte[]> deadLetter(String key, DeadLetter letter) {
    String topic = topics.deadLetters().name();
    return new ProducerRecord<>(topic, key, deadLetters.serialize(topic, letter));
  }

  ProducerRecord<String, byte[]> subscription(Subscription s) {
    String topic = topics.subscriptions().name();
    return new ProducerRecord<>(topic, s.getId(), subscriptions.encode(topic, s));
  }
}
