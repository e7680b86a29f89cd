package org.webhooks.controlplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.webhooks.controlplane.ApiFixture.Response;
import org.webhooks.data.ApiKeys;
import org.webhooks.schemas.EventTypes;
import org.webhooks.testing.MutableClock;

/**
 * {@code POST /v1/filters/check} over real HTTP: the README's filters select exactly the example
 * events the end-to-end filter test sees delivered through the fanout, an invalid filter is answered
 * with the error saving it would give and its position, and a malformed request is refused naming
 * its field.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FilterCheckApiTest {

  private ApiFixture api;
  private ApiKeys keys;
  private String key;
  private String operatorKey;

  @BeforeAll
  void start() throws Exception {
    var config = ApiFixture.freshTopics();
    keys = new ApiKeys(config);
    key = keys.create("acct_filters", false, Instant.now()).key();
    operatorKey = keys.create(null, true, Instant.now()).key();
    api = ApiFixture.start(config, new MutableClock(Instant.parse("2025-01-15T15:45:32Z")));
    await().atMost(Duration.ofSeconds(30)).until(() -> api.call("GET", "/v1/event-types", key, null).status() == 200);
  }

  @AfterAll
  void stop() throws Exception {
    api.close();
    keys.close();
  }

  private Response check(String apiKey, String filter, List<String> eventTypes) throws Exception {
    ObjectNode body = ApiFixture.JSON.createObjectNode();
    body.put("filter", filter);
    if (eventTypes != null) {
      ArrayNode types = body.putArray("event_types");
      eventTypes.forEach(types::add);
    }
    return api.call("POST", "/v1/filters/check", apiKey, body.toString());
  }

  /** @return the event types whose example would be delivered */
  private static List<String> delivered(JsonNode verdict) {
    List<String> out = new ArrayList<>();
    verdict.get("examples").forEach(e -> {
      if (e.get("delivered").asBoolean()) {
        out.add(e.get("event_type").asText());
      }
    });
    return out;
  }

  // the cases of FilterEndToEndIT, whose subscriptions receive exactly these examples through the fanout
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "data.agent_id == 'agent_123'                          | ALL                           | ALL",
      "has(data.customer) && data.customer.tier == 'gold'    | ALL                           | call.started",
      "data.sentiment_score < -0.5                           | sentiment.changed             | sentiment.changed",
      "data.outcome == 'appointment_booked'                  | call.completed                | call.completed",
      "has(data.customer) && 'vip' in data.customer.tags     | call.started,call.completed   | call.started",
      "data.duration_seconds > 100.5                         | call.completed,call.failed    | call.completed",
      "data.customer.tier == 'gold'                          | ALL                           | call.started"})
  void theReadmeFiltersSelectTheExampleEventsTheFanoutDelivers(String filter, String types, String expected)
      throws Exception {
    List<String> eventTypes = types.equals("ALL") ? EventTypes.ALL : List.of(types.split(","));
    Response r = check(key, filter, eventTypes);

    assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
    assertThat(r.body().get("valid").asBoolean()).isTrue();
    assertThat(r.body().get("error").isNull()).isTrue();
    assertThat(r.body().get("position").isNull()).isTrue();
    assertThat(r.body().get("examples")).extracting(e -> e.get("event_type").asText())
        .containsExactlyElementsOf(EventTypes.ALL);
    assertThat(delivered(r.body())).containsExactlyElementsOf(expected.equals("ALL") ? EventTypes.ALL
        : List.of(expected.split(",")));
  }

  @Test
  void eachExampleSaysWhetherItIsSubscribedWhatTheFilterReturnedAndWhetherItIsDelivered() throws Exception {
    Response r = check(key, "data.customer.tier == 'gold'", List.of("call.started", "call.completed"));

    Map<String, String> results = new TreeMap<>();
    r.body().get("examples").forEach(e -> results.put(e.get("event_type").asText(),
        e.get("subscribed").asBoolean() + " " + e.get("filter_result").asText() + " " + e.get("delivered").asBoolean()));
    assertThat(results).containsEntry("call.started", "true matched true")
        // an unguarded field the event lacks is no match, with the reason the fanout counts
        .containsEntry("call.completed", "true missing_field false")
        // the filter is evaluated on types not subscribed too, but they are not delivered
        .containsEntry("ticket.created", "false missing_field false");
    assertThat(r.body().get("examples").get(0).get("event_id").asText()).isEqualTo("evt_0001started");
  }

  @Test
  void withoutAFilterEverySubscribedExampleIsDeliveredAndNoneWithoutEventTypes() throws Exception {
    Response none = check(key, "  ", List.of("call.failed", "ticket.created"));
    assertThat(none.body().get("valid").asBoolean()).isTrue();
    assertThat(delivered(none.body())).containsExactly("call.failed", "ticket.created");
    none.body().get("examples").forEach(e -> assertThat(e.get("filter_result").isNull()).isTrue());

    Response noTypes = check(key, "data.agent_id == 'agent_123'", List.of());
    assertThat(noTypes.body().get("valid").asBoolean()).isTrue();
    assertThat(delivered(noTypes.body())).isEmpty();
    noTypes.body().get("examples").forEach(e -> assertThat(e.get("filter_result").asText()).isEqualTo("matched"));

    // event_types left out: as if subscribed to all eight
    Response allTypes = api.call("POST", "/v1/filters/check", key, "{\"filter\": \"event_type == 'call.failed'\"}");
    assertThat(delivered(allTypes.body())).containsExactly("call.failed");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "data.agent_id = 'agent_123'                 | 1 | 15",
      "agent_id == 'agent_123'                     | 1 | 1",
      "event_type == 3                             | 1 | 12"})
  void anInvalidFilterIsAnsweredWithTheErrorSavingGivesAndItsPosition(String filter, int line, int column)
      throws Exception {
    Response r = check(key, filter, List.of("call.completed"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body().get("valid").asBoolean()).isFalse();
    assertThat(r.body().get("error").asText()).startsWith("filter: at " + line + ":" + column + ": ");
    assertThat(r.body().get("position").get("line").asInt()).isEqualTo(line);
    assertThat(r.body().get("position").get("column").asInt()).isEqualTo(column);
    assertThat(delivered(r.body())).isEmpty();
    r.body().get("examples").forEach(e -> assertThat(e.get("filter_result").isNull()).isTrue());
    // saving the same filter is refused with the same message
    Response save = api.call("POST", "/v1/webhooks", key, "{\"url\": \"https://hooks.example.com/x\", "
        + "\"event_types\": [\"call.completed\"], \"filter\": " + ApiFixture.JSON.writeValueAsString(filter) + "}");
    assertThat(save.status()).isEqualTo(400);
    assertThat(save.body().get("field").asText()).isEqualTo("filter");
    assertThat(save.body().get("error").asText()).isEqualTo(r.body().get("error").asText());
  }

  @Test
  void aFilterTooExpensiveToRunIsInvalidWithoutAPosition() throws Exception {
    Response r = check(key, "data.customer.tags.exists(t, data.customer.tags.exists(u, u == t + 'x'))", null);

    assertThat(r.body().get("valid").asBoolean()).isFalse();
    assertThat(r.body().get("error").asText()).startsWith("filter: is too expensive to run on every event");
    assertThat(r.body().get("position").isNull()).isTrue();
  }

  @Test
  void aMalformedRequestIsRefusedNamingItsField() throws Exception {
    Map<String, String> refusals = new TreeMap<>();
    for (String body : List.of("{\"filter\": 3}", "{\"event_types\": \"call.started\"}",
        "{\"event_types\": [\"call.begun\"]}", "{\"filter\": \"true\", \"url\": \"x\"}", "[]", "")) {
      Response r = api.call("POST", "/v1/filters/check", key, body.isEmpty() ? null : body);
      assertThat(r.status()).as(body).isEqualTo(400);
      assertThat(r.body().get("error").asText()).startsWith(r.body().get("field").asText() + ": ");
      refusals.put(body, r.body().get("field").asText());
    }
    assertThat(refusals).containsEntry("{\"filter\": 3}", "filter")
        .containsEntry("{\"event_types\": \"call.started\"}", "event_types")
        .containsEntry("{\"event_types\": [\"call.begun\"]}", "event_types")
        .containsEntry("{\"filter\": \"true\", \"url\": \"x\"}", "url")
        .containsEntry("[]", "body")
        .containsEntry("", "body");
  }

  @Test
  void itNeedsAValidKeyAndAnOperatorKeyNeedsNoAccount() throws Exception {
    assertThat(check(null, "true", null).status()).isEqualTo(401);
    assertThat(check("whk_nonsense", "true", null).status()).isEqualTo(401);
    Response asOperator = check(operatorKey, "true", null);
    assertThat(asOperator.status()).isEqualTo(200);
    assertThat(delivered(asOperator.body())).containsExactlyElementsOf(EventTypes.ALL);
  }
}
