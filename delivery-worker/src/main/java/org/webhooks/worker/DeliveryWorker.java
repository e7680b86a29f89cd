package org.webhooks.worker;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * The delivery worker service: a consumer group ({@code <prefix>delivery-worker}) that reads
 * {@code DeliveryTask}s from {@code webhook-deliveries}, POSTs each, signed, to its subscription's
 * endpoint, and writes one {@code DeliveryAttempt} per attempt to {@code webhook-attempts} (and, on
 * failure, an EXHAUSTED {@code DeadLetter} to {@code webhook-dead-letters}: retries are not
 * scheduled by this version).
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
 */
public final class DeliveryWorker implements Service {

  /** The service name, also the suffix of the consumer group id. */
  public static final String NAME = "delivery-worker";
  /** How long {@link #close()} waits for requests in flight before it commits and stops. */
  public static final Duration CLOSE_GRACE = Duration.ofSeconds(5);
  /** Unfinished tasks held in memory per request allowed in flight. */
  static final int UNFINISHED_PER_IN_FLIGHT = 4;
  private static final int TRANSACTION_TIMEOUT_MS = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryWorker.class);

  private final WebhooksConfig config;
  private final Clock clock;
  private final WorkerMetrics metrics = new WorkerMetrics();
  private Vertx vertx;
  private EndpointClient endpoints;
  private volatile SubscriptionView view;
  private volatile DeliveryLoop loop;
  private Thread owner;
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
    KafkaConsumer<byte[], byte[]> consumer = null;
    KafkaProducer<String, byte[]> producer = null;
    try {
      // registered now so that writing an outcome never waits on the registry
      register(registry, topics.attempts());
      register(registry, topics.deadLetters());
      consumer = new KafkaConsumer<>(consumerProps());
      producer = new KafkaProducer<>(producerProps());
      producer.initTransactions();
      vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
          new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
      endpoints = new EndpointClient(vertx, config.targetPolicy(), config.httpTimeout(), config.maxInFlight());
      view = new SubscriptionView(config, registry);
      view.start();
    } catch (KafkaException | SchemaRegistryClient.RegistryException e) {
      closeQuietly(consumer, producer);
      closeHttp();
      throw new IllegalStateException("delivery worker cannot start: " + e.getMessage(), e);
    }
    DeliveryLoop.Clients clients = new DeliveryLoop.Clients(consumer, producer,
        topics.deliveries().name(), topics.attempts().name(), topics.deadLetters().name(),
        new AvroSerde<DeliveryTask>(registry, topics.deliveries().valueSchema()),
        new AvroSerde<DeliveryAttempt>(registry, topics.attempts().valueSchema()),
        new AvroSerde<DeadLetter>(registry, topics.deadLetters().valueSchema()));
    DeliveryLoop.Limits limits = new DeliveryLoop.Limits(config.maxInFlight(), config.maxInFlightPerEndpoint(),
        config.maxInFlight() * UNFINISHED_PER_IN_FLIGHT, CLOSE_GRACE);
    loop = new DeliveryLoop(clients, limits, clock, view, endpoints, metrics);
    owner = new Thread(loop, NAME);
    owner.start();
    LOG.info("delivery worker {} started: group {}, transactional id {}, timeout {}, "
        + "{} in flight at most ({} per endpoint)",
        config.instanceId(), groupId(), transactionalId(), config.httpTimeout(), config.maxInFlight(),
        config.maxInFlightPerEndpoint());
  }

  /**
   * @return true once the worker has joined its consumer group and its subscription view has
   *     caught up, until it stops (false from the moment {@link #close()} begins)
   */
  @Override
  public boolean isReady() {
    DeliveryLoop l = loop;
    SubscriptionView v = view;
    return !closed && l != null && v != null && l.isReady() && v.isCaughtUp();
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
    DeliveryLoop l = loop;
    Throwable t = l == null || closed ? null : l.failure();
    return t == null ? Optional.empty() : Optional.of(t.toString());
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
    if (loop != null) {
      if (abruptly) {
        loop.halt();
      } else {
        loop.stop();
      }
      try {
        owner.join(CLOSE_GRACE.toMillis() + 15_000);
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
    if (endpoints != null) {
      endpoints.close();
    }
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

  private static void closeQuietly(KafkaConsumer<?, ?> consumer, KafkaProducer<?, ?> producer) {
    if (consumer != null) {
      consumer.close(Duration.ZERO);
    }
    if (producer != null) {
      producer.close(Duration.ZERO);
    }
  }

  private static void register(SchemaRegistryClient registry, Topic<?> topic) {
    registry.register(topic.valueSubject(), topic.valueSchema());
  }

  private String groupId() {
    return config.topicPrefix() + NAME;
  }

  private String transactionalId() {
    return config.topicPrefix() + NAME + "-" + config.instanceId();
  }

  private Properties consumerProps() {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, transactionalId() + "-consumer");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    // a new group starts at the beginning: tasks written before the first worker joined are delivered
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Incremental rebalancing: when an instance joins or leaves, only the partitions that move are
    // revoked. With the eager default every instance drops all its partitions, and so sends again
    // every request it has in flight. The consumer group protocol (KIP-848) is incremental anyway
    // and refuses this setting.
    if (!"consumer".equalsIgnoreCase(String.valueOf(p.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG)))) {
      p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    }
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    return p;
  }

  private Properties producerProps() {
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId() + "-producer");
    p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId());
    p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Integer.toString(TRANSACTION_TIMEOUT_MS));
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
    // a dead letter carries the whole task
    p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(KafkaClients.maxRecordBytes(config.maxEventBytes())));
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    return p;
  }
}
