package org.webhooks.stats;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.UndecodableRecords;

/**
 * Decodes each {@code webhook-attempts} record (read as bytes) into a {@link DecodedAttempt}, or, when
 * it cannot be used, into an UNDECODABLE {@link DeadLetter} holding its bytes, so that one bad record
 * never stops the statistics of every endpoint. Records keep their Kafka timestamp: the stores are
 * kept by the attempts' {@code started_at}, but what is written to topics (changelogs, repartition,
 * outputs) carries the time it was written at, as brokers refuse timestamps far in the future
 * ({@code message.timestamp.after.max.ms}) and a worker's clock may run ahead.
 *
 * <p>A registry that cannot be reached is not the record's fault: it is thrown, the transaction
 * aborts, and the record is read again by the replacement thread.
 */
final class AttemptDecoder implements Processor<byte[], byte[], String, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(AttemptDecoder.class);

  private final String topic;
  private final Deserializer<DeliveryAttempt> attempts;
  private final Clock clock;
  private final StatsMetrics metrics;
  private ProcessorContext<String, Object> context;

  AttemptDecoder(String topic, Deserializer<DeliveryAttempt> attempts, Clock clock, StatsMetrics metrics) {
    this.topic = topic;
    this.attempts = attempts;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    metrics.attemptRead();
    DeliveryAttempt attempt;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("record has no value");
      }
      attempt = attempts.deserialize(topic, record.value());
      if (attempt.getAccountId().isEmpty() || attempt.getSubscriptionId().isEmpty()) {
        throw new IllegalArgumentException("attempt " + attempt.getAttemptId() + " has an empty account or subscription id");
      }
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      deadLetter(record, e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    context.forward(new Record<>(attempt.getSubscriptionId(), (Object) new DecodedAttempt(attempt, record.value()),
        record.timestamp()));
  }

  private void deadLetter(Record<byte[], byte[]> record, String reason) {
    RecordMetadata source = context.recordMetadata().orElse(null);
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    DeadLetter letter = UndecodableRecords.deadLetter(source == null ? topic : source.topic(),
        source == null ? null : source.partition(), source == null ? null : source.offset(), record.key(),
        record.value(), reason, clock.instant());
    LOG.warn("attempt record {}-{} offset {} cannot be decoded; dead-lettered: {}", letter.getSourceTopic(),
        letter.getSourcePartition(), letter.getSourceOffset(), reason);
    metrics.deadLetter();
    context.forward(new Record<>(key, (Object) letter, record.timestamp()));
  }
}
