package org.webhooks.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The one HTTP server of a process, on {@code WEBHOOKS_HTTP_PORT}: one Vert.x instance and one router
 * on which every part mounts its routes. It always serves the operational endpoints,
 * {@code GET /health} (200 when every service it runs is ready and the Kafka cluster and the schema
 * registry answer, else 503, with a JSON body saying which part is not) and {@code GET /metrics}
 * (Prometheus text format: the services' meters, consumer lag, JVM and process); a control plane run
 * by the process mounts its API and console on {@link #router()}.
 */
final class ProcessHttpServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ProcessHttpServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final Router router;
  private final HttpServer server;
  private final PrometheusMeterRegistry registry;
  private final List<AutoCloseable> closeables;

  private ProcessHttpServer(Vertx vertx, Router router, HttpServer server, PrometheusMeterRegistry registry,
      List<AutoCloseable> closeables) {
    this.vertx = vertx;
    this.router = router;
    this.server = server;
    this.registry = registry;
    this.closeables = closeables;
  }

  /**
   * Binds every service's meters and starts listening on {@code 0.0.0.0:<--http-port>} (0 = a free port).
   *
   * @param services the services of this process (their readiness makes {@code /health})
   * @param config settings: HTTP port, registry URL, topics and consumer groups to watch
   * @throws IllegalStateException naming {@code --http-port} when the port cannot be bound
   */
  static ProcessHttpServer start(List<Service> services, WebhooksConfig config) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    List<AutoCloseable> closeables = new ArrayList<>(List.of(gc));
    List<ConsumerLag.Watched> watched = new ArrayList<>();
    for (Service s : services) {
      s.metrics().bindTo(registry);
      switch (s.name()) {
        case Services.FANOUT_STREAM -> watched.add(new ConsumerLag.Watched(
            config.topicPrefix() + Services.FANOUT_STREAM, config.topics().callEvents().name()));
        case Services.DELIVERY_WORKER -> watched.add(new ConsumerLag.Watched(
            config.topicPrefix() + Services.DELIVERY_WORKER, config.topics().deliveries().name()));
        case Services.RETRY_SCHEDULER -> config.topics().retryTopics().forEach(t -> watched.add(
            new ConsumerLag.Watched(config.topicPrefix() + Services.RETRY_SCHEDULER, t.name())));
        case Services.DELIVERY_STATS -> watched.add(new ConsumerLag.Watched(
            config.topicPrefix() + Services.DELIVERY_STATS, config.topics().attempts().name()));
        default -> { }
      }
    }
    if (!watched.isEmpty()) {
      ConsumerLag lag = new ConsumerLag(config, watched);
      lag.bindTo(registry);
      closeables.add(lag);
    }

    BrokerCheck broker = new BrokerCheck(config);
    closeables.add(broker);
    Vertx vertx = Vertx.vertx();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Router router = Router.router(vertx);
    router.get("/health").blockingHandler(ctx -> health(ctx, services, broker, config.registryUrl(), http));
    // a scrape renders every meter of every service (a few hundred series): off the event loop, which also
    // serves /health; consumer lag is read in the background (ConsumerLag), so no scrape waits for the broker
    router.get("/metrics").blockingHandler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
        .end(registry.scrape()));
    HttpServer server = vertx.createHttpServer().requestHandler(router);
    try {
      server.listen(config.httpPort(), "0.0.0.0").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      vertx.close();
      broker.close();
      Throwable cause = e instanceof CompletionException || e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException(Setting.HTTP_PORT.flag() + ": cannot listen on port " + config.httpPort()
          + " (" + cause + "); choose another with " + Setting.HTTP_PORT.flag() + " or " + Setting.HTTP_PORT.envName());
    }
    LOG.info("health and metrics on http://127.0.0.1:{}/health and /metrics", server.actualPort());
    return new ProcessHttpServer(vertx, router, server, registry, closeables);
  }

  /** @return the port listened on. */
  int port() {
    return server.actualPort();
  }

  /** @return the Vert.x instance of this server, whose event loops serve every route. */
  Vertx vertx() {
    return vertx;
  }

  /** @return the router every route of this process mounts on (routes may be added after start). */
  Router router() {
    return router;
  }

  /** @return the registry behind {@code /metrics}, to which parts started later bind their meters. */
  PrometheusMeterRegistry meters() {
    return registry;
  }

  private static void health(RoutingContext ctx, List<Service> services, BrokerCheck broker, String registryUrl,
      HttpClient http) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode parts = body.putObject("services");
    boolean up = true;
    for (Service s : services) {
      boolean ready = s.isReady();
      parts.put(s.name(), ready ? "UP" : "DOWN");
      up &= ready;
    }
    boolean kafkaUp = broker.answers();
    body.put("kafka", kafkaUp ? "UP" : "DOWN");
    up &= kafkaUp;
    boolean registryUp = registryAnswers(http, registryUrl);
    body.put("registry", registryUp ? "UP" : "DOWN");
    up &= registryUp;
    body.put("status", up ? "UP" : "DOWN");
    ctx.response().setStatusCode(up ? 200 : 503).putHeader("content-type", "application/json").end(body.toString());
  }

  private static boolean registryAnswers(HttpClient http, String registryUrl) {
    if (registryUrl.isEmpty()) {
      return false;
    }
    try {
      HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      return false;
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    for (AutoCloseable c : closeables) {
      c.close();
    }
    registry.close();
  }
}
