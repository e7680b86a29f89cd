package org.webhooks.launcher;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;

/**
 * {@code webhooks_consumer_lag{group,topic}}: records not yet processed by a service's consumer group,
 * the sum over partitions of end offset minus committed offset, read with the admin client on scrape
 * (at most once a second). With transactional producers the end offset counts a commit marker, so an
 * idle group shows a lag of at most one per partition.
 */
final class ConsumerLag implements MeterBinder, AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConsumerLag.class);
  private static final long MIN_INTERVAL_MS = 1000;

  /**
   * @param group consumer group id
   * @param topic the topic it consumes
   */
  record Watched(String group, String topic) {}

  private final Admin admin;
  private final List<Watched> watched;
  private final Map<Watched, Long> lastLag = new HashMap<>();
  private long lastReadMs;

  ConsumerLag(WebhooksConfig config, List<Watched> watched) {
    this.admin = Admin.create(KafkaClients.common(config));
    this.watched = List.copyOf(watched);
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

  private synchronized double lagOf(Watched w) {
    long now = System.currentTimeMillis();
    if (now - lastReadMs >= MIN_INTERVAL_MS) {
      lastReadMs = now;
      for (Watched each : watched) {
        try {
          lastLag.put(each, read(each));
        } catch (Exception e) {
          LOG.debug("cannot read the lag of group {}: {}", each.group(), e.toString());
          lastLag.remove(each);
        }
      }
    }
    Long lag = lastLag.get(w);
    return lag == null ? Double.NaN : lag;
  }

  private long read(Watched w) throws Exception {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(w.group()).partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    admin.describeTopics(List.of(w.topic())).allTopicNames().get(5, TimeUnit.SECONDS).get(w.topic())
        .partitions().forEach(p -> latest.put(new TopicPartition(w.topic(), p.partition()), OffsetSpec.latest()));
    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends =
        admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
    long lag = 0;
    for (var e : ends.entrySet()) {
      OffsetAndMetadata c = committed.get(e.getKey());
      lag += Math.max(0, e.getValue().offset() - (c == null ? 0 : c.offset()));
    }
    return lag;
  }

  @Override
  public void close() {
    admin.close();
  }
}
