package org.webhooks.bench;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;
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
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * What {@code bench} reads back from the topics once every delivery has arrived, from the records and
 * timestamps the platform writes anyway.
 *
 * <p>Publish-to-receipt latency split into its stages, for the first attempts of the measured
 * subscriptions:
 *
 * <ul>
 *   <li>fanout: the task's {@code created_at} minus {@code event_published_at}: from publish until the
 *       fanout processed the event;</li>
 *   <li>worker: the attempt's {@code started_at} minus the task's {@code created_at}: the fanout's
 *       transaction commit, the worker's fetch and the worker's queue;</li>
 *   <li>http: the receiver's receipt minus {@code started_at}: the request itself.</li>
 * </ul>
 *
 * <p>And, for the retry scenario: the attempts by outcome, and the lateness of every task the retry
 * scheduler forwarded: the Kafka timestamp of its record in {@code webhook-deliveries} (set when the
 * scheduler sent it) minus its {@code due_at}. A forwarded task is one whose delivery id, attempt and
 * due time are also those of a record in a retry tier; a {@code 0s} retry, which the worker writes
 * straight to {@code webhook-deliveries}, never is.
 *
 * <p>All times are epoch milliseconds from clocks of the same machine.
 */
final class BenchStages {

  /**
   * @param fanout the fanout stage, ms
   * @param worker the worker stage, ms
   * @param http the request stage, ms
   * @param tasksPerSecond tasks written by the fanout per second, from its first to its last
   *     {@code created_at}; 0 when fewer than two tasks were read
   * @param attempts attempt records read, by outcome
   * @param retryLateness how late each forwarded task left its retry tier, ms
   */
  record Result(Histogram fanout, Histogram worker, Histogram http, double tasksPerSecond,
      Map<AttemptOutcome, Long> attempts, Histogram retryLateness) {

    /** @return attempt records of {@code outcome} */
    long attempts(AttemptOutcome outcome) {
      return attempts.getOrDefault(outcome, 0L);
    }
  }

  private BenchStages() {}

  /**
   * Reads the retry tiers, {@code webhook-deliveries} and {@code webhook-attempts} (committed records,
   * from the beginning) and joins them with the receipts.
   *
   * @param config the bench's settings (topics, bootstrap servers)
   * @param registry resolves the schema ids of the records
   * @param succeeded successful attempts to wait for: attempts are committed shortly after their request
   * @param receiver where the receipts are
   * @param pathOfSubscription the receiver path of each subscription id whose first attempts the
   *     stages measure
   * @param eventIds the events of the measured run: records of others (a warm-up) are left out
   * @param timeout how long to wait for the attempts at most
   * @return the figures (attempts not yet committed at {@code timeout} are left out)
   */
  static Result measure(WebhooksConfig config, SchemaRegistryClient registry, long succeeded,
      BenchReceiver receiver, Map<String, String> pathOfSubscription, Set<String> eventIds, Duration timeout) {
    Topics topics = config.topics();
    AvroSerde<DeliveryTask> tasks = new AvroSerde<>(registry, topics.deliveries().valueSchema());
    AvroSerde<DeliveryAttempt> attempts = new AvroSerde<>(registry, topics.attempts().valueSchema());
    long deadline = System.nanoTime() + timeout.toNanos();

    Set<String> waited = new HashSet<>();
    for (Topic<DeliveryTask> tier : topics.retryTopics()) {
      readToEnd(config, tier.name(), deadline, r -> waited.add(forwardKey(tasks.deserialize(r.topic(), r.value()))));
    }

    Histogram fanout = Bench.newHistogram();
    Histogram lateness = Bench.newHistogram();
    Map<String, Long> createdAt = new HashMap<>();
    long[] createdSpan = {Long.MAX_VALUE, Long.MIN_VALUE};
    readToEnd(config, topics.deliveries().name(), deadline, r -> {
      DeliveryTask t = tasks.deserialize(r.topic(), r.value());
      if (!eventIds.contains(t.getEventId())) {
        return;
      }
      if (waited.contains(forwardKey(t))) {
        lateness.recordValue(Math.max(0, r.timestamp() - t.getDueAt().toEpochMilli()));
        return;
      }
      if (t.getAttempt() != 1 || createdAt.containsKey(t.getDeliveryId())) {
        return; // a 0s retry, or a task parked by an open circuit
      }
      long created = t.getCreatedAt().toEpochMilli();
      createdAt.put(t.getDeliveryId(), created);
      createdSpan[0] = Math.min(createdSpan[0], created);
      createdSpan[1] = Math.max(createdSpan[1], created);
      if (pathOfSubscription.containsKey(t.getSubscriptionId())) {
        fanout.recordValue(Math.max(0, created - t.getEventPublishedAt().toEpochMilli()));
      }
    });

    Histogram worker = Bench.newHistogram();
    Histogram http = Bench.newHistogram();
    Map<AttemptOutcome, Long> outcomes = new HashMap<>();
    long[] successes = new long[1];
    read(config, topics.attempts().name(), () -> successes[0] >= succeeded, deadline, r -> {
      DeliveryAttempt a = attempts.deserialize(r.topic(), r.value());
      if (!eventIds.contains(a.getEventId())) {
        return;
      }
      outcomes.merge(a.getOutcome(), 1L, Long::sum);
      if (a.getOutcome() != AttemptOutcome.SUCCEEDED) {
        return;
      }
      successes[0]++;
      String path = pathOfSubscription.get(a.getSubscriptionId());
      if (path == null || a.getAttempt() != 1) {
        return;
      }
      long started = a.getStartedAt().toEpochMilli();
      Long created = createdAt.get(a.getDeliveryId());
      if (created != null) {
        worker.recordValue(Math.max(0, started - created));
      }
      Long received = receiver.receivedAtMs(path, a.getEventId());
      if (received != null) {
        http.recordValue(Math.max(0, received - started));
      }
    });
    long taskCount = createdAt.size();
    double tasksPerSecond = taskCount < 2 ? 0 : (taskCount - 1) * 1000.0 / Math.max(1, createdSpan[1] - createdSpan[0]);
    return new Result(fanout, worker, http, tasksPerSecond, outcomes, lateness);
  }

  /** @return what a forwarded task and the tier record it came from have in common */
  private static String forwardKey(DeliveryTask t) {
    return t.getDeliveryId() + '|' + t.getAttempt() + '|' + t.getDueAt().toEpochMilli();
  }

  private static void readToEnd(WebhooksConfig config, String topic, long deadlineNanos,
      Consumer<ConsumerRecord<byte[], byte[]>> each) {
    read(config, topic, null, deadlineNanos, each);
  }

  /**
   * Reads a topic from the beginning until {@code done} says so or, when it is null, until the end
   * offsets taken at the start.
   */
  private static void read(WebhooksConfig config, String topic, BooleanSupplier done, long deadlineNanos,
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
      while (System.nanoTime() < deadlineNanos) {
        if (done == null
            ? partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p))
            : done.getAsBoolean()) {
          return;
        }
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          each.accept(r);
        }
      }
    }
  }
}
