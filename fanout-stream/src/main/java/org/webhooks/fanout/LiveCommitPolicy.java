package org.webhooks.fanout;

import java.util.function.DoubleSupplier;

/**
 * When a stream task asks Kafka Streams for a commit before the commit interval is up. Under
 * exactly-once a task's deliveries reach the worker only when the transaction that wrote them
 * commits, so with a fixed interval of {@link FanoutService#COMMIT_INTERVAL_MS} ms a live event
 * waits half of it on average before the worker can read it. The policy follows the load instead:
 *
 * <ul>
 *   <li>An event published less than {@link #LIVE_EVENT_MS} ms before it is processed (its record
 *       time against the clock) is live, and a commit is asked for after it, at most one per gap.
 *       Each transaction then carries what arrived during the gap.</li>
 *   <li>The gap is {@link #COMMIT_TIME_FACTOR} times the stream thread's average commit time, at
 *       least {@link #MIN_GAP_MS} ms and at most the commit interval, so that commits asked for live
 *       events take at most about a fifth of the thread's time. When commits are slow (a machine
 *       short of CPU) the thread would otherwise spend its time committing and fall behind.</li>
 *   <li>An older event is part of a backlog being drained: it waits for the commit interval, so
 *       that one transaction carries many events and the broker writes fewer transaction markers.
 *       An event already that late loses little by one more interval.</li>
 * </ul>
 *
 * <p>The live threshold is also where a thread short of CPU settles: it commits live until it
 * lags that much, then at the interval until it has caught up. With 200 ms a cold JVM (the JIT
 * taking both cores) held the fanout at about 200 ms behind; with 25 ms it stays about 25 ms
 * behind, and a warm one is a few ms behind either way.
 *
 * <p>Measured with {@code ./webhooks bench --rate 1000 --subscriptions 1 --warm-up-events 60000}
 * (docs/benchmarks.md): publish-to-receipt p50 10 ms and p99 46 ms, against 63 ms and 117 ms with the
 * interval alone.
 * Not thread-safe: one instance per stream task, used by its stream thread.
 */
final class LiveCommitPolicy {

  /**
   * An event published less than this long before it is processed is live, ms. Above the worst
   * lag of a caught-up thread (about 20 ms at 1,000 events/s), below what a thread short of CPU
   * would be kept at (see the class comment).
   */
  static final long LIVE_EVENT_MS = 25;
  /** Least time between two commits asked for live events, ms. */
  static final long MIN_GAP_MS = 20;
  /** The gap is at least this many times the average commit time. */
  static final double COMMIT_TIME_FACTOR = 4;

  private final DoubleSupplier commitTimeMs;
  private long lastAskedMs = Long.MIN_VALUE / 2;

  /**
   * @param commitTimeMs the stream thread's average commit time, ms (NaN or negative when not known
   *     yet, which counts as none)
   */
  LiveCommitPolicy(DoubleSupplier commitTimeMs) {
    this.commitTimeMs = commitTimeMs;
  }

  /**
   * @param publishedMs the event's record time, epoch ms
   * @param nowMs the clock now, epoch ms
   * @return true when a commit should be asked for after this event; the policy then counts the
   *     gap from {@code nowMs}
   */
  boolean askAfter(long publishedMs, long nowMs) {
    long sinceAsked = nowMs - lastAskedMs;
    // the commit time (a metric read) is only needed once the least gap has passed, not per event
    if (nowMs - publishedMs >= LIVE_EVENT_MS || sinceAsked < MIN_GAP_MS || sinceAsked < gapMs()) {
      return false;
    }
    lastAskedMs = nowMs;
    return true;
  }

  /** @return the least time between two asks now, ms */
  long gapMs() {
    double commit = commitTimeMs.getAsDouble();
    double gap = Double.isNaN(commit) || commit < 0 ? MIN_GAP_MS : COMMIT_TIME_FACTOR * commit;
    return (long) Math.min(FanoutService.COMMIT_INTERVAL_MS, Math.max(MIN_GAP_MS, gap));
  }
}
