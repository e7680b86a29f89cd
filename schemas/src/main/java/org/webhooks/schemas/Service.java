package org.webhooks.schemas;

import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Optional;

/**
 * A long-running service of the platform (fanout-stream, delivery-worker, ...): started once,
 * closed once. Each service is its own consumer group so operators scale each on its own.
 */
public interface Service extends AutoCloseable {

  /** @return the service's name, e.g. {@code delivery-worker}. */
  String name();

  /**
   * Starts the service's threads and returns.
   *
   * @throws IllegalStateException when it cannot start (broker or registry unreachable)
   */
  void start();

  /** @return true once its Kafka clients are running and assigned; for health checks. */
  boolean isReady();

  /**
   * @return why the service stopped on its own and cannot go on (fenced by a newer instance with
   *     the same id, a stream thread that cannot be replaced); empty while it runs or after
   *     {@link #close()}. The host process then stops, so that its supervisor starts it again.
   */
  default Optional<String> failure() {
    return Optional.empty();
  }

  /**
   * @return the service's own meters (counters, gauges, histograms), bound by the host process into
   *     the registry it exposes at {@code /metrics}
   */
  MeterBinder metrics();

  /** Stops the service, finishing or abandoning in-flight work without losing it. Idempotent. */
  @Override
  void close();
}
