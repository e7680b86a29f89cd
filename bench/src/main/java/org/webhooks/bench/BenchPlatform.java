package org.webhooks.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import org.webhooks.controlplane.ControlPlane;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.fanout.FanoutService;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.DeliveryStatsService;
import org.webhooks.worker.DeliveryWorker;
import org.webhooks.worker.WorkerMetrics;

/**
 * The platform a bench runs against, in this JVM: an embedded stack on the bench's data dir, the
 * topics, the subscriptions (one account, every event type, subscription {@code n} to the receiver's
 * {@code /hooks/n}) and the services {@code WEBHOOKS_SERVICES} names, as {@code up} would run them
 * (all five by default; the fanout and the worker at least). The subscriptions are saved before the
 * services start: the fanout loads every existing subscription before it processes its first event,
 * so every event meets all of them. The control plane's routes are mounted on a router no server
 * listens on: it reads its topics as in {@code up}, and nothing calls it.
 */
final class BenchPlatform implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BenchPlatform.class);
  /** The one account of every simulated call ({@code CallSimulator} with one account). */
  private static final String ACCOUNT = "acct_1";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final EmbeddedStack stack;
  private final WebhooksConfig config;
  private final Map<String, String> pathOfSubscription;
  /** What {@code --services all} runs, in data-path order: what {@code up} runs. */
  static final List<String> ALL_SERVICES = List.of(FanoutService.NAME, DeliveryWorker.NAME, RetryScheduler.NAME,
      DeliveryStatsService.NAME, ControlPlane.NAME);

  private final List<Service> services = new ArrayList<>();
  private FanoutService fanout;
  private DeliveryWorker worker;
  private ControlPlane controlPlane;
  private Vertx routerVertx;
  private boolean closed;

  private BenchPlatform(EmbeddedStack stack, WebhooksConfig config, Map<String, String> pathOfSubscription) {
    this.stack = stack;
    this.config = config;
    this.pathOfSubscription = pathOfSubscription;
  }

  /**
   * Starts everything and returns once every service is ready.
   *
   * @param settings the bench's settings, data dir included
   * @param subscriptions how many subscriptions to save
   * @param workerLater start every service but the worker, which {@link #startWorker()} starts
   * @throws IllegalStateException when a part does not start, or the services are not ready within 120 s
   */
  static BenchPlatform start(WebhooksConfig settings, Path dataDir, BenchReceiver receiver, int subscriptions,
      boolean workerLater) throws InterruptedException {
    LOG.info("bench: starting the embedded broker and registry in {}", dataDir);
    EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0);
    WebhooksConfig config = settings.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl());
    BenchPlatform platform = new BenchPlatform(stack, config, new LinkedHashMap<>());
    try {
      KafkaClients.ensureTopics(config);
      platform.subscribe(receiver, subscriptions);
      platform.startServices(dataDir, workerLater);
      return platform;
    } catch (RuntimeException | InterruptedException e) {
      platform.close();
      throw e;
    }
  }

  private void subscribe(BenchReceiver receiver, int count) {
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      for (int i = 0; i < count; i++) {
        Subscription s = SubscriptionRules.newSubscription(ACCOUNT, receiver.hookUrl(i), EventTypes.ALL,
            null, null, config.targetPolicy(), Instant.now());
        store.save(s);
        pathOfSubscription.put(s.getId(), BenchReceiver.HOOKS_PATH + i);
      }
    }
  }

  /**
   * @param value {@code all}, or a comma-separated list of service names
   * @return the services to run, in data-path order
   * @throws IllegalArgumentException naming {@code --services} when a name is unknown, or the fanout
   *     or the worker is missing
   */
  static List<String> services(String value) {
    String v = value == null ? "all" : value.trim();
    if (v.equals("all")) {
      return ALL_SERVICES;
    }
    List<String> wanted = new ArrayList<>();
    for (String part : v.split(",")) {
      String name = part.trim();
      if (!ALL_SERVICES.contains(name)) {
        throw new IllegalArgumentException(Setting.SERVICES.flag() + ": bench runs all or a list of "
            + String.join(", ", ALL_SERVICES) + ", not '" + name + "'");
      }
      wanted.add(name);
    }
    if (!wanted.contains(FanoutService.NAME) || !wanted.contains(DeliveryWorker.NAME)) {
      throw new IllegalArgumentException(Setting.SERVICES.flag() + ": bench needs at least "
          + FanoutService.NAME + " and " + DeliveryWorker.NAME);
    }
    return ALL_SERVICES.stream().filter(wanted::contains).toList();
  }

  private void startServices(Path dataDir, boolean workerLater) throws InterruptedException {
    for (String name : services(config.get(Setting.SERVICES))) {
      Service service = switch (name) {
        case FanoutService.NAME -> fanout = new FanoutService(config, dataDir.resolve("fanout-state"));
        case DeliveryWorker.NAME -> worker = new DeliveryWorker(config);
        case RetryScheduler.NAME -> new RetryScheduler(config);
        case DeliveryStatsService.NAME -> new DeliveryStatsService(config, dataDir.resolve("delivery-stats-state"));
        case ControlPlane.NAME -> controlPlane = new ControlPlane(config);
        default -> throw new IllegalStateException("unknown service " + name);
      };
      services.add(service);
    }
    for (Service s : services) {
      if (!(workerLater && s == worker)) {
        s.start();
      }
    }
    if (controlPlane != null) {
      routerVertx = Vertx.vertx();
      controlPlane.mount(routerVertx, Router.router(routerVertx));
    }
    awaitReady(services.stream().filter(s -> !(workerLater && s == worker)).toList());
  }

  /**
   * Starts the worker held back by {@link #start}'s {@code workerLater}: the deliveries written
   * meanwhile are a backlog waiting for it.
   */
  void startWorker() throws InterruptedException {
    worker.start();
    awaitReady(List.of(worker));
  }

  private static void awaitReady(List<Service> starting) throws InterruptedException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!starting.stream().allMatch(Service::isReady)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the services did not become ready within " + READY_TIMEOUT.toSeconds()
            + " s");
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** @return the settings that reach this platform: the bench's, with the stack's servers */
  WebhooksConfig config() {
    return config;
  }

  /** @return the receiver path of each subscription id, {@code /hooks/n}, in the order saved */
  Map<String, String> pathOfSubscription() {
    return pathOfSubscription;
  }

  /** @return deliveries the fanout wrote since it started (committed or not) */
  long deliveriesWritten() {
    return fanout.metrics().deliveriesOut();
  }

  /** @return the names of the services running */
  List<String> serviceNames() {
    return services.stream().map(Service::name).toList();
  }

  /** @return the delivery worker's meters: requests in flight, tasks waiting */
  WorkerMetrics workerMetrics() {
    return worker.metrics();
  }

  /** @return the PID of the registry child */
  long registryPid() {
    return stack.registry().pid();
  }

  /** Stops the services in reverse order of start, then the stack. Calling it again does nothing. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = services.size() - 1; i >= 0; i--) {
      try {
        services.get(i).close();
      } catch (RuntimeException e) {
        LOG.warn("{} did not stop cleanly: {}", services.get(i).name(), e.toString());
      }
    }
    if (routerVertx != null) {
      routerVertx.close();
    }
    stack.close();
  }
}
