package org.webhooks.launcher;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListConsumerGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;

/**
 * {@code webhooks_consumer_lag{group,topic}}: records not yet processed by a service's consumer group,
 * the sum over partitions of end offset minus committed offset. With transactional producers the end
 * offset counts a commit marker, so an idle group shows a lag of at most one per partition.
 *
 * <p>The offsets are read by a thread of its own, every {@value #INTERVAL_MS} ms, with three admin calls
 * for all groups and topics together; a scrape only reads the last figures. A scrape that asked the broker
 * itself took as long as the broker did to answer (up to 5 s per call, a dozen calls), longer than
 * Prometheus waits (10 s by default) when the broker is slow, which is when the lag matters most. A figure
 * is NaN until the first read and after a read that failed.
 */
final class ConsumerLag implements MeterBinder, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);
  /** Time between two reads of the offsets, ms. */
  static final long INTERVAL_MS = 1000;
  private static final long CALL_TIMEOUT_S = 5;

  /**
   * @param group consumer group id
   * @param topic the topic it consumes
   */
  record Watched(String group, String topic) {}

  private final Admin admin;
  private final List<Watched> watched;
  /** The last lag read of each watched group and topic; absent when the last read failed. */
  private final Map<Watched, Long> lastLag = new ConcurrentHashMap<>();
  private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "consumer-lag");
    t.setDaemon(true);
    return t;
  });
  private boolean failing;
  private final AtomicLong readsEnded = new AtomicLong();

  /**
   * Starts reading at once, then every {@value #INTERVAL_MS} ms.
   *
   * @param config Kafka client settings
   * @param watched the group and topic pairs whose lag is measured
   * @throws org.apache.kafka.common.KafkaException when the admin client cannot be created
   */
  ConsumerLag(WebhooksConfig config, List<Watched> watched) {
    this.admin = Admin.create(KafkaClients.common(config));
    this.watched = List.copyOf(watched);
    reader.scheduleWithFixedDelay(this::readAll, 0, INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    for (Watched w : watched) {
      Gauge.builder("webhooks.consumer.lag", this, lag -> lag.lagOf(w))
          .description("Records of the topic not yet processed by the consumer group")
          .tags("group", w.group(), "topic", w.topic())
          .register(registry);
    }
  }

  /** @return the last lag read of {@code w}, NaN when none was read or the last read failed */
  double lagOf(Watched w) {
    Long lag = lastLag.get(w);
    return lag == null ? Double.NaN : lag;
  }

  /** @return reads of the offsets that have ended, successful or not */
  long readsEnded() {
    return readsEnded.get();
  }

  private void readAll() {
    try {
      Map<Watched, Long> read = read();
      lastLag.putAll(read);
      if (failing) {
        LOG.info("consumer lag can be read again");
        failing = false;
      }
    } catch (Exception e) {
      lastLag.clear();
      if (!failing) {
        // once per failing spell: the broker being away is reported by /health already
        LOG.info("cannot read consumer lag, reported as NaN until it can: {}", e.toString());
        failing = true;
      }
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    } finally {
      readsEnded.incrementAndGet();
    }
  }

  private Map<Watched, Long> read() throws Exception {
    Set<String> groups = new LinkedHashSet<>();
    Set<String> topics = new LinkedHashSet<>();
    for (Watched w : watched) {
      groups.add(w.group());
      topics.add(w.topic());
    }
    Map<String, ListConsumerGroupOffsetsSpec> specs = new HashMap<>();
    groups.forEach(g -> specs.put(g, new ListConsumerGroupOffsetsSpec()));
    Map<String, Map<TopicPartition, OffsetAndMetadata>> committed =
        admin.listConsumerGroupOffsets(specs).all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    Map<String, TopicDescription> described =
        admin.describeTopics(topics).allTopicNames().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    described.forEach((topic, d) ->
        d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin.listOffsets(latest).all().get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
    Map<Watched, Long> lag = new HashMap<>();
    for (Watched w : watched) {
      Map<TopicPartition, OffsetAndMetadata> ofGroup = committed.getOrDefault(w.group(), Map.of());
      long sum = 0;
      for (var e : ends.entrySet()) {
        if (e.getKey().topic().equals(w.topic())) {
          OffsetAndMetadata c = ofGroup.get(e.getKey());
          sum += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
        }
      }
      lag.put(w, sum);
    }
    return lag;
  }

  /** Stops the reading thread and closes the admin client (waiting up to 1 s for calls in flight). */
  @Override
  public void close() {
    reader.shutdownNow();
    admin.close(Duration.ofSeconds(1));
  }
}
