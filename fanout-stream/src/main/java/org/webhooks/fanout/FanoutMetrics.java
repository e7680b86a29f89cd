package org.webhooks.fanout;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.webhooks.data.SubscriptionFilter;

/**
 * Counters of one fanout-stream instance since it started. Read them from any thread.
 *
 * <p>Under exactly-once processing a transaction that aborts is processed again, so a counter can
 * run ahead of what was committed to the output topics; the topics are the record of truth.
 */
public final class FanoutMetrics implements MeterBinder {

  /** Reason label of a stored filter that does not compile. */
  static final String INVALID_FILTER = org.webhooks.data.EventMatching.INVALID_FILTER;
  /** Every reason label of {@code webhooks_fanout_filter_errors_total}: a small fixed set. */
  public static final List<String> FILTER_ERROR_REASONS = List.of(
      SubscriptionFilter.Outcome.MISSING_FIELD.errorReason(),
      SubscriptionFilter.Outcome.NO_MATCHING_OVERLOAD.errorReason(),
      SubscriptionFilter.Outcome.NOT_BOOLEAN.errorReason(),
      SubscriptionFilter.Outcome.FAILED.errorReason(),
      INVALID_FILTER);

  private final AtomicLong eventsIn = new AtomicLong();
  private final AtomicLong deliveriesOut = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicLong subscriptionUpdates = new AtomicLong();
  private final AtomicLong undecodableSubscriptions = new AtomicLong();
  private final AtomicLong threadsReplaced = new AtomicLong();
  private final AtomicLong filtersMatched = new AtomicLong();
  private final AtomicLong filtersNotMatched = new AtomicLong();
  private final Map<String, AtomicLong> filterErrors = new LinkedHashMap<>();

  public FanoutMetrics() {
    FILTER_ERROR_REASONS.forEach(r -> filterErrors.put(r, new AtomicLong()));
  }

  /** @return records read from call-events and webhook-operational-events, decodable or not. */
  public long eventsIn() {
    return eventsIn.get();
  }

  /** @return delivery tasks written to webhook-deliveries. */
  public long deliveriesOut() {
    return deliveriesOut.get();
  }

  /** @return call-events records written to webhook-dead-letters. */
  public long deadLetters() {
    return deadLetters.get();
  }

  /** @return subscription records and tombstones applied to the subscription store, restores included. */
  public long subscriptionUpdates() {
    return subscriptionUpdates.get();
  }

  /** @return subscription records that could not be decoded and were treated as deletes. */
  public long undecodableSubscriptions() {
    return undecodableSubscriptions.get();
  }

  /** @return stream threads that failed and were replaced (their tasks resume from the last commit) */
  public long threadsReplaced() {
    return threadsReplaced.get();
  }

  /** @return filter evaluations that returned true (the event was delivered to that subscription) */
  public long filtersMatched() {
    return filtersMatched.get();
  }

  /** @return filter evaluations that returned false */
  public long filtersNotMatched() {
    return filtersNotMatched.get();
  }

  /**
   * @param reason one of {@link #FILTER_ERROR_REASONS}
   * @return filter evaluations that failed for that reason (the event was not delivered)
   * @throws IllegalArgumentException for a reason not in the set
   */
  public long filterErrors(String reason) {
    AtomicLong n = filterErrors.get(reason);
    if (n == null) {
      throw new IllegalArgumentException("no filter error reason " + reason);
    }
    return n.get();
  }

  /**
   * Counts one filter evaluation.
   *
   * @param outcome what it came to, or null when the filter could not be evaluated at all
   * @param errorReason the reason label when it failed, else null
   */
  void filterEvaluated(SubscriptionFilter.Outcome outcome, String errorReason) {
    if (errorReason != null) {
      filterErrors.get(errorReason).incrementAndGet();
    } else if (outcome != null && outcome.matched()) {
      filtersMatched.incrementAndGet();
    } else {
      filtersNotMatched.incrementAndGet();
    }
  }

  void threadReplaced() {
    threadsReplaced.incrementAndGet();
  }

  void eventIn() {
    eventsIn.incrementAndGet();
  }

  void deliveryOut() {
    deliveriesOut.incrementAndGet();
  }

  void deadLetter() {
    deadLetters.incrementAndGet();
  }

  void subscriptionUpdate() {
    subscriptionUpdates.incrementAndGet();
  }

  void undecodableSubscription() {
    undecodableSubscriptions.incrementAndGet();
  }

  @Override
  public String toString() {
    return "FanoutMetrics[eventsIn=" + eventsIn + ", deliveriesOut=" + deliveriesOut + ", deadLetters="
        + deadLetters + ", subscriptionUpdates=" + subscriptionUpdates + ", undecodableSubscriptions="
        + undecodableSubscriptions + "]";
  }

  /**
   * Registers {@code webhooks_fanout_events_total}, {@code webhooks_fanout_deliveries_total},
   * {@code webhooks_fanout_dead_letters_total}, {@code webhooks_fanout_subscription_updates_total},
   * {@code webhooks_fanout_filter_evaluations_total{result}} ({@code matched}, {@code not_matched}) and
   * {@code webhooks_fanout_filter_errors_total{reason}} (one of {@link #FILTER_ERROR_REASONS}).
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("webhooks.fanout.events", this, FanoutMetrics::eventsIn)
        .description("Events read by the fanout (call events and operational events)").register(registry);
    FunctionCounter.builder("webhooks.fanout.deliveries", this, FanoutMetrics::deliveriesOut)
        .description("Delivery tasks written, one per matching subscription").register(registry);
    FunctionCounter.builder("webhooks.fanout.dead.letters", this, FanoutMetrics::deadLetters)
        .description("Call-event records dead-lettered as undecodable").register(registry);
    FunctionCounter.builder("webhooks.fanout.threads.replaced", this, FanoutMetrics::threadsReplaced)
        .description("Stream threads that failed and were replaced").register(registry);
    FunctionCounter.builder("webhooks.fanout.subscription.updates", this, FanoutMetrics::subscriptionUpdates)
        .description("Subscription records applied to the fanout's store").register(registry);
    FunctionCounter.builder("webhooks.fanout.filter.evaluations", this, FanoutMetrics::filtersMatched)
        .tag("result", "matched")
        .description("Filter evaluations that returned true or false").register(registry);
    FunctionCounter.builder("webhooks.fanout.filter.evaluations", this, FanoutMetrics::filtersNotMatched)
        .tag("result", "not_matched")
        .description("Filter evaluations that returned true or false").register(registry);
    for (String reason : FILTER_ERROR_REASONS) {
      FunctionCounter.builder("webhooks.fanout.filter.errors", this, m -> m.filterErrors(reason))
          .tag("reason", reason)
          .description("Filter evaluations that failed; the event was not delivered to that subscription")
          .register(registry);
    }
  }
}
