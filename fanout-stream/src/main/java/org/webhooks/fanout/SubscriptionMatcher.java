package org.webhooks.fanout;

import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.Subscription;

/**
 * Decides whether one subscription receives one call event. This is the one place where the rules
 * live, and the place where attribute filters will be evaluated once subscriptions may carry one.
 * Thread-safe.
 */
public final class SubscriptionMatcher {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionMatcher.class);

  /** Subscriptions already reported for carrying a filter, so the warning is logged once each. */
  private final Set<String> reportedFilters = ConcurrentHashMap.newKeySet();

  /**
   * A subscription receives an event when all of these hold:
   *
   * <ul>
   *   <li>it belongs to the event's account (tenant isolation; the store is already scanned by
   *       account, this re-checks the subscription's own {@code account_id});
   *   <li>it is enabled;
   *   <li>its {@code event_types} include the event's wire type, e.g. {@code call.completed};
   *   <li>it was created at or before {@code publishedAt} (a subscription created after an event was
   *       published does not receive it; the design compares with the record time, never the event's
   *       own {@code timestamp});
   *   <li>its filter accepts the event. Filters are not evaluated yet and subscriptions are saved
   *       without one ({@code SubscriptionRules} refuses them), so a subscription that nevertheless
   *       carries a filter receives nothing rather than more than it asked for.
   * </ul>
   *
   * @param subscription the candidate
   * @param event the decoded call event
   * @param publishedAt the Kafka timestamp of the call-events record
   * @return true when a delivery task is due for this pair
   */
  public boolean matches(Subscription subscription, CallEvent event, Instant publishedAt) {
    if (!subscription.getAccountId().equals(event.getAccountId())) {
      return false;
    }
    if (!subscription.getEnabled()) {
      return false;
    }
    if (!subscription.getEventTypes().contains(EventTypes.wireName(event.getEventType()))) {
      return false;
    }
    if (subscription.getCreatedAt().isAfter(publishedAt)) {
      return false;
    }
    return filterAccepts(subscription, event);
  }

  private boolean filterAccepts(Subscription subscription, CallEvent event) {
    String filter = subscription.getFilter();
    if (filter == null || filter.isBlank()) {
      return true;
    }
    if (reportedFilters.add(subscription.getId())) {
      LOG.warn("subscription {} has a filter, which this version cannot evaluate; it receives no events "
          + "until fanout-stream is upgraded", subscription.getId());
    }
    return false;
  }
}
