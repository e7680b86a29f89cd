package org.webhooks.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.embedded.StackLock;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code up}: the whole platform in one JVM until Ctrl-C. Without configured servers it starts the
 * embedded broker (127.0.0.1:9092, controller 9093) and registry (127.0.0.1:8081) on the data dir
 * and writes {@code <data dir>/stack.properties} so that other commands find them.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start the stack (embedded broker and registry unless configured) and the services until Ctrl-C.")
final class UpCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    WebhooksConfig config = SettingsOptions.resolve(spec);
    List<String> services = Services.parse(config.get(Setting.SERVICES));
    // Before logging or anything else slow starts: a command run right after `up &` then finds the data
    // dir locked and waits for the stack, instead of finding nothing yet and saying that none runs.
    StackLock lock = config.bootstrapServers().isEmpty() ? StackLock.acquire(config.dataDir()) : null;
    try (ServiceHost host = new ServiceHost()) {
      if (lock != null) {
        EmbeddedStack stack = EmbeddedStack.start(lock, config.kafkaPort(), config.controllerPort(),
            config.registryPort());
        host.closeLast(stack);
        config = config.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        if (config.registryUrl().isEmpty()) {
          config = config.with(Setting.REGISTRY_URL, stack.registryUrl());
        }
      } else if (config.registryUrl().isEmpty()) {
        throw new IllegalArgumentException(Setting.REGISTRY_URL.flag()
            + ": required when --bootstrap-servers is set (only the embedded stack starts a registry)");
      }
      ProcessHttpServer ops = startServices(services, config, host);
      spec.commandLine().getOut().printf(
          "webhooks up: kafka %s, registry %s, services %s, health http://127.0.0.1:%d/health (Ctrl-C to stop)%n",
          config.bootstrapServers(), config.registryUrl(), services.isEmpty() ? "none" : String.join(",", services),
          ops.port());
      if (services.contains(Services.CONTROL_PLANE)) {
        spec.commandLine().getOut().printf("console: http://127.0.0.1:%d/ (sign in with a key from "
            + "./webhooks api-keys create --account A)%n", ops.port());
      }
      spec.commandLine().getOut().flush();
      if (!host.awaitShutdown()) {
        return Webhooks.EXIT_FAILURE;
      }
    }
    return 0;
  }

  /**
   * Creates the topics, binds the process's HTTP server, starts the services in data-path order and
   * mounts their routes: everything {@code up} runs once broker and registry are there.
   *
   * @param services the names of the services to run, in data-path order ({@link Services#parse})
   * @param config settings naming the broker and registry to use
   * @param host where the services are started, and closed with the server after them
   * @return the process's HTTP server ({@code /health}, {@code /metrics}, the API and the console)
   * @throws IllegalStateException when the HTTP port cannot be bound or a service cannot start
   */
  static ProcessHttpServer startServices(List<String> services, WebhooksConfig config, ServiceHost host) {
    KafkaClients.ensureTopics(config);
    List<Service> created = new ArrayList<>();
    for (String name : services) {
      created.add(Services.create(name, config));
    }
    // bound before the services start, so that a port in use stops nothing that runs
    ProcessHttpServer ops = ProcessHttpServer.start(created, config);
    host.closeLast(ops);
    for (Service s : created) {
      Services.mountRoutesBeforeStart(s, ops);
      host.start(s);
    }
    Services.mountRoutes(created, ops);
    return ops;
  }
}
