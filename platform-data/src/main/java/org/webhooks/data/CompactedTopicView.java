package org.webhooks.data;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;

/**
 * A process's own copy of a compacted topic (subscriptions, API keys): one thread reads every
 * partition from the beginning with {@code read_committed}, without a consumer group, into a map of
 * the last value per key; a tombstone removes the key. Reads are lock-free and see the topic as far
 * as the thread has read it.
 *
 * <p>The view lags the topic. {@link #catchUp()} completes once the view has read up to end offsets
 * taken after the call, so that a miss after it means "absent"; {@link #awaitWritten} waits for one
 * record this process wrote, which gives read-your-writes.
 *
 * @param <V> the decoded value
 */
public class CompactedTopicView<V> implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(CompactedTopicView.class);
  private static final Duration IDLE_POLL = Duration.ofMillis(500);
  private static final Duration CATCHING_UP_POLL = Duration.ofMillis(50);
  private static final long BACKOFF_MS = 1000;

  private final String topic;
  private final Function<byte[], V> decoder;
  private final Properties consumerProps;
  private final Map<String, V> byKey = new ConcurrentHashMap<>();
  private final Map<String, String> unreadable = new ConcurrentHashMap<>();
  private final Map<TopicPartition, Long> positions = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<CompletableFuture<Void>> requested = new ConcurrentLinkedQueue<>();
  private final Map<TopicPartition, List<Waiter>> waiters = new HashMap<>();
  private final CompletableFuture<Void> initialCatchUp = new CompletableFuture<>();
  private final Thread thread;
  private volatile KafkaConsumer<byte[], byte[]> consumer;
  private volatile boolean running;

  private record Waiter(long offset, CompletableFuture<Void> done) {}

  /**
   * @param config where the broker is and the pass-through Kafka properties
   * @param topic the compacted topic
   * @param clientId names the consumer, for the broker's logs and quotas
   * @param decoder turns a record value into {@code V}; throws a
   *     {@link org.apache.kafka.common.errors.SerializationException} for bytes it cannot read (the key
   *     is then listed in {@link #unreadable()} and its earlier value stays, since dropping it would
   *     turn a bad write into a deletion), or an exception whose cause chain holds a registry that
   *     cannot be reached (the record is read again after a back-off)
   */
  public CompactedTopicView(WebhooksConfig config, String topic, String clientId, Function<byte[], V> decoder) {
    this.topic = topic;
    this.decoder = decoder;
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    this.consumerProps = p;
    requested.add(initialCatchUp);
    this.thread = new Thread(this::run, "view-" + topic);
    this.thread.setDaemon(true);
  }

  /**
   * Starts reading from the beginning of the topic.
   *
   * @throws IllegalStateException when already started
   */
  public synchronized void start() {
    if (consumer != null) {
      throw new IllegalStateException("the view of " + topic + " was already started");
    }
    consumer = new KafkaConsumer<>(consumerProps);
    running = true;
    thread.start();
  }

  /** @return the value last read for {@code key}, or empty when never read or deleted. */
  public Optional<V> get(String key) {
    return Optional.ofNullable(byKey.get(key));
  }

  /** @return every current value, in no particular order (a copy). */
  public List<V> values() {
    return new ArrayList<>(byKey.values());
  }

  /** @return keys whose last record could not be decoded, each with the reason (a copy). */
  public Map<String, String> unreadable() {
    return Map.copyOf(unreadable);
  }

  /** @return keys in the view. */
  public int size() {
    return byKey.size();
  }

  /**
   * @return a future that completes once the view has read, in every partition, up to the end
   *     offsets (last stable offsets) taken after this call; it never completes if the view is
   *     closed first
   */
  public CompletableFuture<Void> catchUp() {
    CompletableFuture<Void> f = new CompletableFuture<>();
    requested.add(f);
    wake();
    return f;
  }

  /**
   * Blocks until the view has caught up with the topic as it is at this call.
   *
   * @return true when caught up, false when {@code timeout} passed first
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return await(catchUp(), timeout);
  }

  /**
   * Blocks until the view has read the record {@code written} describes (a write of this process,
   * acknowledged by the broker): a read after it sees that write or a later one.
   *
   * @return true when read, false when {@code timeout} passed first
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean awaitWritten(RecordMetadata written, Duration timeout) throws InterruptedException {
    TopicPartition tp = new TopicPartition(written.topic(), written.partition());
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (waiters) {
      if (positions.getOrDefault(tp, 0L) > written.offset()) {
        return true;
      }
      waiters.computeIfAbsent(tp, k -> new ArrayList<>()).add(new Waiter(written.offset(), f));
    }
    wake();
    return await(f, timeout);
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

  /**
   * Called on the view's thread after a record was applied.
   *
   * @param key the record's key
   * @param value the decoded value, or null for a tombstone
   */
  protected void applied(String key, V value) {}

  private static boolean await(CompletableFuture<Void> f, Duration timeout) throws InterruptedException {
    try {
      f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("the view failed", e.getCause());
    }
  }

  private void wake() {
    KafkaConsumer<byte[], byte[]> c = consumer;
    if (c != null) {
      c.wakeup();
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
          boolean waitingForWrites;
          synchronized (waiters) {
            waitingForWrites = !waiters.isEmpty();
          }
          ConsumerRecords<byte[], byte[]> records =
              c.poll(target == null && !waitingForWrites ? IDLE_POLL : CATCHING_UP_POLL);
          apply(c, records);
          recordPositions(c);
          if (target != null && reached(c, target)) {
            waiting.forEach(f -> f.complete(null));
            waiting.clear();
            target = null;
          }
        } catch (WakeupException e) {
          // a catch-up request, a waiter or close; the loop looks at each
        } catch (KafkaException e) {
          if (running) {
            LOG.warn("view of {}: {}; retrying", topic, e.toString());
            sleep(BACKOFF_MS);
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.error("view of {} stopped: {}", topic, e.toString(), e);
    } finally {
      try {
        c.close(Duration.ofSeconds(5));
      } catch (RuntimeException e) {
        LOG.debug("closing the view consumer of {}: {}", topic, e.toString());
      }
    }
  }

  private void recordPositions(KafkaConsumer<byte[], byte[]> c) {
    for (TopicPartition tp : c.assignment()) {
      positions.put(tp, c.position(tp));
    }
    synchronized (waiters) {
      waiters.entrySet().removeIf(e -> {
        long position = positions.getOrDefault(e.getKey(), 0L);
        e.getValue().removeIf(w -> {
          if (position > w.offset()) {
            w.done().complete(null);
            return true;
          }
          return false;
        });
        return e.getValue().isEmpty();
      });
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
          LOG.warn("record without a key at {}-{} offset {}; ignored", r.topic(), r.partition(), r.offset());
          continue;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
          byKey.remove(key);
          unreadable.remove(key);
          applied(key, null);
          continue;
        }
        try {
          V value = decoder.apply(r.value());
          byKey.put(key, value);
          unreadable.remove(key);
          applied(key, value);
        } catch (RuntimeException e) {
          if (SchemaRegistryClient.isUnreachable(e)) {
            LOG.warn("view of {}: schema registry unreachable ({}); reading {} again from offset {}",
                topic, e.getMessage(), tp, r.offset());
            c.seek(tp, r.offset());
            sleep(BACKOFF_MS);
            break;
          }
          unreadable.put(key, "partition " + r.partition() + " offset " + r.offset() + ": "
              + (e.getMessage() == null ? e.toString() : e.getMessage()));
          LOG.warn("record {} at {}-{} offset {} cannot be decoded and is ignored: {}",
              key, r.topic(), r.partition(), r.offset(), e.getMessage());
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
