package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaTest {

    @TempDir
    Path dir;

    @Test
    void restartOnSameLogDirKeepsRecords() throws Exception {
        Path logDir = dir.resolve("kafka");
        try (EmbeddedKafka kafka = EmbeddedKafka.start(logDir, 0, 0)) {
            assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.brokerPort());
            assertThat(kafka.controllerPort()).isNotEqualTo(kafka.brokerPort()).isPositive();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
                producer.send(new ProducerRecord<>("kept", "k1", "survives a restart")).get();
            }
            kafka.close();
            kafka.close(); // idempotent
        }
        assertThat(logDir.resolve("meta.properties")).exists();

        try (EmbeddedKafka kafka = EmbeddedKafka.start(logDir, 0, 0);
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ConsumerConfig.GROUP_ID_CONFIG, "restart-test",
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                     new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(Set.of("kept"));
            List<ConsumerRecord<String, String>> received = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(received::add);
                return !received.isEmpty();
            });
            assertThat(received).singleElement().satisfies(r -> {
                assertThat(r.key()).isEqualTo("k1");
                assertThat(r.value()).isEqualTo("survives a restart");
            });
            consumer.commitSync();
        }
    }

    @Test
    void takenFixedBrokerPortFailsWithClearMessageAndJvmSurvives() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafka.start(dir.resolve("kafka"), port, 0))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Kafka broker port " + port)
                    .hasMessageContaining("already in use");
        }
    }

    @Test
    void takenFixedControllerPortFailsWithClearMessageAndJvmSurvives() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedKafka.start(dir.resolve("kafka"), 0, port))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Kafka controller port " + port)
                    .hasMessageContaining("already in use");
        }
        // Still usable afterwards: nothing half-started holds the log dir.
        try (EmbeddedKafka kafka = EmbeddedKafka.start(dir.resolve("kafka"), 0, 0)) {
            assertThat(kafka.brokerPort()).isPositive();
        }
        assertThat("x".getBytes(StandardCharsets.UTF_8)).hasSize(1); // the JVM is alive to run this line
    }
}
