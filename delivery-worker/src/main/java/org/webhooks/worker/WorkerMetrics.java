package org.webhooks.worker;

import org.webhooks.client.AttemptResult;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.webhooks.runtime.LoopCounters;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * Counters of one delivery worker, safe to read from any thread. Counts are of attempts made by
 * this instance since it started, including attempts whose records were later abandoned because
 * their partition moved to another instance (the HTTP request happened all the same).
 */
public final class WorkerMetrics implements MeterBinder {

  private final Map<AttemptOutcome, LongAdder> attempts = new EnumMap<>(AttemptOutcome.class);
  /** The gauges and counters of each owner loop, summed here. */
  private final List<Loop> loops = new CopyOnWriteArrayList<>();
  private final LongAdder latencyCount = new LongAdder();
  private final LongAdder latencySumMs = new LongAdder();
  private final AtomicLong latencyMaxMs = new AtomicLong();
  private final LongAdder deadLetters = new LongAdder();
  private final LongAdder undecodable = new LongAdder();
  private final LongAdder retries = new LongAdder();
  private final LongAdder disabled = new LongAdder();
  private final LongAdder circuitsOpened = new LongAdder();
  /** Latency histograms of the registries this is bound to (usually one). */
  private final List<Timer> latencyTimers = new CopyOnWriteArrayList<>();

  WorkerMetrics() {
    for (AttemptOutcome o : AttemptOutcome.values()) {
      attempts.put(o, new LongAdder());
    }
  }

  /** @return attempts that ended with {@code outcome}. */
  public long attempts(AttemptOutcome outcome) {
    return attempts.get(outcome).sum();
  }

