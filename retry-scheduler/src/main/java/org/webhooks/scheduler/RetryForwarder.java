package org.webhooks.scheduler;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.runtime.LoopContext;
import org.webhooks.runtime.Received;
import org.webhooks.runtime.RecordProcessor;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.UndecodableRecords;

/**
 * What the retry scheduler does with each record of a retry tier: a task not yet due holds its
 * partition (paused until the task's {@code due_at} on the scheduler's clock, then read again from
 * it); a due task is forwarded to {@code webhook-deliveries} as the identical bytes, same key. Every
 * record of a tier waits the same delay, so records fall due in offset order and the head of a
 * partition is the next one due: holding the partition at its head is exact, and never early.
 * A record that cannot be decoded is dead-lettered (UNDECODABLE, with its bytes) and the tier goes on.
 */
final class RetryForwarder implements RecordProcessor<Void> {

  private static final Logger LOG = LoggerFactory.getLogger(RetryForwarder.class);
  private static final Duration REGISTRY_BACKOFF = Duration.ofSeconds(1);

  private final LoopContext loop;
  private final Clock clock;
  private final AvroSerde<DeliveryTask> tasks;
  private final AvroSerde<DeadLetter> deadLetters;
  private final String deliveriesTopic;
  private final String deadLettersTopic;
  private final SchedulerMetrics metrics;

  RetryForwarder(LoopContext loop, AvroSerde<DeliveryTask> tasks, AvroSerde<DeadLetter> deadLetters,
      String deliveriesTopic, String deadLettersTopic, SchedulerMetrics metrics) {
    this.loop = loop;
    this.clock = loop.clock();
    this.tasks = tasks;
    this.deadLetters = deadLetters;
    this.deliveriesTopic = deliveriesTopic;
    this.deadLettersTopic = deadLettersTopic;
    this.metrics = metrics;
  }

  @Override
  public Received<Void> receive(ConsumerRecord<byte[], byte[]> r) {
    DeliveryTask task;
    try {
      if (r.value() == null) {
        throw new SerializationException("the record has no value");
      }
      task = tasks.deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        return Received.retryAfter(REGISTRY_BACKOFF, "schema registry unreachable (" + e.getMessage() + ")");
      }
      deadLetter(r, e.getMessage());
      return Received.finished();
    }
    Instant now = clock.instant();
    if (task.getDueAt().isAfter(now)) {
      return Received.heldUntil(task.getDueAt());
    }
    loop.send(new ProducerRecord<>(deliveriesTopic, keyOf(r), r.value()));
    metrics.forwarded(r.topic(), Duration.between(task.getDueAt(), now));
    if (LOG.isDebugEnabled()) {
      LOG.debug("attempt {} of delivery {} (subscription {}) forwarded from {}, {} ms after due",
          task.getAttempt(), task.getDeliveryId(), task.getSubscriptionId(), r.topic(),
          Duration.between(task.getDueAt(), now).toMillis());
    }
    return Received.finished();
  }

  @Override
  public void abandon(TopicPartition partition, List<Void> items) {
    // nothing is kept between records: each is forwarded, held or dead-lettered as it is read
  }

  private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason) {
    DeadLetter letter = UndecodableRecords.deadLetter(r.topic(), r.partition(), r.offset(), r.key(), r.value(),
        reason, clock.instant());
    loop.send(new ProducerRecord<>(deadLettersTopic, keyOf(r), deadLetters.serialize(deadLettersTopic, letter)));
    metrics.undecodable();
    LOG.warn("retry record {}-{} offset {} cannot be decoded; dead-lettered: {}", r.topic(), r.partition(),
        r.offset(), reason);
  }

  private static String keyOf(ConsumerRecord<byte[], byte[]> r) {
    return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
  }
}
