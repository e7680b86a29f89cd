package org.webhooks.stats;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.avro.DeliveryAttempt;

/**
 * One attempt as queries return it: the {@code webhook-attempts} record, outcome by its wire name.
 *
 * @param latencyMs from sending the request to the end of the response (or the error), ms
 * @param outcome succeeded, http_error, timeout, connection_error, blocked, other, deferred, cancelled or skipped
 * @param statusCode HTTP status, when a response came
 * @param responseExcerpt start of the response body, capped in bytes by the worker
 * @param finalAttempt true when no further attempt follows ({@code final} in JSON)
 * @param nextAttemptAt when the next attempt is due, for a failed attempt that is not final
 * @param webhookSignature the {@code webhook-signature} header of the request as sent, or null when no request
 *     was built or the worker that made it did not keep it
 */
public record AttemptRecord(String attemptId, String deliveryId, String accountId, String subscriptionId,
    String eventId, String eventType, String url, int attempt, Instant startedAt, long latencyMs,
    Instant eventPublishedAt, String outcome, Integer statusCode, String error, String responseExcerpt,
    @JsonProperty("final") boolean finalAttempt, Instant nextAttemptAt, String webhookSignature) {

  static AttemptRecord of(DeliveryAttempt a) {
    return new AttemptRecord(a.getAttemptId(), a.getDeliveryId(), a.getAccountId(), a.getSubscriptionId(),
        a.getEventId(), a.getEventType(), a.getUrl(), a.getAttempt(), a.getStartedAt(), a.getLatencyMs(),
        a.getEventPublishedAt(), AttemptOutcomes.wireName(a.getOutcome()), a.getStatusCode(), a.getError(),
        a.getResponseExcerpt(), a.getFinal$(), a.getNextAttemptAt(), a.getWebhookSignature());
  }
}
