package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;

/** Every event type has an example body of its own type, which the envelope parser accepts, and a description. */
class EventExamplesTest {

  @Test
  void every_type_has_a_parsable_example_of_that_type_and_a_description() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String type : EventTypes.ALL) {
      JsonNode body = json.readTree(EventExamples.body(type));
      assertThat(body.get("event_type").asText()).isEqualTo(type);
      assertThat(body.get("data").get("call_id").isTextual()).isTrue();
      assertThat(EventExamples.description(type)).isNotBlank();
    }
  }

  @Test
  void every_operational_type_has_an_example_with_the_fields_its_rendering_has() throws Exception {
    ObjectMapper json = new ObjectMapper();
    assertThat(EventExamples.TYPES).hasSize(EventTypes.ALL.size() + OperationalEventTypes.ALL.size())
        .containsAll(EventTypes.ALL).containsAll(OperationalEventTypes.ALL);
    for (String type : OperationalEventTypes.ALL) {
      JsonNode body = json.readTree(EventExamples.body(type));
      assertThat(body.get("event_type").asText()).isEqualTo(type);
      assertThat(body.get("data").get("endpoint_id").asText()).startsWith("sub_");
      assertThat(EventExamples.description(type)).isNotBlank();
      // every field of the example is one the rendering of a real event writes
      JsonNode rendered = json.readTree(OperationalEventJson.render(fullEvent(type)));
      assertThat(iterable(body.fieldNames())).containsExactlyInAnyOrderElementsOf(iterable(rendered.fieldNames()));
      assertThat(iterable(rendered.get("data").fieldNames())).containsAll(iterable(body.get("data").fieldNames()));
    }
  }

  @Test
  void an_operational_event_renders_its_figures_and_leaves_out_what_it_lacks() throws Exception {
    OperationalEvent e = OperationalEvent.newBuilder().setEventId("op_1")
        .setEventType(OperationalEventType.ENDPOINT_FAILING).setAccountId("acct_1").setSubscriptionId("sub_1")
        .setUrl("https://example.com/h").setOccurredAt(Instant.parse("2025-01-15T16:02:10.345Z"))
        .setReason("circuit open").setWindowMs(900_000L).setWindowAttempts(10L).setWindowSuccesses(2L)
        .setSuccessRate(0.2).setConsecutiveFailures(8).setLastStatusCode(503).build();

    JsonNode body = new ObjectMapper().readTree(OperationalEventJson.render(e));

    assertThat(body.get("timestamp").asText()).isEqualTo("2025-01-15T16:02:10Z");
    JsonNode data = body.get("data");
    assertThat(data.get("endpoint_id").asText()).isEqualTo("sub_1");
    assertThat(data.get("window_seconds").asLong()).isEqualTo(900);
    assertThat(data.get("success_rate").asDouble()).isEqualTo(0.2);
    assertThat(data.get("last_status_code").asInt()).isEqualTo(503);
    assertThat(data.has("account_id")).isFalse();
    assertThat(data.has("last_error")).isFalse();
    assertThat(data.has("message_event_id")).isFalse();
  }

  private static OperationalEvent fullEvent(String type) {
    Instant t = Instant.parse("2025-01-15T16:02:10Z");
    return OperationalEvent.newBuilder().setEventId("op_1")
        .setEventType(OperationalEventTypes.fromWireName(type).orElseThrow()).setAccountId("acct_1")
        .setSubscriptionId("sub_1").setUrl("https://example.com/h").setOccurredAt(t).setReason("r")
        .setWindowMs(900_000L).setWindowAttempts(10L).setWindowSuccesses(2L).setSuccessRate(0.2)
        .setConsecutiveFailures(8).setFailingSince(t).setLastSuccessAt(t).setCircuitOpenSince(t)
        .setLastStatusCode(503).setLastError("HTTP 503").setMessageEventId("evt_1").setMessageEventType("call.completed")
        .setDeliveryId("dlv_1").setAttempts(10).build();
  }

  private static java.util.List<String> iterable(java.util.Iterator<String> it) {
    java.util.List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(out::add);
    return out;
  }

  @Test
  void an_unknown_type_is_refused_naming_it() {
    assertThatThrownBy(() -> EventExamples.body("call.exploded")).hasMessageContaining("'call.exploded'");
  }
}
