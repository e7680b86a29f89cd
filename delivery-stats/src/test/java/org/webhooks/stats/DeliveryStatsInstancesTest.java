package org.webhooks.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.webhooks.stats.Attempts.attempt;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.TestStack;

/**
 * Two delivery-stats instances on the embedded broker, each with its own HTTP server and state dir:
 * the partitions are spread over them, and a query asked of either is answered by the one holding
 * its key, forwarded over the internal routes when that is the other.
 */
class DeliveryStatsInstancesTest {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final int SUBSCRIPTIONS = 8;

  @TempDir Path dir;

  private WebhooksConfig config;
  private MutableClock clock;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() {
    EmbeddedStack stack = TestStack.shared();
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "s" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "4")
        .with(Setting.ADVERTISED_HOST, "127.0.0.1")
        .with(Setting.INTERNAL_TOKEN, "token-" + UUID.randomUUID())
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1");
    KafkaClients.ensureTopics(config);
    clock = new MutableClock(Instant.now());
  }

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  private record Instance(DeliveryStatsService service, int port) {}

  private Instance start(String id) throws Exception {
    Vertx vertx = Vertx.vertx();
    closing.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
    Router router = Router.router(vertx);
    HttpServer server = vertx.createHttpServer().requestHandler(router);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    DeliveryStatsService service = new DeliveryStatsService(config.with(Setting.INSTANCE_ID, id), dir.resolve(id), clock);
    service.serveQueries(router, server.actualPort());
    closing.add(service);
    service.start();
    return new Instance(service, server.actualPort());
  }

  /** @return the ids of {@code n} subscriptions of acct_a, saved to the subscriptions topic */
  private List<String> subscriptions(int n) {
    List<String> ids = new ArrayList<>();
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      for (int i = 0; i < n; i++) {
        Subscription s = SubscriptionRules.newSubscription("acct_a", "http://127.0.0.1:9/hooks/" + i,
            List.of("call.completed"), null, null, config.targetPolicy(), Instant.now());
        store.save(s);
        ids.add(s.getId());
      }
    }
    return ids;
  }

  @Test
  void eachQueryIsAnsweredByTheInstanceHoldingItsKeyWhicheverInstanceIsAsked() throws Exception {
    List<String> subs = subscriptions(SUBSCRIPTIONS);
    Instance a = start("stats-a");
    Instance b = start("stats-b");
    Instant t = clock.instant().minusSeconds(30);
    Properties p = KafkaClients.common(config);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    var serde = config.topics().attempts().valueSerde(new SchemaRegistryClient(config.registryUrl()));
    List<DeliveryAttempt> ofEvent0 = new ArrayList<>();
    try (KafkaProducer<String, DeliveryAttempt> producer = new KafkaProducer<>(p, new StringSerializer(),
        serde.serializer())) {
      for (int s = 0; s < SUBSCRIPTIONS; s++) {
        for (int n = 0; n <= s; n++) {
          // evt-0 goes to every subscription: its attempts are spread over every partition
          DeliveryAttempt at = attempt("acct_a", subs.get(s), "evt-" + n, n % 2 == 0 ? AttemptOutcome.SUCCEEDED
              : AttemptOutcome.HTTP_ERROR, n % 2 == 0 ? 200 : 500, 10 + n, t.plusMillis(s * 100L + n));
          producer.send(new ProducerRecord<>(config.topics().attempts().name(), at.getSubscriptionId(), at)).get();
          if (n == 0) {
            ofEvent0.add(at);
          }
        }
      }
    }

    for (Instance asked : List.of(a, b)) {
      DeliveryStatsQueries q = asked.service().queries();
      await().atMost(WAIT).ignoreException(StatsUnavailableException.class).untilAsserted(() -> {
        for (int s = 0; s < SUBSCRIPTIONS; s++) {
          EndpointStats stats = q.stats("acct_a", subs.get(s), StatsWindow.HOUR);
          assertThat(stats.total().attempts()).as(subs.get(s)).isEqualTo(s + 1);
          assertThat(stats.total().succeeded()).as(subs.get(s)).isEqualTo(s / 2 + 1);
          assertThat(q.attempts("acct_a", subs.get(s), AttemptQuery.all()).data()).hasSize(s + 1);
          assertThat(q.health("acct_a", subs.get(s))).isPresent();
        }
        assertThat(q.eventAttempts("acct_a", "evt-0").attempts()).extracting(AttemptRecord::subscriptionId)
            .hasSize(SUBSCRIPTIONS).doesNotHaveDuplicates();
        assertThat(q.eventAttempts("acct_b", "evt-0").attempts()).isEmpty();
        assertThat(q.health("acct_b", subs.get(1))).isEmpty();
        // an attempt is found by its id alone, whichever instance holds it
        for (DeliveryAttempt at : ofEvent0) {
          assertThat(q.attempt("acct_a", at.getAttemptId())).map(AttemptRecord::subscriptionId)
              .contains(at.getSubscriptionId());
        }
        assertThat(q.attempt("acct_b", ofEvent0.get(0).getAttemptId())).isEmpty();
      });
    }
    // a process without delivery-stats asks one over the internal routes (the first URL answers nothing)
    int closed;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      closed = socket.getLocalPort();
    }
    DeliveryStatsQueries remote = new RemoteStatsQueries(List.of(URI.create("http://127.0.0.1:" + closed),
        URI.create("http://127.0.0.1:" + a.port())), config.internalToken());
    for (int s = 0; s < SUBSCRIPTIONS; s++) {
      assertThat(remote.stats("acct_a", subs.get(s), StatsWindow.DAY))
          .isEqualTo(b.service().queries().stats("acct_a", subs.get(s), StatsWindow.DAY));
      assertThat(remote.attempt("acct_a", ofEvent0.get(s).getAttemptId())).isPresent();
    }
    assertThat(remote.eventAttempts("acct_a", "evt-0").attempts()).hasSize(SUBSCRIPTIONS);
    assertThat(remote.health("acct_b", subs.get(1))).isEmpty();
    assertThatThrownBy(() -> new RemoteStatsQueries(List.of(URI.create("http://127.0.0.1:" + a.port())), "wrong")
        .eventVerdicts("acct_a", "evt-0")).isInstanceOf(StatsUnavailableException.class).hasMessageContaining("403");
    for (int s = 0; s < SUBSCRIPTIONS; s++) {
      assertThat(a.service().queries().stats("acct_a", subs.get(s), StatsWindow.DAY))
          .isEqualTo(b.service().queries().stats("acct_a", subs.get(s), StatsWindow.DAY));
      assertThat(a.service().queries().health("acct_a", subs.get(s)))
          .isEqualTo(b.service().queries().health("acct_a", subs.get(s)));
      assertThat(a.service().queries().attempts("acct_a", subs.get(s), AttemptQuery.all()))
          .isEqualTo(b.service().queries().attempts("acct_a", subs.get(s), AttemptQuery.all()));
    }
    // both hold partitions, so each had to ask the other for some keys
    assertThat(a.service().metrics().queriesForwarded()).isPositive();
    assertThat(b.service().metrics().queriesForwarded()).isPositive();
  }

  @Test
  void theInternalRoutesRefuseARequestWithoutTheToken() throws Exception {
    Instance a = start("stats-solo");
    await().atMost(WAIT).until(() -> a.service().isReady());
    HttpClient http = HttpClient.newHttpClient();
    URI uri = URI.create("http://127.0.0.1:" + a.port() + StatsRoutes.HEALTH + "?account_id=acct_a&subscription_id=s");
    HttpResponse<String> none = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri).header(StatsRoutes.TOKEN_HEADER, "guess").build(),
        HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> right = http.send(HttpRequest.newBuilder(uri)
        .header(StatsRoutes.TOKEN_HEADER, config.internalToken()).build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.port()
            + StatsRoutes.ATTEMPTS + "?account_id=acct_a&subscription_id=s&limit=0"))
        .header(StatsRoutes.TOKEN_HEADER, config.internalToken()).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(none.statusCode()).isEqualTo(403);
    assertThat(wrong.statusCode()).isEqualTo(403);
    assertThat(right.statusCode()).as(right.body()).isEqualTo(404);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("limit");
  }
}
