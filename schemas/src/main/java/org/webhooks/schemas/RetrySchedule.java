package org.webhooks.schemas;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The delays before each retry ({@code WEBHOOKS_RETRY_SCHEDULE}); the first attempt is not in the
 * list, so a schedule of n delays allows n + 1 attempts. Each distinct delay is one retry tier, a
 * topic {@code webhook-retry-<delay>} whose records all wait the same time, so they fall due in
 * offset order.
 *
 * @param delays delay before retry 1, 2, ... in order
 */
public record RetrySchedule(List<Duration> delays) {

  public RetrySchedule {
    delays = List.copyOf(delays);
    for (Duration d : delays) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("a retry delay cannot be negative");
      }
    }
  }

  /**
   * @param text e.g. {@code 0s,1m,5m,15m,1h,2h,4h,8h,8h}; empty = no retries
   * @throws IllegalArgumentException naming the item that is not a duration
   */
  public static RetrySchedule parse(String text) {
    return new RetrySchedule(Durations.parseList(text));
  }

  /** @return attempts in all, the first included. */
  public int maxAttempts() {
    return delays.size() + 1;
  }

  /**
   * @param nextAttempt the 1-based number of the attempt about to be scheduled (2 = first retry)
   * @return the delay before it, or empty when the schedule is exhausted
   */
  public Optional<Duration> delayBefore(int nextAttempt) {
    int i = nextAttempt - 2;
    return i >= 0 && i < delays.size() ? Optional.of(delays.get(i)) : Optional.empty();
  }

  /** @return the distinct delays, shortest first: one retry topic each. */
  public List<Duration> tiers() {
    return List.copyOf(new TreeSet<>(delays));
  }

  /**
   * A {@code Retry-After} moves a retry to the first tier at or beyond it, or the longest tier.
   *
   * @return that tier; empty when there are no tiers
   */
  public Optional<Duration> tierAtOrBeyond(Duration wanted) {
    List<Duration> tiers = tiers();
    for (Duration t : tiers) {
      if (t.compareTo(wanted) >= 0) {
        return Optional.of(t);
      }
    }
    return tiers.isEmpty() ? Optional.empty() : Optional.of(tiers.get(tiers.size() - 1));
  }

  /**
   * @return the delays added up: how long after its first attempt a delivery that keeps failing is
   *     dead-lettered, the time its attempts take aside ({@link Duration#ZERO} without retries); the
   *     worker keeps a delivery parked by an open circuit for this plus a probe delay and a park tier
   */
  public Duration span() {
    Duration total = Duration.ZERO;
    for (Duration d : delays) {
      total = total.plus(d);
    }
    return total;
  }

  /** @return the shortest non-zero tier, where open-circuit tasks are parked. */
  public Optional<Duration> firstNonZeroTier() {
    return tiers().stream().filter(d -> !d.isZero()).findFirst();
  }

  /** @return the schedule as written in {@code WEBHOOKS_RETRY_SCHEDULE}, e.g. {@code 0s,1m,5m}; "none" when empty. */
  @Override
  public String toString() {
    return delays.isEmpty() ? "none" : String.join(",", delays.stream().map(Durations::format).toList());
  }
}
