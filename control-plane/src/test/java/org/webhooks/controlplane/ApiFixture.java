package org.webhooks.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.testing.TestStack;

/**
 * A control plane on its own HTTP server and port, over the shared test broker and registry, as a
 * process would run it; and an HTTP client that speaks to it. Several may run at once over the same
 * topics (another instance, or the same one after a restart).
 */
final class ApiFixture implements AutoCloseable {

  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** A JSON response: status, headers and the body parsed (null when empty). */
  record Response(int status, JsonNode body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  final WebhooksConfig config;
  final ControlPlane controlPlane;
  private final Vertx vertx;
  private final HttpServer server;

  private ApiFixture(WebhooksConfig config, Clock clock) throws Exception {
    this.config = config;
    this.controlPlane = new ControlPlane(config, clock);
    controlPlane.start();
    vertx = Vertx.vertx();
    Router router = Router.router(vertx);
    controlPlane.mount(vertx, router);
    server = vertx.createHttpServer().requestHandler(router);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** @return settings of fresh topics (their own prefix) on the shared stack, created */
  static WebhooksConfig freshTopics() {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "cp-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "2")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.HTTP_TIMEOUT, "5s")
        .with(Setting.INSTANCE_ID, "cp-test");
    KafkaClients.ensureTopics(config);
    return config;
  }

  /** Starts a control plane on {@code config}'s topics and a free port. */
  static ApiFixture start(WebhooksConfig config, Clock clock) throws Exception {
    return new ApiFixture(config, clock);
  }

  Response call(String method, String path, String key, String body) throws Exception {
    return call(method, path, key, body, Map.of());
  }

  Response call(String method, String path, String key, String body, Map<String, String> headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      b.header("Authorization", "Bearer " + key);
    }
    if (body != null) {
      b.header("content-type", "application/json");
    }
    headers.forEach(b::header);
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode parsed = r.body().isEmpty() ? null : JSON.readTree(r.body());
    return new Response(r.statusCode(), parsed, r);
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    controlPlane.close();
  }
}
