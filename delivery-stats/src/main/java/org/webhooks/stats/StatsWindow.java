package org.webhooks.stats;

import java.time.Duration;

/**
 * The windows statistics are asked for. A window is its last {@code buckets} buckets, the current
 * (partial) one included: {@code 1h} is 60 one-minute buckets, {@code 24h} 24 one-hour buckets and
 * {@code 7d} 168 one-hour buckets, aligned to UTC minutes and hours.
 */
public enum StatsWindow {
  /** The last hour, by minute. */
  HOUR("1h", Duration.ofMinutes(1), 60, StatsStores.MINUTE_STATS),
  /** The last day, by hour. */
  DAY("24h", Duration.ofHours(1), 24, StatsStores.HOUR_STATS),
  /** The last week, by hour. */
  WEEK("7d", Duration.ofHours(1), 168, StatsStores.HOUR_STATS);

  private final String label;
  private final Duration bucket;
  private final int buckets;
  private final String store;

  StatsWindow(String label, Duration bucket, int buckets, String store) {
    this.label = label;
    this.bucket = bucket;
    this.buckets = buckets;
    this.store = store;
  }

  /** @return how it is written: {@code 1h}, {@code 24h} or {@code 7d}. */
  public String label() {
    return label;
  }

  /** @return the length of one bucket of its time series. */
  public Duration bucket() {
    return bucket;
  }

  /** @return the number of buckets in its time series. */
  public int buckets() {
    return buckets;
  }

  String store() {
    return store;
  }

  /**
   * @param label {@code 1h}, {@code 24h} or {@code 7d}
   * @throws IllegalArgumentException naming {@code window} and the allowed values otherwise
   */
  public static StatsWindow parse(String label) {
    for (StatsWindow w : values()) {
      if (w.label.equals(label)) {
        return w;
      }
    }
    throw new IllegalArgumentException("window: '" + label + "' is not one of 1h, 24h, 7d");
  }
}
