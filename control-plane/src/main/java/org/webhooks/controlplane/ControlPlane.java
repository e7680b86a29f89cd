package org.webhooks.controlplane;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.client.EndpointClient;
import org.webhooks.console.Console;
import org.webhooks.data.ApiKeys;
import org.webhooks.data.CompactedTopicView;
import org.webhooks.data.Redeliveries;
import org.webhooks.data.SubscriptionRepository;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.data.SubscriptionView;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.ApiKey;
import org.webhooks.schemas.avro.IdempotentResponse;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.DeliveryStatsQueries;
import org.webhooks.stats.RemoteStatsQueries;
import org.webhooks.stats.StatsUnavailableException;

/**
 * The control plane: the REST API customers and operators use to manage subscriptions, watch their
 * deliveries (statistics, attempts, health, event lookups, through delivery-stats' queries) and make
 * deliveries again (recover, replay, resend, through platform-data's {@link Redeliveries}); see
 * {@code openapi.json}. It is a service of the process that runs it. It keeps its own views of
 * {@code webhook-subscriptions}, {@code webhook-api-keys} and {@code webhook-idempotency-keys},
 * writes subscriptions through {@link SubscriptionRepository}, and mounts its routes on the process's
 * one HTTP server ({@link #mount}). A periodic sweep rewrites subscriptions whose rotated-out secrets
 * have expired, so that they leave the record.
 */
public final class ControlPlane implements Service {

  /** The service's name, also its command and the name its Kafka clients carry. */
  public static final String NAME = "control-plane";

  private static final Logger LOG = LoggerFactory.getLogger(ControlPlane.class);
  /** How long a write waits for the view to read it back before answering anyway. */
  private static final Duration WRITE_WAIT = Duration.ofSeconds(10);

  private final WebhooksConfig config;
  private final Clock clock;
  private final ControlPlaneMetrics metrics = new ControlPlaneMetrics();
  private SubscriptionStore store;
  private SubscriptionView subscriptions;
  private CompactedTopicView<ApiKey> apiKeys;
  private CompactedTopicView<IdempotentResponse> idempotencyView;
  private KafkaProducer<String, byte[]> producer;
  private SubscriptionRepository repository;
  private EndpointClient endpoints;
  private Vertx vertx;
  private long sweepTimer = -1;
  private volatile boolean mounted;
  private Supplier<DeliveryStatsQueries> stats;
  private Redeliveries redeliveries;

  /** @param config brokers, registry, topics, target policy, HTTP timeout and rotation grace */
  public ControlPlane(WebhooksConfig config) {
    this(config, Clock.systemUTC());
  }

