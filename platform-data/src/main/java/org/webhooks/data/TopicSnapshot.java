package org.webhooks.data;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;
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
   * Reads, in offset order, the records of the one partition that holds {@code key} (as Kafka's default
   * partitioner places it: murmur2 of the UTF-8 key, modulo the partitions) from the first record
   * written at or after {@code since} to the end offset taken at the call. Records of other keys in
   * that partition are included: callers filter.
   *
   * @param each gets every record; it may stop the read early by returning false
   * @return records read
   * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached or the topic does
   *     not exist within 30 s
   */
  public static long readKeySince(WebhooksConfig config, String topic, String key, Instant since,
      Predicate<ConsumerRecord<byte[], byte[]>> each) {
    Properties props = KafkaClients.common(config);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    long read = 0;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      int partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
      TopicPartition tp = new TopicPartition(topic, partitionOf(key, partitions));
      consumer.assign(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      OffsetAndTimestamp start = consumer.offsetsForTimes(Map.of(tp, since.toEpochMilli())).get(tp);
      if (start == null) {
        return 0;
      }
      consumer.seek(tp, start.offset());
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          if (r.offset() >= end) {
            return read;
          }
          read++;
          if (!each.test(r)) {
            return read;
          }
        }
      }
    }
    return read;
  }

  /** @return the partition of {@code key} among {@code partitions}, as Kafka's default partitioner chooses it */
  public static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

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
