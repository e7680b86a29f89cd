package org.webhooks.fanout;

import java.time.Instant;
import java.util.function.Supplier;
import org.webhooks.data.EventMatching;
import org.webhooks.data.FilterInput;
import org.webhooks.schemas.avro.MatchVerdict;
import org.webhooks.schemas.avro.Subscription;

/**
 * The fanout's use of {@link EventMatching}, the matching rules it shares with replays: the terms with
 * the creation check, and filters evaluated with each evaluation counted. Thread-safe: one instance
 * serves every stream thread.
 */
public final class SubscriptionMatcher {

  private final FanoutMetrics metrics;

  /** @param metrics where filter evaluations and their errors are counted */
  public SubscriptionMatcher(FanoutMetrics metrics) {
    this.metrics = metrics;
  }

  /**
   * @param subscription a subscription of the event's account
   * @param eventType the event's wire type
   * @param publishedAt the Kafka timestamp of the event's record
   * @return MATCHED when the subscription's terms select the event (see {@link EventMatching#terms})
   */
  MatchVerdict terms(Subscription subscription, String eventType, Instant publishedAt) {
    return EventMatching.terms(subscription, eventType, publishedAt, true);
  }

  /**
   * Evaluates a subscription's filter and counts the evaluation: a filter that fails or does not
   * compile accepts nothing, and is counted under its reason.
   *
   * @param decoded the subscription with its compiled filter
   * @param input the event as filters see it; asked for only when there is a filter to evaluate
   * @return the verdict (MATCHED when there is no filter)
   */
  EventMatching.FilterVerdict filter(DecodedSubscriptions.Decoded decoded, Supplier<FilterInput> input) {
    EventMatching.FilterVerdict verdict = EventMatching.filter(decoded.filter(), decoded.filterProblem(), input);
    if (decoded.hasFilter()) {
      metrics.filterEvaluated(verdict.outcome(), verdict.detail());
    }
    return verdict;
  }
}
