package org.webhooks.data;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.webhooks.schemas.AvroTrust;
import org.webhooks.schemas.EventExamples;
import org.webhooks.schemas.ReservedHeaders;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/**
 * What makes a subscription valid, applied wherever one is saved (CLI, control plane). Every refusal
 * is an {@link InvalidSubscriptionException} whose message starts with the field it is about.
 */
public final class SubscriptionRules {

  static {
    // copying a Subscription (Subscription.newBuilder(other)) loads its nested records by name
    AvroTrust.install();
  }

  private static final SecureRandom RANDOM = new SecureRandom();

  private SubscriptionRules() {}

  /** Custom headers per subscription, at most. */
  public static final int MAX_HEADERS = 20;
  /** Length of a custom header's value, at most, in characters. */
  public static final int MAX_HEADER_VALUE_LENGTH = 1024;
  /** Metadata pairs per subscription, at most. */
  public static final int MAX_METADATA_KEYS = 50;
  /** Length of a metadata key, at most, in characters. */
  public static final int MAX_METADATA_KEY_LENGTH = 40;
  /** Length of a metadata value, at most, in characters. */
  public static final int MAX_METADATA_VALUE_LENGTH = 500;
  /** Length of a description, at most, in characters. */
  public static final int MAX_DESCRIPTION_LENGTH = 500;
  /** Highest rate limit, requests per second. */
  public static final int MAX_RATE_LIMIT = 10_000;
  /** Secrets in force at once, at most: the current one and those still in their grace period. */
  public static final int MAX_SECRETS = 5;

  /** RFC 9110 section 5.6.2 token characters. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

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
    return newSubscription(SubscriptionDraft.of(accountId, url, eventTypes, secret, filter), policy, now);
  }

  /**
   * Validates and builds a new subscription, enabled unless the draft says otherwise.
   *
   * @param policy the address rules and their exceptions
   * @param now creation time
   * @throws InvalidSubscriptionException naming the field that is wrong
   */
  public static Subscription newSubscription(SubscriptionDraft draft, TargetPolicy policy, Instant now) {
    String accountId = draft.accountId();
    if (accountId == null || accountId.isBlank()) {
      throw new InvalidSubscriptionException("account_id: is required");
    }
    String url = checkUrl(draft.url(), policy);
    List<String> types = checkEventTypes(draft.eventTypes());
    String signingSecret = checkSecret(draft.secret());
    String checkedFilter = checkFilter(draft.filter());
    return Subscription.newBuilder()
        .setId(newId())
        .setAccountId(accountId.trim())
        .setUrl(url)
        .setEventTypes(types)
        .setSecrets(new ArrayList<>(List.of(new SigningSecret(signingSecret, now, null))))
        .setFilter(checkedFilter)
        .setEnabled(draft.enabled() == null || draft.enabled())
        .setDescription(checkDescription(draft.description()))
        .setRateLimitPerSecond(checkRateLimit(draft.rateLimit()))
        .setHeaders(checkHeaders(draft.headers()))
        .setMetadata(checkMetadata(draft.metadata()))
        .setCreatedAt(now)
        .setUpdatedAt(now)
        .build();
  }

  /**
   * Applies a patch: each given field is checked as at creation and replaces the stored one.
   * Enabling clears {@code disabled_reason} (set when an endpoint answered 410 Gone).
   *
   * @param current the stored subscription
   * @param patch the changes
   * @param policy the address rules, for a new URL
   * @param now the time of the change; {@code updated_at} becomes the later of it and just after the
   *     stored {@code updated_at}, so that versions stay ordered even when clocks are not
   * @return the new version
   * @throws InvalidSubscriptionException naming the field that is wrong
   */
  public static Subscription applyPatch(Subscription current, SubscriptionPatch patch, TargetPolicy policy,
      Instant now) {
    Subscription.Builder b = Subscription.newBuilder(current);
    if (patch.url() != null) {
      b.setUrl(checkUrl(patch.url().value(), policy));
    }
    if (patch.eventTypes() != null) {
      b.setEventTypes(checkEventTypes(patch.eventTypes().value()));
    }
    if (patch.filter() != null) {
      b.setFilter(checkFilter(patch.filter().value()));
    }
    if (patch.description() != null) {
      b.setDescription(checkDescription(patch.description().value()));
    }
    if (patch.enabled() != null) {
      Boolean enabled = patch.enabled().value();
      if (enabled == null) {
        throw new InvalidSubscriptionException("enabled: must be true or false");
      }
      b.setEnabled(enabled);
      if (enabled) {
        b.setDisabledReason(null);
      }
    }
    if (patch.rateLimit() != null) {
      b.setRateLimitPerSecond(checkRateLimit(patch.rateLimit().value()));
    }
    if (patch.headers() != null) {
      b.setHeaders(checkHeaders(patch.headers().value()));
    }
    if (patch.metadata() != null) {
      b.setMetadata(checkMetadata(patch.metadata().value()));
    }
    b.setUpdatedAt(nextUpdate(current, now));
    return b.build();
  }

