package org.webhooks.launcher;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * Splits {@code bench}'s publish-to-receipt latency into the three stages the records tell apart, from
 * the timestamps the platform writes anyway:
 *
 * <ul>
 *   <li>fanout: the task's {@code created_at} minus {@code event_published_at}: from publish until the
 *       fanout processed the event;</li>
 *   <li>worker: the attempt's {@code started_at} minus the task's {@code created_at}: the fanout's
 *       transaction commit, the worker's fetch and the worker's queue;</li>
 *   <li>http: the receiver's receipt minus {@code started_at}: the request itself.</li>
 * </ul>
 *
 * <p>All are epoch milliseconds from clocks of the same machine.
 */
final class BenchStages {

  /**
   * Histograms in ms, by stage: {@code fanout}, {@code worker}, {@code http}; and the fanout's own rate.
   *
   * @param tasksPerSecond tasks written by the fanout per second, from its first to its last
   *     {@code created_at}; 0 when fewer than two tasks were read
   */
  record Result(Histogram fanout, Histogram worker, Histogram http, long attemptsRead, double tasksPerSecond) {}

  private BenchStages() {}

  /**
   * Reads {@code webhook-deliveries} and {@code webhook-attempts} (committed records, from the
   * beginning) and joins them with the receipts.
   *
   * @param config the bench's settings (topics, bootstrap servers)
   * @param registry resolves the schema ids of the records
   * @param expectedAttempts attempts to wait for: attempts are committed shortly after their request
   * @param receiver where the receipts are
   * @param pathOfSubscription the receiver path of each subscription id
   * @param timeout how long to wait for the attempts at most
   * @return the stage histograms (attempts not yet committed at {@code timeout} are left out)
   */
  static Result measure(WebhooksConfig config, SchemaRegistryClient registry, long expectedAttempts,
      BenchReceiver receiver, Map<String, String> pathOfSubscription, Duration timeout) {
    Topics topics = config.topics();
    AvroSerde<DeliveryTask> tasks = new AvroSerde<>(registry, topics.deliveries().valueSchema());
    AvroSerde<DeliveryAttempt> attempts = new AvroSerde<>(registry, topics.attempts().valueSchema());
    Histogram fanout = BenchCommand.newHistogram();
    Histogram worker = BenchCommand.newHistogram();
    Histogram http = BenchCommand.newHistogram();
    Map<String, Long> createdAt = new HashMap<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    long[] createdSpan = {Long.MAX_VALUE, Long.MIN_VALUE};

    read(config, topics.deliveries().name(), Long.MAX_VALUE, deadline, r -> {
      DeliveryTask t = tasks.deserialize(r.topic(), r.value());
      long created = t.getCreatedAt().toEpochMilli();
      createdAt.put(t.getDeliveryId(), created);
      createdSpan[0] = Math.min(createdSpan[0], created);
      createdSpan[1] = Math.max(createdSpan[1], created);
      fanout.recordValue(Math.max(0, created - t.getEventPublishedAt().toEpochMilli()));
    });
    long[] read = new long[1];
    read(config, topics.attempts().name(), expectedAttempts, deadline, r -> {
      read[0]++;
      DeliveryAttempt a = attempts.deserialize(r.topic(), r.value());
      long started = a.getStartedAt().toEpochMilli();
      Long created = createdAt.get(a.getDeliveryId());
      if (created != null) {
        worker.recordValue(Math.max(0, started - created));
      }
      String path = pathOfSubscription.get(a.getSubscriptionId());
      Long received = path == null ? null : receiver.receivedAtMs(path, a.getEventId());
      if (received != null) {
        http.recordValue(Math.max(0, received - started));
      }
    });
    long taskCount = createdAt.size();
    double tasksPerSecond = taskCount < 2 ? 0 : (taskCount - 1) * 1000.0 / Math.max(1, createdSpan[1] - createdSpan[0]);
    return new Result(fanout, worker, http, read[0], tasksPerSecond);
  }

  /**
   * Reads a topic from the beginning until {@code wanted} records were read or, when
   * {@code wanted} is {@link Long#MAX_VALUE}, until the end offsets taken at the start.
   */
  private static void read(WebhooksConfig config, String topic, long wanted, long deadlineNanos,
      Consumer<ConsumerRecord<byte[], byte[]>> each) {
    Properties props = KafkaClients.common(config);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000");
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long count = 0;
      while (System.nanoTime() < deadlineNanos) {
        if (wanted == Long.MAX_VALUE
            ? partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))
            : count >= wanted) {
          return;
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          count++;
          each.accept(r);
        }
      }
    }
  }
}
