package org.webhooks.schemas;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.EventType;

/**
 * The JSON form of a call event, both ways. Parsing takes the outbound envelope ({@code event_id},
 * {@code event_type}, {@code timestamp}, {@code data}) plus a top-level {@code account_id}; rendering
 * produces the body a receiver gets, the envelope without {@code account_id}. Free-form objects and
 * unknown data fields are kept as JSON text so that they round-trip exactly: numbers keep their JSON
 * type, absent fields stay absent, nothing becomes {@code null}.
 */
public final class CallEventJson {

  /** Longest {@code event_id} accepted, characters. */
  public static final int MAX_ID_LENGTH = 255;

  /** Data fields that hold a free-form JSON object. */
  private static final Set<String> OBJECT_FIELDS = Set.of("customer", "metadata");
  /** Data fields that live on the envelope record, not the typed data record. */
  private static final Set<String> ENVELOPE_FIELDS = Set.of("call_id", "agent_id");
  /** Fields an input envelope may have, in the order error messages list them. */
  private static final List<String> TOP_LEVEL_FIELDS = List.of("account_id", "event_id", "event_type", "timestamp",
      "data");

  /**
   * Reads stored JSON text back without changing a number: decimals as {@code BigDecimal} (no
   * rounding through double), and without Jackson's default stripping of trailing zeros, which
   * would turn {@code 247.0} into the integer {@code 247} and {@code 0.0} into {@code 0}.
   */
  private static final JsonMapper JSON = JsonMapper.builder()
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
      .build();
  /** The same, refusing what a lenient reader would quietly resolve: trailing text, repeated keys. */
  private static final ObjectMapper STRICT_JSON = JSON.rebuild()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  static {
    AvroTrust.install();
  }

  private CallEventJson() {}

  /**
   * Reads one event envelope from JSON text, for {@link #parse(JsonNode, Instant)}: decimals are kept
   * as written, and text after the value or a key repeated within an object is refused rather than
   * resolved (ignored, or last one wins), since either means the producer sent something else than
   * it meant.
   *
   * @param json one JSON value
   * @return the value read
   * @throws JsonProcessingException when {@code json} is not exactly one well-formed JSON value
   *     without repeated keys; the message says where
   */
  public static JsonNode readEnvelope(String json) throws JsonProcessingException {
    return STRICT_JSON.readTree(json);
  }

