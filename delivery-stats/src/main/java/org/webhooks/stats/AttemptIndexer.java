package org.webhooks.stats;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Appends each attempt record's bytes to an attempt index (a window store of {@link AttemptList}s) at
 * the attempt's {@code started_at}. Used twice: by subscription, keyed here from the decoded attempt,
 * and by event, after the repartition that brings an event's attempts together, whose records carry
 * their key and an {@link #indexEntry} (the start time and the bytes).
 *
 * @param <V> what arrives: a {@link DecodedAttempt}, or an index entry after the repartition
 */
final class AttemptIndexer<V> implements Processor<String, V, Void, Void> {

  private final String storeName;
  private final Function<Record<String, V>, String> keyOf;
  private final Function<V, byte[]> indexEntryOf;
  private WindowStore<String, byte[]> store;

  private AttemptIndexer(String storeName, Function<Record<String, V>, String> keyOf, Function<V, byte[]> indexEntryOf) {
    this.storeName = storeName;
    this.keyOf = keyOf;
    this.indexEntryOf = indexEntryOf;
  }

  /** @return the indexer by {@code account|subscription}. */
  static AttemptIndexer<DecodedAttempt> bySubscription() {
    return new AttemptIndexer<>(StatsStores.ATTEMPTS_BY_SUBSCRIPTION,
        r -> StatsKeys.of(r.value().attempt().getAccountId(), r.value().attempt().getSubscriptionId()),
        AttemptIndexer::indexEntry);
  }

  /** @return the indexer by {@code account|event_id}, the key the repartition topic already carries. */
  static AttemptIndexer<byte[]> byEvent() {
    return new AttemptIndexer<>(StatsStores.ATTEMPTS_BY_EVENT, Record::key, entry -> entry);
  }

  /** @return the attempt's start (8 bytes, epoch ms) followed by its record bytes. */
  static byte[] indexEntry(DecodedAttempt d) {
    return ByteBuffer.allocate(8 + d.raw().length).putLong(d.attempt().getStartedAt().toEpochMilli())
        .put(d.raw()).array();
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, V> record) {
    String key = keyOf.apply(record);
    byte[] entry = indexEntryOf.apply(record.value());
    long at = ByteBuffer.wrap(entry).getLong();
    byte[] attempt = Arrays.copyOfRange(entry, 8, entry.length);
    store.put(key, AttemptList.append(store.fetch(key, at), attempt), at);
  }
}
