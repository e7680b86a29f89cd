package org.webhooks.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedKafka;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/**
 * A send that fails leaves the producer refusing every further call of its transaction but an abort,
 * as when the broker cannot be reached for longer than the producer waits. The loop aborts that
 * transaction and processes the records since its last commit again, rather than stopping; once the
 * sends go through, the outputs are committed once.
 */
class TransactionalLoopTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path brokerDir;

  @Test
  void aTransactionTheProducerRefusesIsAbortedAndItsRecordsProcessedAgainInsteadOfStoppingTheLoop()
      throws Exception {
    // a broker of its own: the loop needs no registry, and starting one would cost seconds
    try (EmbeddedKafka kafka = EmbeddedKafka.start(brokerDir, 0, 0)) {
      // a fresh broker creates its transaction log on the first transactional producer, which takes
      // longer than the loop's producer below may wait
      Properties p = new Properties();
      p.put("bootstrap.servers", kafka.bootstrapServers());
      p.put("transactional.id", "warm-up");
      try (KafkaProducer<String, String> warmUp = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
        warmUp.initTransactions();
      }
      run(kafka.bootstrapServers());
    }
  }

  private void run(String bootstrapServers) throws Exception {
    String prefix = "loop-" + UUID.randomUUID() + "-";
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, bootstrapServers)
        .with(Setting.TOPIC_PREFIX, prefix)
        .with(Setting.INSTANCE_ID, "l1")
        // a send to a topic whose metadata cannot be had fails after 1 s instead of 30
        .withKafkaProperties(Map.of("max.block.ms", "1000"));
    String input = prefix + "input";
    String output = prefix + "output";
    String late = prefix + "late";
    try (Admin admin = Admin.create(KafkaClients.common(config))) {
      admin.createTopics(List.of(new NewTopic(input, 1, (short) 1), new NewTopic(output, 1, (short) 1))).all().get();
      produce(config, input, "r1");

      AtomicInteger processed = new AtomicInteger();
      LoopClients clients = LoopClients.create(config, "loop-test");
      clients.producer().initTransactions();
      TransactionalLoop<Void> loop = new TransactionalLoop<>(clients,
          new TransactionalLoop.Settings("loop-test", List.of(input), 10, Duration.ofSeconds(1)), Clock.systemUTC(),
          (LoopContext ctx) -> new RecordProcessor<Void>() {
            @Override
            public Received<Void> receive(ConsumerRecord<byte[], byte[]> r) {
              processed.incrementAndGet();
              // the first send fails (its topic does not exist yet); the producer then refuses the second
              ctx.send(new ProducerRecord<>(late, "k", r.value()));
              ctx.send(new ProducerRecord<>(output, "k", r.value()));
              return Received.finished();
            }

            @Override
            public void abandon(TopicPartition partition, List<Void> items) {}
          });
      Thread owner = new Thread(loop, "loop-test");
      owner.start();
      try {
        await().atMost(WAIT).until(() -> {
          if (loop.failure() != null) {
            throw new AssertionError("the loop stopped", loop.failure());
          }
          return loop.counters().rewinds() >= 1;
        });
        assertThat(readCommitted(config, output)).isEmpty();

        admin.createTopics(List.of(new NewTopic(late, 1, (short) 1))).all().get();
        await().atMost(WAIT).until(() -> loop.counters().transactionsCommitted() >= 1
            && readCommitted(config, output).size() == 1);
        assertThat(readCommitted(config, late)).containsExactly("r1");
        assertThat(readCommitted(config, output)).containsExactly("r1");
        assertThat(processed.get()).isGreaterThanOrEqualTo(2);
        assertThat(loop.failure()).isNull();
      } finally {
        loop.stop();
        owner.join(WAIT.toMillis());
      }
    }
  }

  private static void produce(WebhooksConfig config, String topic, String value) throws Exception {
    try (KafkaProducer<String, byte[]> p = new KafkaProducer<>(KafkaClients.common(config), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      p.send(new ProducerRecord<>(topic, "k", value.getBytes(StandardCharsets.UTF_8))).get();
    }
  }

  /** @return the values committed to {@code topic}, in order */
  private static List<String> readCommitted(WebhooksConfig config, String topic) {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      c.assign(List.of(tp));
      c.seekToBeginning(List.of(tp));
      long end = c.endOffsets(List.of(tp)).get(tp);
      List<String> out = new ArrayList<>();
      while (c.position(tp) < end) {
        c.poll(Duration.ofMillis(100)).forEach(r -> out.add(r.value()));
      }
      return out;
    }
  }
}
