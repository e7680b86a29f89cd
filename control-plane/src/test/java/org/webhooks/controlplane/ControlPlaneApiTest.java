package org.webhooks.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.webhooks.controlplane.ApiFixture.Response;
import org.webhooks.data.ApiKeys;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.EventExamples;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;

/**
 * The API over real HTTP against the embedded broker: what a customer does, what another account and
 * a caller without a valid key are refused, and each validation error named.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ControlPlaneApiTest {

  private static final String URL = "https://hooks.example.com/calls";

  private WebhooksConfig config;
  private ApiFixture api;
  private ApiKeys keys;
  private Receiver receiver;
  private String keyA;
  private String keyB;
  private String operatorKey;
  private final String accountA = "acct_a_" + UUID.randomUUID();
  private final String accountB = "acct_b_" + UUID.randomUUID();

  @BeforeAll
  void start() throws Exception {
    config = ApiFixture.freshTopics();
    keys = new ApiKeys(config);
    keyA = keys.create(accountA, false, Instant.now()).key();
    keyB = keys.create(accountB, false, Instant.now()).key();
    operatorKey = keys.create(null, true, Instant.now()).key();
    api = ApiFixture.start(config, new MutableClock(Instant.parse("2025-01-15T15:45:32Z")));
    await().atMost(Duration.ofSeconds(30)).until(() -> api.call("GET", "/v1/event-types", operatorKey, null).status() == 200);
    receiver = Receiver.start(new AtomicLong());
  }

  @AfterAll
  void stop() throws Exception {
    receiver.close();
    api.close();
    keys.close();
  }

  private Response create(String key, String body) throws Exception {
    return api.call("POST", "/v1/webhooks", key, body);
  }

  private String createId(String key) throws Exception {
    Response r = create(key, "{\"url\":\"" + URL + "\",\"event_types\":[\"call.completed\"]}");
    assertThat(r.status()).as(String.valueOf(r.body())).isEqualTo(201);
    return r.body().get("id").asText();
  }

  @Test
  void aCreatedSubscriptionIsReadBackAtOnceWithoutItsSecret() throws Exception {
    Response created = create(keyA, """
        {"url": "%s", "event_types": ["call.completed", "call.failed"], "description": "CRM sync",
         "rate_limit": 50, "headers": {"X-Api-Token": "t0k"}, "metadata": {"team": "sales"}}""".formatted(URL));

    assertThat(created.status()).as(created.body().toString()).isEqualTo(201);
    JsonNode c = created.body();
    assertThat(c.get("id").asText()).startsWith("sub_");
    assertThat(c.get("account_id").asText()).isEqualTo(accountA);
    assertThat(WebhookSecret.key(c.get("secret").asText())).hasSize(32);
    assertThat(c.get("enabled").asBoolean()).isTrue();
    Response read = api.call("GET", "/v1/webhooks/" + c.get("id").asText(), keyA, null);
    assertThat(read.status()).isEqualTo(200);
    JsonNode r = read.body();
    assertThat(r.has("secret")).isFalse();
    assertThat(r.toString()).doesNotContain(c.get("secret").asText());
    assertThat(r.get("url").asText()).isEqualTo(URL);
    assertThat(r.get("event_types")).extracting(JsonNode::asText).containsExactly("call.completed", "call.failed");
    assertThat(r.get("description").asText()).isEqualTo("CRM sync");
    assertThat(r.get("rate_limit").asInt()).isEqualTo(50);
    assertThat(r.get("headers").get("X-Api-Token").asText()).isEqualTo("t0k");
    assertThat(r.get("metadata").get("team").asText()).isEqualTo("sales");
    assertThat(r.get("filter").isNull()).isTrue();
    assertThat(r.get("disabled_reason").isNull()).isTrue();
    Response list = api.call("GET", "/v1/webhooks?limit=100", keyA, null);
    assertThat(list.body().get("data")).extracting(n -> n.get("id").asText()).contains(c.get("id").asText());
    assertThat(list.body().toString()).doesNotContain("whsec_");
  }

  @Test
  void aBodyOverTheLimitIsRefusedWithAnErrorNamingTheBody() throws Exception {
    String description = "x".repeat(WebhooksApi.MAX_BODY_BYTES);
    Response r = create(keyA, "{\"url\":\"" + URL + "\",\"event_types\":[\"call.completed\"],\"description\":\""
        + description + "\"}");
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.header("content-type")).startsWith("application/json");
    assertThat(r.body().get("field").asText()).isEqualTo("body");
    assertThat(r.body().get("error").asText()).contains(String.valueOf(WebhooksApi.MAX_BODY_BYTES), "bytes");
    // without a valid key, 401 as on every route
    assertThat(create("nonsense", "{\"description\":\"" + description + "\"}").status()).isEqualTo(401);
  }

  @Test
  void anUpdateReplacesTheGivenFieldsAndIsReadBackAtOnce() throws Exception {
    String id = create(keyA, """
        {"url": "%s", "event_types": ["call.completed"], "description": "d", "rate_limit": 5,
         "metadata": {"a": "1"}}""".formatted(URL)).body().get("id").asText();

    Response patched = api.call("PATCH", "/v1/webhooks/" + id, keyA, """
        {"event_types": ["ticket.created"], "description": null, "enabled": false, "headers": {"X-Env": "prod"}}""");

    assertThat(patched.status()).as(patched.body().toString()).isEqualTo(200);
    JsonNode r = api.call("GET", "/v1/webhooks/" + id, keyA, null).body();
    assertThat(r.get("event_types")).extracting(JsonNode::asText).containsExactly("ticket.created");
    assertThat(r.get("description").isNull()).isTrue();
    assertThat(r.get("enabled").asBoolean()).isFalse();
    assertThat(r.get("headers").get("X-Env").asText()).isEqualTo("prod");
    assertThat(r.get("url").asText()).isEqualTo(URL);
    assertThat(r.get("rate_limit").asInt()).isEqualTo(5);
    assertThat(r.get("metadata").get("a").asText()).isEqualTo("1");
  }

  @Test
  void reEnablingASubscriptionDisabledByGoneClearsTheReason() throws Exception {
    String id = createId(keyA);
    // as the worker writes it after a 410 Gone
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      Subscription s = store.find(id).orElseThrow();
      store.save(Subscription.newBuilder(s).setEnabled(false)
          .setDisabledReason("endpoint answered 410 Gone at 2025-01-15T15:45:33Z")
          .setUpdatedAt(s.getUpdatedAt().plusSeconds(1)).build());
    }
    await().atMost(Duration.ofSeconds(10)).until(() ->
        !api.call("GET", "/v1/webhooks/" + id, keyA, null).body().get("enabled").asBoolean());
    JsonNode disabled = api.call("GET", "/v1/webhooks/" + id, keyA, null).body();
    assertThat(disabled.get("disabled_reason").asText()).contains("410 Gone");

    Response enabled = api.call("PATCH", "/v1/webhooks/" + id, keyA, "{\"enabled\": true}");

    assertThat(enabled.body().get("enabled").asBoolean()).isTrue();
    assertThat(enabled.body().get("disabled_reason").isNull()).isTrue();
    assertThat(api.call("GET", "/v1/webhooks/" + id, keyA, null).body().get("disabled_reason").isNull()).isTrue();
  }

  @Test
  void aDeletedSubscriptionIsGoneAtOnce() throws Exception {
    String id = createId(keyA);

    Response deleted = api.call("DELETE", "/v1/webhooks/" + id, keyA, null);

    assertThat(deleted.status()).isEqualTo(204);
    assertThat(deleted.raw().body()).isEmpty();
    assertThat(api.call("GET", "/v1/webhooks/" + id, keyA, null).status()).isEqualTo(404);
    assertThat(api.call("DELETE", "/v1/webhooks/" + id, keyA, null).status()).isEqualTo(404);
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      assertThat(store.exists(id)).isFalse();
    }
  }

  @Test
  void pagesWalkAnAccountsSubscriptionsInOrderOnceEach() throws Exception {
    String account = "acct_pages_" + UUID.randomUUID();
    String q = "?account_id=" + account;
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Response r = api.call("POST", "/v1/webhooks" + q, operatorKey,
          "{\"url\":\"" + URL + "\",\"event_types\":[\"call.started\"]}");
      assertThat(r.status()).isEqualTo(201);
      created.add(r.body().get("id").asText());
    }

    List<String> seen = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    String cursor = null;
    do {
      Response page = api.call("GET", "/v1/webhooks" + q + "&limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          operatorKey, null);
      assertThat(page.status()).isEqualTo(200);
      page.body().get("data").forEach(n -> seen.add(n.get("id").asText()));
      sizes.add(page.body().get("data").size());
      cursor = page.body().get("next_cursor").isNull() ? null : page.body().get("next_cursor").asText();
    } while (cursor != null);

    assertThat(sizes).containsExactly(2, 2, 1);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(created).doesNotHaveDuplicates();
    assertThat(api.call("GET", "/v1/webhooks" + q + "&limit=0", operatorKey, null).body().get("field").asText())
        .isEqualTo("limit");
    assertThat(api.call("GET", "/v1/webhooks" + q + "&cursor=nonsense", operatorKey, null).body().get("field")
        .asText()).isEqualTo("cursor");
  }

  @Test
  void aRepeatedPostWithTheSameIdempotencyKeyReturnsTheFirstResultAlsoAfterARestart() throws Exception {
    String body = "{\"url\":\"" + URL + "\",\"event_types\":[\"call.completed\"]}";
    Map<String, String> key = Map.of("Idempotency-Key", "create-" + UUID.randomUUID());

    Response first = api.call("POST", "/v1/webhooks", keyA, body, key);
    Response repeat = api.call("POST", "/v1/webhooks", keyA, body, key);
    Response otherBody = api.call("POST", "/v1/webhooks", keyA, body.replace("call.completed", "call.failed"), key);
    Response otherAccount = api.call("POST", "/v1/webhooks", keyB, body, key);

    assertThat(first.status()).isEqualTo(201);
    assertThat(repeat.status()).isEqualTo(201);
    assertThat(repeat.body()).isEqualTo(first.body());
    assertThat(repeat.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(otherBody.status()).isEqualTo(422);
    assertThat(otherBody.body().get("field").asText()).isEqualTo("Idempotency-Key");
    assertThat(otherAccount.status()).isEqualTo(201);
    assertThat(otherAccount.body().get("id")).isNotEqualTo(first.body().get("id"));
    long ofAccountA = countOf(keyA, first.body().get("id").asText());
    assertThat(ofAccountA).isEqualTo(1);

    // a new control plane on the same topics, as after a restart, reads the key back from its topic
    try (ApiFixture restarted = ApiFixture.start(config, new MutableClock(Instant.parse("2025-01-15T16:00:00Z")))) {
      await().atMost(Duration.ofSeconds(30)).until(() -> restarted.controlPlane.isReady());
      Response afterRestart = restarted.call("POST", "/v1/webhooks", keyA, body, key);
      assertThat(afterRestart.status()).isEqualTo(201);
      assertThat(afterRestart.body()).isEqualTo(first.body());
    }
  }

  private long countOf(String key, String id) throws Exception {
    JsonNode data = api.call("GET", "/v1/webhooks?limit=100", key, null).body().get("data");
    long n = 0;
    for (JsonNode s : data) {
      n += s.get("id").asText().equals(id) ? 1 : 0;
    }
    return n;
  }

  /** Every route that names a subscription, with a body it accepts. */
  private static List<String[]> routesOf(String id) {
    return List.of(
        new String[] {"GET", "/v1/webhooks/" + id, null},
        new String[] {"PATCH", "/v1/webhooks/" + id, "{\"description\":\"mine now\"}"},
        new String[] {"POST", "/v1/webhooks/" + id + "/secret/rotate", null},
        new String[] {"POST", "/v1/webhooks/" + id + "/test", null},
        new String[] {"GET", "/v1/webhooks/" + id + "/stats", null},
        new String[] {"GET", "/v1/webhooks/" + id + "/attempts", null},
        new String[] {"GET", "/v1/webhooks/" + id + "/health", null},
        new String[] {"POST", "/v1/webhooks/" + id + "/recover", null},
        new String[] {"POST", "/v1/webhooks/" + id + "/replay", null},
        new String[] {"DELETE", "/v1/webhooks/" + id, null});
  }

  @Test
  void anotherAccountsSubscriptionIsAnsweredAsAbsentOnEveryRoute() throws Exception {
    String id = createId(keyA);
    String before = api.call("GET", "/v1/webhooks/" + id, keyA, null).body().toString();

    for (String[] route : routesOf(id)) {
      Response asB = api.call(route[0], route[1], keyB, route[2]);
      Response absent = api.call(route[0], route[1].replace(id, "sub_00000000000000000000"), keyB, route[2]);
      Response asOperatorForB = api.call(route[0], route[1] + "?account_id=" + accountB, operatorKey, route[2]);
      assertThat(asB.status()).as(route[0] + " " + route[1]).isEqualTo(404);
      assertThat(asB.body().get("error").asText()).isEqualTo(absent.body().get("error").asText().replace(
          "sub_00000000000000000000", id));
      assertThat(asOperatorForB.status()).as("operator " + route[0] + " " + route[1]).isEqualTo(404);
    }
    JsonNode listB = api.call("GET", "/v1/webhooks?limit=100", keyB, null).body();
    assertThat(listB.toString()).doesNotContain(id);
    assertThat(api.call("GET", "/v1/webhooks/" + id, keyA, null).body().toString()).isEqualTo(before);
    Response asOperatorForA = api.call("GET", "/v1/webhooks/" + id + "?account_id=" + accountA, operatorKey, null);
    assertThat(asOperatorForA.status()).isEqualTo(200);
  }

  @Test
  void aMissingWrongOrRevokedKeyGets401OnEveryRouteWhetherTheObjectExistsOrNot() throws Exception {
    String id = createId(keyA);
    ApiKeys.Created revoked = keys.create(accountA, false, Instant.now());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        api.call("GET", "/v1/webhooks/" + id, revoked.key(), null).status() == 200);
    keys.revoke(revoked.record().getId(), Instant.now());
    await().atMost(Duration.ofSeconds(10)).until(() ->
        api.call("GET", "/v1/webhooks/" + id, revoked.key(), null).status() == 401);
    String wrongSecret = keyA.substring(0, keyA.length() - 4) + (keyA.endsWith("AAAA") ? "BBBB" : "AAAA");

    List<String[]> routes = new ArrayList<>(routesOf(id));
    routes.addAll(routesOf("sub_00000000000000000000"));
    routes.add(new String[] {"GET", "/v1/webhooks", null});
    routes.add(new String[] {"POST", "/v1/webhooks", "{\"url\":\"" + URL + "\",\"event_types\":[\"call.started\"]}"});
    routes.add(new String[] {"GET", "/v1/event-types", null});
    routes.add(new String[] {"POST", "/v1/filters/check", "{\"filter\": \"true\"}"});
    routes.add(new String[] {"GET", "/v1/no-such-route", null});
    List<String> unauthorized = new ArrayList<>();
    for (String[] route : routes) {
      for (String key : new String[] {null, "nonsense", wrongSecret, revoked.key()}) {
        Response r = api.call(route[0], route[1], key, route[2]);
        if (r.status() == 401) {
          unauthorized.add(r.body().toString());
        } else {
          unauthorized.add(route[0] + " " + route[1] + " with " + key + ": " + r.status());
        }
      }
    }

    assertThat(unauthorized).hasSize(routes.size() * 4).containsOnly(unauthorized.get(0));
    assertThat(api.call("GET", "/v1/webhooks/" + id, keyA, null).status()).isEqualTo(200);
  }

  @Test
  void eachValidationErrorNamesItsField() throws Exception {
    String id = createId(keyA);
    String ok = "\"url\":\"" + URL + "\",\"event_types\":[\"call.completed\"]";
    Map<String, String> createBodies = new java.util.LinkedHashMap<>();
    createBodies.put("url", "{\"url\":\"http://10.0.0.1/h\",\"event_types\":[\"call.completed\"]}");
    createBodies.put("event_types", "{\"url\":\"" + URL + "\",\"event_types\":[\"call.exploded\"]}");
    createBodies.put("secret", "{" + ok + ",\"secret\":\"whsec_short\"}");
    createBodies.put("filter", "{" + ok + ",\"filter\":\"data.(\"}");
    createBodies.put("rate_limit", "{" + ok + ",\"rate_limit\":0}");
    createBodies.put("description", "{" + ok + ",\"description\":\"" + "d".repeat(501) + "\"}");
    createBodies.put("metadata", "{" + ok + ",\"metadata\":{\"" + "k".repeat(41) + "\":\"v\"}}");
    createBodies.put("enabled", "{" + ok + ",\"enabled\":\"yes\"}");
    createBodies.put("colour", "{" + ok + ",\"colour\":\"blue\"}");
    createBodies.put("created_at", "{" + ok + ",\"created_at\":\"2025-01-01T00:00:00Z\"}");
    createBodies.put("body", "[1, 2]");
    for (Map.Entry<String, String> e : createBodies.entrySet()) {
      Response r = create(keyA, e.getValue());
      assertThat(r.status()).as(e.getKey() + ": " + r.body()).isEqualTo(400);
      assertThat(r.body().get("field").asText()).as(r.body().toString()).isEqualTo(e.getKey());
      assertThat(r.body().get("error").asText()).startsWith(e.getKey() + ":");
    }
    assertThat(create(keyA, "{\"event_types\":[\"call.completed\"]}").body().get("field").asText()).isEqualTo("url");
    // a URL every task and attempt would carry is bounded
    Response longUrl = create(keyA, "{\"url\":\"https://hooks.example.com/" + "a".repeat(2048) + "\","
        + "\"event_types\":[\"call.completed\"]}");
    assertThat(longUrl.body().get("error").asText()).isEqualTo("url: at most 2048 characters");
    // a repeated key is refused, not read as its last value
    Response twice = create(keyA, "{\"url\":\"" + URL + "\",\"url\":\"https://other.example.com/\","
        + "\"event_types\":[\"call.completed\"]}");
    assertThat(twice.status()).isEqualTo(400);
    assertThat(twice.body().get("error").asText()).startsWith("body: not valid JSON (Duplicate field 'url'");
    assertThat(create(keyA, "{\"url\":\"" + URL + "\",\"event_types\":[]}").body().get("field").asText())
        .isEqualTo("event_types");
    for (String header : List.of("webhook-signature", "Content-Type", "host", "Transfer-Encoding", "connection",
        "bad header")) {
      Response r = api.call("PATCH", "/v1/webhooks/" + id, keyA, "{\"headers\":{\"" + header + "\":\"x\"}}");
      assertThat(r.status()).as(header).isEqualTo(400);
      assertThat(r.body().get("field").asText()).isEqualTo("headers");
      assertThat(r.body().get("error").asText()).contains(header);
    }
    assertThat(api.call("PATCH", "/v1/webhooks/" + id, keyA, "{\"secret\":\"" + WebhookSecret.generate() + "\"}")
        .body().get("field").asText()).isEqualTo("secret");
    assertThat(api.call("POST", "/v1/webhooks/" + id + "/secret/rotate", keyA, "{\"secret\":\"whsec_x\"}")
        .body().get("field").asText()).isEqualTo("secret");
    assertThat(api.call("POST", "/v1/webhooks/" + id + "/test", keyA, "{\"event_type\":\"call.exploded\"}")
        .body().get("field").asText()).isEqualTo("event_type");
    assertThat(api.call("GET", "/v1/webhooks", operatorKey, null).body().get("field").asText()).isEqualTo("account_id");
    assertThat(api.call("GET", "/v1/webhooks?account_id=" + accountB, keyA, null).body().get("field").asText())
        .isEqualTo("account_id");
    assertThat(api.call("POST", "/v1/webhooks", keyA, "{" + ok + "}", Map.of("Idempotency-Key", "k".repeat(256)))
        .body().get("field").asText()).isEqualTo("Idempotency-Key");
    assertThat(create(keyA, "{not json").body().get("field").asText()).isEqualTo("body");
    // nothing refused was written: the account holds only what was created above
    assertThat(api.call("GET", "/v1/webhooks/" + id, keyA, null).body().get("headers").size()).isZero();
  }

  @Test
  void rotationKeepsTheOldSecretSigningForTheGracePeriodThenTheSweepRemovesIt() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2025-02-01T00:00:00Z"));
    try (ApiFixture own = ApiFixture.start(config, clock)) {
      await().atMost(Duration.ofSeconds(30)).until(own.controlPlane::isReady);
      Response created = own.call("POST", "/v1/webhooks", keyA, "{\"url\":\"" + URL + "\",\"event_types\":[\"call.completed\"]}");
      String id = created.body().get("id").asText();
      String oldSecret = created.body().get("secret").asText();
      String chosen = WebhookSecret.generate();
      clock.advance(Duration.ofMinutes(1));

      Response rotated = own.call("POST", "/v1/webhooks/" + id + "/secret/rotate", keyA, "{\"secret\":\"" + chosen + "\"}");

      assertThat(rotated.status()).as(rotated.body().toString()).isEqualTo(200);
      assertThat(rotated.body().get("secret").asText()).isEqualTo(chosen);
      assertThat(rotated.body().get("previous_secrets_expire_at").asText()).isEqualTo("2025-02-02T00:01:00Z");
      assertThat(secretsOf(id)).extracting(s -> s.getSecret()).containsExactly(oldSecret, chosen);
      assertThat(own.call("GET", "/v1/webhooks/" + id, keyA, null).body().toString()).doesNotContain("whsec_");

      clock.advance(Duration.ofHours(23).plusMinutes(59));
      assertThat(own.controlPlane.sweepExpiredSecrets()).isZero();
      assertThat(secretsOf(id)).hasSize(2);
      clock.advance(Duration.ofMinutes(1));
      assertThat(own.controlPlane.sweepExpiredSecrets()).isEqualTo(1);
      assertThat(secretsOf(id)).extracting(s -> s.getSecret()).containsExactly(chosen);

      Response generated = own.call("POST", "/v1/webhooks/" + id + "/secret/rotate", keyA, null);
      assertThat(WebhookSecret.key(generated.body().get("secret").asText())).hasSize(32);
      assertThat(secretsOf(id)).hasSize(2);
    }
  }

  private List<org.webhooks.schemas.avro.SigningSecret> secretsOf(String id) {
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      return store.find(id).orElseThrow().getSecrets();
    }
  }

  @Test
  void aTestEventReportsAReceiversErrorFaithfully() throws Exception {
    receiver.answer("/failing", new Receiver.Status(500, "{\"error\":\"database down\"}"));
    String id = create(keyA, "{\"url\":\"" + receiver.url("/failing") + "\",\"event_types\":[\"call.failed\",\"call.completed\"]}")
        .body().get("id").asText();

    Response r = api.call("POST", "/v1/webhooks/" + id + "/test", keyA, "{\"event_type\":\"ticket.created\"}");

    assertThat(r.status()).isEqualTo(200);
    JsonNode o = r.body();
    assertThat(o.get("succeeded").asBoolean()).isFalse();
    assertThat(o.get("outcome").asText()).isEqualTo("http_error");
    assertThat(o.get("status_code").asInt()).isEqualTo(500);
    assertThat(o.get("response_excerpt").asText()).isEqualTo("{\"error\":\"database down\"}");
    assertThat(o.get("error").asText()).isEqualTo("HTTP 500");
    assertThat(o.get("latency_ms").isIntegralNumber()).isTrue();
    assertThat(o.get("event_type").asText()).isEqualTo("ticket.created");
    List<Receiver.Received> got = receiver.received("/failing");
    assertThat(got).hasSize(1);
    JsonNode sent = ApiFixture.JSON.readTree(got.get(0).body());
    assertThat(sent.get("event_type").asText()).isEqualTo("ticket.created");
    assertThat(sent.get("event_id").asText()).isEqualTo(o.get("event_id").asText()).startsWith("evt_test_");
    assertThat(got.get(0).header(WebhookSignature.ID_HEADER)).isEqualTo(o.get("event_id").asText());
  }

  @Test
  void aTestEventIsSignedWithTheSubscriptionsSecret() throws Exception {
    Response created = create(keyA, "{\"url\":\"" + receiver.url("/ok") + "\",\"event_types\":[\"call.failed\"]}");
    String id = created.body().get("id").asText();

    JsonNode o = api.call("POST", "/v1/webhooks/" + id + "/test", keyA, null).body();

    assertThat(o.get("succeeded").asBoolean()).isTrue();
    assertThat(o.get("status_code").asInt()).isEqualTo(200);
    assertThat(o.get("event_type").asText()).isEqualTo("call.failed");
    Receiver.Received got = receiver.received("/ok").stream()
        .filter(x -> o.get("event_id").asText().equals(x.header(WebhookSignature.ID_HEADER))).findFirst().orElseThrow();
    assertThat(WebhookSignature.verify(created.body().get("secret").asText(), got.header(WebhookSignature.ID_HEADER),
        got.header(WebhookSignature.TIMESTAMP_HEADER), got.body(), got.header(WebhookSignature.SIGNATURE_HEADER)))
        .isTrue();
  }

  @Test
  void eventTypesListsCallAndOperationalEventTypesWithADescriptionAndAnExample() throws Exception {
    JsonNode data = api.call("GET", "/v1/event-types", keyB, null).body().get("data");

    assertThat(data).extracting(n -> n.get("event_type").asText()).containsExactlyElementsOf(EventExamples.TYPES)
        .containsAll(EventTypes.ALL).contains("endpoint.failing", "endpoint.recovered", "endpoint.disabled",
            "message.attempt.exhausted");
    for (JsonNode t : data) {
      assertThat(t.get("description").asText()).isNotBlank();
      assertThat(t.get("kind").asText()).isEqualTo(EventTypes.ALL.contains(t.get("event_type").asText())
          ? "call" : "operational");
      assertThat(t.get("example").get("event_type").asText()).isEqualTo(t.get("event_type").asText());
    }
    Optional<JsonNode> completed = java.util.stream.StreamSupport.stream(data.spliterator(), false)
        .filter(t -> t.get("event_type").asText().equals("call.completed")).findFirst();
    assertThat(completed.orElseThrow().get("example").get("data").get("duration_seconds").asInt()).isEqualTo(247);
    // a subscription may select operational events, and a test event of one is their example
    Response alerts = create(keyA, "{\"url\":\"" + receiver.url("/alerts") + "\",\"event_types\":[\"endpoint.failing\","
        + "\"message.attempt.exhausted\"]}");
    assertThat(alerts.status()).as(alerts.body().toString()).isEqualTo(201);
    JsonNode sent = api.call("POST", "/v1/webhooks/" + alerts.body().get("id").asText() + "/test", keyA, null).body();
    assertThat(sent.get("event_type").asText()).isEqualTo("endpoint.failing");
    JsonNode got = ApiFixture.JSON.readTree(receiver.received("/alerts").get(0).body());
    assertThat(got.get("data").get("endpoint_id").asText()).startsWith("sub_");
  }
}
