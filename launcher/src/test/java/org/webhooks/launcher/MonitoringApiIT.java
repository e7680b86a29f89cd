package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.webhooks.controlplane.ControlPlane;
import org.webhooks.data.ApiKeys;
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
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.stats.DeliveryStatsService;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;
import org.webhooks.testing.TestStack;
import org.webhooks.worker.DeliveryWorker;

/**
 * The monitoring, alerting and recovery API over real HTTP, with the whole data path on the embedded
 * broker as {@code up} runs it (delivery-stats and the control plane in one process, on one port) and
 * real receivers; one clock the test moves makes retries fall due. The tests run in order: each leaves
 * the endpoints as the next expects them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MonitoringApiIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Past the one retry of the schedule: the retries waiting fall due. */
  private static final Duration PAST_RETRY = Duration.ofHours(1).plusSeconds(5);
  private static final String ACCOUNT = "acct_mon";
  private static final String OTHER = "acct_mon_other";
  /** The account of the endpoint whose requests are shown: apart, so the others' counts stay as they are. */
  private static final String REQUESTS = "acct_mon_requests";

  private final MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private WebhooksConfig config;
  private Path stateDir;
  private ProcessHttpServer server;
  private DeliveryWorker worker;
  private FanoutService fanout;
  private Receiver receiver;
  private String key;
  private String otherKey;
  private String requestsKey;
  private JsonNode withHeaders;
  private JsonNode mix;
  private JsonNode filtered;
  private JsonNode started;
  private JsonNode down;
  private JsonNode alerts;
  private JsonNode alertsDown;
  private JsonNode rec;
  private JsonNode rep;
  private final Instant beforeAll = clock.instant();

  @BeforeAll
  void start() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    stateDir = Files.createTempDirectory("monitoring-it-");
    config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "mon-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "2")
        .with(Setting.RETRY_SCHEDULE, "1h")
        .with(Setting.ALLOWED_TARGETS, "127.0.0.1")
        .with(Setting.HTTP_PORT, "0")
        .with(Setting.INSTANCE_ID, "mon-" + UUID.randomUUID())
        .with(Setting.DATA_DIR, stateDir.toString())
        .with(Setting.FAILING_MIN_ATTEMPTS, "3")
        .with(Setting.FAILING_WINDOW, "10h");
    KafkaClients.ensureTopics(config);
    try (ApiKeys keys = new ApiKeys(config)) {
      key = keys.create(ACCOUNT, false, Instant.now()).key();
      otherKey = keys.create(OTHER, false, Instant.now()).key();
      requestsKey = keys.create(REQUESTS, false, Instant.now()).key();
    }
    receiver = Receiver.start(new AtomicLong());
    closeables.add(receiver);
    receiver.answer("/mix", new Receiver.Sequence(ok(), ok(), error(), ok(), error(), ok()));
    receiver.answer("/down", error());
    receiver.answer("/alerts-down", error());

    // as up runs them: delivery-stats and the control plane on the process's one server
    ControlPlane controlPlane = new ControlPlane(config, clock);
    DeliveryStatsService stats = new DeliveryStatsService(config, stateDir.resolve("stats"), clock);
    server = ProcessHttpServer.start(List.of(stats, controlPlane), config);
    closeables.add(server);
    Services.mountRoutesBeforeStart(stats, server);
    for (Service s : List.of(stats, controlPlane)) {
      s.start();
      closeables.add(0, s);
    }
    Services.mountRoutes(List.of(stats, controlPlane), server);
    await().atMost(WAIT).until(() -> call("GET", "/v1/event-types", key, null).status() == 200);

    // saved before the data path starts: the fanout loads every subscription before its first event
    mix = create(key, "/mix", "[\"call.completed\"]", null);
    filtered = create(key, "/filtered", "[\"call.completed\"]", "data.outcome == 'no_answer'");
    started = create(key, "/started", "[\"call.started\"]", null);
    down = create(key, "/down", "[\"call.failed\"]", null);
    alerts = create(key, "/alerts", "[\"endpoint.failing\", \"endpoint.recovered\"]", null);
    alertsDown = create(key, "/alerts-down", "[\"endpoint.failing\", \"message.attempt.exhausted\"]", null);
    rec = create(key, "/rec", "[\"ticket.created\"]", null);
    create(otherKey, "/other", "[\"appointment.booked\"]", null);
    Response r = call("POST", "/v1/webhooks", requestsKey, "{\"url\": \"" + receiver.url("/requests")
        + "\", \"event_types\": [\"call.completed\"], \"headers\": {\"X-Trace-Id\": \"trace-7\"}}");
    assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(201);
    withHeaders = r.body();

    fanout = new FanoutService(config, stateDir.resolve("fanout"), clock);
    worker = new DeliveryWorker(config, clock);
    for (Service s : List.of(fanout, worker, new RetryScheduler(config, clock))) {
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
  void theStatsAndAttemptsOfAnEndpointAreWhatItsReceiverSawAndAnEventLookupExplainsAFilteredOutEndpoint()
      throws Exception {
    for (int i = 0; i < 6; i++) {
      publish("evt_mix_" + i, ACCOUNT, "call.completed", null);
    }
    await().atMost(WAIT).until(() -> receiver.received("/mix").size() == 6);
    String id = mix.get("id").asText();
    // what the receiver answered: the sequence above, in the order it was asked
    long answeredOk = 4;

    await().atMost(WAIT).until(() -> {
      Response r = call("GET", "/v1/webhooks/" + id + "/stats?window=1h", key, null);
      return r.status() == 200 && r.body().get("total").get("attempts").asLong() == 6;
    });
    JsonNode stats = call("GET", "/v1/webhooks/" + id + "/stats?window=1h", key, null).body();
    JsonNode total = stats.get("total");
    assertThat(total.get("succeeded").asLong()).isEqualTo(answeredOk);
    assertThat(total.get("failed").asLong()).isEqualTo(6 - answeredOk);
    assertThat(total.get("outcomes").get("http_error").asLong()).isEqualTo(6 - answeredOk);
    assertThat(total.get("success_rate").asDouble()).isEqualTo(answeredOk / 6.0);
    assertThat(total.get("latency_p99_ms").isIntegralNumber()).isTrue();
    assertThat(stats.get("series")).hasSize(60);
    assertThat(StreamSupport.stream(stats.get("series").spliterator(), false)
        .mapToLong(b -> b.get("attempts").asLong()).sum()).isEqualTo(6);
    assertThat(call("GET", "/v1/webhooks/" + id + "/stats?window=2h", key, null).body().get("field").asText())
        .isEqualTo("window");

    JsonNode failed = call("GET", "/v1/webhooks/" + id + "/attempts?outcome=http_error", key, null).body();
    assertThat(failed.get("data")).hasSize((int) (6 - answeredOk));
    assertThat(failed.get("data").get(0).get("status_code").asInt()).isEqualTo(500);
    assertThat(failed.get("data").get(0).get("final").asBoolean()).isFalse();
    JsonNode page = call("GET", "/v1/webhooks/" + id + "/attempts?limit=4", key, null).body();
    JsonNode rest = call("GET", "/v1/webhooks/" + id + "/attempts?limit=4&cursor=" + page.get("next_cursor").asText(),
        key, null).body();
    assertThat(page.get("data").size() + rest.get("data").size()).isEqualTo(6);
    assertThat(rest.get("next_cursor").isNull()).isTrue();
    assertThat(call("GET", "/v1/webhooks/" + id + "/attempts?outcome=exploded", key, null).body().get("field").asText())
        .isEqualTo("outcome");
    JsonNode health = call("GET", "/v1/webhooks/" + id + "/health", key, null).body();
    assertThat(health.get("status").asText()).isEqualTo("healthy");
    assertThat(health.get("window_attempts").asLong()).isEqualTo(6);
    assertThat(call("GET", "/v1/webhooks/" + rec.get("id").asText() + "/health", key, null).body()
        .get("status").asText()).isEqualTo("no_attempts");

    // one event: who got it, and why the others did not (its attempts reach the by-event index through a
    // repartition topic, a moment after the endpoint's own figures)
    await().atMost(WAIT).until(() -> call("GET", "/v1/events/evt_mix_0/attempts", key, null).body()
        .path("attempts").size() == 1);
    JsonNode lookup = call("GET", "/v1/events/evt_mix_0/attempts", key, null).body();
    assertThat(lookup.get("event_type").asText()).isEqualTo("call.completed");
    assertThat(lookup.get("attempts")).extracting(a -> a.get("subscription_id").asText()).containsExactly(id);
    Map<String, String> verdicts = StreamSupport.stream(lookup.get("verdicts").spliterator(), false)
        .collect(Collectors.toMap(v -> v.get("subscription_id").asText(), v -> v.get("verdict").asText()));
    assertThat(verdicts).containsEntry(id, "matched")
        .containsEntry(filtered.get("id").asText(), "filter_false")
        .containsEntry(started.get("id").asText(), "event_type_not_selected")
        .containsEntry(alerts.get("id").asText(), "event_type_not_selected")
        .hasSize(7);
    assertThat(receiver.received("/filtered")).isEmpty();
    assertThat(call("GET", "/v1/events/evt_never_published/attempts", key, null).status()).isEqualTo(404);
  }

  @Test
  @Order(2)
  void aFailingEndpointIsReportedByASignedEndpointFailingToAnotherEndpointAndItsRecoveryByEndpointRecovered()
      throws Exception {
    String downId = down.get("id").asText();
    for (int i = 0; i < 3; i++) {
      publish("evt_down_" + i, ACCOUNT, "call.failed", null);
    }

    Receiver.Received failing = await().atMost(WAIT).until(() -> alertAbout("endpoint.failing", downId), r -> r != null);
    assertThat(WebhookSignature.verify(alerts.get("secret").asText(), failing.header(WebhookSignature.ID_HEADER),
        failing.header(WebhookSignature.TIMESTAMP_HEADER), failing.body(),
        failing.header(WebhookSignature.SIGNATURE_HEADER))).isTrue();
    JsonNode body = JSON.readTree(failing.body());
    assertThat(body.get("event_id").asText()).isEqualTo(failing.header(WebhookSignature.ID_HEADER)).startsWith("op_");
    assertThat(body.get("data").get("url").asText()).isEqualTo(receiver.url("/down"));
    assertThat(body.get("data").get("window_attempts").asLong()).isEqualTo(3);
    assertThat(body.get("data").get("success_rate").asDouble()).isZero();
    assertThat(body.get("data").get("reason").asText()).contains("success rate 0%");
    assertThat(call("GET", "/v1/webhooks/" + downId + "/health", key, null).body().get("status").asText())
        .isEqualTo("failing");

    receiver.answer("/down", ok());
    for (int i = 3; i < 6; i++) {
      publish("evt_down_" + i, ACCOUNT, "call.failed", null);
    }
    Receiver.Received recovered = await().atMost(WAIT)
        .until(() -> alertAbout("endpoint.recovered", downId), r -> r != null);
    assertThat(JSON.readTree(recovered.body()).get("data").get("success_rate").asDouble()).isEqualTo(0.5);
    assertThat(call("GET", "/v1/webhooks/" + downId + "/health", key, null).body().get("status").asText())
        .isEqualTo("healthy");
    // the lookup of an operational event names who got it
    String opEvent = failing.header(WebhookSignature.ID_HEADER);
    await().atMost(WAIT).untilAsserted(() -> {
      JsonNode lookup = call("GET", "/v1/events/" + opEvent + "/attempts", key, null).body();
      assertThat(lookup.get("event_type").asText()).isEqualTo("endpoint.failing");
      assertThat(lookup.get("attempts")).extracting(a -> a.get("subscription_id").asText())
          .contains(alerts.get("id").asText());
    });
  }

  @Test
  @Order(3)
  void recoverSendsAgainExactlyTheFailedDeliveriesOnceAndAnAlertThatCannotBeDeliveredRaisesNoOther()
      throws Exception {
    String recId = rec.get("id").asText();
    Instant since = clock.instant();
    receiver.answer("/rec", ok());
    publish("evt_rec_1", ACCOUNT, "ticket.created", null);
    await().atMost(WAIT).until(() -> received("/rec").contains("evt_rec_1"));
    receiver.answer("/rec", error());
    publish("evt_rec_2", ACCOUNT, "ticket.created", null);
    publish("evt_rec_3", ACCOUNT, "ticket.created", null);
    await().atMost(WAIT).until(() -> received("/rec").containsAll(List.of("evt_rec_2", "evt_rec_3")));

    // their retries fall due and fail: given up on, dead-lettered
    clock.advance(PAST_RETRY);
    await().atMost(WAIT).until(() -> finalAttempts(recId, "http_error").size() == 2);

    // two more fail once, and are cancelled when their retries come due while the endpoint is disabled
    publish("evt_rec_4", ACCOUNT, "ticket.created", null);
    publish("evt_rec_5", ACCOUNT, "ticket.created", null);
    await().atMost(WAIT).until(() -> received("/rec").containsAll(List.of("evt_rec_4", "evt_rec_5")));
    assertThat(call("PATCH", "/v1/webhooks/" + recId, key, "{\"enabled\": false}").status()).isEqualTo(200);
    assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
    clock.advance(PAST_RETRY);
    await().atMost(WAIT).until(() -> finalAttempts(recId, "cancelled").size() == 2);

    // enabled again; one more fails once and waits for its retry
    long updates = fanout.metrics().subscriptionUpdates();
    assertThat(call("PATCH", "/v1/webhooks/" + recId, key, "{\"enabled\": true}").status()).isEqualTo(200);
    assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
    await().atMost(WAIT).until(() -> fanout.metrics().subscriptionUpdates() > updates);
    publish("evt_rec_6", ACCOUNT, "ticket.created", null);
    await().atMost(WAIT).until(() -> received("/rec").contains("evt_rec_6"));
    await().atMost(WAIT).until(() -> call("GET", "/v1/webhooks/" + recId + "/attempts", key, null).body()
        .get("data").size() == 10);

    receiver.answer("/rec", ok());
    Response recovered = call("POST", "/v1/webhooks/" + recId + "/recover?since=" + since, key, null);

    assertThat(recovered.status()).as(recovered.body().toString()).isEqualTo(202);
    assertThat(recovered.body().get("deliveries")).extracting(d -> d.get("event_id").asText() + " "
        + d.get("last_outcome").asText() + " " + d.get("source").asText()).containsExactlyInAnyOrder(
            "evt_rec_2 http_error dead_letter", "evt_rec_3 http_error dead_letter",
            "evt_rec_4 cancelled event_log", "evt_rec_5 cancelled event_log");
    await().atMost(WAIT).until(() -> received("/rec").size() == 12);
    assertThat(counts(received("/rec"))).containsExactlyInAnyOrderEntriesOf(Map.of("evt_rec_1", 1L, "evt_rec_2", 3L,
        "evt_rec_3", 3L, "evt_rec_4", 2L, "evt_rec_5", 2L, "evt_rec_6", 1L));
    // the same body bytes as the first delivery, from the dead letter and from the event log alike
    for (String event : List.of("evt_rec_2", "evt_rec_4")) {
      List<Receiver.Received> copies = receiver.received("/rec").stream()
          .filter(r -> event.equals(r.header(WebhookSignature.ID_HEADER))).toList();
      assertThat(copies.get(copies.size() - 1).body()).isEqualTo(copies.get(0).body());
    }
    // each once: what was sent again is not sent again
    assertThat(call("POST", "/v1/webhooks/" + recId + "/recover?since=" + since, key, null).body()
        .get("recovered").asInt()).isZero();

    // the endpoint that only receives alerts failed every delivery, to the end: no alert came of it
    String alertsDownId = alertsDown.get("id").asText();
    await().atMost(WAIT).until(() -> !finalAttempts(alertsDownId, "http_error").isEmpty());
    assertThat(call("GET", "/v1/webhooks/" + alertsDownId + "/stats?window=24h", key, null).body().get("total")
        .get("failed").asLong()).isGreaterThanOrEqualTo(3);
    List<OperationalEvent> events = TopicReader.readAll(config, config.topics().operationalEvents().name(),
            config.topics().operationalEvents().valueSerde(new SchemaRegistryClient(config.registryUrl()))
                .deserializer()).stream().map(ConsumerRecord::value).toList();
    assertThat(events).isNotEmpty().noneMatch(e -> e.getSubscriptionId().equals(alertsDownId));
    assertThat(call("GET", "/v1/webhooks/" + alertsDownId + "/health", key, null).body().get("status").asText())
        .isEqualTo("no_attempts");
  }

  @Test
  @Order(4)
  void replayDeliversExactlyTheMatchingEventsPublishedSinceTOnceEachAndResendSendsOneAgain() throws Exception {
    Instant before = publish("evt_apt_1", ACCOUNT, "appointment.booked", null);
    Instant since = before.plusMillis(1);
    await().atMost(WAIT).until(() -> Instant.now().isAfter(since));
    publish("evt_apt_2", ACCOUNT, "appointment.booked", null);
    publish("evt_apt_3", ACCOUNT, "appointment.booked", null);
    publish("evt_apt_skip", ACCOUNT, "appointment.booked", "apt_skip");
    publish("evt_apt_other", OTHER, "appointment.booked", null);
    publish("evt_started", ACCOUNT, "call.started", null);
    await().atMost(WAIT).until(() -> received("/other").contains("evt_apt_other"));
    // a new endpoint, created after these events: the fanout never gives it any of them
    rep = create(key, "/rep", "[\"appointment.booked\"]", "data.appointment_id != 'apt_skip'");
    String repId = rep.get("id").asText();

    List<JsonNode> calls = new ArrayList<>();
    String cursor = null;
    do {
      Response r = call("POST", "/v1/webhooks/" + repId + "/replay?since=" + since + "&limit=3"
          + (cursor == null ? "" : "&cursor=" + cursor), key, null);
      assertThat(r.status()).as(r.body().toString()).isEqualTo(202);
      calls.add(r.body());
      cursor = r.body().get("next_cursor").isNull() ? null : r.body().get("next_cursor").asText();
    } while (cursor != null);

    assertThat(calls.size()).isGreaterThan(1);
    assertThat(calls.get(calls.size() - 1).get("complete").asBoolean()).isTrue();
    assertThat(calls.stream().mapToLong(c -> c.get("delivered").asLong()).sum()).isEqualTo(2);
    await().atMost(WAIT).until(() -> received("/rep").size() == 2);
    assertThat(received("/rep")).containsExactlyInAnyOrder("evt_apt_2", "evt_apt_3");
    assertThat(tasks().stream().filter(t -> t.getSubscriptionId().equals(repId)).map(DeliveryTask::getEventId))
        .containsExactlyInAnyOrder("evt_apt_2", "evt_apt_3");
    await().atMost(WAIT).untilAsserted(() -> assertThat(call("GET", "/v1/events/evt_apt_2/attempts", key, null).body()
        .get("verdicts")).anySatisfy(v -> {
          assertThat(v.get("subscription_id").asText()).isEqualTo(repId);
          assertThat(v.get("verdict").asText()).isEqualTo("matched");
          assertThat(v.get("source").asText()).isEqualTo("replay");
        }));
    assertThat(call("POST", "/v1/webhooks/" + repId + "/replay", key, null).body().get("field").asText())
        .isEqualTo("since");
    // an instant no record can have is refused naming the parameter, on every route that reads by time
    // a time to come is refused by both, as no event or attempt can have it yet
    for (String route : List.of("/replay?since=2999-01-01T00:00:00Z", "/recover?since=2999-01-01T00:00:00Z")) {
      Response future = call("POST", "/v1/webhooks/" + repId + route, key, null);
      assertThat(future.status()).as(route).isEqualTo(400);
      assertThat(future.body().get("error").asText()).as(route).isEqualTo("since: 2999-01-01T00:00:00Z is in the future");
    }
    for (String route : List.of("/replay?since=0000-01-01T00:00:00Z", "/recover?since=-999999999-01-01T00:00:00Z",
        "/attempts?since=0000-01-01T00:00:00Z")) {
      Response far = call(route.startsWith("/attempts") ? "GET" : "POST", "/v1/webhooks/" + repId + route, key, null);
      assertThat(far.status()).as(route).isEqualTo(400);
      assertThat(far.body().get("field").asText()).as(route).isEqualTo("since");
      assertThat(far.body().get("error").asText()).isEqualTo("since: must be from 1970-01-01T00:00:00Z to "
          + "9999-12-31T23:59:59Z");
    }

    // resend one of its attempts: the same event, again
    await().atMost(WAIT).until(() -> call("GET", "/v1/webhooks/" + repId + "/attempts", key, null).body()
        .get("data").size() == 2);
    JsonNode attempt = StreamSupport.stream(call("GET", "/v1/webhooks/" + repId + "/attempts", key, null).body()
        .get("data").spliterator(), false).filter(a -> a.get("event_id").asText().equals("evt_apt_2")).findFirst()
        .orElseThrow();
    Response resent = call("POST", "/v1/attempts/" + attempt.get("attempt_id").asText() + "/resend", key, null);
    assertThat(resent.status()).as(resent.body().toString()).isEqualTo(202);
    assertThat(resent.body().get("delivery_id").asText()).isEqualTo(attempt.get("delivery_id").asText());
    await().atMost(WAIT).until(() -> received("/rep").size() == 3);
    assertThat(counts(received("/rep"))).containsExactlyInAnyOrderEntriesOf(Map.of("evt_apt_2", 2L, "evt_apt_3", 1L));
    assertThat(call("POST", "/v1/attempts/no-such-attempt/resend", key, null).status()).isEqualTo(404);

    // the command forms do the same
    List<String> replayed = cli("subscriptions", "replay", repId, "--since", since.toString()).lines().toList();
    JsonNode last = JSON.readTree(replayed.get(replayed.size() - 1));
    assertThat(last.get("complete").asBoolean()).isTrue();
    assertThat(replayed.stream().mapToLong(l -> read(l).get("delivered").asLong()).sum()).isEqualTo(2);
    JsonNode resentByCli = JSON.readTree(cli("attempts", "resend", attempt.get("attempt_id").asText(), "--subscription",
        repId));
    assertThat(resentByCli.get("event_id").asText()).isEqualTo("evt_apt_2");
    await().atMost(WAIT).until(() -> received("/rep").size() == 6);
    assertThat(counts(received("/rep"))).containsExactlyInAnyOrderEntriesOf(Map.of("evt_apt_2", 4L, "evt_apt_3", 2L));
    assertThat(JSON.readTree(cli("subscriptions", "recover", rec.get("id").asText(), "--since", "24h"))
        .get("recovered").asInt()).isZero();
  }

  @Test
  @Order(6)
  void anAttemptShowsTheRequestItMadeByteForByteAndNoBodyOnceItsEventIsPastRetention() throws Exception {
    publish("evt_req_1", REQUESTS, "call.completed", null);
    await().atMost(WAIT).until(() -> receiver.received("/requests").size() == 1);
    Receiver.Received got = receiver.received("/requests").get(0);
    String path = "/v1/webhooks/" + withHeaders.get("id").asText() + "/attempts";
    await().atMost(WAIT).until(() -> call("GET", path, requestsKey, null).body().path("data").size() == 1);
    JsonNode listed = call("GET", path, requestsKey, null).body().get("data").get(0);
    String attemptId = listed.get("attempt_id").asText();
    // indexed by id a moment after it is listed
    await().atMost(WAIT).until(() -> call("GET", "/v1/attempts/" + attemptId, requestsKey, null).status() == 200);

    Response r = call("GET", "/v1/attempts/" + attemptId, requestsKey, null);
    assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(200);
    // the attempt record as the list gives it, and the request
    ObjectNode record = ((ObjectNode) r.body()).deepCopy();
    record.remove(List.of("request", "request_note"));
    assertThat(record).isEqualTo(listed);
    JsonNode request = r.body().get("request");
    assertThat(request.get("method").asText()).isEqualTo("POST");
    assertThat(request.get("url").asText()).isEqualTo(receiver.url("/requests"));
    assertThat(request.get("body").asText().getBytes(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(got.body());
    List<String> exact = StreamSupport.stream(request.get("exact_headers").spliterator(), false)
        .map(JsonNode::asText).toList();
    assertThat(exact).containsExactlyInAnyOrder("content-type", "webhook-id", "webhook-timestamp", "webhook-signature");
    for (String name : exact) {
      assertThat(request.get("headers").get(name).asText()).as(name).isEqualTo(got.header(name));
    }
    assertThat(WebhookSignature.verify(withHeaders.get("secret").asText(), got.header("webhook-id"),
        got.header("webhook-timestamp"), got.body(), request.get("headers").get("webhook-signature").asText()))
        .isTrue();
    // the custom headers, as they are now: unchanged since, so as sent
    assertThat(request.get("current_headers")).extracting(JsonNode::asText).contains("X-Trace-Id");
    assertThat(request.get("headers").get("X-Trace-Id").asText()).isEqualTo(got.header("x-trace-id"));
    assertThat(listed.get("webhook_signature").asText()).isEqualTo(got.header("webhook-signature"));

    // another account's attempt is absent; a wrong key is refused
    assertThat(call("GET", "/v1/attempts/" + attemptId, key, null).status()).isEqualTo(404);
    assertThat(call("GET", "/v1/attempts/" + attemptId, "nonsense", null).status()).isEqualTo(401);
    assertThat(call("GET", "/v1/attempts/no-such-attempt", requestsKey, null).status()).isEqualTo(404);

    // the event past the topic's retention: the rest is still shown, the body is not
    try (Admin admin = Admin.create(KafkaClients.common(config))) {
      String topic = config.topics().callEvents().name();
      Map<TopicPartition, RecordsToDelete> all = new java.util.HashMap<>();
      Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
      admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
          .forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
      admin.listOffsets(latest).all().get().forEach((tp, o) -> all.put(tp, RecordsToDelete.beforeOffset(o.offset())));
      admin.deleteRecords(all).all().get();
    }
    JsonNode gone = call("GET", "/v1/attempts/" + attemptId, requestsKey, null).body().get("request");
    assertThat(gone.get("body").isNull()).isTrue();
    assertThat(gone.get("body_note").asText()).contains("evt_req_1", "no longer in", "retention");
    assertThat(gone.get("headers").get("webhook-signature").asText()).isEqualTo(got.header("webhook-signature"));
  }

  private String cli(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--bootstrap-servers", config.bootstrapServers(), "--registry-url", config.registryUrl(),
        "--topic-prefix", config.topicPrefix(), "--data-dir", stateDir.toString()));
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = Webhooks.run(new java.io.PrintWriter(out, true), new java.io.PrintWriter(err, true),
        all.toArray(String[]::new));
    assertThat(code).as(String.join(" ", args) + ": " + err).isZero();
    return out.toString().trim();
  }

  private static JsonNode read(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  @Order(5)
  void anotherAccountGets404OnEveryNewRoute() throws Exception {
    String mixId = mix.get("id").asText();
    String attemptId = call("GET", "/v1/webhooks/" + mixId + "/attempts", key, null).body().get("data").get(0)
        .get("attempt_id").asText();
    List<String[]> routes = List.of(
        new String[] {"GET", "/v1/webhooks/" + mixId + "/stats"},
        new String[] {"GET", "/v1/webhooks/" + mixId + "/attempts"},
        new String[] {"GET", "/v1/webhooks/" + mixId + "/health"},
        new String[] {"GET", "/v1/events/evt_mix_0/attempts"},
        new String[] {"POST", "/v1/webhooks/" + rec.get("id").asText() + "/recover?since=" + beforeAll},
        new String[] {"POST", "/v1/webhooks/" + rep.get("id").asText() + "/replay?since=" + beforeAll},
        new String[] {"POST", "/v1/attempts/" + attemptId + "/resend"});
    Set<String> targeted = Set.of(rec.get("id").asText(), rep.get("id").asText(), mixId);
    long tasksBefore = tasks().stream().filter(t -> targeted.contains(t.getSubscriptionId())).count();

    for (String[] route : routes) {
      Response asOther = call(route[0], route[1], otherKey, null);
      assertThat(asOther.status()).as(route[0] + " " + route[1] + ": " + asOther.body()).isEqualTo(404);
      assertThat(call(route[0], route[1], "nonsense", null).status()).isEqualTo(401);
    }
    // nothing was queued for them (what a POST queues is committed before it answers)
    assertThat(tasks().stream().filter(t -> targeted.contains(t.getSubscriptionId())).count()).isEqualTo(tasksBefore);
    // its own event it sees, without this account's endpoints
    JsonNode own = call("GET", "/v1/events/evt_apt_other/attempts", otherKey, null).body();
    assertThat(own.get("verdicts")).extracting(v -> v.get("verdict").asText()).containsExactly("matched");
    assertThat(own.toString()).doesNotContain(mixId).doesNotContain(rep.get("id").asText());
  }

  // ---- helpers

  private record Response(int status, JsonNode body) {}

  private static Receiver.Status ok() {
    return new Receiver.Status(200, "ok");
  }

  private static Receiver.Status error() {
    return new Receiver.Status(500, "down");
  }

  private JsonNode create(String apiKey, String path, String eventTypes, String filter) throws Exception {
    ObjectNode body = JSON.createObjectNode().put("url", receiver.url(path));
    body.set("event_types", JSON.readTree(eventTypes));
    if (filter != null) {
      body.put("filter", filter);
    }
    Response r = call("POST", "/v1/webhooks", apiKey, body.toString());
    assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(201);
    return r.body();
  }

  private Response call(String method, String path, String apiKey, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .header("Authorization", "Bearer " + apiKey)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Response(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
  }

  /** @return the Kafka time the event was published at */
  private Instant publish(String eventId, String account, String type, String appointmentId) throws Exception {
    ObjectNode event = (ObjectNode) JSON.readTree(EventExamples.body(type));
    event.put("event_id", eventId);
    event.put("account_id", account);
    ObjectNode data = (ObjectNode) event.get("data");
    data.put("call_id", "call_" + eventId);
    if (appointmentId != null) {
      data.put("appointment_id", appointmentId);
    }
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      return Instant.ofEpochMilli(publisher.publish(CallEventJson.parse(event, Instant.now())).get().timestamp());
    }
  }

  private List<DeliveryTask> tasks() {
    return TopicReader.readAll(config, config.topics().deliveries().name(),
            config.topics().deliveries().valueSerde(new SchemaRegistryClient(config.registryUrl())).deserializer())
        .stream().map(ConsumerRecord::value).toList();
  }

  private List<String> received(String path) {
    return receiver.received(path).stream().map(r -> r.header(WebhookSignature.ID_HEADER)).toList();
  }

  private static Map<String, Long> counts(List<String> ids) {
    return ids.stream().collect(Collectors.groupingBy(i -> i, Collectors.counting()));
  }

  /** @return the final attempts of a subscription with this outcome, as the API lists them */
  private List<JsonNode> finalAttempts(String subscriptionId, String outcome) throws Exception {
    Response r = call("GET", "/v1/webhooks/" + subscriptionId + "/attempts?outcome=" + outcome, key, null);
    if (r.status() != 200) {
      return List.of();
    }
    return StreamSupport.stream(r.body().get("data").spliterator(), false)
        .filter(a -> a.get("final").asBoolean()).toList();
  }

  /** @return the request /alerts got of this operational event type about this endpoint, or null */
  private Receiver.Received alertAbout(String type, String endpointId) throws Exception {
    for (Receiver.Received r : receiver.received("/alerts")) {
      JsonNode body = JSON.readTree(r.body());
      if (body.get("event_type").asText().equals(type) && body.get("data").get("endpoint_id").asText().equals(endpointId)) {
        return r;
      }
    }
    return null;
  }
}
