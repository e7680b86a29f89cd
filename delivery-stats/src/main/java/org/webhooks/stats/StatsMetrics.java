package org.webhooks.stats;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.webhooks.schemas.OperationalEventTypes;
import org.webhooks.schemas.avro.OperationalEventType;

/**
 * Meters of one delivery-stats instance, aggregate only: a label per endpoint would give Prometheus a
 * series per subscription, so per-endpoint figures live in the stores and the operational events.
 * Read them from any thread.
 *
 * <p>Under exactly-once processing an aborted transaction is processed again, so counters can run
 * ahead of the topics, which are the record of truth.
 */
public final class StatsMetrics implements MeterBinder {

  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicLong threadsReplaced = new AtomicLong();
  private final AtomicLong queriesForwarded = new AtomicLong();
  private final Map<OperationalEventType, AtomicLong> events = new EnumMap<>(OperationalEventType.class);
  /** Per stream task: endpoints failing and endpoints with an open circuit, as of its last evaluation. */
  private final Map<String, long[]> endpointsByTask = new ConcurrentHashMap<>();

  public StatsMetrics() {
    for (OperationalEventType t : OperationalEventType.values()) {
      events.put(t, new AtomicLong());
    }
  }

  /** @return attempt records read, decodable or not. */
  public long attempts() {
    return attempts.get();
  }

  /** @return attempt and match verdict records that could not be decoded and went to the dead-letter topic. */
  public long deadLetters() {
    return deadLetters.get();
  }

  /** @return queries this instance forwarded to the instance holding their key. */
  public long queriesForwarded() {
    return queriesForwarded.get();
  }

  /** @return operational events of this type written. */
  public long events(OperationalEventType type) {
    return events.get(type).get();
  }

  /** @return endpoints of this instance whose endpoint.failing holds (no endpoint.recovered yet). */
  public long endpointsFailing() {
    return endpointsByTask.values().stream().mapToLong(c -> c[0]).sum();
  }

  /** @return endpoints of this instance whose circuit is open, as inferred from their attempts. */
  public long endpointsCircuitOpen() {
    return endpointsByTask.values().stream().mapToLong(c -> c[1]).sum();
  }

  void attemptRead() {
    attempts.incrementAndGet();
  }

  void deadLetter() {
    deadLetters.incrementAndGet();
  }

  void event(OperationalEventType type) {
    events.get(type).incrementAndGet();
  }

  void queryForwarded() {
    queriesForwarded.incrementAndGet();
  }

  void threadReplaced() {
    threadsReplaced.incrementAndGet();
  }

  /** Records what a task's last evaluation counted; {@link #taskClosed} forgets it when the task moves. */
  void taskEndpoints(String taskId, long failing, long circuitOpen) {
    endpointsByTask.put(taskId, new long[] {failing, circuitOpen});
  }

  void taskClosed(String taskId) {
    endpointsByTask.remove(taskId);
  }

  /**
   * Registers {@code webhooks_stats_attempts_total}, {@code webhooks_stats_dead_letters_total},
   * {@code webhooks_stats_threads_replaced_total}, {@code webhooks_stats_queries_forwarded_total},
   * {@code webhooks_operational_events_total{type}},
   * {@code webhooks_stats_endpoints_failing} and {@code webhooks_stats_endpoints_circuit_open}.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("webhooks.stats.attempts", this, StatsMetrics::attempts)
        .description("Attempt records read by delivery-stats").register(registry);
    FunctionCounter.builder("webhooks.stats.dead.letters", this, StatsMetrics::deadLetters)
        .description("Attempt and match verdict records delivery-stats could not decode (dead-lettered)")
        .register(registry);
    FunctionCounter.builder("webhooks.stats.threads.replaced", this, m -> m.threadsReplaced.get())
        .description("delivery-stats stream threads that failed and were replaced").register(registry);
    FunctionCounter.builder("webhooks.stats.queries.forwarded", this, StatsMetrics::queriesForwarded)
        .description("Queries forwarded to the delivery-stats instance holding their key").register(registry);
    for (OperationalEventType t : OperationalEventType.values()) {
      if (t != OperationalEventType.UNKNOWN) {
        FunctionCounter.builder("webhooks.operational.events", this, m -> m.events(t))
            .description("Operational events written, by type").tag("type", OperationalEventTypes.wireName(t))
            .register(registry);
      }
    }
    Gauge.builder("webhooks.stats.endpoints.failing", this, StatsMetrics::endpointsFailing)
        .description("Endpoints in endpoint.failing (no endpoint.recovered yet), as of the last evaluation")
        .register(registry);
    Gauge.builder("webhooks.stats.endpoints.circuit.open", this, StatsMetrics::endpointsCircuitOpen)
        .description("Endpoints whose circuit is open, inferred from deferred attempts").register(registry);
  }

  @Override
  public String toString() {
    return "StatsMetrics[attempts=" + attempts + ", deadLetters=" + deadLetters + ", events=" + events + "]";
  }
}
