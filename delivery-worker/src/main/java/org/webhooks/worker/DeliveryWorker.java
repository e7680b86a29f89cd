package org.webhooks.worker;

import org.webhooks.client.EndpointClient;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SecretsCipher;
import org.webhooks.data.SubscriptionCodec;
import org.webhooks.data.SubscriptionView;
import org.webhooks.runtime.LoopClients;
import org.webhooks.runtime.TransactionalLoop;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The delivery worker service: a consumer group ({@code <prefix>delivery-worker}) that reads
 * {@code DeliveryTask}s from {@code webhook-deliveries}, POSTs each, signed, to its subscription's
 * endpoint, and writes one {@code DeliveryAttempt} per attempt to {@code webhook-attempts}; a failed
 * attempt's task goes to the retry tier of the schedule's next delay ({@code WEBHOOKS_RETRY_SCHEDULE},
 * held there by the retry scheduler), or, with no attempt left, to {@code webhook-dead-letters}
 * ({@link DeliveryProcessor} says what follows each outcome).
 *
 * <p>Guarantees (DESIGN "Guarantees"): outcomes and consumer offsets are written in one Kafka
 * transaction, offsets only up to each partition's lowest unfinished record, so a record leaves
 * {@code webhook-deliveries} only once its outcome is in {@code webhook-attempts}. HTTP is
 * at-least-once: a crash between a POST and the commit repeats the POST, which receivers drop by
 * {@code webhook-id}. The transactional id is {@code <prefix>delivery-worker-<instance id>}, stable
 * across restarts, so a restarted instance fences its predecessor and aborts its open transaction
 * at once instead of leaving {@code read_committed} readers waiting.
 *
 * <p>Bounds: {@code WEBHOOKS_MAX_IN_FLIGHT} requests in total and
 * {@code WEBHOOKS_MAX_IN_FLIGHT_PER_ENDPOINT} per subscription; at most four times the total cap of
 * unfinished tasks are held in memory, and the partitions are paused while either cap is reached.
 *
 * <p>Loops: {@code WEBHOOKS_WORKER_LOOPS} owner loops run side by side in the process, each a member
 * of the consumer group with its own consumer, transactional producer ({@link LoopClients} numbers
 * their ids) and event loops, and its share of the in-flight cap; the subscription view is shared.
 * Every task of an endpoint is in one partition, so one loop sees all of an endpoint's outcomes.
 */
public final class DeliveryWorker implements Service {

