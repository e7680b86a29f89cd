package org.webhooks.stats;

import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Appends each attempt record's bytes to an attempt index (a window store of {@link AttemptList}s) at
 * the record's timestamp, the attempt's {@code started_at}. Used twice: by subscription, keyed here,
 * and by event, keyed before the repartition that brings an event's attempts together.
 *
 * @param <V> what arrives: a {@link DecodedAttempt}, or the bytes alone after the repartition
 */
final class AttemptIndexer<V> implements Processor<String, V, Void, Void> {

  private final String storeName;
  private final Function<Record<String, V>, String> keyOf;
  private final Function<V, byte[]> bytesOf;
  private WindowStore<String, byte[]> store;

  /**
   * @param storeName {@link StatsStores#ATTEMPTS_BY_SUBSCRIPTION} or {@link StatsStores#ATTEMPTS_BY_EVENT}
   * @param keyOf the index key of a record
   * @param bytesOf the attempt record's bytes
   */
  AttemptIndexer(String storeName, Function<Record<String, V>, String> keyOf, Function<V, byte[]> bytesOf) {
    this.storeName = storeName;
    this.keyOf = keyOf;
    this.bytesOf = bytesOf;
  }

  /** @return the indexer by {@code account|subscription}. */
  static AttemptIndexer<DecodedAttempt> bySubscription() {
    return new AttemptIndexer<>(StatsStores.ATTEMPTS_BY_SUBSCRIPTION,
        r -> StatsKeys.of(r.value().attempt().getAccountId(), r.value().attempt().getSubscriptionId()),
        DecodedAttempt::raw);
  }

  /** @return the indexer by {@code account|event_id}, the key the repartition topic already carries. */
  static AttemptIndexer<byte[]> byEvent() {
    return new AttemptIndexer<>(StatsStores.ATTEMPTS_BY_EVENT, Record::key, bytes -> bytes);
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, V> record) {
    String key = keyOf.apply(record);
    long at = record.timestamp();
    store.put(key, AttemptList.append(store.fetch(key, at), bytesOf.apply(record.value())), at);
  }
}
