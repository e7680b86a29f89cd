package org.webhooks.stats;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.WebhooksConfig;

/**
 * When an endpoint is failing, has recovered, or is to be disabled, from its {@link EndpointHealth}.
 *
 * <p>Failing is any of: a success rate below {@code minSuccessRate} over {@code window} with at least
 * {@code minAttempts} attempts; a circuit open for {@code circuitOpen} or longer; no successful attempt
 * for half of {@code autoDisableAfter} (so that endpoint.failing always warns before endpoint.disabled).
 * Recovered is: the last attempt succeeded and none of these holds, so a flaky endpoint does not flap
 * between the two. Disabled is: no successful attempt for {@code autoDisableAfter}.
 *
 * @param window the success-rate window
 * @param minAttempts fewest attempts in the window for the rate to count
 * @param minSuccessRate 0..1
 * @param circuitOpen how long an open circuit makes an endpoint failing
 * @param autoDisableAfter how long without a success disables an endpoint; zero = never
 */
record AlertPolicy(Duration window, int minAttempts, double minSuccessRate, Duration circuitOpen,
    Duration autoDisableAfter) {

  /** Slots the window is counted in: the window slides by a thirtieth of its length. */
  static final int SLOTS = 30;
  private static final Duration MIN_EVALUATION = Duration.ofSeconds(1);
  private static final Duration MAX_EVALUATION = Duration.ofMinutes(1);

  /** @return the policy of {@code WEBHOOKS_FAILING_*} and {@code WEBHOOKS_AUTO_DISABLE_AFTER}. */
  static AlertPolicy of(WebhooksConfig config) {
    return new AlertPolicy(config.failingWindow(), config.failingMinAttempts(), config.failingSuccessRate(),
        config.failingCircuitOpen(), config.autoDisableAfter());
  }

  /** @return the length of one window slot, ms (at least 1). */
  long slotMs() {
    return Math.max(1, window.toMillis() / SLOTS);
  }

  /**
   * @return how often time-based conditions (an open circuit, a long time without success, failures
   *     leaving the window) are looked at: a tenth of the shortest such duration, between 1 s and 1 min
   */
  Duration evaluationInterval() {
    Duration shortest = window.compareTo(circuitOpen) < 0 ? window : circuitOpen;
    if (!autoDisableAfter.isZero() && autoDisableAfter.dividedBy(2).compareTo(shortest) < 0) {
      shortest = autoDisableAfter.dividedBy(2);
    }
    Duration tenth = shortest.dividedBy(10);
    return tenth.compareTo(MIN_EVALUATION) < 0 ? MIN_EVALUATION
        : tenth.compareTo(MAX_EVALUATION) > 0 ? MAX_EVALUATION : tenth;
  }

  /**
   * @param timeBased whether conditions that depend on how long something lasted may be judged (not
   *     while the service reads a backlog of old attempts, whose later successes it has not seen yet)
   * @return why the endpoint is failing now, or empty when it is not
   */
  Optional<String> failing(EndpointHealth h, Instant now, boolean timeBased) {
    long[] w = h.window(now.toEpochMilli(), window.toMillis());
    if (w[0] >= minAttempts && (double) w[1] / w[0] < minSuccessRate) {
      return Optional.of("success rate " + percent((double) w[1] / w[0]) + " over the last "
          + Durations.format(window) + " (" + w[1] + " of " + w[0] + " attempts), below "
          + percent(minSuccessRate));
    }
    if (!timeBased) {
      return Optional.empty();
    }
    if (h.circuitOpenSince != null && now.toEpochMilli() - h.circuitOpenSince >= circuitOpen.toMillis()) {
      return Optional.of("circuit open since " + Instant.ofEpochMilli(h.circuitOpenSince) + ", longer than "
          + Durations.format(circuitOpen));
    }
    if (!autoDisableAfter.isZero() && h.failingSince != null
        && now.toEpochMilli() - h.failingSince >= autoDisableAfter.toMillis() / 2) {
      return Optional.of("no successful attempt since " + Instant.ofEpochMilli(h.failingSince)
          + "; the endpoint is disabled at " + Instant.ofEpochMilli(h.failingSince).plus(autoDisableAfter)
          + " unless an attempt succeeds before");
    }
    return Optional.empty();
  }

  /** @return true when endpoint.failing was emitted, the last attempt succeeded and the endpoint is not failing. */
  boolean recovered(EndpointHealth h, Instant now, boolean timeBased) {
    return h.failingAlertedAt != null && h.lastAttemptSucceeded() && failing(h, now, timeBased).isEmpty();
  }

  /** @return true when the endpoint has gone without a successful attempt for {@code autoDisableAfter}. */
  boolean disableDue(EndpointHealth h, Instant now) {
    return !autoDisableAfter.isZero() && h.disabledAt == null && h.failingSince != null
        && now.toEpochMilli() - h.failingSince >= autoDisableAfter.toMillis();
  }

  /** @return e.g. {@code 42%} (rounded down, so 49.9 % never reads as the 50 % threshold). */
  static String percent(double rate) {
    return (long) Math.floor(rate * 100) + "%";
  }
}