  /**
   * Rotates the signing secret: the new one signs from now on, and every secret in force keeps
   * signing beside it until {@code now + grace} (one already ending sooner keeps its end), so that
   * receivers can switch without a failed verification (Standard Webhooks: several signatures).
   * Secrets already expired are dropped.
   *
   * @param current the stored subscription
   * @param secret the new secret, {@code whsec_...}, or null to generate one
   * @param grace how long the secrets it replaces keep signing
   * @param now the time of the rotation
   * @return the new version; its last secret is the new one
   * @throws InvalidSubscriptionException ("secret: ...") when the secret is malformed, is one already
   *     in force, or {@link #MAX_SECRETS} would be in force
   */
  public static Subscription rotateSecret(Subscription current, String secret, Duration grace, Instant now) {
    String fresh = checkSecret(secret);
    Instant end = now.plus(grace);
    List<SigningSecret> kept = new ArrayList<>();
    for (SigningSecret s : current.getSecrets()) {
      if (s.getExpiresAt() != null && !s.getExpiresAt().isAfter(now)) {
        continue;
      }
      if (s.getSecret().equals(fresh)) {
        throw new InvalidSubscriptionException("secret: is already in force; choose a new one");
      }
      if (grace.isZero()) {
        continue;
      }
      Instant expires = s.getExpiresAt() == null || s.getExpiresAt().isAfter(end) ? end : s.getExpiresAt();
      kept.add(new SigningSecret(s.getSecret(), s.getCreatedAt(), expires));
    }
    if (kept.size() + 1 > MAX_SECRETS) {
      throw new InvalidSubscriptionException("secret: " + kept.size() + " secrets are still in their grace "
          + "period; at most " + MAX_SECRETS + " may be in force, so wait until the oldest expires");
    }
    kept.add(new SigningSecret(fresh, now, null));
    return Subscription.newBuilder(current).setSecrets(kept).setUpdatedAt(nextUpdate(current, now)).build();
  }

  /**
   * @return the subscription without the secrets expired at {@code now}, or empty when none has
   *     expired (the record need not be rewritten)
   */
  public static Optional<Subscription> withoutExpiredSecrets(Subscription current, Instant now) {
    List<SigningSecret> kept = new ArrayList<>();
    for (SigningSecret s : current.getSecrets()) {
      if (s.getExpiresAt() == null || s.getExpiresAt().isAfter(now)) {
        kept.add(s);
      }
    }
    if (kept.size() == current.getSecrets().size()) {
      return Optional.empty();
    }
    return Optional.of(Subscription.newBuilder(current).setSecrets(kept).setUpdatedAt(nextUpdate(current, now))
        .build());
  }

  /**
   * @return the URL, trimmed
   * @throws InvalidSubscriptionException ("url: ...") when {@code policy} refuses it
   */
  public static String checkUrl(String url, TargetPolicy policy) {
    try {
      policy.checkUrl(url);
    } catch (IllegalArgumentException e) {
      throw new InvalidSubscriptionException("url: " + e.getMessage());
    }
    return url.trim();
  }

  /**
   * @param secret {@code whsec_} + base64 of 24-64 bytes, or null or blank to generate one
   * @return the secret to store
   * @throws InvalidSubscriptionException ("secret: ...") when it is malformed
   */
  public static String checkSecret(String secret) {
    String signingSecret = secret == null || secret.isBlank() ? WebhookSecret.generate() : secret.trim();
    try {
      WebhookSecret.key(signingSecret);
    } catch (IllegalArgumentException e) {
      throw new InvalidSubscriptionException("secret: " + e.getMessage());
    }
    return signingSecret;
  }

  /**
   * @return the description, or null for none (blank counts as none)
   * @throws InvalidSubscriptionException ("description: ...") when longer than {@link #MAX_DESCRIPTION_LENGTH}
   */
  public static String checkDescription(String description) {
    if (description == null || description.isBlank()) {
      return null;
    }
    if (description.length() > MAX_DESCRIPTION_LENGTH) {
      throw new InvalidSubscriptionException("description: at most " + MAX_DESCRIPTION_LENGTH + " characters");
    }
    return description;
  }

  /**
   * @param rateLimit requests per second, or null for no limit
   * @return the limit to store
   * @throws InvalidSubscriptionException ("rate_limit: ...") outside 1..{@link #MAX_RATE_LIMIT}
   */
  public static Integer checkRateLimit(Integer rateLimit) {
    if (rateLimit != null && (rateLimit < 1 || rateLimit > MAX_RATE_LIMIT)) {
      throw new InvalidSubscriptionException("rate_limit: must be 1.." + MAX_RATE_LIMIT
          + " requests per second, or null for no limit");
    }
    return rateLimit;
  }

