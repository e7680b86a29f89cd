package org.webhooks.schemas;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.webhooks.schemas.avro.OperationalEvent;

/**
 * The body a receiver gets for an operational event, in the envelope of call events: {@code event_id},
 * {@code event_type} (e.g. {@code endpoint.failing}), {@code timestamp} (when delivery-stats observed
 * it, ISO-8601 UTC, whole seconds) and {@code data}:
 *
 * <ul>
 *   <li>{@code endpoint_id} (the subscription concerned), {@code url}, {@code reason} (one sentence);
 *   <li>the figures, when known: {@code window_seconds}, {@code window_attempts}, {@code window_successes},
 *       {@code success_rate} (0..1), {@code consecutive_failures}, {@code failing_since},
 *       {@code last_success_at}, {@code circuit_open_since} (ISO-8601 instants), {@code last_status_code},
 *       {@code last_error};
 *   <li>{@code message.attempt.exhausted} only: {@code message_event_id}, {@code message_event_type},
 *       {@code delivery_id} and {@code attempts}.
 * </ul>
 *
 * <p>Fields without a value are left out, as in call events. The account is not in the body: the
 * receiver is one of the account's own endpoints.
 */
public final class OperationalEventJson {

  private OperationalEventJson() {}

  /** @return the body as a JSON tree (what {@link #render(OperationalEvent)} writes) */
  public static ObjectNode toBody(OperationalEvent e) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("event_id", e.getEventId());
    body.put("event_type", OperationalEventTypes.wireName(e.getEventType()));
    body.put("timestamp", e.getOccurredAt().truncatedTo(ChronoUnit.SECONDS).toString());
    ObjectNode data = body.putObject("data");
    data.put("endpoint_id", e.getSubscriptionId());
    data.put("url", e.getUrl());
    data.put("reason", e.getReason());
    if (e.getWindowMs() != null) {
      data.put("window_seconds", e.getWindowMs() / 1000);
    }
    putIfSet(data, "window_attempts", e.getWindowAttempts());
    putIfSet(data, "window_successes", e.getWindowSuccesses());
    if (e.getSuccessRate() != null) {
      data.put("success_rate", e.getSuccessRate());
    }
    if (e.getConsecutiveFailures() != null) {
      data.put("consecutive_failures", e.getConsecutiveFailures());
    }
    putIfSet(data, "failing_since", e.getFailingSince());
    putIfSet(data, "last_success_at", e.getLastSuccessAt());
    putIfSet(data, "circuit_open_since", e.getCircuitOpenSince());
    if (e.getLastStatusCode() != null) {
      data.put("last_status_code", e.getLastStatusCode());
    }
    putIfSet(data, "last_error", e.getLastError());
    putIfSet(data, "message_event_id", e.getMessageEventId());
    putIfSet(data, "message_event_type", e.getMessageEventType());
    putIfSet(data, "delivery_id", e.getDeliveryId());
    if (e.getAttempts() != null) {
      data.put("attempts", e.getAttempts());
    }
    return body;
  }

  /** @return the body, UTF-8 JSON bytes */
  public static byte[] render(OperationalEvent e) {
    return render(toBody(e));
  }

  /** @return the bytes of a body built by {@link #toBody}, written as the fanout writes every body */
  public static byte[] render(ObjectNode body) {
    return CallEventJson.render(body);
  }

  private static void putIfSet(ObjectNode data, String name, Object value) {
    if (value instanceof Instant i) {
      data.put(name, i.toString());
    } else if (value instanceof Long l) {
      data.put(name, l);
    } else if (value != null) {
      data.put(name, value.toString());
    }
  }
}
