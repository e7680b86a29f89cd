package org.webhooks.data;

import java.time.Instant;
import java.util.function.Supplier;
import org.webhooks.schemas.avro.MatchVerdict;
import org.webhooks.schemas.avro.Subscription;

/**
 * Whether one subscription receives one event, and why not: the one place where the matching rules
 * live, applied by the fanout to every event and by a replay for one endpoint. An event is an event
 * type (wire name, {@code call.completed} or {@code endpoint.failing}), an account, the Kafka time it
 * was published at and its body (which filters read).
 *
 * <p>A subscription receives an event when, in this order: it is of the event's account (tenant
 * isolation: the fanout scans by account already, this checks the subscription's own
 * {@code account_id}); it is enabled; its {@code event_types} include the event's type; it was created
 * at or before the event was published (the record time, never the event's own {@code timestamp}; a
 * replay skips this term, since back-filling is what it is for); and its filter, if it has one, returns
 * true. Each refusal is a {@link MatchVerdict}; the first term that refuses names it.
 */
public final class EventMatching {

  /** The detail of a {@link MatchVerdict#FILTER_ERROR} for a stored filter that does not compile. */
  public static final String INVALID_FILTER = "invalid_filter";

  private EventMatching() {}

  /**
   * What a filter said.
   *
   * @param verdict MATCHED, FILTER_FALSE or FILTER_ERROR
   * @param detail for FILTER_ERROR, the reason ({@code missing_field}, {@code no_matching_overload},
   *     {@code not_boolean}, {@code other}, or {@link #INVALID_FILTER}); else null
   * @param outcome the evaluation's outcome, or null when nothing was evaluated (no filter, or one that
   *     does not compile)
   */
  public record FilterVerdict(MatchVerdict verdict, String detail, SubscriptionFilter.Outcome outcome) {}

  private static final FilterVerdict NO_FILTER = new FilterVerdict(MatchVerdict.MATCHED, null, null);
  private static final FilterVerdict NOT_COMPILED = new FilterVerdict(MatchVerdict.FILTER_ERROR, INVALID_FILTER, null);

  /** @return true when the subscription belongs to {@code accountId}; one of another account is never considered */
  public static boolean ofAccount(Subscription subscription, String accountId) {
    return subscription.getAccountId().equals(accountId);
  }

  /**
   * The terms every subscription has, before its filter.
   *
   * @param subscription a subscription of the event's account ({@link #ofAccount})
   * @param eventType the event's wire type
   * @param publishedAt the Kafka timestamp of the event's record
   * @param checkCreation false for a replay, which delivers to a subscription events published before
   *     it existed
   * @return MATCHED when the terms select the event (its filter decides), else DISABLED,
   *     EVENT_TYPE_NOT_SELECTED or CREATED_AFTER_EVENT
   */
  public static MatchVerdict terms(Subscription subscription, String eventType, Instant publishedAt,
      boolean checkCreation) {
    if (!subscription.getEnabled()) {
      return MatchVerdict.DISABLED;
    }
    if (!subscription.getEventTypes().contains(eventType)) {
      return MatchVerdict.EVENT_TYPE_NOT_SELECTED;
    }
    if (checkCreation && subscription.getCreatedAt().isAfter(publishedAt)) {
      return MatchVerdict.CREATED_AFTER_EVENT;
    }
    return MatchVerdict.MATCHED;
  }

  /**
   * Evaluates a subscription's filter on an event. A filter that fails (a field the event lacks, a
   * value of the wrong type, a result that is not a boolean) or that does not compile accepts nothing.
   *
   * @param filter the compiled filter, or null when the subscription has none or it does not compile
   * @param filterProblem why its stored filter does not compile, or null
   * @param input the event as filters see it; asked for only when there is a filter to evaluate
   * @return the verdict, with what the evaluation came to
   */
  public static FilterVerdict filter(SubscriptionFilter filter, String filterProblem, Supplier<FilterInput> input) {
    if (filter == null) {
      return filterProblem == null ? NO_FILTER : NOT_COMPILED;
    }
    SubscriptionFilter.Outcome outcome = filter.evaluate(input.get());
    MatchVerdict verdict = outcome.matched() ? MatchVerdict.MATCHED
        : outcome.errorReason() == null ? MatchVerdict.FILTER_FALSE : MatchVerdict.FILTER_ERROR;
    return new FilterVerdict(verdict, outcome.errorReason(), outcome);
  }
}
