package org.webhooks.stats;

import java.time.Instant;
import java.util.UUID;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;

/** Attempt records as the worker writes them, for tests. */
final class Attempts {

  private Attempts() {}

  static DeliveryAttempt attempt(String account, String subscription, String eventId, AttemptOutcome outcome,
      Integer status, long latencyMs, Instant startedAt) {
    return attempt(account, subscription, eventId, "call.completed", outcome, status, latencyMs, startedAt, 1,
        outcome == AttemptOutcome.SUCCEEDED);
  }

  static DeliveryAttempt attempt(String account, String subscription, String eventId, String eventType,
      AttemptOutcome outcome, Integer status, long latencyMs, Instant startedAt, int attempt, boolean isFinal) {
    return DeliveryAttempt.newBuilder()
        .setAttemptId(UUID.randomUUID().toString())
        .setDeliveryId("dlv_" + subscription + "_" + eventId)
        .setSubscriptionId(subscription)
        .setAccountId(account)
        .setEventId(eventId)
        .setEventType(eventType)
        .setUrl("https://" + subscription + ".example.com/hooks")
        .setAttempt(attempt)
        .setStartedAt(startedAt)
        .setLatencyMs(latencyMs)
        .setEventPublishedAt(startedAt.minusMillis(5))
        .setOutcome(outcome)
        .setStatusCode(status)
        .setError(outcome == AttemptOutcome.SUCCEEDED ? null : "failed with " + status)
        .setFinal$(isFinal)
        .build();
  }
}
