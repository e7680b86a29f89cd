package org.webhooks.stats;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.MatchVerdicts;

/**
 * Indexes the {@code webhook-match-verdicts} records by event: each record's bytes are appended to the
 * {@link AttemptList} of {@code account|event_id} at the event's publish time, so the fanout's decision
 * and those of later replays of the same event share one entry. A record that cannot be decoded goes to
 * the dead-letter topic, and the stream goes on.
 */
final class VerdictIndexer implements Processor<byte[], byte[], String, DeadLetter> {

  private static final Logger LOG = LoggerFactory.getLogger(VerdictIndexer.class);

  private final String topic;
  private final Deserializer<MatchVerdicts> verdicts;
  private final Clock clock;
  private final StatsMetrics metrics;
  private ProcessorContext<String, DeadLetter> context;
  private WindowStore<String, byte[]> store;

  VerdictIndexer(String topic, Deserializer<MatchVerdicts> verdicts, Clock clock, StatsMetrics metrics) {
    this.topic = topic;
    this.verdicts = verdicts;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, DeadLetter> context) {
    this.context = context;
    this.store = context.getStateStore(StatsStores.VERDICTS_BY_EVENT);
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    MatchVerdicts v;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("record has no value");
      }
      v = verdicts.deserialize(topic, record.value());
      if (v.getAccountId().isEmpty() || v.getEventId().isEmpty()) {
        throw new IllegalArgumentException("verdicts of event '" + v.getEventId() + "' have an empty account or event id");
      }
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      deadLetter(record, e.getMessage() == null ? e.toString() : e.getMessage());
      return;
    }
    String key = StatsKeys.of(v.getAccountId(), v.getEventId());
    long at = v.getPublishedAt().toEpochMilli();
    store.put(key, AttemptList.append(store.fetch(key, at), record.value()), at);
  }

  private void deadLetter(Record<byte[], byte[]> record, String reason) {
    RecordMetadata source = context.recordMetadata().orElse(null);
    DeadLetter letter = DeadLetter.newBuilder()
        .setKind(DeadLetterKind.UNDECODABLE)
        .setReason(reason)
        .setDeadLetteredAt(clock.instant())
        .setSourceTopic(source == null ? topic : source.topic())
        .setSourcePartition(source == null ? null : source.partition())
        .setSourceOffset(source == null ? null : source.offset())
        .setRawKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
        .setRawValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
        .build();
    LOG.warn("match verdicts record {}-{} offset {} cannot be decoded; dead-lettered: {}", letter.getSourceTopic(),
        letter.getSourcePartition(), letter.getSourceOffset(), reason);
    metrics.deadLetter();
    context.forward(new Record<>(record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8),
        letter, record.timestamp()));
  }
}
