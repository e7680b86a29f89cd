package org.webhooks.scheduler;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of one retry scheduler, safe to read from any thread. */
public final class SchedulerMetrics implements MeterBinder {

  private final LongAdder forwarded = new LongAdder();
  private final LongAdder undecodable = new LongAdder();
  private final AtomicLong maxLatenessMs = new AtomicLong();
  private final List<Timer> lateness = new CopyOnWriteArrayList<>();

  SchedulerMetrics() {}

  /** @return tasks forwarded to {@code webhook-deliveries} since start. */
  public long forwarded() {
    return forwarded.sum();
  }

  /** @return retry records that could not be decoded (each dead-lettered). */
  public long undecodableRecords() {
    return undecodable.sum();
  }

  /** @return the latest a task was forwarded after its due time, ms. */
  public long maxLatenessMs() {
    return maxLatenessMs.get();
  }

  void forwarded(String topic, Duration late) {
    forwarded.increment();
    long ms = Math.max(0, late.toMillis());
    maxLatenessMs.accumulateAndGet(ms, Math::max);
    for (Timer t : lateness) {
      t.record(Duration.ofMillis(ms));
    }
  }

  void undecodable() {
    undecodable.increment();
  }

  /**
   * Registers {@code webhooks_retry_forwarded_total}, {@code webhooks_retry_undecodable_total} and the
   * histogram {@code webhooks_retry_lateness_seconds}: how long after its due time each task was
   * forwarded (the time its partition took to be resumed, read and committed).
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("webhooks.retry.forwarded", this, SchedulerMetrics::forwarded)
        .description("Retry tasks forwarded to webhook-deliveries once due").register(registry);
    FunctionCounter.builder("webhooks.retry.undecodable", this, SchedulerMetrics::undecodableRecords)
        .description("Retry records that could not be decoded and were dead-lettered").register(registry);
    lateness.add(Timer.builder("webhooks.retry.lateness")
        .description("Time from a retry's due time to its forwarding")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofMinutes(5))
        .register(registry));
  }
}
