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
import org.webhooks.data.SubscriptionStore;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.fanout.FanoutService;
import org.webhooks.runtime.LoopCounters;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.worker.DeliveryWorker;

/**
 * The platform a bench runs against, in this JVM: an embedded stack on the bench's data dir, the
 * topics, the subscriptions (one account, every event type, subscription {@code n} to the receiver's
 * {@code /hooks/n}) and the three services. The subscriptions are saved before the services start:
 * the fanout loads every existing subscription before it processes its first event, so every event
 * meets all of them.
 */
final class BenchPlatform implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(BenchPlatform.class);
  /** The one account of every simulated call ({@code CallSimulator} with one account). */
  private static final String ACCOUNT = "acct_1";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

  private final EmbeddedStack stack;
  private final WebhooksConfig config;
  private final Map<String, String> pathOfSubscription;
  private final List<Service> services = new ArrayList<>();
  private DeliveryWorker worker;
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
   * @throws IllegalStateException when a part does not start, or the services are not ready within 120 s
   */
  static BenchPlatform start(WebhooksConfig settings, Path dataDir, BenchReceiver receiver, int subscriptions)
      throws InterruptedException {
    LOG.info("bench: starting the embedded broker and registry in {}", dataDir);
    EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0);
    WebhooksConfig config = settings.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl());
    BenchPlatform platform = new BenchPlatform(stack, config, new LinkedHashMap<>());
    try {
      KafkaClients.ensureTopics(config);
      platform.subscribe(receiver, subscriptions);
      platform.startServices(dataDir);
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

  private void startServices(Path dataDir) throws InterruptedException {
    services.add(new FanoutService(config, dataDir.resolve("fanout-state")));
    worker = new DeliveryWorker(config);
    services.add(worker);
    services.add(new RetryScheduler(config));
    for (Service s : services) {
      s.start();
    }
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!services.stream().allMatch(Service::isReady)) {
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

  /** @return the counters of the delivery worker's loop */
  LoopCounters workerLoop() {
    return worker.metrics().loopCounters();
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
    stack.close();
  }
}
