package org.webhooks.data;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;

/**
 * Reads a whole topic once: every committed record ({@code read_committed}) from the beginning to
 * the end offsets taken at the call, keys and values as bytes, without a consumer group. For
 * commands that show or act on a topic's content (dead letters, subscriptions).
 */
public final class TopicSnapshot {

  private TopicSnapshot() {}

  /**
   * @return the records, partition by partition in offset order
   * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached or the topic does
   *     not exist within 30 s
   */
  public static List<ConsumerRecord<byte[], byte[]>> read(WebhooksConfig config, String topic) {
    Properties props = KafkaClients.common(config);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    return out;
  }
}
