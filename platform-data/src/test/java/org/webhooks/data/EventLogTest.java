package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.testing.TestStack;

/**
 * Reading {@code call-events} back by publish time, on the real broker and registry, when a producer's
 * clock runs ahead: a record stamped later than the records after it must not hide them.
 */
class EventLogTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  // in the past, so that a record stamped 30 minutes later is still within what the broker accepts
  private static final Instant T0 = Instant.now().minus(20, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);

  @Test
  void anEventAfterARecordStampedAheadIsFoundByItsPublishTime() throws Exception {
    WebhooksConfig config = config();
    publish(config, List.of(
        stamped("evt_1", T0),
        stamped("evt_ahead", T0.plus(30, ChronoUnit.MINUTES)),
        stamped("evt_2", T0.plusSeconds(1))));

    EventLog.EventRef ref = new EventLog.EventRef("evt_2", "call.completed", T0.plusSeconds(1));
    try (EventLog log = new EventLog(config)) {
      Map<EventLog.EventRef, EventLog.LoggedEvent> found = log.find(List.of(ref));
      assertThat(found).containsKey(ref);
      assertThat(found.get(ref).publishedAt()).isEqualTo(T0.plusSeconds(1));
    }
  }

  @Test
  void aRangeReadGoesOnPastARecordStampedAheadAndLeavesItOut() throws Exception {
    WebhooksConfig config = config();
    publish(config, List.of(
        stamped("evt_1", T0),
        stamped("evt_ahead", T0.plus(30, ChronoUnit.MINUTES)),
        stamped("evt_2", T0.plusSeconds(1)),
        stamped("evt_3", T0.plusSeconds(2)),
        stamped("evt_after_range", T0.plusSeconds(60))));

    try (EventLog log = new EventLog(config)) {
      List<String> read = new ArrayList<>();
      EventLog.ScanResult scan = log.scanCallEvents(T0, T0.plusSeconds(5), null, log.endOffsets(), 100,
          e -> read.add(e.eventId()));
      assertThat(read).containsExactly("evt_1", "evt_2", "evt_3");
      assertThat(scan.complete()).isTrue();
      assertThat(scan.recordsRead()).isEqualTo(5);
    }
  }

  @Test
  void aRangeReadLeavesAPartitionAfterARunOfLaterRecords() throws Exception {
    WebhooksConfig config = config();
    List<ProducerRecord<String, CallEvent>> records = new ArrayList<>();
    records.add(stamped("evt_1", T0));
    Instant later = T0.plusSeconds(5).plus(EventLog.LOOKUP_SLACK).plusSeconds(1);
    for (int i = 0; i < EventLog.LATER_RUN; i++) {
      records.add(stamped("evt_later_" + i, later));
    }
    records.add(stamped("evt_in_range_but_past_the_run", T0.plusSeconds(2)));
    publish(config, records);

    try (EventLog log = new EventLog(config)) {
      Map<Integer, Long> ends = log.endOffsets();
      List<String> read = new ArrayList<>();
      EventLog.ScanResult scan = log.scanCallEvents(T0, T0.plusSeconds(5), null, ends, 10_000,
          e -> read.add(e.eventId()));
      assertThat(read).containsExactly("evt_1");
      // the first record and the run, not the record after it
      assertThat(scan.recordsRead()).isEqualTo(1 + EventLog.LATER_RUN);
      assertThat(scan.complete()).isTrue();
      assertThat(scan.next()).isEqualTo(ends);
    }
  }

  // ---- helpers

  private static WebhooksConfig config() {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "1")
        .with(Setting.RETRY_SCHEDULE, "");
    KafkaClients.ensureTopics(config);
    return config;
  }

  /** @return a call.completed event whose record carries {@code publishedAt} as its Kafka timestamp */
  private static ProducerRecord<String, CallEvent> stamped(String eventId, Instant publishedAt) {
    ObjectNode envelope = JSON.createObjectNode()
        .put("event_id", eventId)
        .put("event_type", "call.completed")
        .put("account_id", "acct_1")
        .put("timestamp", publishedAt.toString());
    envelope.putObject("data").put("call_id", "call_1");
    CallEvent event = CallEventJson.parse(envelope, publishedAt);
    return new ProducerRecord<>("", null, publishedAt.toEpochMilli(), "call_1", event);
  }

  /** Writes the records, in order, to the one partition of {@code call-events}. */
  private static void publish(WebhooksConfig config, List<ProducerRecord<String, CallEvent>> records)
      throws Exception {
    String topic = config.topics().callEvents().name();
    AvroSerde<CallEvent> serde = new AvroSerde<>(new SchemaRegistryClient(config.registryUrl()),
        CallEvent.getClassSchema());
    Properties p = KafkaClients.common(config);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (ProducerRecord<String, CallEvent> r : records) {
        sent.add(producer.send(new ProducerRecord<>(topic, 0, r.timestamp(), r.key(), serde.serialize(topic, r.value()))));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get();
      }
    }
  }
}
