package org.webhooks.controlplane;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The control plane's meters: {@code webhooks_control_plane_requests_total{method,route,status}}
 * (route is the template, such as {@code /v1/webhooks/:id}, so ids never become labels),
 * {@code webhooks_control_plane_test_events_total{outcome}} and
 * {@code webhooks_control_plane_secrets_removed_total} (expired secrets taken out of records).
 * Counts made before the meters are bound to a registry are not kept.
 */
final class ControlPlaneMetrics implements MeterBinder {

  private final AtomicReference<MeterRegistry> registry = new AtomicReference<>();

  @Override
  public void bindTo(MeterRegistry r) {
    registry.set(r);
  }

  void request(String method, String route, int status) {
    MeterRegistry r = registry.get();
    if (r != null) {
      Counter.builder("webhooks.control.plane.requests").description("Control plane API requests answered")
          .tag("method", method).tag("route", route).tag("status", Integer.toString(status)).register(r).increment();
    }
  }

  void testEvent(String outcome) {
    MeterRegistry r = registry.get();
    if (r != null) {
      Counter.builder("webhooks.control.plane.test.events").description("Test events sent, by outcome")
          .tag("outcome", outcome).register(r).increment();
    }
  }

  void secretsRemoved(int n) {
    MeterRegistry r = registry.get();
    if (r != null) {
      Counter.builder("webhooks.control.plane.secrets.removed")
          .description("Expired signing secrets removed from subscription records").register(r).increment(n);
    }
  }
}
