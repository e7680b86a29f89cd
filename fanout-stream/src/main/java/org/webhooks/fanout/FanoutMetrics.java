package org.webhooks.fanout;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one fanout-stream instance since it started. Read them from any thread.
 *
 * <p>Under exactly-once processing a transaction that aborts is processed again, so a counter can
 * run ahead of what was committed to the output topics; the topics are the record of truth.
 */
public final class FanoutMetrics implements MeterBinder {

  private final AtomicLong eventsIn = new AtomicLong();
  private final AtomicLong deliveriesOut = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicLong subscriptionUpdates = new AtomicLong();
  private final AtomicLong undecodableSubscriptions = new AtomicLong();
  private final AtomicLong threadsReplaced = new AtomicLong();

  /** @return records read from call-events, decodable or not. */
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
   * {@code webhooks_fanout_dead_letters_total} and {@code webhooks_fanout_subscription_updates_total}.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("webhooks.fanout.events", this, FanoutMetrics::eventsIn)
        .description("Call events read by the fanout").register(registry);
    FunctionCounter.builder("webhooks.fanout.deliveries", this, FanoutMetrics::deliveriesOut)
        .description("Delivery tasks written, one per matching subscription").register(registry);
    FunctionCounter.builder("webhooks.fanout.dead.letters", this, FanoutMetrics::deadLetters)
        .description("Call-event records dead-lettered as undecodable").register(registry);
    FunctionCounter.builder("webhooks.fanout.threads.replaced", this, FanoutMetrics::threadsReplaced)
        .description("Stream threads that failed and were replaced").register(registry);
    FunctionCounter.builder("webhooks.fanout.subscription.updates", this, FanoutMetrics::subscriptionUpdates)
        .description("Subscription records applied to the fanout's store").register(registry);
  }
}