  /** @return attempts of every outcome. */
  public long attemptsTotal() {
    return attempts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /**
   * What one owner loop reports: its gauges (set by its thread) and its loop's counters. Counts of
   * attempts, retries and the like go to the worker's totals.
   */
  final class Loop {
    private final LoopCounters counters;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger waiting = new AtomicInteger();
    private final AtomicInteger circuitsOpen = new AtomicInteger();

    private Loop(LoopCounters counters) {
      this.counters = counters;
    }

    /** @return the worker's totals, where this loop's counts go */
    WorkerMetrics worker() {
      return WorkerMetrics.this;
    }

    void inFlight(int value) {
      inFlight.set(value);
    }

    void waiting(int value) {
      waiting.set(value);
    }

    void circuitsOpen(int value) {
      circuitsOpen.set(value);
    }
  }

  /** @return the share of one more owner loop, whose loop counters are {@code counters} */
  Loop addLoop(LoopCounters counters) {
    Loop loop = new Loop(counters);
    loops.add(loop);
    return loop;
  }

  /** @return HTTP requests sent and not yet answered, failed or timed out. */
  public int inFlight() {
    return loops.stream().mapToInt(l -> l.inFlight.get()).sum();
  }

  /**
   * @return tasks received and not yet sent: held until due, waiting for a free slot of their
   *     endpoint or of the worker, or waiting for the subscription view to catch up
   */
  public int waiting() {
    return loops.stream().mapToInt(l -> l.waiting.get()).sum();
  }

  /** @return attempts that made an HTTP request (or tried to), i.e. that have a latency. */
  public long attemptLatencyCount() {
    return latencyCount.sum();
  }

  /** @return sum of those attempts' latencies, ms; divide by the count for the mean. */
  public long attemptLatencySumMs() {
    return latencySumMs.sum();
  }

  /** @return the longest attempt latency seen, ms. */
  public long attemptLatencyMaxMs() {
    return latencyMaxMs.get();
  }

  /** @return dead letters written: EXHAUSTED tasks and UNDECODABLE records. */
  public long deadLetters() {
    return deadLetters.sum();
  }

  /** @return delivery records that could not be decoded (each also counted as a dead letter). */
  public long undecodableRecords() {
    return undecodable.sum();
  }

  /** @return transactions committed (attempts, dead letters and consumer offsets together). */
  public long transactionsCommitted() {
    return loops.stream().mapToLong(l -> l.counters.transactionsCommitted()).sum();
  }

  /** @return failed attempts followed by a retry (a task written to a retry tier or back to deliveries). */
  public long retriesScheduled() {
    return retries.sum();
  }

  /** @return subscriptions disabled by this worker (the endpoint answered 410 Gone). */
  public long subscriptionsDisabled() {
    return disabled.sum();
  }

  /** @return times an endpoint's circuit opened (from closed, or after a failed probe). */
  public long circuitsOpened() {
    return circuitsOpened.sum();
  }

  /** @return endpoints whose circuit is open or half-open now. */
  public int circuitsOpen() {
    return loops.stream().mapToInt(l -> l.circuitsOpen.get()).sum();
  }

  /**
   * @return times a transaction failed and the worker went back to its last committed offsets
   *     (the records since then are delivered again)
   */
  public long rewinds() {
    return loops.stream().mapToLong(l -> l.counters.rewinds()).sum();
  }

  /**
   * @return tasks not sent because the partition's previous owner had already written their
   *     outcome (read from its commit metadata after a hand-over)
   */
  public long tasksSkipped() {
    return loops.stream().mapToLong(l -> l.counters.finishedEarlier()).sum();
  }

  /** @return time the worker's commits took, all loops together, ns */
  public long commitNanos() {
    return loops.stream().mapToLong(l -> l.counters.commitNanos()).sum();
  }

  /** @return times the worker's owner threads were woken from their poll to take HTTP completions */
  public long wakeups() {
    return loops.stream().mapToLong(l -> l.counters.wakeups()).sum();
  }

  /** @return the owner loops running, at most one per partition being useful */
  public int loopCount() {
    return loops.size();
  }

  void retryScheduled() {
    retries.increment();
  }

  void disabled() {
    disabled.increment();
  }

  void circuitOpened() {
    circuitsOpened.increment();
  }

  void attempt(AttemptResult result, boolean madeRequest) {
    attempts.get(result.outcome()).increment();
    if (madeRequest) {
      latencyCount.increment();
      latencySumMs.add(result.latencyMs());
      latencyMaxMs.accumulateAndGet(result.latencyMs(), Math::max);
      for (Timer t : latencyTimers) {
        t.record(result.latencyMs(), TimeUnit.MILLISECONDS);
      }
    }
  }

  void deadLetter() {
    deadLetters.increment();
  }

  void undecodable() {
    undecodable.increment();
  }

  /**
   * Registers {@code webhooks_deliveries_total{outcome}} (one per attempt), the attempt latency
   * histogram {@code webhooks_attempt_latency_seconds} (requests actually sent), the gauges
   * {@code webhooks_requests_in_flight} and {@code webhooks_deliveries_waiting}, and
   * {@code webhooks_worker_dead_letters_total}.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    for (AttemptOutcome outcome : AttemptOutcome.values()) {
      FunctionCounter.builder("webhooks.deliveries", this, m -> m.attempts(outcome))
          .description("Delivery attempts by outcome").tag("outcome", outcome.name().toLowerCase(java.util.Locale.ROOT))
          .register(registry);
    }
    latencyTimers.add(Timer.builder("webhooks.attempt.latency")
        .description("Time from sending a delivery request to the end of its response")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1))
        .maximumExpectedValue(Duration.ofSeconds(60))
        .register(registry));
    Gauge.builder("webhooks.requests.in.flight", this, WorkerMetrics::inFlight)
        .description("Delivery requests sent and not yet answered").register(registry);
    Gauge.builder("webhooks.deliveries.waiting", this, WorkerMetrics::waiting)
        .description("Tasks held for an endpoint's in-flight cap or a future due time").register(registry);
    FunctionCounter.builder("webhooks.worker.tasks.skipped", this, WorkerMetrics::tasksSkipped)
        .description("Tasks not sent again after a partition hand-over: the previous owner had written their outcome")
        .register(registry);
    FunctionCounter.builder("webhooks.worker.dead.letters", this, WorkerMetrics::deadLetters)
        .description("Deliveries dead-lettered by the worker").register(registry);
    FunctionCounter.builder("webhooks.worker.retries", this, WorkerMetrics::retriesScheduled)
        .description("Failed attempts followed by a retry").register(registry);
    FunctionCounter.builder("webhooks.worker.subscriptions.disabled", this, WorkerMetrics::subscriptionsDisabled)
        .description("Subscriptions disabled because their endpoint answered 410 Gone").register(registry);
    FunctionCounter.builder("webhooks.worker.circuits.opened", this, WorkerMetrics::circuitsOpened)
        .description("Times an endpoint's circuit opened").register(registry);
    Gauge.builder("webhooks.worker.circuits.open", this, WorkerMetrics::circuitsOpen)
        .description("Endpoints whose circuit is open or half-open").register(registry);
  }
}
