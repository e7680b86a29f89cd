package org.webhooks.controlplane;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.webhooks.client.EndpointClient;
import org.webhooks.data.EventLog;
import org.webhooks.data.Redeliveries;
import org.webhooks.schemas.ReservedHeaders;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.AttemptRecord;
import org.webhooks.stats.DeliveryStatsQueries;
import org.webhooks.stats.StatsJson;

/**
 * {@code GET /v1/attempts/{id}}: one attempt as the attempts list gives it, with the request it made
 * rebuilt from what is kept, and each part marked for how exact it is. An attempt records what came back,
 * not the request, so:
 *
 * <ul>
 *   <li>the body is the delivery's event read back from its topic by its publish time and rendered with
 *       the fanout's code ({@link Redeliveries#loggedEvent}, as a resend reads it): byte for byte what
 *       every attempt of the delivery sent, while the topic keeps the event;
 *   <li>{@code content-type}, {@code user-agent} and {@code webhook-id} are constants of the delivery, and
 *       {@code webhook-timestamp} is the unix seconds of the attempt's {@code started_at}, the instant the
 *       worker signs with;
 *   <li>{@code webhook-signature} is the one the worker kept on the attempt record, or null for a record
 *       written without it (it is computed per attempt with the secrets in force then, which are not kept
 *       per attempt);
 *   <li>the custom headers are the subscription's as they are now: they may have changed since.
 * </ul>
 */
final class AttemptRequests {

  /** Outcomes of an attempt for which no request was built: nothing to show. */
  private static final Set<String> NOT_SENT = Set.of("cancelled", "skipped", "deferred");

  private final Redeliveries redeliveries;
  private final Supplier<DeliveryStatsQueries> stats;
  private final Function<String, Optional<Subscription>> subscriptions;

  /**
   * @param redeliveries reads events back from their topics
   * @param stats finds an attempt by id
   * @param subscriptions the current subscription by id
   */
  AttemptRequests(Redeliveries redeliveries, Supplier<DeliveryStatsQueries> stats,
      Function<String, Optional<Subscription>> subscriptions) {
    this.redeliveries = redeliveries;
    this.stats = stats;
    this.subscriptions = subscriptions;
  }

  /**
   * @return 200 with the attempt record and {@code request}: {@code method}, {@code url}, {@code headers}
   *     (name to value, a null value for one not kept), {@code exact_headers} and {@code current_headers}
   *     (the names of each kind), {@code signature_note}, {@code body} (the exact text, or null) and
   *     {@code body_note}; {@code request} is null, with {@code request_note}, when no request was built
   * @throws ApiError 404 when the account has no such attempt
   */
  ApiResponse attempt(String accountId, String attemptId) {
    AttemptRecord a = stats.get().attempt(accountId, attemptId)
        .orElseThrow(() -> new ApiError(404, null, "no attempt " + attemptId));
    ObjectNode out = StatsJson.mapper().valueToTree(a);
    if (NOT_SENT.contains(a.outcome())) {
      out.putNull("request");
      out.put("request_note", "no request was built for a " + a.outcome() + " attempt");
      return ApiResponse.of(200, out);
    }
    out.set("request", request(accountId, a));
    return ApiResponse.of(200, out);
  }

  private ObjectNode request(String accountId, AttemptRecord a) {
    ObjectNode r = StatsJson.mapper().createObjectNode();
    r.put("method", "POST");
    r.put("url", a.url());
    ObjectNode headers = r.putObject("headers");
    ArrayNode current = StatsJson.mapper().createArrayNode();
    // in the order the worker puts them: custom headers first, then the platform's own
    Map<String, String> custom = subscriptions.apply(a.subscriptionId())
        .filter(s -> s.getAccountId().equals(accountId)).map(Subscription::getHeaders).orElse(Map.of());
    custom.forEach((name, value) -> {
      if (!ReservedHeaders.isReserved(name) && ReservedHeaders.isWellFormed(name, value)) {
        headers.put(name, value);
        current.add(name);
      }
    });
    headers.put("content-type", "application/json");
    headers.put("user-agent", EndpointClient.USER_AGENT);
    headers.put(WebhookSignature.ID_HEADER, a.eventId());
    headers.put(WebhookSignature.TIMESTAMP_HEADER, Long.toString(a.startedAt().getEpochSecond()));
    headers.put(WebhookSignature.SIGNATURE_HEADER, a.webhookSignature());
    ArrayNode exact = r.putArray("exact_headers");
    exact.add("content-type").add(WebhookSignature.ID_HEADER).add(WebhookSignature.TIMESTAMP_HEADER);
    if (a.webhookSignature() != null) {
      exact.add(WebhookSignature.SIGNATURE_HEADER);
    }
    current.add("user-agent");
    r.set("current_headers", current);
    r.put("signature_note", a.webhookSignature() != null ? null : "not kept for this attempt: the signature is "
        + "computed per attempt with the secrets in force then, and this attempt was recorded without it");

    EventLog.EventRef ref = new EventLog.EventRef(a.eventId(), a.eventType(), a.eventPublishedAt());
    Optional<EventLog.LoggedEvent> event = redeliveries.loggedEvent(accountId, ref);
    if (event.isPresent()) {
      r.put("body", new String(event.get().render(), StandardCharsets.UTF_8));
      r.putNull("body_note");
    } else {
      r.putNull("body");
      r.put("body_note", redeliveries.goneFromLog(ref) + " (past its retention): its body cannot be shown");
    }
    return r;
  }
}
