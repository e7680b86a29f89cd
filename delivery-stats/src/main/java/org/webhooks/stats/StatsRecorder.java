package org.webhooks.stats;

import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.webhooks.schemas.avro.DeliveryAttempt;

/**
 * Counts each attempt into its subscription's minute and hour buckets ({@link StatsStores#MINUTE_STATS},
 * {@link StatsStores#HOUR_STATS}) by its {@code started_at}: one more of its outcome, and its latency
 * into the bucket's histogram.
 */
final class StatsRecorder implements Processor<String, DecodedAttempt, Void, Void> {

  private static final long MINUTE_MS = 60_000;
  private static final long HOUR_MS = 3_600_000;

  private WindowStore<String, byte[]> minutes;
  private WindowStore<String, byte[]> hours;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    minutes = context.getStateStore(StatsStores.MINUTE_STATS);
    hours = context.getStateStore(StatsStores.HOUR_STATS);
  }

  @Override
  public void process(Record<String, DecodedAttempt> record) {
    DeliveryAttempt a = record.value().attempt();
    String key = StatsKeys.of(a.getAccountId(), a.getSubscriptionId());
    long at = a.getStartedAt().toEpochMilli();
    add(minutes, key, at - Math.floorMod(at, MINUTE_MS), a);
    add(hours, key, at - Math.floorMod(at, HOUR_MS), a);
  }

  private static void add(WindowStore<String, byte[]> store, String key, long bucketStart, DeliveryAttempt a) {
    BucketStats stats = BucketStats.decode(store.fetch(key, bucketStart));
    stats.record(a.getOutcome(), a.getLatencyMs());
    store.put(key, stats.encode(), bucketStart);
  }
}
