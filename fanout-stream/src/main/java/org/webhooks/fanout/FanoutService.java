package org.webhooks.fanout;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The fanout-stream service: runs {@link FanoutTopology} as a Kafka Streams application with
 * exactly-once processing (v2), so each event's delivery tasks, match verdicts, dead letter and input
 * offset are committed together or not at all. It reads call-events and webhook-operational-events. Its consumer group, and so its application id, is
 * {@code <topic prefix>fanout-stream}.
 *
 * <p>The topics must exist before {@link #start()} ({@link KafkaClients#ensureTopics}).
 */
public final class FanoutService implements Service {

  /** The service name, also the application id after the topic prefix. */
  public static final String NAME = "fanout-stream";
  /** How long {@link #close()} waits for the threads to finish their transaction, ms. */
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  /**
   * Producer transaction timeout, ms. Short, as the design asks: a transaction left open by a killed
   * instance blocks read_committed readers of the output topics until it times out.
   */
  static final int TRANSACTION_TIMEOUT_MS = 10_000;
  /** Session timeout of the group membership, ms: a killed instance's tasks move after about this long. */
  static final int SESSION_TIMEOUT_MS = 10_000;
  /** Heartbeat interval, ms: a third of the session timeout. */
  static final int HEARTBEAT_INTERVAL_MS = 3_000;
  /** Commit interval, ms: under exactly-once, output becomes visible to readers only at a commit. */
  static final int COMMIT_INTERVAL_MS = 100;
  /**
   * Longest wait of the stream thread's poll when no record is buffered, ms. The commit interval is
   * checked only between polls, so with the Kafka Streams default (100 ms) an idle thread commits
   * 100 to 200 ms after it processed an event; 10 ms keeps that close to the interval.
   */
  static final int POLL_MS = 10;

  /**
   * How long after a stream thread failed the instance reports not ready, even though Kafka Streams
   * is RUNNING again with a replacement: a thread that fails on every attempt (say, on a record it
   * cannot write) would otherwise look healthy between failures.
   */
  static final Duration UNREADY_AFTER_THREAD_FAILURE = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(FanoutService.class);

  private final WebhooksConfig config;
  private final Path stateDir;
  private final Clock clock;
  private final FanoutMetrics metrics = new FanoutMetrics();
  // volatile: isReady() is polled by health checks while close() may hold the lock for seconds.
  private volatile KafkaStreams streams;
  private volatile Instant lastThreadFailure;
  private boolean closed;

  /**
   * @param config the settings: bootstrap servers, registry URL, topic prefix, pass-through Kafka properties
   * @param stateDir the Kafka Streams {@code state.dir}, where the subscription store is kept between
   *     runs (created when absent); one per instance
   */
  public FanoutService(WebhooksConfig config, Path stateDir) {
    this(config, stateDir, Clock.systemUTC());
  }

  /**
   * @param config as {@link #FanoutService(WebhooksConfig, Path)}
   * @param stateDir as {@link #FanoutService(WebhooksConfig, Path)}
   * @param clock the time written into tasks ({@code created_at}, {@code due_at}) and dead letters
   */
  public FanoutService(WebhooksConfig config, Path stateDir, Clock clock) {
    this.config = config;
    this.stateDir = stateDir;
    this.clock = clock;
  }

  /**
   * @return the Kafka Streams properties of this service: {@link KafkaClients#common} plus application
   *     id, exactly_once_v2, commit interval, poll time, state dir, stream threads
   *     ({@link WebhooksConfig#fanoutThreads}), transaction timeout, the producer's
   *     record limit ({@link KafkaClients#maxRecordBytes}, unless a Kafka property sets it) and failing
   *     exception handlers (nothing is skipped silently: undecodable events are dead-lettered by the topology
   *     itself, everything else fails the thread, which is replaced and reprocesses from the last commit)
   * @throws IllegalStateException when no bootstrap servers are configured
   */
  public static Properties streamsProperties(WebhooksConfig config, Path stateDir) {
    Properties p = KafkaClients.common(config);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.topicPrefix() + NAME);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
    p.put(StreamsConfig.POLL_MS_CONFIG, POLL_MS);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toAbsolutePath().toString());
    // one thread per stream task at most does work: more threads than call-events partitions idle
    p.putIfAbsent(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.fanoutThreads());
    p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG), TRANSACTION_TIMEOUT_MS);
    // Static membership (Kafka Streams appends the thread index): a restarted instance takes its
    // tasks back at once; and a short session, so a killed one's tasks move within about 10 s.
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), config.instanceId());
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
    p.putIfAbsent(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), HEARTBEAT_INTERVAL_MS);
    if (!p.containsKey(ProducerConfig.MAX_REQUEST_SIZE_CONFIG)) {
      p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG),
          KafkaClients.maxRecordBytes(config.maxEventBytes()));
    }
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailExceptionHandler.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndFailProcessingExceptionHandler.class);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DefaultProductionExceptionHandler.class);
    // The same failing handler for the global thread, which Kafka 5.0 will make the default.
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    return p;
  }

  @Override
  public String name() {
    return NAME;
  }

  /**
   * Starts the stream threads and returns; {@link #isReady()} turns true once the subscription store
   * is restored and partitions are assigned.
   *
   * @throws IllegalStateException when already started or closed, when no bootstrap servers or no
   *     registry URL is configured, when Kafka Streams refuses the settings, or when the registry
   *     cannot be reached (the output schemas are registered first, so that this fails here rather
   *     than on the first event)
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
    Properties props = streamsProperties(config, stateDir);
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    Topics topics = config.topics();
    try {
      registry.register(topics.deliveries().valueSubject(), topics.deliveries().valueSchema());
      registry.register(topics.deadLetters().valueSubject(), topics.deadLetters().valueSchema());
      registry.register(topics.matchVerdicts().valueSubject(), topics.matchVerdicts().valueSchema());
    } catch (SchemaRegistryClient.RegistryException e) {
      throw new IllegalStateException(NAME + " cannot start: " + e.getMessage(), e);
    }
    KafkaStreams created;
    try {
      created = new KafkaStreams(FanoutTopology.build(topics, registry, clock, metrics, config.maxEventBytes()),
          props);
    } catch (KafkaException e) {
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
    streams = created;
    created.start();
    LOG.info("{} started: application id {}, state dir {}", NAME, props.get(StreamsConfig.APPLICATION_ID_CONFIG),
        props.get(StreamsConfig.STATE_DIR_CONFIG));
  }

  /**
   * A stream thread's tasks are reprocessed from their last commit by its replacement, so nothing
   * is lost. Kafka Streams cannot replace the global thread: the instance then stops (ERROR state,
   * not ready) rather than run on with a stale subscription store.
   *
   * @return always {@code REPLACE_THREAD}
   */
  StreamThreadExceptionResponse threadFailed(Throwable e) {
    lastThreadFailure = clock.instant();
    metrics.threadReplaced();
    LOG.error("{} thread {} failed; replacing it: {}", NAME, Thread.currentThread().getName(), e.toString(), e);
    return StreamThreadExceptionResponse.REPLACE_THREAD;
  }

  /**
   * @return true while the Kafka Streams state is RUNNING (store restored, partitions assigned) and
   *     no stream thread failed within {@link #UNREADY_AFTER_THREAD_FAILURE}
   */
  @Override
  public boolean isReady() {
    KafkaStreams current = streams;
    Instant failed = lastThreadFailure;
    return current != null && current.state() == KafkaStreams.State.RUNNING
        && (failed == null || !clock.instant().isBefore(failed.plus(UNREADY_AFTER_THREAD_FAILURE)));
  }

  /** @return a reason when Kafka Streams stopped on an error (its global thread failed) */
  @Override
  public Optional<String> failure() {
    return streamsState() == KafkaStreams.State.ERROR
        ? Optional.of("Kafka Streams stopped on an error (state ERROR)") : Optional.empty();
  }

  /** @return the Kafka Streams state, or null before {@link #start()} */
  KafkaStreams.State streamsState() {
    KafkaStreams current = streams;
    return current == null ? null : current.state();
  }

  /** @return the counters of this instance. */
  public FanoutMetrics metrics() {
    return metrics;
  }

  /**
   * Closes the stream threads, waiting up to 30 s for them to commit or abort their transaction, and
   * leaves the consumer group so that its partitions move on without delay; records of an aborted
   * transaction are processed again by the next instance. Idempotent.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (streams == null) {
      return;
    }
    // Leave the consumer group at once: otherwise its partitions wait for the session timeout (45 s by
    // default) before another instance, or this one restarted, may take them over.
    boolean stopped = streams.close(CloseOptions.timeout(CLOSE_TIMEOUT)
        .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
    if (stopped) {
      LOG.info("{} closed; {}", NAME, metrics);
    } else {
      LOG.warn("{} threads did not stop within {} ms", NAME, CLOSE_TIMEOUT.toMillis());
    }
  }
}
