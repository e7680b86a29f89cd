package org.webhooks.producer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.StringReader;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;

/** Publishing to the real embedded broker and registry. */
class CallEventPublisherIT {

  @Test
  void eventsAreKeyedByCallIdAndEachCallKeepsItsOrder() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "pub-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "4");
    KafkaClients.ensureTopics(config);
    Clock clock = Clock.fixed(Instant.parse("2025-01-15T15:45:32Z"), ZoneOffset.UTC);
    CallSimulator sim = new CallSimulator(1, 2, clock);
    List<CallEvent> sent = new ArrayList<>();
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      for (int i = 0; i < 300; i++) {
        CallEvent e = sim.next();
        publisher.publish(e);
        sent.add(e);
      }
      publisher.flush();
    }

    List<ConsumerRecord<String, CallEvent>> received = readAll(config);
    assertThat(received).hasSize(sent.size());
    assertThat(received).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getCallId()));
    // Within a partition the records of each call appear in the order they were published.
    for (String callId : sent.stream().map(CallEvent::getCallId).distinct().toList()) {
      List<String> expected = sent.stream().filter(e -> e.getCallId().equals(callId)).map(CallEvent::getEventId).toList();
      List<ConsumerRecord<String, CallEvent>> got = received.stream().filter(r -> r.key().equals(callId)).toList();
      assertThat(got.stream().map(ConsumerRecord::partition).distinct()).hasSize(1);
      assertThat(got.stream().map(r -> r.value().getEventId()).toList()).isEqualTo(expected);
    }
  }

  @Test
  void badLinesAreReportedByNumberAndTheGoodOnesPublished() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "pub-" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "1");
    KafkaClients.ensureTopics(config);
    String input = String.join("\n",
        "{\"account_id\":\"a\",\"event_id\":\"e1\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}",
        "{\"account_id\":\"a\",\"event_id\":\"e2\",\"event_type\":\"call.started\",\"data\":{}}",
        "",
        "{\"event_id\":\"e4\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}",
        "{\"account_id\":\"a\",\"event_id\":\"e5\",\"event_type\":\"call.completed\",\"data\":{\"call_id\":\"c1\"}}");
    JsonLinesPublisher.Result result;
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      result = new JsonLinesPublisher(publisher, Clock.systemUTC()).publish(new BufferedReader(new StringReader(input)));
    }
    assertThat(result.published()).isEqualTo(2);
    assertThat(result.errors()).containsExactly("line 2: data.call_id is required", "line 4: account_id is required");
    assertThat(readAll(config)).extracting(r -> r.value().getEventId()).containsExactly("e1", "e5");
  }

  private static List<ConsumerRecord<String, CallEvent>> readAll(WebhooksConfig config) {
    Properties props = KafkaClients.common(config);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    String topic = config.topics().callEvents().name();
    List<ConsumerRecord<String, CallEvent>> out = new ArrayList<>();
    try (KafkaConsumer<String, CallEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        config.topics().callEvents().valueSerde(new SchemaRegistryClient(config.registryUrl())).deserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(Duration.ofMillis(100)).forEach(out::add);
      }
    }
    return out;
  }
}
