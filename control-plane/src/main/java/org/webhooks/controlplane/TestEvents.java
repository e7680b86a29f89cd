package org.webhooks.controlplane;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.webhooks.client.AttemptResult;
import org.webhooks.client.DeliveryRequest;
import org.webhooks.client.EndpointClient;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.schemas.EventExamples;
import org.webhooks.schemas.avro.Subscription;

/**
 * Sends a test event to a subscription's endpoint: the example body of an event type (see
 * {@link EventExamples}) with a fresh {@code evt_test_...} id and the current time, signed with the
 * subscription's secrets in force and sent through {@link EndpointClient}, the same door, address
 * rules, timeout and signing as real deliveries. Nothing is written to Kafka: the outcome goes back
 * to the caller only. A disabled subscription is tested too, so that an endpoint can be checked
 * before it is enabled again.
 */
public final class TestEvents {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * What a test event came to.
   *
   * @param eventId the {@code webhook-id} sent
   * @param eventType the type whose example was sent
   * @param result the attempt: outcome, status code (null without a response), latency in ms,
   *     error (null on success) and the start of the response body (at most 1024 bytes, or null)
   */
  public record Outcome(String eventId, String eventType, AttemptResult result) {

    /** @return the outcome as the API and the CLI show it. */
    public ObjectNode toJson() {
      ObjectNode n = JSON.createObjectNode();
      n.put("event_id", eventId);
      n.put("event_type", eventType);
      n.put("succeeded", result.succeeded());
      n.put("outcome", result.outcome().name().toLowerCase(Locale.ROOT));
      n.put("status_code", result.statusCode());
      n.put("latency_ms", result.latencyMs());
      n.put("response_excerpt", result.responseExcerpt());
      n.put("error", result.error());
      return n;
    }
  }

  private final EndpointClient client;
  private final Clock clock;

  /**
   * @param client the one door out (its target policy and timeout apply)
   * @param clock the time of the event and of the {@code webhook-timestamp}
   */
  public TestEvents(EndpointClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  /**
   * @param subscription where to send it, with its secrets
   * @param eventType the wire name of the example to send, or null for the subscription's first event type
   * @return a future that completes with the outcome once the endpoint answered, failed or timed out
   * @throws IllegalArgumentException ("event_type: ...") when the type is unknown
   */
  public CompletableFuture<Outcome> send(Subscription subscription, String eventType) {
    String type = eventType == null ? subscription.getEventTypes().get(0) : eventType.trim();
    if (!EventExamples.TYPES.contains(type)) {
      throw new IllegalArgumentException("event_type: '" + type + "' is unknown (known: "
          + String.join(", ", EventExamples.TYPES) + ")");
    }
    Instant now = clock.instant();
    byte[] id = new byte[8];
    RANDOM.nextBytes(id);
    String eventId = "evt_test_" + HexFormat.of().formatHex(id);
    byte[] body = body(type, eventId, now);
    DeliveryRequest request;
    try {
      request = DeliveryRequest.signed(subscription.getUrl(), SubscriptionRules.signingSecrets(subscription, now),
          eventId, now, body, subscription.getHeaders());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.completedFuture(new Outcome(eventId, type, AttemptResult.notSent(
          org.webhooks.schemas.avro.AttemptOutcome.OTHER, "cannot sign: " + e.getMessage())));
    }
    return client.deliver(request).thenApply(r -> new Outcome(eventId, type, r));
  }

  private static byte[] body(String type, String eventId, Instant now) {
    try {
      ObjectNode example = (ObjectNode) JSON.readTree(EventExamples.body(type));
      example.put("event_id", eventId);
      example.put("timestamp", now.truncatedTo(ChronoUnit.SECONDS).toString());
      return JSON.writeValueAsString(example).getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("the example of " + type + " is not JSON", e);
    }
  }
}
