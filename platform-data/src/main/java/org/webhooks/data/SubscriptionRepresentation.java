package org.webhooks.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.webhooks.schemas.avro.Subscription;

/**
 * A subscription as users see it, in the control plane's API and in {@code subscriptions list --json}
 * alike: every field but its signing secrets, which are shown only once, when created.
 */
public final class SubscriptionRepresentation {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SubscriptionRepresentation() {}

  /**
   * @return {@code id}, {@code account_id}, {@code url}, {@code description}, {@code event_types} (a list
   *     of wire names), {@code filter}, {@code enabled}, {@code disabled_reason}, {@code rate_limit}
   *     (requests per second), {@code headers} and {@code metadata} (string to string),
   *     {@code created_at} and {@code updated_at} (ISO-8601); a field without a value is null
   */
  public static ObjectNode of(Subscription s) {
    ObjectNode n = JSON.createObjectNode();
    n.put("id", s.getId());
    n.put("account_id", s.getAccountId());
    n.put("url", s.getUrl());
    n.put("description", s.getDescription());
    n.set("event_types", JSON.valueToTree(s.getEventTypes()));
    n.put("filter", s.getFilter());
    n.put("enabled", s.getEnabled());
    n.put("disabled_reason", s.getDisabledReason());
    n.put("rate_limit", s.getRateLimitPerSecond());
    n.set("headers", JSON.valueToTree(s.getHeaders()));
    n.set("metadata", JSON.valueToTree(s.getMetadata()));
    n.put("created_at", s.getCreatedAt().toString());
    n.put("updated_at", s.getUpdatedAt().toString());
    return n;
  }
}
