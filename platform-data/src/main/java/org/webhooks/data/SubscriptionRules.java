package org.webhooks.data;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/**
 * What makes a subscription valid, applied wherever one is saved (CLI, control plane). Every refusal
 * is an {@link InvalidSubscriptionException} whose message starts with the field it is about.
 */
public final class SubscriptionRules {

  private static final SecureRandom RANDOM = new SecureRandom();

  private SubscriptionRules() {}

  /**
   * Validates and builds a new, enabled subscription.
   *
   * @param accountId the tenant; required
   * @param url the endpoint; checked by {@code policy}
   * @param eventTypes wire names such as {@code call.completed}; at least one, all known, duplicates dropped
   * @param secret {@code whsec_...}, or null to generate one
   * @param filter a filter expression, or null for none
   * @param policy the address rules and their exceptions
   * @param now creation time
   * @throws InvalidSubscriptionException naming the field that is wrong
   */
  public static Subscription newSubscription(String accountId, String url, List<String> eventTypes,
      String secret, String filter, TargetPolicy policy, Instant now) {
    if (accountId == null || accountId.isBlank()) {
      throw new InvalidSubscriptionException("account_id: is required");
    }
    try {
      policy.checkUrl(url);
    } catch (IllegalArgumentException e) {
      throw new InvalidSubscriptionException("url: " + e.getMessage());
    }
    List<String> types = checkEventTypes(eventTypes);
    String signingSecret = secret == null || secret.isBlank() ? WebhookSecret.generate() : secret.trim();
    try {
      WebhookSecret.key(signingSecret);
    } catch (IllegalArgumentException e) {
      throw new InvalidSubscriptionException("secret: " + e.getMessage());
    }
    String checkedFilter = checkFilter(filter);
    return Subscription.newBuilder()
        .setId(newId())
        .setAccountId(accountId.trim())
        .setUrl(url.trim())
        .setEventTypes(types)
        .setSecrets(new ArrayList<>(List.of(new SigningSecret(signingSecret, now, null))))
        .setFilter(checkedFilter)
        .setEnabled(true)
        .setCreatedAt(now)
        .setUpdatedAt(now)
        .setMetadata(Map.of())
        .build();
  }

  /**
   * @param filter an attribute filter expression, or null or blank for none
   * @return the filter to store (null for none)
   * @throws InvalidSubscriptionException ("filter: ...", with the position) when it does not compile
   */
  public static String checkFilter(String filter) {
    if (filter == null || filter.isBlank()) {
      return null;
    }
    try {
      return SubscriptionFilter.compile(filter).expression();
    } catch (IllegalArgumentException e) {
      throw new InvalidSubscriptionException("filter: " + e.getMessage());
    }
  }

  /**
   * @return the event types, known and without duplicates, in the order given
   * @throws InvalidSubscriptionException ("event_types: ...") when empty or one is unknown
   */
  public static List<String> checkEventTypes(List<String> eventTypes) {
    if (eventTypes == null || eventTypes.isEmpty()) {
      throw new InvalidSubscriptionException("event_types: at least one is required (known: "
          + String.join(", ", EventTypes.ALL) + ")");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String t : eventTypes) {
      String type = t == null ? "" : t.trim();
      if (EventTypes.fromWireName(type).isEmpty()) {
        throw new InvalidSubscriptionException("event_types: '" + type + "' is unknown (known: "
            + String.join(", ", EventTypes.ALL) + ")");
      }
      out.add(type);
    }
    return new ArrayList<>(out);
  }

  /** @return a new subscription id, {@code sub_} + 20 hex digits. */
  public static String newId() {
    byte[] b = new byte[10];
    RANDOM.nextBytes(b);
    return "sub_" + HexFormat.of().formatHex(b);
  }

  /** @return the secrets that sign a request at {@code now}: every one not yet expired. */
  public static List<String> signingSecrets(Subscription s, Instant now) {
    List<String> out = new ArrayList<>();
    for (SigningSecret secret : s.getSecrets()) {
      if (secret.getExpiresAt() == null || secret.getExpiresAt().isAfter(now)) {
        out.add(secret.getSecret());
      }
    }
    return out;
  }

  /** A subscription that cannot be saved; the message starts with the field name. */
  public static final class InvalidSubscriptionException extends IllegalArgumentException {
    public InvalidSubscriptionException(String message) {
      super(message);
    }
  }
}
