package org.webhooks.fanout;

/**
 * When a stream task asks Kafka Streams for a commit before the commit interval is up. Under
 * exactly-once a task's deliveries reach the worker only when the transaction that wrote them
 * commits, so with a fixed interval of {@link FanoutService#COMMIT_INTERVAL_MS} ms a live event
 * waits half of it on average before the worker can read it. The policy follows the load instead:
 *
 * <ul>
 *   <li>An event published less than {@link #LIVE_EVENT_MS} ms before it is processed (its record
 *       time against the clock) is live, and a commit is asked for after it, at most one every
 *       {@link #LIVE_COMMIT_GAP_MS} ms. A caught-up thread thus commits every gap, each transaction
 *       carrying what arrived during the gap.</li>
 *   <li>An older event is part of a backlog being drained: it waits for the commit interval, so
 *       that one transaction carries many events and the broker writes fewer transaction markers.
 *       An event already that late loses little by one more interval.</li>
 * </ul>
 *
 * <p>Measured with {@code ./webhooks bench --rate 1000 --subscriptions 1} (docs/benchmarks.md):
 * a gap of 5 ms committed so often that the stream thread fell behind; 20 ms kept it caught up.
 * Not thread-safe: one instance per stream task, used by its stream thread.
 */
final class LiveCommitPolicy {

  /** An event published less than this long before it is processed is live, ms. */
  static final long LIVE_EVENT_MS = 2L * FanoutService.COMMIT_INTERVAL_MS;
  /** Least time between two commits asked for live events, ms. */
  static final long LIVE_COMMIT_GAP_MS = 20;

  private long lastAskedMs = Long.MIN_VALUE / 2;

  /**
   * @param publishedMs the event's record time, epoch ms
   * @param nowMs the clock now, epoch ms
   * @return true when a commit should be asked for after this event; the policy then counts the
   *     gap from {@code nowMs}
   */
  boolean askAfter(long publishedMs, long nowMs) {
    if (nowMs - publishedMs >= LIVE_EVENT_MS || nowMs - lastAskedMs < LIVE_COMMIT_GAP_MS) {
      return false;
    }
    lastAskedMs = nowMs;
    return true;
  }
}
