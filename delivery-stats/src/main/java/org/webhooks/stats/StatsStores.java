package org.webhooks.stats;

import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The state stores of delivery-stats, each a RocksDB store with a changelog topic
 * ({@code <application id>-<store>-changelog}) that restores it after a restart or on another
 * instance. Keys are {@link StatsKeys} ({@code <account_id>|<id>}); the window stores' timestamps are
 * the attempts' {@code started_at}, so retention follows attempt time.
 *
 * <ul>
 *   <li>{@link #MINUTE_STATS}: {@code account|subscription} x minute -> {@link BucketStats}, kept {@link #MINUTE_RETENTION};
 *   <li>{@link #HOUR_STATS}: {@code account|subscription} x hour -> {@link BucketStats}, kept {@link #HOUR_RETENTION};
 *   <li>{@link #ATTEMPTS_BY_SUBSCRIPTION}: {@code account|subscription} x millisecond -> {@link AttemptList},
 *       kept {@code WEBHOOKS_ATTEMPT_RETENTION};
 *   <li>{@link #ATTEMPTS_BY_EVENT}: {@code account|event_id} x millisecond -> {@link AttemptList}, kept
 *       {@code WEBHOOKS_ATTEMPT_RETENTION}, fed by the repartition topic keyed by account and event;
 *   <li>{@link #ATTEMPTS_BY_ID}: {@code account|attempt_id} x attempt start -> the subscription id (UTF-8),
 *       kept {@code WEBHOOKS_ATTEMPT_RETENTION}: where to find the attempt in {@link #ATTEMPTS_BY_SUBSCRIPTION},
 *       in the same task;
 *   <li>{@link #VERDICTS_BY_EVENT}: {@code account|event_id} x event publish time -> {@link AttemptList} of
 *       {@code webhook-match-verdicts} records, kept {@code WEBHOOKS_ATTEMPT_RETENTION};
 *   <li>{@link #ENDPOINT_HEALTH}: {@code account|subscription} -> {@link EndpointHealth} JSON.
 * </ul>
 */
public final class StatsStores {

  /** Per-minute counts and latency histograms. */
  public static final String MINUTE_STATS = "stats-by-minute";
  /** Per-hour counts and latency histograms. */
  public static final String HOUR_STATS = "stats-by-hour";
  /** Attempts by subscription and time. */
  public static final String ATTEMPTS_BY_SUBSCRIPTION = "attempts-by-subscription";
  /** Attempts by event, across an account's endpoints. */
  public static final String ATTEMPTS_BY_EVENT = "attempts-by-event";
  /** Where each attempt is, by attempt id. */
  public static final String ATTEMPTS_BY_ID = "attempts-by-id";
  /** The match decisions of each event, by event. */
  public static final String VERDICTS_BY_EVENT = "verdicts-by-event";
  /** Current health of each endpoint. */
  public static final String ENDPOINT_HEALTH = "endpoint-health";

  /** Minutes are kept a day and an hour: the 1h window needs an hour, and a day of minutes helps a diagnosis. */
  static final Duration MINUTE_RETENTION = Duration.ofHours(25);
  /** Hours are kept eight days: the 7d window and a day of margin. */
  static final Duration HOUR_RETENTION = Duration.ofDays(8);
  /** The window size of the attempt indexes: one entry per millisecond. */
  private static final Duration INDEX_SLOT = Duration.ofMillis(1);

  private StatsStores() {}

  static StoreBuilder<WindowStore<String, byte[]>> minuteStats() {
    return stats(MINUTE_STATS, MINUTE_RETENTION, Duration.ofMinutes(1));
  }

  static StoreBuilder<WindowStore<String, byte[]>> hourStats() {
    return stats(HOUR_STATS, HOUR_RETENTION, Duration.ofHours(1));
  }

  /** @param retention {@code WEBHOOKS_ATTEMPT_RETENTION} */
  static StoreBuilder<WindowStore<String, byte[]>> attemptsBySubscription(Duration retention) {
    return index(ATTEMPTS_BY_SUBSCRIPTION, retention).withCachingEnabled();
  }

  /** @param retention {@code WEBHOOKS_ATTEMPT_RETENTION} */
  static StoreBuilder<WindowStore<String, byte[]>> attemptsByEvent(Duration retention) {
    return index(ATTEMPTS_BY_EVENT, retention).withCachingEnabled();
  }

  /** @param retention {@code WEBHOOKS_ATTEMPT_RETENTION} */
  static StoreBuilder<WindowStore<String, byte[]>> attemptsById(Duration retention) {
    return index(ATTEMPTS_BY_ID, retention);
  }

  /** @param retention {@code WEBHOOKS_ATTEMPT_RETENTION} */
  static StoreBuilder<WindowStore<String, byte[]>> verdictsByEvent(Duration retention) {
    return index(VERDICTS_BY_EVENT, retention);
  }

  static StoreBuilder<KeyValueStore<String, byte[]>> endpointHealth() {
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(ENDPOINT_HEALTH), Serdes.String(),
        Serdes.ByteArray()).withCachingEnabled();
  }

  // The cache folds the many updates of a busy bucket between two commits into one changelog record.
  private static StoreBuilder<WindowStore<String, byte[]>> stats(String name, Duration retention, Duration size) {
    return Stores.windowStoreBuilder(Stores.persistentWindowStore(name, retention, size, false), Serdes.String(),
        Serdes.ByteArray()).withCachingEnabled();
  }

  // The attempts of one busy endpoint (or one event's deliveries) that start in the same millisecond
  // share an entry, rewritten whole by each append: the cache makes those appends between two commits
  // one store write and one changelog record, where each had been one carrying the whole list so far.
  // The attempt ids and the verdicts are one entry per key, which a cache would only copy.
  private static StoreBuilder<WindowStore<String, byte[]>> index(String name, Duration retention) {
    return Stores.windowStoreBuilder(Stores.persistentWindowStore(name, retention, INDEX_SLOT, false),
        Serdes.String(), Serdes.ByteArray()).withCachingDisabled();
  }
}
