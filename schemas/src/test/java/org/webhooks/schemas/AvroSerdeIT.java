package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.SchemaRegistryClient.RegistryException;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallCompletedData;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/**
 * The Confluent wire format against the real registry of the embedded stack: every record type
 * round-trips, the id in the bytes resolves over the REST API, bad bytes are refused with a reason,
 * and values written under an older schema are read by the current classes.
 */
class AvroSerdeIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Instant T0 = Instant.parse("2025-01-15T15:45:32.123Z");

  private static String registryUrl;
  private Topics topics;
  private SchemaRegistryClient registry;

  @BeforeAll
  static void startStack() {
    registryUrl = TestStack.shared().registryUrl();
  }

  @BeforeEach
  void freshTopics() {
    topics = WebhooksConfig.defaults().with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-").topics();
    registry = new SchemaRegistryClient(registryUrl);
  }

  @Test
  void every_call_event_type_round_trips() throws Exception {
    List<CallEvent> events = new ArrayList<>();
    for (Path file : examplePayloads()) {
      ObjectNode envelope = (ObjectNode) JSON.readTree(file.toFile());
      envelope.put("account_id", "acct_1");
      events.add(CallEventJson.parse(envelope, T0));
    }
    assertThat(events).extracting(e -> EventTypes.wireName(e.getEventType()))
        .containsExactlyInAnyOrderElementsOf(EventTypes.ALL);
    ObjectNode withExtra = (ObjectNode) JSON.readTree("""
        {"event_id": "evt_x", "event_type": "call.completed", "account_id": "acct_1",
         "data": {"call_id": "c", "duration_seconds": 1, "queue": "sales", "score": 3.0}}""");
    events.add(CallEventJson.parse(withExtra, T0));

    for (CallEvent event : events) {
      assertRoundTrip(topics.callEvents(), event);
    }
  }

  @Test
  void subscription_round_trips() {
    Subscription sub = Subscription.newBuilder()
        .setId("sub_1").setAccountId("acct_1").setUrl("https://hooks.example.com/h")
        .setEventTypes(List.of("call.completed", "call.failed"))
        .setSecrets(List.of(new SigningSecret(WebhookSecret.generate(), T0, T0.plusSeconds(86_400)),
            new SigningSecret(WebhookSecret.generate(), T0.plusSeconds(60), null)))
        .setFilter("data.duration_seconds > 60").setEnabled(false).setDisabledReason("410 Gone")
        .setDescription("CRM sync").setCreatedAt(T0).setUpdatedAt(T0.plusSeconds(1))
        .setRateLimitPerSecond(20).setMetadata(Map.of("team", "sales"))
        .build();

    assertRoundTrip(topics.subscriptions(), sub);
  }

  @Test
  void delivery_task_round_trips_on_deliveries_and_retry_topics() {
    DeliveryTask task = task();

    assertRoundTrip(topics.deliveries(), task);
    assertRoundTrip(topics.retryTopics().get(1), task);
  }

  @Test
  void delivery_attempt_round_trips() {
    DeliveryAttempt attempt = DeliveryAttempt.newBuilder()
        .setAttemptId("att_1").setDeliveryId("del_1").setSubscriptionId("sub_1").setAccountId("acct_1")
        .setEventId("evt_1").setEventType("call.completed").setUrl("https://hooks.example.com/h")
        .setAttempt(3).setStartedAt(T0).setLatencyMs(87).setEventPublishedAt(T0.minusSeconds(5))
        .setOutcome(AttemptOutcome.HTTP_ERROR).setStatusCode(503).setError("503 Service Unavailable")
        .setResponseExcerpt("try later").setFinal$(false).setNextAttemptAt(T0.plusSeconds(300))
        .build();

    assertRoundTrip(topics.attempts(), attempt);
  }

  @Test
  void both_kinds_of_dead_letter_round_trip() {
    DeadLetter exhausted = DeadLetter.newBuilder()
        .setKind(DeadLetterKind.EXHAUSTED).setReason("10 attempts failed").setDeadLetteredAt(T0)
        .setTask(task()).setAttempts(10).setFirstAttemptAt(T0.minusSeconds(84_060)).setLastAttemptAt(T0)
        .setLastStatus(500).setLastError("500 Internal Server Error")
        .build();
    DeadLetter undecodable = DeadLetter.newBuilder()
        .setKind(DeadLetterKind.UNDECODABLE).setReason("unknown magic byte 0x7b").setDeadLetteredAt(T0)
        .setSourceTopic("webhook-deliveries").setSourcePartition(4).setSourceOffset(123_456L)
        .setRawKey(ByteBuffer.wrap("sub_1".getBytes(StandardCharsets.UTF_8)))
        .setRawValue(ByteBuffer.wrap(new byte[] {'{', 0, (byte) 0xff}))
        .build();

    assertRoundTrip(topics.deadLetters(), exhausted);
    assertRoundTrip(topics.deadLetters(), undecodable);
  }

  @Test
  void null_is_a_tombstone_both_ways() {
    Serde<Subscription> serde = topics.subscriptions().valueSerde(registry);

    assertThat(serde.serializer().serialize(topics.subscriptions().name(), null)).isNull();
    assertThat(serde.deserializer().deserialize(topics.subscriptions().name(), null)).isNull();
  }

  @Test
  void bad_bytes_are_refused_with_a_clear_reason() {
    Topic<DeliveryTask> topic = topics.deliveries();
    Serde<DeliveryTask> serde = topic.valueSerde(registry);
    byte[] good = serde.serializer().serialize(topic.name(), task());
    int id = ByteBuffer.wrap(good, 1, 4).getInt();

    byte[] wrongMagic = good.clone();
    wrongMagic[0] = 0x01;
    byte[] unknownId = good.clone();
    ByteBuffer.wrap(unknownId, 1, 4).putInt(2_000_000_000);
    byte[] truncated = Arrays.copyOf(good, good.length - 10);
    byte[] trailing = Arrays.copyOf(good, good.length + 1);

    assertRefused(serde, topic, "{\"event_id\": \"e\"}".getBytes(StandardCharsets.UTF_8), "magic byte 0x7b");
    assertRefused(serde, topic, new byte[] {0, 0, 0}, "too short");
    assertRefused(serde, topic, wrongMagic, "magic byte 0x01");
    assertRefused(serde, topic, unknownId, "schema id 2000000000");
    assertRefused(serde, topic, unknownId, "404");
    assertRefused(serde, topic, truncated, "schema id " + id);
    assertRefused(serde, topic, truncated, "EOF");
    assertRefused(serde, topic, trailing, "more than one record");
    // The serde still works after refusals: nothing bad was cached.
    assertThat(serde.deserializer().deserialize(topic.name(), good)).isEqualTo(task());
  }

  @Test
  void an_unreachable_registry_makes_serialize_fail_with_the_reason() {
    SchemaRegistryClient nowhere = new SchemaRegistryClient("http://127.0.0.1:1/apis/ccompat/v7");
    Topic<DeliveryTask> topic = topics.deliveries();

    assertThatThrownBy(() -> topic.valueSerde(nowhere).serializer().serialize(topic.name(), task()))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(topic.name())
        .hasMessageContaining("cannot be reached");
  }

  @Test
  void values_written_with_an_older_schema_are_read_by_the_current_class() throws Exception {
    Topic<CallEvent> topic = topics.callEvents();
    Schema older = withoutField(CallEvent.getClassSchema(), "extra_data");
    int olderId = registry.register(topic.valueSubject(), older);
    registry.setCompatibility(topic.valueSubject(), "BACKWARD");

    // The current schema is accepted as a BACKWARD-compatible next version of the subject.
    Serde<CallEvent> serde = topic.valueSerde(registry);
    byte[] current = serde.serializer().serialize(topic.name(), CallEventJson.parse(JSON.readTree("""
        {"event_id": "evt_new", "event_type": "call.started", "account_id": "acct_1", "data": {"call_id": "c"}}"""),
        T0));
    int currentId = ByteBuffer.wrap(current, 1, 4).getInt();
    assertThat(currentId).isNotEqualTo(olderId);
    assertThat(versions(topic.valueSubject())).hasSize(2);

    byte[] olderBytes = wireFormat(olderId, olderCallCompleted(older));
    // A fresh client has nothing cached: the older schema must come from the registry by id.
    CallEvent read = topic.valueSerde(new SchemaRegistryClient(registryUrl)).deserializer()
        .deserialize(topic.name(), olderBytes);

    assertThat(read.getEventId()).isEqualTo("evt_old");
    assertThat(read.getAccountId()).isEqualTo("acct_1");
    assertThat(read.getCallId()).isEqualTo("call_1");
    assertThat(read.getAgentId()).isEqualTo("agent_1");
    assertThat(read.getTimestamp()).isEqualTo(T0);
    assertThat(read.getExtraData()).as("the field the older schema lacks takes its default").isNull();
    assertThat(read.getData()).isEqualTo(CallCompletedData.newBuilder()
        .setDurationSeconds(247L).setOutcome("appointment_booked").setMetadata("{\"k\":1.0}").build());
    assertThat(JSON.readTree(CallEventJson.render(read)).at("/data/metadata/k").isFloatingPointNumber()).isTrue();
  }

  @Test
  void an_incompatible_schema_is_refused_by_the_registry() {
    Topic<CallEvent> topic = topics.callEvents();
    registry.setCompatibility(topic.valueSubject(), "BACKWARD");
    registry.register(topic.valueSubject(), CallEvent.getClassSchema());
    Schema incompatible = withRequiredField(CallEvent.getClassSchema(), "region");

    assertThatThrownBy(() -> registry.register(topic.valueSubject(), incompatible))
        .isInstanceOf(RegistryException.class)
        .hasMessageContaining("409");
  }

  private static DeliveryTask task() {
    return DeliveryTask.newBuilder()
        .setDeliveryId("del_1").setSubscriptionId("sub_1").setAccountId("acct_1").setEventId("evt_1")
        .setEventType("call.completed").setCallId("call_1")
        .setBody(ByteBuffer.wrap("{\"event_id\":\"evt_1\"}".getBytes(StandardCharsets.UTF_8)))
        .setAttempt(2).setEventPublishedAt(T0).setCreatedAt(T0.plusMillis(3)).setDueAt(T0.plusSeconds(60))
        .setFirstAttemptAt(T0.plusMillis(5)).setLastStatus(502).setLastError("502 Bad Gateway").setTest(true)
        .build();
  }

  /**
   * Serializes, checks the wire format and the registry entry behind its id, and reads the value back
   * both through the same serde and through a fresh client that must fetch the schema by id.
   */
  private <V extends SpecificRecord> void assertRoundTrip(Topic<V> topic, V value) {
    Serde<V> serde = topic.valueSerde(registry);

    byte[] bytes = serde.serializer().serialize(topic.name(), value);

    assertThat(bytes[0]).isEqualTo(AvroSerde.MAGIC_BYTE);
    int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
    JsonNode byId = get("/schemas/ids/" + id);
    assertThat(new Schema.Parser().parse(byId.get("schema").asText())).isEqualTo(topic.valueSchema());
    assertThat(subjects()).contains(topic.valueSubject());
    assertThat(versions(topic.valueSubject())).isNotEmpty();

    assertThat(serde.deserializer().deserialize(topic.name(), bytes)).isEqualTo(value);
    Serde<V> fresh = topic.valueSerde(new SchemaRegistryClient(registryUrl));
    assertThat(fresh.deserializer().deserialize(topic.name(), bytes)).isEqualTo(value);
    assertThat(fresh.serializer().serialize(topic.name(), value)).as("registering is idempotent").isEqualTo(bytes);
  }

  private static <V extends SpecificRecord> void assertRefused(Serde<V> serde, Topic<V> topic, byte[] bytes,
      String reason) {
    assertThatThrownBy(() -> serde.deserializer().deserialize(topic.name(), bytes))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining(reason);
  }

  private static GenericRecord olderCallCompleted(Schema older) {
    Schema dataSchema = older.getField("data").schema().getTypes().stream()
        .filter(s -> s.getName().equals("CallCompletedData")).findFirst().orElseThrow();
    GenericRecord data = new GenericData.Record(dataSchema);
    data.put("duration_seconds", 247L);
    data.put("outcome", "appointment_booked");
    data.put("metadata", "{\"k\":1.0}");
    GenericRecord event = new GenericData.Record(older);
    event.put("event_id", "evt_old");
    event.put("event_type", new GenericData.EnumSymbol(older.getField("event_type").schema(), "CALL_COMPLETED"));
    event.put("account_id", "acct_1");
    event.put("call_id", "call_1");
    event.put("agent_id", "agent_1");
    event.put("timestamp", T0.toEpochMilli());
    event.put("data", data);
    return event;
  }

  private static byte[] wireFormat(int schemaId, GenericRecord record) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(schemaId).array());
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static Schema withoutField(Schema schema, String field) throws IOException {
    ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
    ArrayNode fields = (ArrayNode) json.get("fields");
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).get("name").asText().equals(field)) {
        fields.remove(i);
        return new Schema.Parser().parse(json.toString());
      }
    }
    throw new IllegalArgumentException("no field " + field);
  }

  private static Schema withRequiredField(Schema schema, String field) {
    try {
      ObjectNode json = (ObjectNode) JSON.readTree(schema.toString());
      ((ArrayNode) json.get("fields")).addObject().put("name", field).put("type", "string");
      return new Schema.Parser().parse(json.toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> subjects() {
    List<String> out = new ArrayList<>();
    get("/subjects").forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<Integer> versions(String subject) {
    List<Integer> out = new ArrayList<>();
    get("/subjects/" + subject + "/versions").forEach(n -> out.add(n.asInt()));
    return out;
  }

  private static JsonNode get(String path) {
    try {
      HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(registryUrl + path)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as("GET " + path + ": " + response.body()).isEqualTo(200);
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static List<Path> examplePayloads() throws IOException, URISyntaxException {
    URL dir = AvroSerdeIT.class.getResource("/payloads");
    try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }
}
