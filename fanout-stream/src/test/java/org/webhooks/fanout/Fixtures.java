package org.webhooks.fanout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/** Builders of subscriptions and call events as the control plane and event producer make them. */
final class Fixtures {

  private static final ObjectMapper JSON = new ObjectMapper();

  private Fixtures() {}

  /** @return an enabled subscription without filter, with a fresh id. */
  static Subscription subscription(String accountId, Instant createdAt, String... eventTypes) {
    return Subscription.newBuilder()
        .setId(SubscriptionRules.newId())
        .setAccountId(accountId)
        .setUrl("https://hooks.example.com/" + accountId)
        .setEventTypes(new ArrayList<>(List.of(eventTypes)))
        .setSecrets(new ArrayList<>(List.of(new SigningSecret(WebhookSecret.generate(), createdAt, null))))
        .setFilter(null)
        .setEnabled(true)
        .setCreatedAt(createdAt)
        .setUpdatedAt(createdAt)
        .setMetadata(Map.of())
        .build();
  }

  /**
   * @return an event parsed from the publish envelope, as the event producer builds it; its data holds
   *     free-form objects and an integer and a decimal so that the rendered body is not trivial
   */
  static CallEvent event(String accountId, String eventType, String eventId, String callId) {
    ObjectNode envelope = JSON.createObjectNode()
        .put("event_id", eventId)
        .put("event_type", eventType)
        .put("account_id", accountId)
        .put("timestamp", "2025-01-15T15:45:32.789Z");
    ObjectNode data = envelope.putObject("data").put("call_id", callId).put("agent_id", "agent_7");
    data.putObject("customer").put("name", "Ada").put("tier", 2).put("ltv", 1234.5);
    data.putObject("metadata").put("campaign", "spring").put("attempt", 1);
    return CallEventJson.parse(envelope, Instant.EPOCH);
  }

  /** @return a copy of the buffer's remaining bytes. */
  static byte[] bytes(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