  /**
   * Checks custom request headers: names are RFC 9110 tokens, unique without regard to case, and
   * none is reserved ({@link ReservedHeaders}: signature, content, {@code host}, {@code user-agent}
   * and hop-by-hop headers); values are at most {@link #MAX_HEADER_VALUE_LENGTH} visible ASCII characters and spaces.
   *
   * @param headers name to value, or null for none
   * @return the headers to store, in the order given (names as written)
   * @throws InvalidSubscriptionException ("headers: ...", naming the header) when one is refused
   */
  public static Map<String, String> checkHeaders(Map<String, String> headers) {
    if (headers == null || headers.isEmpty()) {
      return new LinkedHashMap<>();
    }
    if (headers.size() > MAX_HEADERS) {
      throw new InvalidSubscriptionException("headers: at most " + MAX_HEADERS + " custom headers");
    }
    Set<String> seen = new HashSet<>();
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers.entrySet()) {
      String name = e.getKey() == null ? "" : e.getKey().trim();
      String lower = name.toLowerCase(Locale.ROOT);
      if (name.isEmpty() || name.length() > 256 || !TOKEN.matcher(name).matches()) {
        throw new InvalidSubscriptionException("headers: '" + name + "' is not a valid header name");
      }
      if (lower.startsWith("webhook-")) {
        throw new InvalidSubscriptionException("headers: '" + name + "' cannot be set: webhook-* headers carry "
            + "the signature");
      }
      if (lower.startsWith("content-")) {
        throw new InvalidSubscriptionException("headers: '" + name + "' cannot be set: content-* headers "
            + "describe the body, which the platform sends");
      }
      if (ReservedHeaders.isReserved(lower)) {
        throw new InvalidSubscriptionException("headers: '" + name + "' cannot be set: the platform sets it, "
            + "or it belongs to the connection, not the request");
      }
      if (!seen.add(lower)) {
        throw new InvalidSubscriptionException("headers: '" + name + "' is given twice");
      }
      String value = e.getValue();
      if (value == null || value.length() > MAX_HEADER_VALUE_LENGTH || !visible(value)) {
        throw new InvalidSubscriptionException("headers: the value of '" + name + "' must be at most "
            + MAX_HEADER_VALUE_LENGTH + " visible ASCII characters or spaces");
      }
      out.put(name, value.trim());
    }
    return out;
  }

  /**
   * @param metadata the customer's own key-value pairs, or null for none
   * @return the pairs to store
   * @throws InvalidSubscriptionException ("metadata: ...") past {@link #MAX_METADATA_KEYS} pairs or the
   *     key and value lengths, or for a null value
   */
  public static Map<String, String> checkMetadata(Map<String, String> metadata) {
    if (metadata == null || metadata.isEmpty()) {
      return new LinkedHashMap<>();
    }
    if (metadata.size() > MAX_METADATA_KEYS) {
      throw new InvalidSubscriptionException("metadata: at most " + MAX_METADATA_KEYS + " keys");
    }
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      String key = e.getKey() == null ? "" : e.getKey();
      if (key.isEmpty() || key.length() > MAX_METADATA_KEY_LENGTH) {
        throw new InvalidSubscriptionException("metadata: keys must be 1.." + MAX_METADATA_KEY_LENGTH
            + " characters ('" + key + "')");
      }
      if (e.getValue() == null || e.getValue().length() > MAX_METADATA_VALUE_LENGTH) {
        throw new InvalidSubscriptionException("metadata: the value of '" + key + "' must be a string of at most "
            + MAX_METADATA_VALUE_LENGTH + " characters");
      }
    }
    return new LinkedHashMap<>(metadata);
  }

  private static boolean visible(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 && c != '\t' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static Instant nextUpdate(Subscription current, Instant now) {
    return now.isAfter(current.getUpdatedAt()) ? now : current.getUpdatedAt().plusMillis(1);
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
   * @return the event types, known and without duplicates, in the order given: call event types and
   *     operational event types ({@link EventExamples#TYPES})
   * @throws InvalidSubscriptionException ("event_types: ...") when empty or one is unknown
   */
  public static List<String> checkEventTypes(List<String> eventTypes) {
    if (eventTypes == null || eventTypes.isEmpty()) {
      throw new InvalidSubscriptionException("event_types: at least one is required (known: "
          + String.join(", ", EventExamples.TYPES) + ")");
    }
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (String t : eventTypes) {
      String type = t == null ? "" : t.trim();
      if (!EventExamples.TYPES.contains(type)) {
        throw new InvalidSubscriptionException("event_types: '" + type + "' is unknown (known: "
            + String.join(", ", EventExamples.TYPES) + ")");
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

    /** @return the field the message starts with, e.g. {@code url} for "url: must be https" */
    public String field() {
      String m = getMessage();
      int colon = m.indexOf(':');
      return colon > 0 ? m.substring(0, colon) : m;
    }
  }
}
