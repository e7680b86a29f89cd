package org.webhooks.data;

import java.util.List;
import java.util.Map;

/**
 * Changes to a subscription: each field that is given replaces the stored one, each field left out
 * (null) keeps it. A field given with a null value clears it where that means something
 * ({@code filter}, {@code description}, {@code rate_limit}; {@code headers} and {@code metadata}
 * become empty). The secret is changed only by a rotation.
 */
public record SubscriptionPatch(Given<String> url, Given<List<String>> eventTypes, Given<String> filter,
    Given<String> description, Given<Boolean> enabled, Given<Integer> rateLimit,
    Given<Map<String, String>> headers, Given<Map<String, String>> metadata) {

  /**
   * A value given for a field (which may itself be null).
   *
   * @param value the new value, or null to clear the field
   */
  public record Given<T>(T value) {}

  /** @return a patch that changes nothing. */
  public static SubscriptionPatch none() {
    return new SubscriptionPatch(null, null, null, null, null, null, null, null);
  }

  /** @return this patch, also replacing the endpoint URL. */
  public SubscriptionPatch withUrl(String v) {
    return new SubscriptionPatch(new Given<>(v), eventTypes, filter, description, enabled, rateLimit, headers, metadata);
  }

  /** @return this patch, also replacing the event types. */
  public SubscriptionPatch withEventTypes(List<String> v) {
    return new SubscriptionPatch(url, new Given<>(v), filter, description, enabled, rateLimit, headers, metadata);
  }

  /** @return this patch, also replacing the filter (null or blank: none). */
  public SubscriptionPatch withFilter(String v) {
    return new SubscriptionPatch(url, eventTypes, new Given<>(v), description, enabled, rateLimit, headers, metadata);
  }

  /** @return this patch, also replacing the description (null: none). */
  public SubscriptionPatch withDescription(String v) {
    return new SubscriptionPatch(url, eventTypes, filter, new Given<>(v), enabled, rateLimit, headers, metadata);
  }

  /** @return this patch, also replacing whether it is enabled (enabling clears disabled_reason). */
  public SubscriptionPatch withEnabled(Boolean v) {
    return new SubscriptionPatch(url, eventTypes, filter, description, new Given<>(v), rateLimit, headers, metadata);
  }

  /** @return this patch, also replacing the rate limit in requests per second (null: none). */
  public SubscriptionPatch withRateLimit(Integer v) {
    return new SubscriptionPatch(url, eventTypes, filter, description, enabled, new Given<>(v), headers, metadata);
  }

  /** @return this patch, also replacing the custom headers (null: none). */
  public SubscriptionPatch withHeaders(Map<String, String> v) {
    return new SubscriptionPatch(url, eventTypes, filter, description, enabled, rateLimit, new Given<>(v), metadata);
  }

  /** @return this patch, also replacing the metadata pairs (null: none). */
  public SubscriptionPatch withMetadata(Map<String, String> v) {
    return new SubscriptionPatch(url, eventTypes, filter, description, enabled, rateLimit, headers, new Given<>(v));
  }
}
