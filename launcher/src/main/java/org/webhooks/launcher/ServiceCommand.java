package org.webhooks.launcher;

import java.util.List;
import java.util.concurrent.Callable;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * One service as its own process, against configured or running infrastructure; operators scale a
 * service by running more of these (each is one member of that service's consumer group).
 */
abstract class ServiceCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  abstract String serviceName();

  @Override
  public Integer call() throws Exception {
    WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
    KafkaClients.ensureTopics(config);
    try (ServiceHost host = new ServiceHost()) {
      // the HTTP port is bound before the service starts: a port in use then stops this process
      // before its worker, starting with the same instance id, could fence a running one
      Service service = Services.create(serviceName(), config);
      ProcessHttpServer server = ProcessHttpServer.start(List.of(service), config);
      host.closeLast(server);
      Services.mountRoutesBeforeStart(service, server);
      host.start(service);
      Services.mountRoutes(List.of(service), server);
      return host.awaitShutdown() ? 0 : Webhooks.EXIT_FAILURE;
    }
  }

  /** {@code fanout-stream}. */
  @Command(name = "fanout-stream", mixinStandardHelpOptions = true,
      description = "Run the fanout stream: call events to delivery tasks.")
  static final class FanoutStream extends ServiceCommand {
    @Override
    String serviceName() {
      return Services.FANOUT_STREAM;
    }
  }

  /** {@code delivery-worker}. */
  @Command(name = "delivery-worker", mixinStandardHelpOptions = true,
      description = "Run a delivery worker: signed POSTs to endpoints.")
  static final class DeliveryWorker extends ServiceCommand {
    @Override
    String serviceName() {
      return Services.DELIVERY_WORKER;
    }
  }

  /** {@code retry-scheduler}. */
  @Command(name = "retry-scheduler", mixinStandardHelpOptions = true,
      description = "Run the retry scheduler: holds retry tiers until due, forwards them to deliveries.")
  static final class RetryScheduler extends ServiceCommand {
    @Override
    String serviceName() {
      return Services.RETRY_SCHEDULER;
    }
  }

  /** {@code delivery-stats}. */
  @Command(name = "delivery-stats", mixinStandardHelpOptions = true,
      description = "Run delivery statistics: per-endpoint counts, latency, health and attempt index from "
          + "webhook-attempts; operational events; auto-disable.")
  static final class DeliveryStats extends ServiceCommand {
    @Override
    String serviceName() {
      return Services.DELIVERY_STATS;
    }
  }

  /** {@code control-plane}. */
  @Command(name = "control-plane", mixinStandardHelpOptions = true,
      description = "Run the control plane: the REST API (/v1, /openapi.json) beside /health and /metrics.")
  static final class ControlPlane extends ServiceCommand {
    @Override
    String serviceName() {
      return Services.CONTROL_PLANE;
    }
  }
}
