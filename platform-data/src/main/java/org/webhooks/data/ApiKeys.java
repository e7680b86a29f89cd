package org.webhooks.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.ApiKey;

/**
 * The control plane's API keys on the compacted {@code webhook-api-keys} topic: created, listed and
 * revoked by the {@code api-keys} commands, checked by the control plane from its own view of the
 * topic ({@link #view}).
 *
 * <p>A key is {@code whk_<16 hex>_<43 base64url characters>}: the hex digits name its record
 * ({@code key_<16 hex>}), the rest is 32 random bytes. Only the SHA-256 of the whole key is stored: a
 * key of 256 random bits cannot be guessed from its hash, so a slow password hash would add cost to
 * every request and no safety. A revoked key keeps its record, with {@code revoked_at}, so that
 * listing shows it.
 */
public final class ApiKeys implements AutoCloseable {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Pattern KEY = Pattern.compile("whk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}");

  /**
   * A key just created: the only moment the key itself exists outside the customer's hands.
   *
   * @param record what is stored
   * @param key the key to give to the customer, {@code whk_...}
   */
  public record Created(ApiKey record, String key) {}

  private final WebhooksConfig config;
  private final String topic;
  private final AvroSerde<ApiKey> serde;
  private KafkaProducer<String, byte[]> producer;

  /** @param config where the broker, the registry and the topic are */
  public ApiKeys(WebhooksConfig config) {
    this.config = config;
    this.topic = config.topics().apiKeys().name();
    this.serde = new AvroSerde<>(new SchemaRegistryClient(config.registryUrl()), ApiKey.getClassSchema());
  }

  /**
   * A process's own copy of the keys, for checking each request without reading the topic.
   *
   * @param config where the topic is and the instance id
   * @param clientName names the consumer, e.g. {@code control-plane}
   * @return a view, not yet started
   */
  public static CompactedTopicView<ApiKey> view(WebhooksConfig config, String clientName) {
    String topic = config.topics().apiKeys().name();
    AvroSerde<ApiKey> serde = new AvroSerde<>(new SchemaRegistryClient(config.registryUrl()), ApiKey.getClassSchema());
    return new CompactedTopicView<>(config, topic,
        config.topicPrefix() + clientName + "-api-keys-" + config.instanceId(), v -> serde.deserialize(topic, v));
  }

  /**
   * Creates and stores a key.
   *
   * @param accountId the account the key acts for; null for an operator key
   * @param operator true for an operator key, which names its account on each request
   * @param now the creation time
   * @throws IllegalArgumentException ("--account: ...") when exactly one of an account and
   *     {@code operator} is not given
   * @throws IllegalStateException when the write fails
   */
  public Created create(String accountId, boolean operator, Instant now) {
    boolean hasAccount = accountId != null && !accountId.isBlank();
    if (hasAccount == operator) {
      throw new IllegalArgumentException("--account: give an account, or --operator for an operator key, not both");
    }
    byte[] id = new byte[8];
    byte[] secret = new byte[32];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    String hex = HexFormat.of().formatHex(id);
    String key = "whk_" + hex + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    ApiKey record = ApiKey.newBuilder()
        .setId("key_" + hex)
        .setAccountId(hasAccount ? accountId.trim() : null)
        .setOperator(operator)
        .setKeyHash(hash(key))
        .setCreatedAt(now)
        .setRevokedAt(null)
        .build();
    save(record);
    return new Created(record, key);
  }

  /**
   * @return every key record, revoked ones included, in the order first written
   * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached
   */
  public List<ApiKey> list() {
    Map<String, ApiKey> current = new LinkedHashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : TopicSnapshot.read(config, topic)) {
      String id = new String(r.key(), StandardCharsets.UTF_8);
      if (r.value() == null) {
        current.remove(id);
      } else {
        current.put(id, serde.deserialize(topic, r.value()));
      }
    }
    return new ArrayList<>(current.values());
  }

  /**
   * Revokes a key: from when the control plane reads this (milliseconds), requests with it get 401.
   *
   * @param id {@code key_...}
   * @param now the time of revocation
   * @return the revoked record; empty when no key has this id
   * @throws IllegalStateException when the write fails
   */
  public Optional<ApiKey> revoke(String id, Instant now) {
    Optional<ApiKey> found = list().stream().filter(k -> k.getId().equals(id)).findFirst();
    if (found.isEmpty()) {
      return Optional.empty();
    }
    ApiKey k = found.get();
    if (k.getRevokedAt() != null) {
      return Optional.of(k);
    }
    ApiKey revoked = ApiKey.newBuilder(k).setRevokedAt(now).build();
    save(revoked);
    return Optional.of(revoked);
  }

  /** @return the lower-case hex SHA-256 of a key as presented. */
  public static String hash(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** @return the id of the record a presented key names, or empty when it is not of the key form. */
  public static Optional<String> idOf(String presented) {
    Matcher m = KEY.matcher(presented == null ? "" : presented);
    return m.matches() ? Optional.of("key_" + m.group(1)) : Optional.empty();
  }

  /** @return true when {@code presented} is the key of {@code record} and the record is not revoked. */
  public static boolean accepts(ApiKey record, String presented) {
    return record.getRevokedAt() == null && MessageDigest.isEqual(
        record.getKeyHash().getBytes(StandardCharsets.US_ASCII), hash(presented).getBytes(StandardCharsets.US_ASCII));
  }

  private RecordMetadata save(ApiKey record) {
    try {
      return producer().send(new ProducerRecord<>(topic, record.getId(), serde.serialize(topic, record))).get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot write API key " + record.getId() + ": " + e.getCause().getMessage(),
          e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while writing API key " + record.getId(), e);
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
