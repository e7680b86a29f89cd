package org.webhooks.stats;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.OperationalEventTypes;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;

/**
 * Builds the records of {@code webhook-operational-events}. Event ids are derived from what the event
 * is about (type, subscription and the moment of the transition, or the attempt), so the same
 * transition observed again, say after a rebalance that re-reads a few attempts, carries the same id
 * and receivers can drop it, as they drop repeated deliveries by {@code webhook-id}.
 */
final class OperationalEvents {

  private OperationalEvents() {}

  /** @return endpoint.failing with the endpoint's figures. */
  static OperationalEvent failing(EndpointHealth h, AlertPolicy policy, Instant now, String reason) {
    return endpoint(OperationalEventType.ENDPOINT_FAILING, h, policy, now, reason);
  }

  /** @return endpoint.recovered with the endpoint's figures. */
  static OperationalEvent recovered(EndpointHealth h, AlertPolicy policy, Instant now, String reason) {
    return endpoint(OperationalEventType.ENDPOINT_RECOVERED, h, policy, now, reason);
  }

  /** @return endpoint.disabled with the endpoint's figures. */
  static OperationalEvent disabled(EndpointHealth h, AlertPolicy policy, Instant now, String reason) {
    return endpoint(OperationalEventType.ENDPOINT_DISABLED, h, policy, now, reason);
  }

  /** @return message.attempt.exhausted for a final failed attempt. */
  static OperationalEvent exhausted(DeliveryAttempt a, Instant now) {
    String reason = "delivery " + a.getDeliveryId() + " of event " + a.getEventId() + " gave up after attempt "
        + a.getAttempt() + ": " + AttemptOutcomes.wireName(a.getOutcome())
        + (a.getStatusCode() == null ? "" : " status " + a.getStatusCode())
        + (a.getError() == null ? "" : ": " + a.getError());
    return OperationalEvent.newBuilder()
        .setEventId(id(OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED, a.getSubscriptionId(), a.getAttemptId()))
        .setEventType(OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED)
        .setAccountId(a.getAccountId())
        .setSubscriptionId(a.getSubscriptionId())
        .setUrl(a.getUrl())
        .setOccurredAt(now)
        .setReason(reason)
        .setLastStatusCode(a.getStatusCode())
        .setLastError(a.getError())
        .setMessageEventId(a.getEventId())
        .setMessageEventType(a.getEventType())
        .setDeliveryId(a.getDeliveryId())
        .setAttempts(a.getAttempt())
        .build();
  }

  private static OperationalEvent endpoint(OperationalEventType type, EndpointHealth h, AlertPolicy policy,
      Instant now, String reason) {
    long[] w = h.window(now.toEpochMilli(), policy.window().toMillis());
    return OperationalEvent.newBuilder()
        .setEventId(id(type, h.subscriptionId, Long.toString(now.toEpochMilli())))
        .setEventType(type)
        .setAccountId(h.accountId)
        .setSubscriptionId(h.subscriptionId)
        .setUrl(h.url)
        .setOccurredAt(now)
        .setReason(reason)
        .setWindowMs(policy.window().toMillis())
        .setWindowAttempts(w[0])
        .setWindowSuccesses(w[1])
        .setSuccessRate(w[0] == 0 ? null : (double) w[1] / w[0])
        .setConsecutiveFailures(h.consecutiveFailures)
        .setFailingSince(instant(h.failingSince))
        .setLastSuccessAt(instant(h.lastSuccessAt))
        .setCircuitOpenSince(instant(h.circuitOpenSince))
        .setLastStatusCode(h.lastFailureStatus)
        .setLastError(h.lastFailureError)
        .build();
  }

  private static String id(OperationalEventType type, String subscriptionId, String what) {
    String seed = OperationalEventTypes.wireName(type) + "|" + subscriptionId + "|" + what;
    return "op_" + UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8));
  }

  private static Instant instant(Long ms) {
    return ms == null ? null : Instant.ofEpochMilli(ms);
  }
}