  /**
   * @param config brokers, registry, topics, target policy, HTTP timeout and rotation grace
   * @param clock the time of writes, of secret expiry and of test events
   */
  public ControlPlane(WebhooksConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Starts reading the topics; the API answers once they are read ({@link #isReady()}). */
  @Override
  public synchronized void start() {
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    store = new SubscriptionStore(config);
    subscriptions = new SubscriptionView(config, NAME);
    apiKeys = ApiKeys.view(config, NAME);
    String idemTopic = config.topics().idempotencyKeys().name();
    AvroSerde<IdempotentResponse> idemSerde = new AvroSerde<>(registry, IdempotentResponse.getClassSchema());
    idempotencyView = new CompactedTopicView<>(config, idemTopic,
        config.topicPrefix() + NAME + "-idempotency-" + config.instanceId(), v -> idemSerde.deserialize(idemTopic, v));
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    repository = new SubscriptionRepository(store, subscriptions::find, config.targetPolicy(),
        config.secretRotationGrace(), clock);
    subscriptions.start();
    apiKeys.start();
    idempotencyView.start();
  }

  /**
   * Serves the monitoring routes from the delivery-stats of this process. Without it (a control plane
   * of its own), they ask the delivery-stats processes of {@code WEBHOOKS_STATS_URL}, or answer 503 when
   * none is set. Call before {@link #mount}.
   *
   * @param queries the queries of the delivery-stats service running in this process; it throws
   *     {@code StatsUnavailableException} until that service has started
   */
  public synchronized void useStats(Supplier<DeliveryStatsQueries> queries) {
    this.stats = queries;
  }

  /**
   * @return the queries the monitoring routes use: those given to {@link #useStats}, else a client of
   *     {@code WEBHOOKS_STATS_URL}, else queries that are always unavailable
   */
  private Supplier<DeliveryStatsQueries> statsQueries() {
    if (stats != null) {
      return stats;
    }
    List<URI> urls = config.statsUrls();
    if (!urls.isEmpty()) {
      DeliveryStatsQueries remote = new RemoteStatsQueries(urls, config.internalToken());
      return () -> remote;
    }
    return () -> {
      throw new StatsUnavailableException("delivery statistics are not available from this control plane: run "
          + "delivery-stats in the same process (./webhooks up) or set " + Setting.STATS_URL.envName());
    };
  }

  /**
   * Mounts {@code /v1/...}, {@code /openapi.json} and the web console ({@code /} and
   * {@code /console/*}, see {@link Console}) on the process's router and starts the sweep of expired
   * secrets on its Vert.x timers.
   *
   * @param vertx the process's Vert.x instance (its event loops also carry test events out)
   * @param router the process's one router
   * @throws IllegalStateException when not started
   */
  public synchronized void mount(Vertx vertx, Router router) {
    if (repository == null) {
      throw new IllegalStateException("start the control plane before mounting it");
    }
    this.vertx = vertx;
    endpoints = new EndpointClient(vertx, config.targetPolicy(), config.httpTimeout(), 16);
    String idemTopic = config.topics().idempotencyKeys().name();
    Idempotency idempotency = new Idempotency(idempotencyView, producer,
        new AvroSerde<>(new SchemaRegistryClient(config.registryUrl()), IdempotentResponse.getClassSchema()),
        idemTopic, subscriptions::find, clock, WRITE_WAIT);
    Supplier<DeliveryStatsQueries> queries = statsQueries();
    redeliveries = new Redeliveries(config, NAME + "-redeliveries", clock);
    new WebhooksApi(subscriptions, repository, new Authenticator(apiKeys), idempotency,
        new TestEvents(endpoints, clock), config.httpTimeout(), metrics, WRITE_WAIT,
        new MonitoringRoutes(queries, config.failingWindow()),
        new RecoveryRoutes(redeliveries, queries, subscriptions::find),
        new AttemptRequests(redeliveries, queries, subscriptions::find))
        .mount(router, openApiDocument());
    Console.mount(router);
    long every = sweepInterval(config.secretRotationGrace()).toMillis();
    sweepTimer = vertx.setPeriodic(every, id -> vertx.executeBlocking(this::sweepExpiredSecrets, false));
    mounted = true;
    LOG.info("control plane API on /v1 ({} subscriptions, {} API keys); expired secrets swept every {} ms",
        subscriptions.size(), apiKeys.size(), every);
  }

  /**
   * Rewrites every subscription that holds a secret expired at the clock's time without it, and waits
   * until the view has read each rewrite. Runs periodically once mounted; several control planes may
   * run it at once, which only rewrites a record twice.
   *
   * @return the number of subscriptions rewritten
   */
  public int sweepExpiredSecrets() {
    int rewritten = 0;
    for (Subscription s : subscriptions.values()) {
      try {
        var written = repository.removeExpiredSecrets(s);
        if (written.isPresent()) {
          subscriptions.awaitWritten(written.get().position(), WRITE_WAIT);
          metrics.secretsRemoved(s.getSecrets().size() - written.get().subscription().getSecrets().size());
          LOG.info("subscription {}: expired signing secret(s) removed", s.getId());
          rewritten++;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        LOG.warn("cannot remove the expired secrets of subscription {}: {}", s.getId(), e.toString());
      }
    }
    return rewritten;
  }

  /** @return true once the topics are read and the routes are mounted. */
  @Override
  public boolean isReady() {
    return mounted && subscriptions.isCaughtUp() && apiKeys.isCaughtUp() && idempotencyView.isCaughtUp();
  }

  @Override
  public MeterBinder metrics() {
    return metrics;
  }

  @Override
  public synchronized void close() {
    if (vertx != null && sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    if (endpoints != null) {
      endpoints.close();
    }
    if (redeliveries != null) {
      redeliveries.close();
    }
    if (subscriptions != null) {
      subscriptions.close();
      apiKeys.close();
      idempotencyView.close();
      producer.close(Duration.ofSeconds(5));
      store.close();
    }
  }

  /**
   * @return how often expired secrets are looked for: a tenth of the grace period, between 1 s and 60 s
   *     (a secret then leaves the record at most that long after it stopped signing)
   */
  static Duration sweepInterval(Duration grace) {
    Duration tenth = grace.dividedBy(10);
    return tenth.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1)
        : tenth.compareTo(Duration.ofSeconds(60)) > 0 ? Duration.ofSeconds(60) : tenth;
  }

  /** @return the OpenAPI 3.1 document of the API, JSON text. */
  public static String openApiDocument() {
    try (InputStream in = ControlPlane.class.getResourceAsStream("/openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read openapi.json", e);
    }
  }
}