  /** The service name, also the suffix of the consumer group id. */
  public static final String NAME = "delivery-worker";
  /** How long {@link #close()} waits for requests in flight before it commits and stops. */
  public static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
  /** Unfinished tasks held in memory per request allowed in flight. */
  static final int UNFINISHED_PER_IN_FLIGHT = 4;

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);

  private final WebhooksConfig config;
  private final Clock clock;
  private final WorkerMetrics metrics = new WorkerMetrics();
  private Vertx vertx;
  private final List<EndpointClient> endpoints = new ArrayList<>();
  private volatile SubscriptionView view;
  private volatile List<TransactionalLoop<PendingDelivery>> loops = List.of();
  private final List<Thread> owners = new ArrayList<>();
  private boolean started;
  private volatile boolean closed;

  /** A worker on the system clock (UTC). */
  public DeliveryWorker(WebhooksConfig config) {
    this(config, Clock.systemUTC());
  }

  /**
   * @param config settings: Kafka and registry addresses, topic prefix, instance id, HTTP timeout,
   *     in-flight caps, allowed targets
   * @param clock the time of attempts ({@code webhook-timestamp}, {@code started_at}) and the clock
   *     against which {@code due_at} is held
   */
  public DeliveryWorker(WebhooksConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Registers the output schemas, initialises the transactional producer (fencing an earlier
   * instance with the same id), starts the subscription view and the owner thread, and returns.
   *
   * @throws IllegalStateException when started twice or after close, when no registry URL is
   *     configured, or when the broker or the registry cannot be reached
   */
  @Override
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException("a delivery worker starts once");
    }
    started = true;
    if (config.registryUrl().isEmpty()) {
      throw new IllegalStateException("no schema registry configured: set --registry-url / WEBHOOKS_REGISTRY_URL");
    }
    Topics topics = config.topics();
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    // the secrets keys first: a worker that cannot decrypt secrets must not start
    SubscriptionCodec codec = new SubscriptionCodec(registry, SecretsCipher.of(config));
    WorkerOutputs outputs = new WorkerOutputs(topics, registry, codec);
    int loopCount = config.workerLoops();
    int maxInFlight = Math.max(1, config.maxInFlight() / loopCount);
    int eventLoopsPerLoop = Math.max(1, Runtime.getRuntime().availableProcessors() / loopCount);
    List<LoopClients> clients = new ArrayList<>();
    try {
      outputs.register(registry);
      for (int i = 0; i < loopCount; i++) {
        LoopClients c = LoopClients.create(config, NAME, i);
        clients.add(c);
        c.producer().initTransactions();
      }
      vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loopCount * eventLoopsPerLoop)
          .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
              .setClassPathResolvingEnabled(false)));
      for (int i = 0; i < loopCount; i++) {
        endpoints.add(new EndpointClient(vertx, config.targetPolicy(), config.httpTimeout(), maxInFlight,
            eventLoopsPerLoop));
      }
      view = new SubscriptionView(config, codec, NAME);
      view.start();
    } catch (KafkaException | SchemaRegistryClient.RegistryException e) {
      for (LoopClients c : clients) {
        c.consumer().close(Duration.ZERO);
        c.producer().close(Duration.ZERO);
      }
      closeHttp();
      throw new IllegalStateException("delivery worker cannot start: " + e.getMessage(), e);
    }
    Duration parkTier = topics.schedule().firstNonZeroTier().orElse(null);
    // An endpoint that recovers within the schedule's span is probed within a probe delay, and its parked
    // tasks are back within a park tier after that: only then may a parked task be given up.
    Duration parkedAtMost = parkTier == null ? Duration.ZERO
        : topics.schedule().span().plus(config.circuitProbeDelay()).plus(parkTier);
    TransactionalLoop.Settings settings = new TransactionalLoop.Settings(NAME, List.of(topics.deliveries().name()),
        maxInFlight * UNFINISHED_PER_IN_FLIGHT, CLOSE_GRACE);
    SubscriptionView v = view;
    List<TransactionalLoop<PendingDelivery>> created = new ArrayList<>();
    for (int i = 0; i < loopCount; i++) {
      EndpointClient e = endpoints.get(i);
      CircuitBreaker circuits = new CircuitBreaker(config.circuitThreshold(), config.circuitProbeDelay());
      TransactionalLoop<PendingDelivery> loop = new TransactionalLoop<>(clients.get(i),
          i == 0 ? settings : settings.named(NAME + "-" + i), clock,
          ctx -> new DeliveryProcessor(ctx, outputs, v, e, metrics.addLoop(ctx.counters()),
              new RetryPlanner(topics.schedule()), circuits, parkTier, parkedAtMost, maxInFlight,
              config.maxInFlightPerEndpoint()));
      created.add(loop);
    }
    loops = List.copyOf(created);
    for (TransactionalLoop<PendingDelivery> loop : loops) {
      Thread owner = new Thread(loop, loop.name());
      owners.add(owner);
      owner.start();
    }
    LOG.info("delivery worker {} started: group {}, {} loop(s) with transactional id(s) {}, timeout {}, "
        + "{} in flight at most ({} per loop, {} per endpoint), retry schedule {}, circuit opens after {} failures",
        config.instanceId(), clients.get(0).groupId(), loopCount,
        clients.stream().map(LoopClients::transactionalId).toList(), config.httpTimeout(), config.maxInFlight(),
        maxInFlight, config.maxInFlightPerEndpoint(), topics.schedule(),
        parkTier == null ? "never (no tier)" : config.circuitThreshold());
  }

  /**
   * @return true once the worker has joined its consumer group and its subscription view has
   *     caught up, until it stops (false from the moment {@link #close()} begins)
   */
  @Override
  public boolean isReady() {
    List<TransactionalLoop<PendingDelivery>> l = loops;
    SubscriptionView v = view;
    return !closed && !l.isEmpty() && v != null && l.stream().allMatch(TransactionalLoop::isReady)
        && v.isCaughtUp();
  }

  /**
   * Blocks until this worker's subscription view has read the subscriptions topic up to its end
   * as of this call: a subscription saved or deleted before the call is then seen at send time.
   *
   * @param timeout how long to wait at most
   * @return true when caught up, false when {@code timeout} passed first
   * @throws IllegalStateException when the worker was not started
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  public boolean awaitSubscriptionsRead(Duration timeout) throws InterruptedException {
    SubscriptionView v = view;
    if (v == null) {
      throw new IllegalStateException("the delivery worker was not started");
    }
    return v.awaitCaughtUp(timeout);
  }

  /** @return the error its owner thread stopped on (for example fenced by a newer instance), if any */
  @Override
  public Optional<String> failure() {
    if (closed) {
      return Optional.empty();
    }
    return loops.stream().map(TransactionalLoop::failure).filter(t -> t != null).findFirst().map(Throwable::toString);
  }

  /** @return the worker's counters. */
  public WorkerMetrics metrics() {
    return metrics;
  }

  /**
   * Stops polling, waits up to {@link #CLOSE_GRACE} for requests in flight, commits what finished,
   * then closes the Kafka clients, the subscription view and the HTTP client. Tasks still unfinished
   * are not committed and are delivered again by the next owner of their partition. Idempotent.
   */
  @Override
  public synchronized void close() {
    stop(false);
  }

  /**
   * Stops at once without committing anything more, as a crash would: every task whose outcome was
   * not committed yet is delivered again by the next owner of its partition. The consumer still
   * leaves its group, so that the partitions move on without waiting for a session timeout.
   */
  synchronized void halt() {
    stop(true);
  }

  private void stop(boolean abruptly) {
    if (closed) {
      return;
    }
    closed = true;
    for (TransactionalLoop<PendingDelivery> loop : loops) {
      if (abruptly) {
        loop.halt();
      } else {
        loop.stop();
      }
    }
    long deadline = System.nanoTime() + CLOSE_GRACE.plusSeconds(15).toNanos();
    for (Thread owner : owners) {
      try {
        owner.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (view != null) {
      view.close();
    }
    closeHttp();
    if (started) {
      LOG.info("delivery worker {} stopped{}", config.instanceId(), abruptly ? " abruptly" : "");
    }
  }

  private void closeHttp() {
    endpoints.forEach(EndpointClient::close);
    if (vertx != null) {
      try {
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        LOG.debug("closing Vert.x: {}", e.toString());
      }
    }
  }
}
