package org.webhooks.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.testing.TestStack;

/** Call events written to {@code call-events} with chosen Kafka timestamps, on the shared test stack. */
final class CallEventRecords {

  private static final ObjectMapper JSON = new ObjectMapper();

  private CallEventRecords() {}

  /**
   * @return a config of fresh topics of one partition on the shared broker and registry, created as
   *     the platform creates them
   */
  static WebhooksConfig platformTopics() {
    WebhooksConfig config = freshPrefix();
    KafkaClients.ensureTopics(config);
    return config;
  }

  /**
   * @return fresh topics as {@link #platformTopics()}, except {@code call-events}, created before as
   *     a call platform may create it itself: records keep the timestamps their producers set
   */
  static WebhooksConfig producerStampedTopics() throws Exception {
    WebhooksConfig config = freshPrefix();
    try (Admin admin = Admin.create(KafkaClients.common(config))) {
      admin.createTopics(List.of(new NewTopic(config.topics().callEvents().name(), 1, (short) 1)
          .configs(Map.of(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "CreateTime")))).all().get();
    }
    KafkaClients.ensureTopics(config);
    return config;
  }

  /** @return a config of topics of one partition under a new prefix, on the shared broker and registry */
  private static WebhooksConfig freshPrefix() {
    EmbeddedStack stack = TestStack.shared();
    return WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "1")
        .with(Setting.RETRY_SCHEDULE, "");
  }

  /** @return a call.completed event of acct_1 whose record carries {@code publishedAt} as its Kafka timestamp */
  static ProducerRecord<String, CallEvent> stamped(String eventId, Instant publishedAt) {
    ObjectNode envelope = JSON.createObjectNode()
        .put("event_id", eventId)
        .put("event_type", "call.completed")
        .put("account_id", "acct_1")
        .put("timestamp", publishedAt.toString());
    envelope.putObject("data").put("call_id", "call_1");
    CallEvent event = CallEventJson.parse(envelope, publishedAt);
    return new ProducerRecord<>("", null, publishedAt.toEpochMilli(), "call_1", event);
  }

  /**
   * Writes the records, in order, to partition 0 of {@code call-events}, and waits for each.
   *
   * @return what the broker answered for each, in order
   */
  static List<RecordMetadata> publish(WebhooksConfig config, List<ProducerRecord<String, CallEvent>> records)
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
      List<RecordMetadata> out = new ArrayList<>();
      for (Future<RecordMetadata> f : sent) {
        out.add(f.get());
      }
      return out;
    }
  }
}
