package org.webhooks.data;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;

/**
 * Reads and writes the compacted {@code webhook-subscriptions} topic for commands and the control
 * plane: a save is a record keyed by the subscription id, a delete is a tombstone, and the current set
 * is the last value of each key. Records are written and read through {@link SubscriptionCodec}, the
 * one place that decides how a subscription is stored. Services keep their own running copy instead
 * ({@link SubscriptionView}).
 */
public final class SubscriptionStore implements AutoCloseable {

  private final WebhooksConfig config;
  private final String topic;
  private final SubscriptionCodec codec;
  private KafkaProducer<String, byte[]> producer;

  /**
   * @param config where the broker, the registry and the topic are, and the secrets keys
   * @throws WebhooksConfig.SettingException when {@code WEBHOOKS_SECRETS_KEY} is malformed
   * @throws IllegalStateException or {@link java.io.UncheckedIOException} when the embedded default's key
   *     file cannot be read or created
   */
  public SubscriptionStore(WebhooksConfig config) {
    this(config, new SubscriptionCodec(config));
  }

  /**
   * @param config where the broker and the topic are
   * @param codec how records are written and read (registry and secrets keys)
   */
  public SubscriptionStore(WebhooksConfig config, SubscriptionCodec codec) {
    this.config = config;
    this.topic = config.topics().subscriptions().name();
    this.codec = codec;
  }

  /**
   * Writes a subscription and waits for the broker's acknowledgement.
   *
   * @return where it was written, for a reader that waits until it has read it (read-your-writes)
   * @throws IllegalStateException when the write fails
   */
  public RecordMetadata save(Subscription subscription) {
    return send(subscription.getId(), codec.encode(topic, subscription));
  }

  /**
   * Writes the tombstone of a subscription; workers stop its deliveries, the fanout stops matching it.
   *
   * @return where the tombstone was written
   * @throws IllegalStateException when the write fails
   */
  public RecordMetadata delete(String id) {
    return send(id, null);
  }

  /**
   * The topic's current content.
   *
   * @param subscriptions every current subscription by id, in the order first written
   * @param unreadable ids whose current record cannot be decoded (not a subscription, or its schema
   *     is gone from the registry), each with the reason; the services ignore these, and deleting
   *     them clears them
   */
  public record Current(Map<String, Subscription> subscriptions, Map<String, String> unreadable) {}

  /** @return true when a current record, readable or not, has this id (reads the whole topic). */
  public boolean exists(String id) {
    Current c = readAll();
    return c.subscriptions().containsKey(id) || c.unreadable().containsKey(id);
  }

  /** @return the subscription with this id, if it exists and can be read (reads the whole topic). */
  public Optional<Subscription> find(String id) {
    return Optional.ofNullable(readAll().subscriptions().get(id));
  }

  /** @return the topic's current content; a record that cannot be decoded is listed, not thrown. */
  public Current readAll() {
    Map<String, Subscription> current = new LinkedHashMap<>();
    Map<String, String> unreadable = new LinkedHashMap<>();
    readRaw().forEach((id, r) -> {
      try {
        current.put(id, codec.decode(topic, r.value()));
      } catch (RuntimeException e) {
        unreadable.put(id, r.where() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      }
    });
    return new Current(current, unreadable);
  }

  /**
   * What {@link #reencrypt} did.
   *
   * @param rewritten ids of the records written again, their secrets now under the current key
   * @param current records that were under the current key already
   * @param unreadable ids of records that could not be read (no key configured fits, or not a
   *     subscription), each with the reason; they were left as they are
   */
  public record Reencrypted(List<String> rewritten, int current, Map<String, String> unreadable) {}

  /**
   * Writes again every current record whose secrets are in plain text (written before secrets were
   * encrypted) or encrypted with another key than the first one configured, so that afterwards every
   * record is under the current key and older keys can be dropped. The content is unchanged.
   *
   * <p>A subscription changed by another writer between this read and its rewrite would lose that
   * change; run it when nothing else is editing subscriptions (as after a key change, before the
   * services and the control plane start again), or run it again.
   *
   * @return what was rewritten, what was current already and what could not be read
   * @throws IllegalStateException when a write fails
   */
  public Reencrypted reencrypt() {
    List<String> rewritten = new ArrayList<>();
    Map<String, String> unreadable = new LinkedHashMap<>();
    int[] current = {0};
    readRaw().forEach((id, r) -> {
      Subscription s;
      try {
        if (codec.isCurrent(topic, r.value())) {
          current[0]++;
          return;
        }
        s = codec.decode(topic, r.value());
      } catch (RuntimeException e) {
        unreadable.put(id, r.where() + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        return;
      }
      send(id, codec.encode(topic, s));
      rewritten.add(id);
    });
    return new Reencrypted(rewritten, current[0], unreadable);
  }

  private record Raw(byte[] value, String where) {}

  /** @return the last value of every key that has one, in the order first written */
  private Map<String, Raw> readRaw() {
    Properties props = KafkaClients.common(config);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Map<String, Raw> raw = new LinkedHashMap<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic, Duration.ofSeconds(30))
          .forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          raw.remove(r.key());
          if (r.value() != null) {
            raw.put(r.key(), new Raw(r.value(), "partition " + r.partition() + " offset " + r.offset()));
          }
        }
      }
    }
    return raw;
  }

  private RecordMetadata send(String key, byte[] value) {
    try {
      return producer().send(new ProducerRecord<>(topic, key, value)).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot write subscription " + key + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing subscription " + key, e);
    }
  }

  private synchronized KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      Properties props = KafkaClients.common(config);
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }
    return producer;
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close();
    }
  }
}
