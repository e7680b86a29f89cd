package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.webhooks.schemas.CallEventJson.InvalidEventException;
import org.webhooks.schemas.avro.CallCompletedData;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.EventType;
import org.webhooks.schemas.avro.KeywordDetectedData;

/**
 * The outbound JSON body: every example payload survives parse + render unchanged, numbers keep
 * their JSON type, absent stays absent, and bad input is refused with the field named.
 */
class CallEventJsonTest {

  /** Doubles for decimals, as most receivers read JSON. */
  private static final ObjectMapper PLAIN = new ObjectMapper();
  /** Decimals read exactly, so that 1.50, 247.0 and 0.0 are compared as written. */
  private static final ObjectMapper EXACT = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();
  private static final Instant NOW = Instant.parse("2025-03-04T05:06:07.890Z");

  static Stream<Path> examplePayloads() throws IOException, URISyntaxException {
    URL dir = CallEventJsonTest.class.getResource("/payloads");
    assertThat(dir).as("payloads on the test classpath").isNotNull();
    try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList().stream();
    }
  }

  @Test
  void aTopLevelFieldOutsideTheEnvelopeIsRefusedNamingIt() throws Exception {
    JsonNode line = CallEventJson.readEnvelope("{\"account_id\":\"a\",\"event_id\":\"e1\","
        + "\"event_type\":\"call.started\",\"metadata\":{\"k\":1},\"data\":{\"call_id\":\"c1\"}}");
    assertThatThrownBy(() -> CallEventJson.parse(line, Instant.EPOCH))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining("field 'metadata' is not part of the envelope")
        .hasMessageContaining("inside data");
  }

  @Test
  void readingAnEnvelopeRefusesTrailingTextAndRepeatedKeysAndKeepsDecimalsAsWritten() throws Exception {
    assertThatThrownBy(() -> CallEventJson.readEnvelope("{\"event_id\":\"evt_1\"} trailing"))
        .isInstanceOf(com.fasterxml.jackson.core.JsonProcessingException.class);
    assertThatThrownBy(() -> CallEventJson.readEnvelope("{\"event_id\":\"evt_1\",\"event_id\":\"evt_2\"}"))
        .isInstanceOf(com.fasterxml.jackson.core.JsonProcessingException.class)
        .hasMessageContaining("event_id");
    JsonNode read = CallEventJson.readEnvelope("{\"score\":0.10000000000000000001,\"n\":247.0}");
    assertThat(read.get("score").decimalValue()).isEqualByComparingTo("0.10000000000000000001");
    assertThat(read.get("n").toString()).isEqualTo("247.0");
  }

  @Test
  void there_is_one_example_payload_per_event_type() throws Exception {
    List<String> types = new ArrayList<>();
    for (Path p : examplePayloads().toList()) {
      types.add(read(PLAIN, p).get("event_type").asText());
    }
    assertThat(types).containsExactlyInAnyOrderElementsOf(EventTypes.ALL);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("examplePayloads")
  void example_payload_round_trips_to_the_same_json_tree(Path file) {
    for (ObjectMapper mapper : List.of(PLAIN, EXACT)) {
      JsonNode expected = read(mapper, file);
      ObjectNode envelope = expected.deepCopy();
      envelope.put("account_id", "acct_1");

      CallEvent event = CallEventJson.parse(envelope, NOW);
      JsonNode rendered = readBytes(mapper, CallEventJson.render(event));

      assertThat(rendered).isEqualTo(expected);
      assertThat(event.getAccountId()).isEqualTo("acct_1");
      assertThat(rendered.has("account_id")).as("account_id is not part of the body").isFalse();
      // Every field of the examples is a typed field: none may fall through to extra_data.
      assertThat(event.getExtraData()).isNull();
      assertThat(EventTypes.wireName(event.getEventType())).isEqualTo(expected.get("event_type").asText());
      assertThat(nullsIn(rendered)).isEmpty();
    }
  }

  @Test
  void typed_fields_land_in_the_typed_record() {
    CallEvent event = CallEventJson.parse(envelope("call.completed", """
        {"call_id": "c1", "agent_id": "a1", "duration_seconds": 247, "outcome": "booked"}"""), NOW);

    assertThat(event.getEventType()).isEqualTo(EventType.CALL_COMPLETED);
    assertThat(event.getCallId()).isEqualTo("c1");
    assertThat(event.getAgentId()).isEqualTo("a1");
    CallCompletedData data = (CallCompletedData) event.getData();
    assertThat(data.getDurationSeconds()).isEqualTo(247L);
    assertThat(data.getOutcome()).isEqualTo("booked");
    assertThat(data.getTranscript()).isNull();
  }

  @Test
  void absent_optional_fields_stay_absent_and_no_null_appears() {
    CallEvent event = CallEventJson.parse(envelope("call.completed", """
        {"call_id": "c1"}"""), NOW);

    JsonNode body = readBytes(PLAIN, CallEventJson.render(event));

    assertThat(fieldNames(body)).containsExactly("event_id", "event_type", "timestamp", "data");
    assertThat(fieldNames(body.get("data"))).containsExactly("call_id");
    assertThat(new String(CallEventJson.render(event))).doesNotContain("null");
  }

  @Test
  void numbers_inside_metadata_and_customer_keep_their_json_type_and_digits() {
    String metadata = """
        {"int": 247, "dec": 247.0, "zero": 0.0, "neg": -3, "frac": 1.50, "exp": 2.5E+3,
         "huge": 12345678901234567890123, "precise": 0.1000000000000000055511151231257827,
         "nested": {"list": [1, 1.0, -0.5, {"x": 10}]}}""";
    String customer = """
        {"id": "cust_42", "lifetime_value": 1200.00, "visits": 3}""";
    ObjectNode env = envelope("call.started", """
        {"call_id": "c1", "metadata": %s, "customer": %s}""".formatted(metadata, customer));

    for (ObjectMapper mapper : List.of(PLAIN, EXACT)) {
      JsonNode input = readString(mapper, env.toString());
      JsonNode data = readBytes(mapper, CallEventJson.render(CallEventJson.parse(input, NOW))).get("data");

      assertThat(data.get("metadata")).isEqualTo(input.get("data").get("metadata"));
      assertThat(data.get("customer")).isEqualTo(input.get("data").get("customer"));
      assertThat(data.get("metadata").get("int").isIntegralNumber()).isTrue();
      assertThat(data.get("metadata").get("dec").isFloatingPointNumber()).isTrue();
      assertThat(data.get("metadata").get("zero").isFloatingPointNumber()).isTrue();
      assertThat(data.get("metadata").get("huge").isIntegralNumber()).isTrue();
      assertThat(data.get("metadata").get("nested").get("list").get(0).isIntegralNumber()).isTrue();
      assertThat(data.get("metadata").get("nested").get("list").get(1).isFloatingPointNumber()).isTrue();
      assertThat(data.get("customer").get("lifetime_value").isFloatingPointNumber()).isTrue();
      assertThat(data.get("customer").get("visits").isIntegralNumber()).isTrue();
    }
    // Read exactly, the decimals keep their digits as written.
    JsonNode exact = readBytes(EXACT, CallEventJson.render(CallEventJson.parse(readString(EXACT, env.toString()), NOW)));
    assertThat(exact.at("/data/metadata/frac").decimalValue()).hasToString("1.50");
    assertThat(exact.at("/data/metadata/dec").decimalValue()).hasToString("247.0");
    assertThat(exact.at("/data/metadata/precise").decimalValue()).hasToString("0.1000000000000000055511151231257827");
    assertThat(exact.at("/data/customer/lifetime_value").decimalValue()).hasToString("1200.00");
  }

  @Test
  void typed_numeric_fields_keep_integer_or_decimal() {
    JsonNode whole = renderData("keyword.detected", """
        {"call_id": "c1", "offset_seconds": 147}""");
    JsonNode decimal = renderData("keyword.detected", """
        {"call_id": "c1", "offset_seconds": 147.3}""");
    JsonNode wholeDecimal = renderData("keyword.detected", """
        {"call_id": "c1", "offset_seconds": 147.0}""");
    JsonNode score = renderData("sentiment.changed", """
        {"call_id": "c1", "sentiment_score": -1}""");
    JsonNode fraction = renderData("sentiment.changed", """
        {"call_id": "c1", "sentiment_score": -0.62}""");

    assertThat(whole.get("offset_seconds")).isEqualTo(JsonNodeFactory.instance.numberNode(147));
    assertThat(whole.get("offset_seconds").isIntegralNumber()).isTrue();
    assertThat(decimal.get("offset_seconds").isFloatingPointNumber()).isTrue();
    assertThat(decimal.get("offset_seconds").doubleValue()).isEqualTo(147.3);
    assertThat(wholeDecimal.get("offset_seconds").isFloatingPointNumber()).isTrue();
    assertThat(wholeDecimal.get("offset_seconds").doubleValue()).isEqualTo(147.0);
    assertThat(score.get("sentiment_score").isIntegralNumber()).isTrue();
    assertThat(fraction.get("sentiment_score").doubleValue()).isEqualTo(-0.62);

    CallEvent event = CallEventJson.parse(envelope("keyword.detected", """
        {"call_id": "c1", "offset_seconds": 147}"""), NOW);
    assertThat(((KeywordDetectedData) event.getData()).getOffsetSeconds()).isEqualTo(147L);
  }

  @Test
  void unknown_data_fields_round_trip_through_extra_data() {
    String data = """
        {"call_id": "c1", "duration_seconds": 12, "queue": "sales", "count": 3, "ratio": 3.0,
         "labels": {"a": 1, "b": [true, false, null]}, "nothing": null}""";
    ObjectNode input = envelope("call.completed", data);

    CallEvent event = CallEventJson.parse(input, NOW);
    JsonNode rendered = readBytes(PLAIN, CallEventJson.render(event));

    assertThat(event.getExtraData()).isNotNull();
    JsonNode extra = readString(PLAIN, event.getExtraData());
    assertThat(fieldNames(extra)).containsExactlyInAnyOrder("queue", "count", "ratio", "labels", "nothing");
    assertThat(rendered.get("data")).isEqualTo(readString(PLAIN, input.get("data").toString()));
    assertThat(rendered.at("/data/ratio").isFloatingPointNumber()).isTrue();
    assertThat(rendered.at("/data/count").isIntegralNumber()).isTrue();
  }

  @Test
  void timestamp_defaults_to_now_and_is_rendered_in_whole_seconds() {
    CallEvent event = CallEventJson.parse(envelope("call.started", """
        {"call_id": "c1"}"""), NOW);

    assertThat(event.getTimestamp()).isEqualTo(NOW);
    assertThat(readBytes(PLAIN, CallEventJson.render(event)).get("timestamp").asText())
        .isEqualTo("2025-03-04T05:06:07Z");
  }

  @Test
  void given_timestamp_is_kept_and_rendered_in_utc_whole_seconds() {
    ObjectNode env = envelope("call.started", """
        {"call_id": "c1"}""");
    env.put("timestamp", "2025-01-15T17:45:32.999+02:00");

    CallEvent event = CallEventJson.parse(env, NOW);

    assertThat(event.getTimestamp()).isEqualTo(Instant.parse("2025-01-15T15:45:32.999Z"));
    assertThat(readBytes(PLAIN, CallEventJson.render(event)).get("timestamp").asText())
        .isEqualTo("2025-01-15T15:45:32Z");
  }

  @Test
  void timestamp_on_a_whole_minute_still_shows_seconds() {
    ObjectNode env = envelope("call.started", """
        {"call_id": "c1"}""");
    env.put("timestamp", "2025-01-15T15:45:00Z");

    assertThat(readBytes(PLAIN, CallEventJson.render(CallEventJson.parse(env, NOW))).get("timestamp").asText())
        .isEqualTo("2025-01-15T15:45:00Z");
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        Arguments.of("missing event_id", """
            {"event_type": "call.started", "account_id": "a", "data": {"call_id": "c"}}""", "event_id"),
        Arguments.of("empty event_id", """
            {"event_id": "", "event_type": "call.started", "account_id": "a", "data": {"call_id": "c"}}""", "event_id"),
        Arguments.of("unknown event_type", """
            {"event_id": "e", "event_type": "call.exploded", "account_id": "a", "data": {"call_id": "c"}}""",
            "event_type 'call.exploded'"),
        Arguments.of("missing account_id", """
            {"event_id": "e", "event_type": "call.started", "data": {"call_id": "c"}}""", "account_id"),
        Arguments.of("missing data", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a"}""", "data"),
        Arguments.of("missing data.call_id", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a", "data": {"agent_id": "x"}}""",
            "data.call_id"),
        Arguments.of("data.duration_seconds as a string", """
            {"event_id": "e", "event_type": "call.completed", "account_id": "a",
             "data": {"call_id": "c", "duration_seconds": "247"}}""", "data.duration_seconds"),
        Arguments.of("data.duration_seconds with a fraction", """
            {"event_id": "e", "event_type": "call.completed", "account_id": "a",
             "data": {"call_id": "c", "duration_seconds": 247.5}}""", "data.duration_seconds"),
        Arguments.of("metadata not an object", """
            {"event_id": "e", "event_type": "call.completed", "account_id": "a",
             "data": {"call_id": "c", "metadata": "vip"}}""", "data.metadata"),
        Arguments.of("customer an array", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a",
             "data": {"call_id": "c", "customer": [1, 2]}}""", "data.customer"),
        Arguments.of("agent_id a number", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a",
             "data": {"call_id": "c", "agent_id": 7}}""", "data.agent_id"),
        Arguments.of("unknown field inside segment", """
            {"event_id": "e", "event_type": "transcript.updated", "account_id": "a",
             "data": {"call_id": "c", "segment": {"speaker": "caller", "volume": 3}}}""", "data.segment.volume"),
        Arguments.of("bad timestamp", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a", "timestamp": "yesterday",
             "data": {"call_id": "c"}}""", "timestamp 'yesterday'"),
        Arguments.of("timestamp without offset", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a", "timestamp": "2025-01-15T15:45:32",
             "data": {"call_id": "c"}}""", "timestamp"),
        Arguments.of("timestamp as a number", """
            {"event_id": "e", "event_type": "call.started", "account_id": "a", "timestamp": 1736955932,
             "data": {"call_id": "c"}}""", "timestamp"),
        Arguments.of("event_id with a line break", """
            {"event_id": "e\\r\\nX: y", "event_type": "call.started", "account_id": "a", "data": {"call_id": "c"}}""",
            "event_id must be 1-255 printable ASCII"),
        Arguments.of("event_id too long", "{\"event_id\": \"" + "e".repeat(256)
            + "\", \"event_type\": \"call.started\", \"account_id\": \"a\", \"data\": {\"call_id\": \"c\"}}",
            "event_id must be 1-255"),
        Arguments.of("not an object", "[1, 2]", "not a JSON object"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void bad_input_is_refused_naming_the_field(String name, String json, String namedInMessage) {
    JsonNode input = readString(PLAIN, json);

    assertThatThrownBy(() -> CallEventJson.parse(input, NOW))
        .isInstanceOf(InvalidEventException.class)
        .hasMessageContaining(namedInMessage);
  }

  private static JsonNode renderData(String type, String data) {
    return readBytes(PLAIN, CallEventJson.render(CallEventJson.parse(envelope(type, data), NOW))).get("data");
  }

  private static ObjectNode envelope(String type, String dataJson) {
    ObjectNode env = JsonNodeFactory.instance.objectNode();
    env.put("event_id", "evt_1");
    env.put("event_type", type);
    env.put("account_id", "acct_1");
    env.set("data", readString(EXACT, dataJson));
    return env;
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** @return the JSON pointers of every {@code null} in the tree. */
  private static List<String> nullsIn(JsonNode node) {
    List<String> out = new ArrayList<>();
    collectNulls(node, "", out);
    return out;
  }

  private static void collectNulls(JsonNode node, String at, List<String> out) {
    if (node.isNull()) {
      out.add(at);
    } else if (node.isObject()) {
      node.fields().forEachRemaining(e -> collectNulls(e.getValue(), at + "/" + e.getKey(), out));
    } else if (node.isArray()) {
      for (int i = 0; i < node.size(); i++) {
        collectNulls(node.get(i), at + "/" + i, out);
      }
    }
  }

  private static JsonNode read(ObjectMapper mapper, Path file) {
    try {
      return mapper.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode readBytes(ObjectMapper mapper, byte[] json) {
    try {
      return mapper.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode readString(ObjectMapper mapper, String json) {
    try {
      return mapper.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
