package org.webhooks.launcher;

import java.util.ArrayList;
import java.util.List;
import org.webhooks.controlplane.ControlPlane;
import org.webhooks.fanout.FanoutService;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.stats.DeliveryStatsService;
import org.webhooks.worker.DeliveryWorker;

/** The services the launcher can run, by name, in data-path order. */
final class Services {

  static final String FANOUT_STREAM = "fanout-stream";
  static final String DELIVERY_WORKER = "delivery-worker";
  static final String RETRY_SCHEDULER = "retry-scheduler";
  static final String DELIVERY_STATS = DeliveryStatsService.NAME;
  static final String CONTROL_PLANE = ControlPlane.NAME;
  /** The services that deliver events: what demo and bench run. */
  static final List<String> PIPELINE = List.of(FANOUT_STREAM, DELIVERY_WORKER, RETRY_SCHEDULER);
  /** Every service, in data-path order: what {@code up --services all} runs. */
  static final List<String> ALL = List.of(FANOUT_STREAM, DELIVERY_WORKER, RETRY_SCHEDULER, DELIVERY_STATS,
      CONTROL_PLANE);

  private Services() {}

  /**
   * @param value {@code all}, {@code none}, or a comma-separated list of service names
   * @return the names, in data-path order
   * @throws IllegalArgumentException naming {@code --services} and the unknown name
   */
  static List<String> parse(String value) {
    String v = value == null ? "all" : value.trim();
    if (v.equals("all")) {
      return ALL;
    }
    if (v.equals("none")) {
      return List.of();
    }
    List<String> wanted = new ArrayList<>();
    for (String part : v.split(",")) {
      String name = part.trim();
      if (!ALL.contains(name)) {
        throw new IllegalArgumentException(Setting.SERVICES.flag() + ": unknown service '" + name
            + "' (known: all, none, " + String.join(", ", ALL) + ")");
      }
      wanted.add(name);
    }
    return ALL.stream().filter(wanted::contains).toList();
  }

  /** @return a new, not yet started service. */
  static Service create(String name, WebhooksConfig config) {
    return switch (name) {
      case FANOUT_STREAM -> new FanoutService(config, config.dataDir().resolve("fanout-state"));
      case DELIVERY_WORKER -> new DeliveryWorker(config);
      case RETRY_SCHEDULER -> new RetryScheduler(config);
      case DELIVERY_STATS -> new DeliveryStatsService(config, config.dataDir().resolve("delivery-stats-state"));
      case CONTROL_PLANE -> new ControlPlane(config);
      default -> throw new IllegalArgumentException("unknown service " + name);
    };
  }

  /**
   * Mounts the routes a service serves on the process's HTTP server that must exist before it starts:
   * the internal query routes of delivery-stats, which also become its {@code application.server}.
   */
  static void mountRoutesBeforeStart(Service service, ProcessHttpServer http) {
    if (service instanceof DeliveryStatsService stats) {
      stats.serveQueries(http.router(), http.port());
    }
  }

  /**
   * Mounts the routes of the started services that serve HTTP once started (the control plane) on
   * the process's one server. A control plane beside delivery-stats in the same process answers the
   * monitoring routes from it; alone, from the delivery-stats processes of {@code WEBHOOKS_STATS_URL}.
   */
  static void mountRoutes(List<Service> started, ProcessHttpServer server) {
    DeliveryStatsService stats = null;
    for (Service s : started) {
      if (s instanceof DeliveryStatsService d) {
        stats = d;
      }
    }
    for (Service s : started) {
      if (s instanceof ControlPlane controlPlane) {
        if (stats != null) {
          controlPlane.useStats(stats::queries);
        }
        controlPlane.mount(server.vertx(), server.router());
      }
    }
  }
}
