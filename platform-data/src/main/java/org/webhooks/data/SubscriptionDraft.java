package org.webhooks.data;

import java.util.List;
import java.util.Map;

/**
 * What a customer gives to create a subscription, before {@link SubscriptionRules} checks it. Every
 * field but {@code accountId}, {@code url} and {@code eventTypes} may be null for its default.
 *
 * @param accountId the tenant
 * @param url the endpoint URL
 * @param eventTypes wire names such as {@code call.completed}
 * @param secret {@code whsec_...}, or null to generate one
 * @param filter an attribute filter expression, or null for none
 * @param description free text shown to the customer, or null
 * @param enabled false to create it disabled; null = enabled
 * @param rateLimit requests per second the endpoint takes at most, or null for no limit
 * @param headers custom static request headers (name to value), or null for none
 * @param metadata the customer's own key-value pairs, or null for none
 */
public record SubscriptionDraft(String accountId, String url, List<String> eventTypes, String secret, String filter,
    String description, Boolean enabled, Integer rateLimit, Map<String, String> headers, Map<String, String> metadata) {

  /** A draft of the three required fields, the secret and the filter; everything else default. */
  public static SubscriptionDraft of(String accountId, String url, List<String> eventTypes, String secret,
      String filter) {
    return new SubscriptionDraft(accountId, url, eventTypes, secret, filter, null, null, null, null, null);
  }
}
