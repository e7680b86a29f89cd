package org.webhooks.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;

/**
 * This worker's own copy of the compacted {@code webhook-subscriptions} topic, so that the URL,
 * secrets and enabled flag are looked up at send time and never travel in task records (DESIGN
 * "Secrets stay out of task records"). One thread reads every partition from the beginning with
 * {@code read_committed}, without a consumer group, into a map; a tombstone removes the entry.
 *
 * <p>The view lags the topic. A task can name a subscription the view has not read yet (the fanout
 * saw it first), so a miss only means "deleted" after {@link #catchUp()} completes: that is, after
 * the view has read up to end offsets taken after the miss.
 */
public final class SubscriptionView implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionView.class);
  private static final Duration IDLE_POLL = Duration.ofMillis(500);
  private static final Duration CATCHING_UP_POLL = Duration.ofMillis(50);
  private static final long REGISTRY_BACKOFF_MS = 1000;

  private final String topic;
  private final AvroSerde<Subscription> serde;
  private final Properties consumerProps;
  private final Map<String, Subscription> byId = new ConcurrentHashMap<>();
  /** Versions this worker wrote itself (a 410 disabling), in force until the topic's copy is read. */
  private final Map<String, Subscription> ownWrites = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<CompletableFuture<Void>> requested = new ConcurrentLinkedQueue<>();
  private final CompletableFuture<Void> initialCatchUp;
  private final Thread thread;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile boolean running;

  /**
   * @param config where the topic is ({@code bootstrapServers()}, {@code topics()}) and the instance id
   * @param registry resolves the schema ids of subscription records
   */
  public SubscriptionView(WebhooksConfig config, SchemaRegistryClient registry) {
    this.topic = config.topics().subscriptions().name();
    this.serde = new AvroSerde<>(registry, Subscription.getClassSchema());
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG,
        config.topicPrefix() + "delivery-worker-subscriptions-" + config.instanceId());
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumerProps = p;
    this.initialCatchUp = new CompletableFuture<>();
    requested.add(initialCatchUp);
    this.thread = new Thread(this::run, "subscription-view");
    this.thread.setDaemon(true);
  }

  /**
   * Starts reading from the beginning of the topic.
   *
   * @throws IllegalStateException when already started or closed
   */
  public synchronized void start() {
    if (consumer != null) {
      throw new IllegalStateException("the subscription view was already started");
    }
    consumer = new KafkaConsumer<>(consumerProps);
    running = true;
    thread.start();
  }

  /**
   * @return the subscription as last read, or as this worker last wrote it when the view has not
   *     read that write back yet; empty when it was never read or was deleted
   */
  public Optional<Subscription> find(String subscriptionId) {
    Subscription own = ownWrites.get(subscriptionId);
    return Optional.ofNullable(own != null ? own : byId.get(subscriptionId));
  }

  /**
   * A version this worker is writing to the topic itself (in its transaction): in force here at
   * once, so that the tasks after the one that disabled it are not sent while the view catches up.
   * It gives way as soon as the view reads a version at least as new ({@code updated_at}).
   */
  public void wrote(Subscription subscription) {
    ownWrites.put(subscription.getId(), subscription);
  }

  /** @return subscriptions in the view. */
  public int size() {
    return byId.size();
  }

  /**
   * Asks the view to catch up with the topic as it is now.
   *
   * @return a future that completes once the view has read, in every partition, up to the end
   *     offsets (last stable offsets) taken after this call; it never completes if the view is
   *     closed first
   */
  public CompletableFuture<Void> catchUp() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    requested.add(f);
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
    }
    return f;
  }

  /**
   * Blocks until the view has caught up with the topic as it is at this call.
   *
   * @param timeout how long to wait at most
   * @return true when caught up, false when {@code timeout} passed first
   * @throws InterruptedException when the calling thread is interrupted while waiting
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    try {
      catchUp().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the subscription view failed", e.getCause());
    }
  }

  /** @return true once the view has read the topic as it was when the view started. */
  public boolean isCaughtUp() {
    return initialCatchUp.isDone();
  }

  /** @return a future that completes once {@link #isCaughtUp()} is true. */
  public CompletableFuture<Void> initialCatchUp() {
    return initialCatchUp.copy();
  }

  /** Stops the reading thread and closes its consumer. Idempotent. */
  @Override
  public void close() {
    running = false;
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c == null) {
      return;
    }
    c.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    List<CompletableFuture<Void>> waiting = new ArrayList<>();
    Map<TopicPartition, Long> target = null;
    try {
      while (running) {
        try {
          if (c.assignment().isEmpty()) {
            assignAll(c, Set.of());
          }
          if (target == null && (!waiting.isEmpty() || !requested.isEmpty())) {
            for (CompletableFuture<Void> f; (f = requested.poll()) != null; ) {
              waiting.add(f);
            }
            // partitions may have been added since the last round; a miss must not be caused by one
            assignAll(c, c.assignment());
            target = c.endOffsets(c.assignment());
          }
          ConsumerRecords<byte[], byte[]> records = c.poll(target == null ? IDLE_POLL : CATCHING_UP_POLL);
          apply(c, records);
          if (target != null && reached(c, target)) {
            waiting.forEach(f -> f.complete(null));
            waiting.clear();
            target = null;
          }
        } catch (WakeupException e) {
          // a catch-up request or close; the loop looks at both
        } catch (KafkaException e) {
          if (running) {
            LOG.warn("subscription view: {}; retrying", e.toString());
            sleep(REGISTRY_BACKOFF_MS);
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.error("subscription view stopped: {}", e.toString(), e);
    } finally {
      try {
        c.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.debug("closing the subscription view consumer: {}", e.toString());
      }
    }
  }

  private void assignAll(KafkaConsumer<byte[], byte[]> c, Set<TopicPartition> current) {
    List<PartitionInfo> infos = c.partitionsFor(topic);
    if (infos == null || infos.isEmpty()) {
      throw new KafkaException("topic " + topic + " does not exist (yet)");
    }
    Set<TopicPartition> all = new HashSet<>();
    infos.forEach(i -> all.add(new TopicPartition(i.topic(), i.partition())));
    if (all.equals(current)) {
      return;
    }
    Set<TopicPartition> added = new HashSet<>(all);
    added.removeAll(current);
    c.assign(all);
    c.seekToBeginning(added);
  }

  private void apply(KafkaConsumer<byte[], byte[]> c, ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        if (r.key() == null) {
          LOG.warn("subscription record without a key at {}-{} offset {}; ignored",
              r.topic(), r.partition(), r.offset());
          continue;
        }
        String id = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
          byId.remove(id);
          ownWrites.remove(id);
          continue;
        }
        try {
          Subscription read = serde.deserialize(r.topic(), r.value());
          byId.put(id, read);
          ownWrites.computeIfPresent(id, (k, own) -> read.getUpdatedAt().isBefore(own.getUpdatedAt()) ? own : null);
        } catch (SerializationException e) {
          if (SchemaRegistryClient.isUnreachable(e)) {
            LOG.warn("subscription view: schema registry unreachable ({}); reading {} again from offset {}",
                e.getMessage(), tp, r.offset());
            c.seek(tp, r.offset());
            sleep(REGISTRY_BACKOFF_MS);
            break;
          }
          // the previous version, if any, stays: dropping it would turn a bad write into a deletion
          LOG.warn("subscription {} at {}-{} offset {} cannot be decoded and is ignored: {}",
              id, r.topic(), r.partition(), r.offset(), e.getMessage());
        }
      }
    }
  }

  private static boolean reached(KafkaConsumer<byte[], byte[]> c, Map<TopicPartition, Long> target) {
    for (Map.Entry<TopicPartition, Long> e : target.entrySet()) {
      if (c.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
