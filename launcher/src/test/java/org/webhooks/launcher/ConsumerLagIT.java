package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.testing.TestStack;

/**
 * {@code webhooks_consumer_lag} on a real broker: the end offsets minus a group's committed offsets,
 * per group and topic, followed as records arrive, and NaN (not a scrape that waits) when the broker
 * cannot be reached.
 */
class ConsumerLagIT {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void theLagIsTheEndOffsetsMinusTheCommittedOffsetsOfEachGroup() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers());
    String topic = "lag-" + UUID.randomUUID();
    String group = "lag-group-" + UUID.randomUUID();
    String idle = "lag-idle-" + UUID.randomUUID();
    Properties props = KafkaClients.common(config);
    try (Admin admin = Admin.create(props);
        KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(),
            new StringSerializer())) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
      send(producer, topic, 0, 5);
      send(producer, topic, 1, 3);
      admin.alterConsumerGroupOffsets(group, Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(2),
          new TopicPartition(topic, 1), new OffsetAndMetadata(3))).all().get();

      ConsumerLag.Watched watched = new ConsumerLag.Watched(group, topic);
      ConsumerLag.Watched never = new ConsumerLag.Watched(idle, topic);
      try (ConsumerLag lag = new ConsumerLag(config, List.of(watched, never))) {
        await().atMost(WAIT).untilAsserted(() -> {
          assertThat(lag.lagOf(watched)).isEqualTo(3.0);
          // a group that committed nothing is behind by every record
          assertThat(lag.lagOf(never)).isEqualTo(8.0);
        });

        send(producer, topic, 1, 4);
        await().atMost(WAIT).untilAsserted(() -> assertThat(lag.lagOf(watched)).isEqualTo(7.0));

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        lag.bindTo(registry);
        assertThat(registry.scrape()).contains("webhooks_consumer_lag{group=\"" + group + "\",topic=\"" + topic
            + "\"} 7.0");
      }
    }
  }

  @Test
  void aBrokerThatCannotBeReachedGivesNaN() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0)) {
      deadPort = s.getLocalPort();
    }
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, "127.0.0.1:" + deadPort);
    ConsumerLag.Watched watched = new ConsumerLag.Watched("g", "t");
    try (ConsumerLag lag = new ConsumerLag(config, List.of(watched))) {
      PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
      lag.bindTo(registry);
      // the scrape is answered while the first read still waits for the broker (its calls give up after 5 s)
      String scrape = registry.scrape();
      assertThat(lag.readsEnded()).isZero();
      assertThat(scrape).contains("webhooks_consumer_lag{group=\"g\",topic=\"t\"} NaN");
      // and a read that failed leaves NaN
      await().atMost(WAIT).until(() -> lag.readsEnded() >= 1);
      assertThat(lag.lagOf(watched)).isNaN();
    }
  }

  private static void send(KafkaProducer<String, String> producer, String topic, int partition, int count)
      throws Exception {
    for (int i = 0; i < count; i++) {
      producer.send(new ProducerRecord<>(topic, partition, "k", "v")).get();
    }
  }
}
