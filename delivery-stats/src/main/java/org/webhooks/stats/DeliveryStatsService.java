package org.webhooks.stats;

import io.vertx.ext.web.Router;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.data.SubscriptionView;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The delivery-stats service: runs {@link StatsTopology} as a Kafka Streams application with
 * exactly-once processing (v2), so each attempt's counts, index entries, health and operational events
 * are committed together with its input offset. Its consumer group, and so its application id, is
 * {@code <topic prefix>delivery-stats}. Queries go through {@link #queries()}; with several instances,
 * each answers for the partitions it holds and forwards the rest over the routes
 * {@link #serveQueries} mounts.
 *
 * <p>The topics must exist before {@link #start()} ({@link KafkaClients#ensureTopics}).
 */
public final class DeliveryStatsService implements Service {

  /** The service name, also the application id after the topic prefix. */
  public static final String NAME = "delivery-stats";
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  /** Producer transaction timeout, ms: a transaction left open by a killed instance blocks readers until then. */
  static final int TRANSACTION_TIMEOUT_MS = 10_000;
  static final int SESSION_TIMEOUT_MS = 10_000;
  static final int HEARTBEAT_INTERVAL_MS = 3_000;
  /** Commit interval, ms: operational events become visible to read_committed readers at a commit. */
  static final int COMMIT_INTERVAL_MS = 100;
  static final int POLL_MS = 10;
  /** How long after a stream thread failed the instance reports not ready (see the fanout). */
  static final Duration UNREADY_AFTER_THREAD_FAILURE = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryStatsService.class);

  private final WebhooksConfig config;
  private final Path stateDir;
  private final Clock clock;
  private final StatsMetrics metrics = new StatsMetrics();
  private HostInfo self;
  // volatile: isReady() is polled by health checks from another thread
  private volatile SubscriptionView view;
  private SubscriptionStore subscriptions;
  private volatile KafkaStreams streams;
  private volatile DeliveryStatsQueries routed;
  private volatile DeliveryStatsQueries local;
  private volatile java.time.Instant lastThreadFailure;
  private boolean closed;

  /**
   * @param config the settings: servers, registry, topic prefix, instance id, alert thresholds,
   *     attempt retention, internal token
   * @param stateDir the Kafka Streams {@code state.dir} (created when absent); one per instance
   */
  public DeliveryStatsService(WebhooksConfig config, Path stateDir) {
    this(config, stateDir, Clock.systemUTC());
  }

  /**
   * @param clock the time of every judgement of an endpoint (failing, recovered, disable due), of
   *     operational events, and the "now" query windows end at
   */
  public DeliveryStatsService(WebhooksConfig config, Path stateDir, Clock clock) {
    this.config = config;
    this.stateDir = stateDir;
    this.clock = clock;
  }

  /**
   * Mounts the internal query routes on {@code router} and makes {@code <WEBHOOKS_ADVERTISED_HOST>:port}
   * this instance's {@code application.server}, so that other instances forward queries for its
   * partitions here. Call before {@link #start()}; without it, queries are answered from this
   * instance's stores only, which is right when it is the only one.
   *
   * @param port the port {@code router}'s server listens on
   * @throws IllegalStateException after {@link #start()}
   */
  public synchronized void serveQueries(Router router, int port) {
    if (streams != null || closed) {
      throw new IllegalStateException("serveQueries must be called before start");
    }
    self = new HostInfo(config.advertisedHost(), port);
    StatsRoutes.mount(router, config.internalToken(), () -> queries(), () -> localQueries());
  }

  /**
   * @return the Kafka Streams properties: {@link KafkaClients#common} plus application id,
   *     exactly_once_v2, commit interval, poll time, state dir, the stores' memory bound
   *     ({@link BoundedRocksDbMemory}), {@code application.server} when
   *     {@code self} is given, transaction timeout, static membership with a 10 s session, and failing
   *     exception handlers (undecodable attempts are dead-lettered by the topology; anything else fails
   *     the thread, which is replaced and reprocesses from the last commit)
   */
  static Properties streamsProperties(WebhooksConfig config, Path stateDir, HostInfo self) {
    Properties p = KafkaClients.common(config);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.topicPrefix() + NAME);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
    p.put(StreamsConfig.POLL_MS_CONFIG, POLL_MS);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
    if (self != null) {
      p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    }
    p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), TRANSACTION_TIMEOUT_MS);
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), config.instanceId());
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), HEARTBEAT_INTERVAL_MS);
    if (!p.containsKey(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)) {
      p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
          KafkaClients.maxRecordBytes(config.maxEventBytes()));
    }
    // the changelogs and repartition topics take the records the platform's own topics take: a store's
    // value (the attempts of one endpoint or event in one millisecond) is not bounded by the broker's
    // 1 MiB default, which an account could otherwise exceed and stop every account's statistics
    p.putIfAbsent(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG),
        Integer.toString(KafkaClients.maxRecordBytes(config.maxEventBytes())));
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class);
    // no global store here, but the failing handler for it too, which Kafka 5.0 makes the default
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    return p;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Registers the output schemas, starts the subscription view (auto-disable reads and writes
   * subscriptions) and the stream threads, and returns; {@link #isReady()} turns true once the stores
   * are restored, partitions are assigned and the view has read the subscriptions.
   *
   * @throws IllegalStateException when started twice or after close, when no registry is configured,
   *     when Kafka Streams refuses the settings, or when the registry cannot be reached
   */
  @Override
  public synchronized void start() {
    if (streams != null || closed) {
      throw new IllegalStateException(NAME + " can be started once");
    }
    if (config.registryUrl().isEmpty()) {
      throw new IllegalStateException("no schema registry configured: set --registry-url / WEBHOOKS_REGISTRY_URL, "
          + "or start the embedded stack with ./webhooks up");
    }
    Properties props = streamsProperties(config, stateDir, self);
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    Topics topics = config.topics();
    AlertPolicy policy = AlertPolicy.of(config);
    try {
      registry.register(topics.operationalEvents().valueSubject(), topics.operationalEvents().valueSchema());
      registry.register(topics.deadLetters().valueSubject(), topics.deadLetters().valueSchema());
      registry.register(topics.matchVerdicts().valueSubject(), topics.matchVerdicts().valueSchema());
    } catch (SchemaRegistryClient.RegistryException e) {
      throw new IllegalStateException(NAME + " cannot start: " + e.getMessage(), e);
    }
    KafkaStreams created;
    try {
      view = new SubscriptionView(config, NAME);
      subscriptions = new SubscriptionStore(config);
      created = new KafkaStreams(StatsTopology.build(topics, registry, policy, config.attemptRetention(), clock,
          new SubscriptionDisabler(view, subscriptions), metrics), props);
    } catch (KafkaException e) {
      closeSubscriptions();
      throw new IllegalStateException(NAME + " cannot start: " + e.getMessage(), e);
    }
    created.setUncaughtExceptionHandler(this::threadFailed);
    created.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.ERROR) {
        LOG.error("{} stopped on an error ({} -> {})", NAME, before, now);
      } else {
        LOG.info("{} {} -> {}", NAME, before, now);
      }
    });
    LocalStatsReader.Decoders decoders = LocalStatsReader.Decoders.of(topics, registry);
    RoutedStatsQueries.Readers readers = stores -> new LocalStatsReader(stores, decoders, policy,
        config.attemptRetention(), clock);
    PeerClient peers = new PeerClient(config.internalToken());
    routed = new RoutedStatsQueries(created, self, peers, readers, true, metrics);
    local = new RoutedStatsQueries(created, self, peers, readers, false, metrics);
    streams = created;
    view.start();
    created.start();
    LOG.info("{} started: application id {}, state dir {}, queries {}", NAME, props.get(StreamsConfig.APPLICATION_ID_CONFIG),
        props.get(StreamsConfig.STATE_DIR_CONFIG), self == null ? "answered locally only" : "served at " + self.host()
            + ":" + self.port());
  }

  /**
   * @return the queries, answered by whichever instance holds each key
   * @throws StatsUnavailableException before {@link #start()}
   */
  public DeliveryStatsQueries queries() {
    DeliveryStatsQueries q = routed;
    if (q == null) {
      throw new StatsUnavailableException(NAME + " is not started");
    }
    return q;
  }

  private DeliveryStatsQueries localQueries() {
    DeliveryStatsQueries q = local;
    if (q == null) {
      throw new StatsUnavailableException(NAME + " is not started");
    }
    return q;
  }

  StreamThreadExceptionResponse threadFailed(Throwable e) {
    lastThreadFailure = clock.instant();
    metrics.threadReplaced();
    LOG.error("{} thread {} failed; replacing it: {}", NAME, Thread.currentThread().getName(), e.toString(), e);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /**
   * @return true while Kafka Streams is RUNNING (stores restored, partitions assigned), the view has
   *     read the subscriptions, and no stream thread failed within {@link #UNREADY_AFTER_THREAD_FAILURE}
   */
  @Override
  public boolean isReady() {
    KafkaStreams current = streams;
    java.time.Instant failed = lastThreadFailure;
    SubscriptionView v = view;
    return current != null && current.state() == KafkaStreams.State.RUNNING && v != null && v.isCaughtUp()
        && (failed == null || !clock.instant().isBefore(failed.plus(UNREADY_AFTER_THREAD_FAILURE)));
  }

  @Override
  public Optional<String> failure() {
    KafkaStreams current = streams;
    return current != null && current.state() == KafkaStreams.State.ERROR
        ? Optional.of("Kafka Streams stopped on an error (state ERROR)") : Optional.empty();
  }

  /** @return the meters of this instance. */
  @Override
  public StatsMetrics metrics() {
    return metrics;
  }

  /**
   * Closes the stream threads, waiting up to 30 s for them to commit or abort, leaves the consumer
   * group so that its partitions move at once, and closes the subscription view. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (streams != null) {
      boolean stopped = streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
          .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
      if (stopped) {
        LOG.info("{} closed; {}", NAME, metrics);
      } else {
        LOG.warn("{} threads did not stop within {} ms", NAME, CLOSE_TIMEOUT.toMillis());
      }
    }
    closeSubscriptions();
  }

  private void closeSubscriptions() {
    if (view != null) {
      view.close();
    }
    if (subscriptions != null) {
      subscriptions.close();
    }
  }
}
