package org.webhooks.fanout;

import java.time.Instant;
import java.util.function.Supplier;
import org.webhooks.data.FilterInput;
import org.webhooks.data.SubscriptionFilter;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.Subscription;

/**
 * Decides whether one subscription receives one call event. This is the one place where the rules
 * live. Thread-safe: one instance serves every stream thread.
 *
 * <p>A subscription receives an event when it is {@linkplain #selects selected} by its terms and its
 * filter, if it has one, {@linkplain #filterAccepts accepts} the event. The two steps are apart so that
 * the event is turned into a filter's input only once, and only when a selected subscription has a
 * filter.
 */
public final class SubscriptionMatcher {

  private final FanoutMetrics metrics;

  /** @param metrics where filter evaluations and their errors are counted */
  public SubscriptionMatcher(FanoutMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * The terms every subscription has:
   *
   * <ul>
   *   <li>it belongs to the event's account (tenant isolation; the store is already scanned by
   *       account, this re-checks the subscription's own {@code account_id});
   *   <li>it is enabled;
   *   <li>its {@code event_types} include the event's wire type, e.g. {@code call.completed};
   *   <li>it was created at or before {@code publishedAt} (a subscription created after an event was
   *       published does not receive it; the design compares with the record time, never the event's
   *       own {@code timestamp}).
   * </ul>
   *
   * @param subscription the candidate
   * @param event the decoded call event
   * @param publishedAt the Kafka timestamp of the call-events record
   * @return true when the subscription receives the event unless its filter says otherwise
   */
  public boolean selects(Subscription subscription, CallEvent event, Instant publishedAt) {
    if (!subscription.getAccountId().equals(event.getAccountId())) {
      return false;
    }
    if (!subscription.getEnabled()) {
      return false;
    }
    if (!subscription.getEventTypes().contains(EventTypes.wireName(event.getEventType()))) {
      return false;
    }
    return !subscription.getCreatedAt().isAfter(publishedAt);
  }

  /**
   * Evaluates a subscription's filter on an event. A filter that fails (a field the event lacks, a
   * value of the wrong type, a result that is not a boolean) or that does not compile accepts nothing,
   * and is counted under its reason.
   *
   * @param decoded the subscription with its compiled filter
   * @param input the event as filters see it; asked for only when there is a filter to evaluate
   * @return true when the subscription has no filter or its filter returns true
   */
  boolean filterAccepts(DecodedSubscriptions.Decoded decoded, Supplier<FilterInput> input) {
    if (!decoded.hasFilter()) {
      return true;
    }
    if (decoded.filter() == null) {
      metrics.filterEvaluated(null, FanoutMetrics.INVALID_FILTER);
      return false;
    }
    SubscriptionFilter.Outcome outcome = decoded.filter().evaluate(input.get());
    metrics.filterEvaluated(outcome, outcome.errorReason());
    return outcome.matched();
  }
}