  /**
   * Parses one envelope. Free-form objects keep their numbers as {@code envelope} holds them: read
   * the input with {@code DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS} (and without
   * {@code JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES}) to keep every digit as written; a
   * default {@code ObjectMapper} rounds decimals through {@code double}, which keeps their type but
   * not digits beyond double precision.
   *
   * @param envelope the JSON object
   * @param now the event time to use when {@code timestamp} is absent
   * @return the event
   * @throws InvalidEventException naming the first field that is missing or of the wrong type
   */
  public static CallEvent parse(JsonNode envelope, Instant now) {
    if (envelope == null || !envelope.isObject()) {
      throw new InvalidEventException("the line is not a JSON object");
    }
    Iterator<String> names = envelope.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!TOP_LEVEL_FIELDS.contains(name)) {
        // the outbound envelope has no place for it: dropping it silently would lose what was sent
        throw new InvalidEventException("field '" + name + "' is not part of the envelope (known: "
            + String.join(", ", TOP_LEVEL_FIELDS) + "); event details go inside data");
      }
    }
    String eventId = requiredText(envelope, "event_id", "event_id");
    if (eventId.length() > MAX_ID_LENGTH || !eventId.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      // It becomes the webhook-id header: printable ASCII without spaces, and short.
      throw new InvalidEventException("event_id must be 1-" + MAX_ID_LENGTH
          + " printable ASCII characters without spaces");
    }
    String typeName = requiredText(envelope, "event_type", "event_type");
    EventType type = EventTypes.fromWireName(typeName).orElseThrow(() -> new InvalidEventException(
        "event_type '" + typeName + "' is unknown (known: " + String.join(", ", EventTypes.ALL) + ")"));
    String accountId = requiredText(envelope, "account_id", "account_id");
    JsonNode data = envelope.get("data");
    if (data == null || !data.isObject()) {
      throw new InvalidEventException("data is required and must be a JSON object");
    }
    String callId = requiredText(data, "call_id", "data.call_id");
    JsonNode agent = data.get("agent_id");
    if (agent != null && !agent.isTextual() && !agent.isNull()) {
      throw new InvalidEventException("data.agent_id must be a string");
    }
    Instant timestamp = parseTimestamp(envelope.get("timestamp"), now);

    Schema dataSchema = dataSchemaOf(type);
    SpecificRecordBase typed = (SpecificRecordBase) SpecificData.get().newRecord(null, dataSchema);
    ObjectNode extra = JsonNodeFactory.instance.objectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = data.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      if (ENVELOPE_FIELDS.contains(e.getKey())) {
        continue;
      }
      Schema.Field field = dataSchema.getField(e.getKey());
      if (field == null) {
        extra.set(e.getKey(), e.getValue());
      } else {
        typed.put(field.pos(), toAvro(e.getValue(), field.schema(), "data." + e.getKey()));
      }
    }
    return CallEvent.newBuilder()
        .setEventId(eventId)
        .setEventType(type)
        .setAccountId(accountId)
        .setCallId(callId)
        .setAgentId(agent == null || agent.isNull() ? null : agent.asText())
        .setTimestamp(timestamp)
        .setData(typed)
        .setExtraData(extra.isEmpty() ? null : extra.toString())
        .build();
  }

  /**
   * Renders the body a receiver gets: {@code event_id}, {@code event_type}, {@code timestamp}
   * (ISO-8601 UTC, whole seconds) and {@code data}.
   *
   * @return UTF-8 JSON bytes
   */
  public static byte[] render(CallEvent event) {
    return render(toBody(event));
  }

  /**
   * Writes a body built by {@link #toBody}, for a caller that also reads the tree (the fanout's
   * filters), so that the event is turned into JSON once.
   *
   * @return UTF-8 JSON bytes, the same as {@link #render(CallEvent)} of the event the body came from
   */
  public static byte[] render(ObjectNode body) {
    try {
      return JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render event " + body.path("event_id").asText(), e);
    }
  }

  /** @return the rendered body as a JSON tree (what {@link #render} writes). */
  public static ObjectNode toBody(CallEvent event) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    body.put("event_id", event.getEventId());
    body.put("event_type", EventTypes.wireName(event.getEventType()));
    body.put("timestamp", event.getTimestamp().truncatedTo(ChronoUnit.SECONDS).toString());
    ObjectNode data = body.putObject("data");
    data.put("call_id", event.getCallId());
    if (event.getAgentId() != null) {
      data.put("agent_id", event.getAgentId());
    }
    SpecificRecordBase typed = (SpecificRecordBase) event.getData();
    for (Schema.Field f : typed.getSchema().getFields()) {
      Object v = typed.get(f.pos());
      if (v != null) {
        data.set(f.name(), toJson(v, f.name()));
      }
    }
    if (event.getExtraData() != null) {
      readObject(event.getExtraData()).fields().forEachRemaining(e -> data.set(e.getKey(), e.getValue()));
    }
    return body;
  }

  private static Schema dataSchemaOf(EventType type) {
    Schema union = CallEvent.getClassSchema().getField("data").schema();
    return union.getTypes().get(type.ordinal());
  }

  private static Object toAvro(JsonNode value, Schema schema, String path) {
    if (value.isNull()) {
      return null;
    }
    String leaf = path.substring(path.lastIndexOf('.') + 1);
    if (OBJECT_FIELDS.contains(leaf)) {
      if (!value.isObject()) {
        throw new InvalidEventException(path + " must be a JSON object");
      }
      return value.toString();
    }
    boolean hasDouble = false;
    boolean hasLong = false;
    for (Schema branch : schema.getTypes()) {
      switch (branch.getType()) {
        case STRING:
          if (!value.isTextual()) {
            throw new InvalidEventException(path + " must be a string");
          }
          return value.asText();
        case RECORD:
          return toAvroRecord(value, branch, path);
        case DOUBLE:
          hasDouble = true;
          break;
        case LONG:
          hasLong = true;
          break;
        default:
          break;
      }
    }
    if (!value.isNumber()) {
      throw new InvalidEventException(path + " must be a number");
    }
    if (value.isIntegralNumber() && hasLong) {
      if (!value.canConvertToLong()) {
        throw new InvalidEventException(path + " is too large");
      }
      return value.asLong();
    }
    if (!hasDouble) {
      throw new InvalidEventException(path + " must be a whole number");
    }
    double d = value.asDouble();
    if (!Double.isFinite(d)) {
      throw new InvalidEventException(path + " is out of the range of a double");
    }
    return d;
  }

  private static Object toAvroRecord(JsonNode value, Schema schema, String path) {
    if (!value.isObject()) {
      throw new InvalidEventException(path + " must be a JSON object");
    }
    SpecificRecordBase rec = (SpecificRecordBase) SpecificData.get().newRecord(null, schema);
    Iterator<Map.Entry<String, JsonNode>> fields = value.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> e = fields.next();
      Schema.Field f = schema.getField(e.getKey());
      if (f == null) {
        throw new InvalidEventException(path + "." + e.getKey() + " is not a known field of " + path);
      }
      rec.put(f.pos(), toAvro(e.getValue(), f.schema(), path + "." + e.getKey()));
    }
    return rec;
  }

  private static JsonNode toJson(Object v, String name) {
    if (v instanceof String s) {
      return OBJECT_FIELDS.contains(name) ? readObject(s) : JsonNodeFactory.instance.textNode(s);
    }
    if (v instanceof Long l) {
      return JsonNodeFactory.instance.numberNode(l);
    }
    if (v instanceof Double d) {
      return JsonNodeFactory.instance.numberNode(d);
    }
    if (v instanceof SpecificRecordBase rec) {
      ObjectNode node = JsonNodeFactory.instance.objectNode();
      for (Schema.Field f : rec.getSchema().getFields()) {
        Object fv = rec.get(f.pos());
        if (fv != null) {
          node.set(f.name(), toJson(fv, f.name()));
        }
      }
      return node;
    }
    return JsonNodeFactory.instance.textNode(String.valueOf(v));
  }

  private static ObjectNode readObject(String json) {
    try {
      return (ObjectNode) JSON.readTree(json);
    } catch (JsonProcessingException | ClassCastException e) {
      throw new IllegalStateException("stored JSON object is not valid: " + json, e);
    }
  }

  private static String requiredText(JsonNode node, String field, String path) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      throw new InvalidEventException(path + " is required");
    }
    if (!v.isTextual() || v.asText().isBlank()) {
      throw new InvalidEventException(path + " must be a non-empty string");
    }
    return v.asText();
  }

  private static Instant parseTimestamp(JsonNode v, Instant now) {
    if (v == null || v.isNull()) {
      return now;
    }
    if (!v.isTextual()) {
      throw new InvalidEventException("timestamp must be an ISO-8601 string such as 2025-01-15T15:45:32Z");
    }
    try {
      return OffsetDateTime.parse(v.asText()).toInstant();
    } catch (DateTimeParseException e) {
      throw new InvalidEventException("timestamp '" + v.asText() + "' is not ISO-8601 (e.g. 2025-01-15T15:45:32Z)");
    }
  }

  /** The JSON does not describe a valid call event; the message names the field. */
  public static final class InvalidEventException extends IllegalArgumentException {
    public InvalidEventException(String message) {
      super(message);
    }
  }
}
