package org.webhooks.scheduler;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.runtime.LoopClients;
import org.webhooks.runtime.TransactionalLoop;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * The retry-scheduler service: a consumer group ({@code <prefix>retry-scheduler}) over every retry
 * tier topic ({@code webhook-retry-<delay>}, one per distinct non-zero delay of
 * {@code WEBHOOKS_RETRY_SCHEDULE}) that holds each partition until the task at its head is due and
 * then forwards due tasks to {@code webhook-deliveries} ({@link RetryForwarder}). Forwarded tasks
 * and consumer offsets are written in one transaction, so a task leaves its tier exactly when it is
 * in {@code webhook-deliveries}; the transactional id is {@code <prefix>retry-scheduler-<instance id>}.
 * Delayed tasks wait in Kafka, never in a worker's memory.
 */
public final class RetryScheduler implements Service {

  /** The service name, also the suffix of the consumer group id. */
  public static final String NAME = "retry-scheduler";
  /** How long {@link #close()} waits for the owner thread's last commit. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(5);

  private static final Logger LOG = LoggerFactory.getLogger(RetryScheduler.class);

  private final WebhooksConfig config;
  private final Clock clock;
  private final SchedulerMetrics metrics = new SchedulerMetrics();
  private volatile TransactionalLoop<Void> loop;
  private Thread owner;
  private boolean started;
  private volatile boolean closed;
  private static final Duration LIST_TIMEOUT = Duration.ofSeconds(10);

  /** True when the schedule has no non-zero delay: there is no tier to watch. */
  private volatile boolean idle;

  /** A scheduler on the system clock (UTC). */
  public RetryScheduler(WebhooksConfig config) {
    this(config, Clock.systemUTC());
  }

  /**
   * @param config settings: Kafka and registry addresses, topic prefix, instance id, retry schedule
   * @param clock the clock due times are held against
   */
  public RetryScheduler(WebhooksConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Initialises the transactional producer (fencing an earlier instance with the same id), starts
   * the owner thread and returns.
   *
   * @throws IllegalStateException when started twice or after close, when no registry URL is
   *     configured, or when the broker or the registry cannot be reached
   */
  @Override
  public synchronized void start() {
    if (started || closed) {
      throw new IllegalStateException("a retry scheduler starts once");
    }
    started = true;
    if (config.registryUrl().isEmpty()) {
      throw new IllegalStateException("no schema registry configured: set --registry-url / WEBHOOKS_REGISTRY_URL");
    }
    Topics topics = config.topics();
    List<String> tiers = new ArrayList<>(topics.retryTopics().stream().map(Topic::name).toList());
    tiers.addAll(formerTiers(topics, tiers));
    if (tiers.isEmpty()) {
      idle = true;
      LOG.info("retry scheduler {}: the retry schedule ({}) has no delayed tier; nothing to hold",
          config.instanceId(), topics.schedule());
      return;
    }
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    LoopClients clients;
    try {
      registry.register(topics.deadLetters().valueSubject(), topics.deadLetters().valueSchema());
      clients = LoopClients.create(config, NAME);
      try {
        clients.producer().initTransactions();
      } catch (KafkaException e) {
        clients.consumer().close(Duration.ZERO);
        clients.producer().close(Duration.ZERO);
        throw e;
      }
    } catch (KafkaException | SchemaRegistryClient.RegistryException e) {
      throw new IllegalStateException("retry scheduler cannot start: " + e.getMessage(), e);
    }
    AvroSerde<DeliveryTask> tasks = new AvroSerde<>(registry, topics.deliveries().valueSchema());
    AvroSerde<DeadLetter> deadLetters = new AvroSerde<>(registry, topics.deadLetters().valueSchema());
    TransactionalLoop.Settings settings = new TransactionalLoop.Settings(NAME, tiers, 1, CLOSE_GRACE);
    loop = new TransactionalLoop<>(clients, settings, clock, ctx -> new RetryForwarder(ctx, tasks, deadLetters,
        topics.deliveries().name(), topics.deadLetters().name(), metrics));
    owner = new Thread(loop, NAME);
    owner.start();
    LOG.info("retry scheduler {} started: group {}, transactional id {}, tiers {}", config.instanceId(),
        clients.groupId(), clients.transactionalId(), String.join(", ", tiers));
  }

  /**
   * Retry topics of this prefix that the schedule no longer has: a schedule changed while retries waited
   * would otherwise leave them there. Each record holds its own due time, so any tier is read the same way.
   *
   * @param current the topics of the schedule's tiers
   * @return the other existing retry topics; none when the broker cannot list them (logged)
   */
  private List<String> formerTiers(Topics topics, List<String> current) {
    try (Admin admin = Admin.create(KafkaClients.common(config))) {
      List<String> former = admin.listTopics().names().get(LIST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).stream()
          .filter(name -> topics.tierOf(name).isPresent() && !current.contains(name))
          .sorted()
          .toList();
      if (!former.isEmpty()) {
        LOG.info("retry scheduler {}: also reading {}, retry tiers that the schedule ({}) no longer has, "
            + "for the retries still waiting there", config.instanceId(), former, topics.schedule());
      }
      return former;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    } catch (ExecutionException | TimeoutException | KafkaException e) {
      LOG.warn("retry scheduler {}: cannot list the topics ({}); retries waiting in tiers the schedule no "
          + "longer has stay there until the next start", config.instanceId(), e.toString());
      return List.of();
    }
  }

  /** @return true once it has joined its consumer group (at once when there is no tier), until close. */
  @Override
  public boolean isReady() {
    if (closed) {
      return false;
    }
    TransactionalLoop<Void> l = loop;
    return idle || l != null && l.isReady();
  }

  @Override
  public Optional<String> failure() {
    TransactionalLoop<Void> l = loop;
    Throwable t = l == null || closed ? null : l.failure();
    return t == null ? Optional.empty() : Optional.of(t.toString());
  }

  @Override
  public SchedulerMetrics metrics() {
    return metrics;
  }

  /** Stops holding and forwarding, commits what was forwarded, closes the clients. Idempotent. */
  @Override
  public synchronized void close() {
    stop(false);
  }

  /** Stops at once without committing anything more, as a crash would. */
  synchronized void halt() {
    stop(true);
  }

  private void stop(boolean abruptly) {
    if (closed) {
      return;
    }
    closed = true;
    TransactionalLoop<Void> l = loop;
    if (l != null) {
      if (abruptly) {
        l.halt();
      } else {
        l.stop();
      }
      try {
        owner.join(CLOSE_GRACE.toMillis() + 15_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      LOG.info("retry scheduler {} stopped{}", config.instanceId(), abruptly ? " abruptly" : "");
    }
  }
}
