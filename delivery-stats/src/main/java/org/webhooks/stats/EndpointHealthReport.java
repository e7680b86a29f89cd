package org.webhooks.stats;

import java.time.Instant;

/**
 * The current health of one endpoint.
 *
 * @param circuit {@code closed} or {@code open}, inferred from deferred attempts and later outcomes
 * @param circuitOpenSince when the circuit opened; null while closed
 * @param consecutiveFailures failed attempts since the last success
 * @param lastFailure the latest failed attempt, or null
 * @param failingSince the first failed attempt since the last success, or null
 * @param failing true between endpoint.failing and endpoint.recovered (or a disable)
 * @param failingReason why endpoint.failing was emitted, while failing
 * @param disabledAt when the endpoint was disabled (410 Gone or auto-disable), until it is attempted again
 * @param windowSeconds the success-rate window ({@code WEBHOOKS_FAILING_WINDOW}), s
 * @param windowAttempts attempts in that window
 * @param windowSuccesses successes in that window
 * @param windowSuccessRate their ratio, 0..1, null without attempts
 */
public record EndpointHealthReport(String accountId, String subscriptionId, String url, String circuit,
    Instant circuitOpenSince, int consecutiveFailures, Instant lastAttemptAt, Instant lastSuccessAt,
    LastFailure lastFailure, Instant failingSince, boolean failing, String failingReason, Instant disabledAt,
    long windowSeconds, long windowAttempts, long windowSuccesses, Double windowSuccessRate) {

  /**
   * The latest failed attempt.
   *
   * @param outcome http_error, timeout, connection_error, blocked or other
   * @param statusCode HTTP status, when a response came
   */
  public record LastFailure(Instant at, String outcome, Integer statusCode, String error) {}

  static EndpointHealthReport of(EndpointHealth h, AlertPolicy policy, Instant now) {
    long[] w = h.window(now.toEpochMilli(), policy.window().toMillis());
    LastFailure last = h.lastFailureAt == null ? null
        : new LastFailure(Instant.ofEpochMilli(h.lastFailureAt), h.lastFailureOutcome, h.lastFailureStatus,
            h.lastFailureError);
    return new EndpointHealthReport(h.accountId, h.subscriptionId, h.url,
        h.circuitOpenSince == null ? "closed" : "open", instant(h.circuitOpenSince), h.consecutiveFailures,
        instant(h.lastAttemptAt), instant(h.lastSuccessAt), last, instant(h.failingSince),
        h.failingAlertedAt != null, h.failingReason, instant(h.disabledAt), policy.window().toSeconds(), w[0], w[1],
        w[0] == 0 ? null : (double) w[1] / w[0]);
  }

  private static Instant instant(Long ms) {
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
