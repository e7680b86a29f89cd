package org.webhooks.launcher;

import java.util.ArrayList;
import java.util.List;
import org.webhooks.controlplane.ControlPlane;
import org.webhooks.fanout.FanoutService;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.worker.DeliveryWorker;

/** The services the launcher can run, by name, in data-path order. */
final class Services {

  static final String FANOUT_STREAM = "fanout-stream";
  static final String DELIVERY_WORKER = "delivery-worker";
  static final String RETRY_SCHEDULER = "retry-scheduler";
  static final String CONTROL_PLANE = ControlPlane.NAME;
  /** The services of the data path, which the demo and the bench run. */
  static final List<String> ALL = List.of(FANOUT_STREAM, DELIVERY_WORKER, RETRY_SCHEDULER);
  /** What {@code up --services all} runs: the data path and the control plane. */
  static final List<String> UP_ALL = List.of(FANOUT_STREAM, DELIVERY_WORKER, RETRY_SCHEDULER, CONTROL_PLANE);

  private Services() {}

  /**
   * @param value {@code all}, {@code none}, or a comma-separated list of service names
   * @return the names, in data-path order
   * @throws IllegalArgumentException naming {@code --services} and the unknown name
   */
  static List<String> parse(String value) {
    String v = value == null ? "all" : value.trim();
    if (v.equals("all")) {
      return UP_ALL;
    }
    if (v.equals("none")) {
      return List.of();
    }
    List<String> wanted = new ArrayList<>();
    for (String part : v.split(",")) {
      String name = part.trim();
      if (!UP_ALL.contains(name)) {
        throw new IllegalArgumentException(Setting.SERVICES.flag() + ": unknown service '" + name
            + "' (known: all, none, " + String.join(", ", UP_ALL) + ")");
      }
      wanted.add(name);
    }
    return UP_ALL.stream().filter(wanted::contains).toList();
  }

  /** @return a new, not yet started service. */
  static Service create(String name, WebhooksConfig config) {
    return switch (name) {
      case FANOUT_STREAM -> new FanoutService(config, config.dataDir().resolve("fanout-state"));
      case DELIVERY_WORKER -> new DeliveryWorker(config);
      case RETRY_SCHEDULER -> new RetryScheduler(config);
      case CONTROL_PLANE -> new ControlPlane(config);
      default -> throw new IllegalArgumentException("unknown service " + name);
    };
  }

  /**
   * Mounts the routes of the started services that serve HTTP (the control plane) on the process's
   * one server.
   */
  static void mountRoutes(List<Service> started, ProcessHttpServer server) {
    for (Service s : started) {
      if (s instanceof ControlPlane controlPlane) {
        controlPlane.mount(server.vertx(), server.router());
      }
    }
  }
}
