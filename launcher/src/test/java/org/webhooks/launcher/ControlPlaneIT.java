package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.webhooks.controlplane.ControlPlane;
import org.webhooks.data.ApiKeys;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.embedded.Dirs;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.fanout.FanoutService;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.scheduler.RetryScheduler;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventExamples;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.stats.DeliveryStatsService;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;
import org.webhooks.testing.TestStack;
import org.webhooks.worker.DeliveryWorker;

/**
 * The control plane as {@code up} runs it (mounted on the process's one HTTP server) with the data
 * path behind it, all on one clock the test moves: what the API changes is what the worker does.
 * The README's API examples run here as written.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControlPlaneIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String ACCOUNT = "acct_cp";
  /** The account of the README's examples ({@code api-keys create --account acct_1}). */
  private static final String README_ACCOUNT = "acct_1";

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private WebhooksConfig config;
  private Path stateDir;
  private ControlPlane controlPlane;
  private ProcessHttpServer server;
  private DeliveryWorker worker;
  private Receiver receiver;
  private String key;
  private JsonNode rotating;
  private String oldSecret;
  private String newSecret;
  private JsonNode failing;
  private JsonNode control;

  @BeforeAll
  void start() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    stateDir = Files.createTempDirectory("control-plane-it-");
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "cpit-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "2")
        .with(Setting.RETRY_SCHEDULE, "2s")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.HTTP_PORT, "0")
        .with(Setting.INSTANCE_ID, "cpit-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, stateDir.toString());
    KafkaClients.ensureTopics(config);
    try (ApiKeys keys = new ApiKeys(config)) {
      key = keys.create(ACCOUNT, false, Instant.now()).key();
    }
    receiver = Receiver.start(new AtomicLong());
    closeables.add(receiver);
    receiver.answer("/failing", new Receiver.Status(500, "down"));

    // as up does it: the control plane is a service of the process, its routes on the one server, and it
    // answers the monitoring routes from the delivery-stats of the same process
    controlPlane = new ControlPlane(config, clock);
    DeliveryStatsService stats = new DeliveryStatsService(config, stateDir.resolve("stats-state"), clock);
    server = ProcessHttpServer.start(List.of(stats, controlPlane), config);
    closeables.add(server);
    Services.mountRoutesBeforeStart(stats, server);
    for (Service s : List.of(stats, controlPlane)) {
      s.start();
      closeables.add(0, s);
    }
    Services.mountRoutes(List.of(stats, controlPlane), server);
    await().atMost(WAIT).until(controlPlane::isReady);
    await().atMost(WAIT).until(() -> call("GET", "/v1/event-types", null).statusCode() == 200);

    // saved before the data path starts: the fanout loads every subscription before its first event
    rotating = created(create(receiver.url("/rotating"), "call.started"));
    oldSecret = rotating.get("secret").asText();
    HttpResponse<String> rotated = call("POST", "/v1/webhooks/" + rotating.get("id").asText() + "/secret/rotate", null);
    assertThat(rotated.statusCode()).as(rotated.body()).isEqualTo(200);
    newSecret = JSON.readTree(rotated.body()).get("secret").asText();
    failing = created(create(receiver.url("/failing"), "call.completed"));
    control = created(create(receiver.url("/control"), "call.completed"));

    worker = new DeliveryWorker(config, clock);
    for (Service s : List.of(new FanoutService(config, stateDir.resolve("fanout-state"), clock), worker,
        new RetryScheduler(config, clock))) {
      s.start();
      closeables.add(0, s);
    }
    await().atMost(WAIT).until(() -> closeables.stream().filter(c -> c instanceof Service)
        .allMatch(c -> ((Service) c).isReady()));
  }

  @AfterAll
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    Dirs.deleteRecursively(stateDir);
  }

  @Test
  @Order(1)
  void aDisabledSubscriptionGetsNothingAndItsPendingRetryEndsCancelled() throws Exception {
    String id = failing.get("id").asText();
    publish("evt_cp_1", "call_cp_1", "call.completed");
    await().atMost(WAIT).until(() -> attemptsOf(id).size() == 1);
    assertThat(attemptsOf(id).get(0).getOutcome()).isEqualTo(AttemptOutcome.HTTP_ERROR);
    assertThat(attemptsOf(id).get(0).getNextAttemptAt()).isNotNull();

    HttpResponse<String> patched = call("PATCH", "/v1/webhooks/" + id, "{\"enabled\": false}");
    assertThat(patched.statusCode()).isEqualTo(200);
    assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
    clock.advance(Duration.ofSeconds(3)); // the retry falls due
    publish("evt_cp_2", "call_cp_2", "call.completed");

    await().atMost(WAIT).until(() -> attemptsOf(id).size() == 2);
    DeliveryAttempt cancelled = attemptsOf(id).get(1);
    assertThat(cancelled.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED);
    assertThat(cancelled.getEventId()).isEqualTo("evt_cp_1");
    assertThat(cancelled.getError()).contains("disabled");
    // the enabled subscription of the same account got the later event: the fanout had matched it, and no
    // task of it was made for the disabled one
    await().atMost(WAIT).until(() -> receivedIds("/control").contains("evt_cp_2"));
    assertThat(tasks().stream().filter(t -> t.getEventId().equals("evt_cp_2")).map(DeliveryTask::getSubscriptionId))
        .containsExactly(control.get("id").asText());
    assertThat(receiver.received("/failing")).hasSize(1);
  }

  @Test
  @Order(2)
  void afterARotationBothSecretsSignUntilTheGracePeriodEndsThenOnlyTheNewOne() throws Exception {
    String id = rotating.get("id").asText();
    publish("evt_cp_3", "call_cp_3", "call.started");
    await().atMost(WAIT).until(() -> receivedIds("/rotating").contains("evt_cp_3"));
    Receiver.Received during = received("/rotating", "evt_cp_3");
    assertThat(during.header(WebhookSignature.SIGNATURE_HEADER).split(" ")).hasSize(2);
    assertThat(verifies(oldSecret, during)).isTrue();
    assertThat(verifies(newSecret, during)).isTrue();

    clock.advance(Duration.ofHours(24));
    assertThat(controlPlane.sweepExpiredSecrets()).isGreaterThanOrEqualTo(1);
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      assertThat(store.find(id).orElseThrow().getSecrets()).extracting(SigningSecret::getSecret)
          .containsExactly(newSecret);
    }
    assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
    publish("evt_cp_4", "call_cp_4", "call.started");

    await().atMost(WAIT).until(() -> receivedIds("/rotating").contains("evt_cp_4"));
    Receiver.Received after = received("/rotating", "evt_cp_4");
    assertThat(after.header(WebhookSignature.SIGNATURE_HEADER).split(" ")).hasSize(1);
    assertThat(verifies(newSecret, after)).isTrue();
    assertThat(verifies(oldSecret, after)).isFalse();
  }

  @Test
  @Order(3)
  void theReadmeExamplesWorkAsWrittenAndEveryRouteAndFieldInThemIsDocumented() throws Exception {
    JsonNode document = JSON.readTree(ControlPlane.openApiDocument());
    Map<String, String> vars = new HashMap<>();
    Set<String> covered = new TreeSet<>();
    JsonNode lastCreated = null;
    for (String line : ReadmeApiExamples.lines(Path.of("..", "README.md"), "## Control plane API")) {
      if (line.startsWith("./webhooks up")) {
        continue; // this test is the running stack
      }
      if (line.startsWith("KEY=$(./webhooks ")) {
        List<String> args = new ArrayList<>(ReadmeApiExamples.words(
            line.substring("KEY=$(./webhooks ".length(), line.length() - 1), vars));
        args.addAll(List.of("--bootstrap-servers", config.bootstrapServers(), "--registry-url", config.registryUrl(),
            "--topic-prefix", config.topicPrefix()));
        StringWriter out = new StringWriter();
        assertThat(Webhooks.run(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
            args.toArray(String[]::new))).isZero();
        assertThat(out.toString().lines().toList()).hasSize(1);
        vars.put("KEY", out.toString().trim());
        // the API reads new keys from their topic within milliseconds; a person is slower than that
        await().atMost(WAIT).until(() -> HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
            + server.port() + "/v1/event-types")).header("Authorization", "Bearer " + vars.get("KEY")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        continue;
      }
      if (line.startsWith("API=")) {
        vars.put("API", "http://127.0.0.1:" + server.port());
        continue;
      }
      if (line.startsWith("ID=")) {
        vars.put("ID", lastCreated.get("id").asText());
        continue;
      }
      if (line.startsWith("EVENT=")) {
        // the README's event happens here, in the README key's account, and is looked up once indexed
        String event = line.substring("EVENT=".length()).split("\\s")[0];
        publish(event, "call_" + event, "call.completed", README_ACCOUNT);
        await().atMost(WAIT).until(() -> call("GET", "/v1/events/" + event + "/attempts", null, vars.get("KEY"))
            .statusCode() == 200);
        vars.put("EVENT", event);
        continue;
      }
      if (line.startsWith("ATTEMPT=")) {
        // an attempt of the README's subscription: the replay above delivered the account's call events to it
        String path = "/v1/webhooks/" + vars.get("ID") + "/attempts";
        await().atMost(WAIT).until(() -> JSON.readTree(call("GET", path, null, vars.get("KEY")).body())
            .path("data").size() > 0);
        vars.put("ATTEMPT", JSON.readTree(call("GET", path, null, vars.get("KEY")).body()).get("data").get(0)
            .get("attempt_id").asText());
        // delivery-stats indexes it by id a moment after it lists it (measured 150-200 ms here)
        await().atMost(WAIT).until(() -> call("GET", "/v1/attempts/" + vars.get("ATTEMPT"), null, vars.get("KEY"))
            .statusCode() == 200);
        continue;
      }
      assertThat(line).startsWith("curl ");
      ReadmeApiExamples.Curl curl = ReadmeApiExamples.curl(ReadmeApiExamples.words(line, vars));
      URI uri = URI.create(curl.url());
      String template = documentedPath(document, uri.getPath());
      assertThat(template).as("documented path of " + line).isNotNull();
      JsonNode operation = document.get("paths").get(template).get(curl.method().toLowerCase());
      assertThat(operation).as(curl.method() + " " + template + " is documented").isNotNull();
      covered.add(curl.method() + " " + template);
      if (curl.body() != null) {
        JsonNode schema = resolve(document, operation.get("requestBody").get("content").get("application/json")
            .get("schema"));
        for (Iterator<String> it = JSON.readTree(curl.body()).fieldNames(); it.hasNext(); ) {
          String field = it.next();
          assertThat(schema.get("properties").has(field)).as(field + " of " + template + " is documented").isTrue();
        }
      }
      // the README's endpoint is a receiver on this machine; here it is this test's receiver
      String body = curl.body() == null ? null : curl.body().replace("127.0.0.1:9000", "127.0.0.1:" + receiver.port());
      HttpRequest.Builder request = HttpRequest.newBuilder(uri).method(curl.method(),
          body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
      curl.headers().forEach(request::header);
      HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(line + " -> " + response.body()).isBetween(200, 299);
      if (curl.method().equals("POST") && template.equals("/v1/webhooks")) {
        lastCreated = JSON.readTree(response.body());
      }
      if (template.equals("/v1/webhooks/{id}/test")) {
        assertThat(JSON.readTree(response.body()).get("succeeded").asBoolean()).as(response.body()).isTrue();
      }
    }

    Set<String> documented = new TreeSet<>();
    document.get("paths").fieldNames().forEachRemaining(path -> document.get("paths").get(path).fieldNames()
        .forEachRemaining(op -> {
          if (!op.equals("parameters") && path.startsWith("/v1/")) {
            documented.add(op.toUpperCase() + " " + path);
          }
        }));
    assertThat(covered).isEqualTo(documented);
    HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
        + "/health")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(JSON.readTree(health.body()).get("services").get(ControlPlane.NAME).asText()).isEqualTo("UP");
  }

  // ---- helpers

  private HttpResponse<String> create(String url, String eventType) throws Exception {
    return call("POST", "/v1/webhooks", "{\"url\":\"" + url + "\",\"event_types\":[\"" + eventType + "\"]}");
  }

  private static JsonNode created(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  private HttpResponse<String> call(String method, String path, String body) throws Exception {
    return call(method, path, body, key);
  }

  private HttpResponse<String> call(String method, String path, String body, String apiKey) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .header("Authorization", "Bearer " + apiKey)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void publish(String eventId, String callId, String type) throws Exception {
    publish(eventId, callId, type, ACCOUNT);
  }

  private void publish(String eventId, String callId, String type, String account) throws Exception {
    com.fasterxml.jackson.databind.node.ObjectNode event =
        (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(EventExamples.body(type));
    event.put("event_id", eventId);
    event.put("account_id", account);
    ((com.fasterxml.jackson.databind.node.ObjectNode) event.get("data")).put("call_id", callId);
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      publisher.publish(CallEventJson.parse(event, Instant.now())).get();
    }
  }

  private List<DeliveryAttempt> attemptsOf(String subscriptionId) {
    return TopicReader.readAll(config, config.topics().attempts().name(),
            config.topics().attempts().valueSerde(new SchemaRegistryClient(config.registryUrl())).deserializer())
        .stream().map(ConsumerRecord::value).filter(a -> a.getSubscriptionId().equals(subscriptionId))
        .sorted(java.util.Comparator.comparing(DeliveryAttempt::getAttempt)).toList();
  }

  private List<DeliveryTask> tasks() {
    return TopicReader.readAll(config, config.topics().deliveries().name(),
            config.topics().deliveries().valueSerde(new SchemaRegistryClient(config.registryUrl())).deserializer())
        .stream().map(ConsumerRecord::value).toList();
  }

  private List<String> receivedIds(String path) {
    return receiver.received(path).stream().map(r -> r.header(WebhookSignature.ID_HEADER)).toList();
  }

  private Receiver.Received received(String path, String eventId) {
    return receiver.received(path).stream().filter(r -> eventId.equals(r.header(WebhookSignature.ID_HEADER)))
        .findFirst().orElseThrow();
  }

  private static boolean verifies(String secret, Receiver.Received r) {
    return WebhookSignature.verify(secret, r.header(WebhookSignature.ID_HEADER),
        r.header(WebhookSignature.TIMESTAMP_HEADER), r.body(), r.header(WebhookSignature.SIGNATURE_HEADER));
  }

  /** @return the document's path template that {@code path} matches, or null */
  private static String documentedPath(JsonNode document, String path) {
    for (Iterator<String> it = document.get("paths").fieldNames(); it.hasNext(); ) {
      String template = it.next();
      if (path.matches(template.replaceAll("\\{[a-z_]+\\}", "[^/]+"))) {
        return template;
      }
    }
    return null;
  }

  private static JsonNode resolve(JsonNode document, JsonNode schema) {
    if (schema.has("$ref")) {
      String name = schema.get("$ref").asText().substring("#/components/schemas/".length());
      return document.get("components").get("schemas").get(name);
    }
    return schema;
  }
}
