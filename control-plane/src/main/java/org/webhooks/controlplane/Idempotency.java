package org.webhooks.controlplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.CompactedTopicView;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.avro.IdempotentResponse;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/**
 * {@code Idempotency-Key} on POST: the first successful (2xx) response to a key is written to the
 * compacted {@code webhook-idempotency-keys} topic, keyed by account and key, and a repeat with the
 * same key and the same request gets it again (with {@code Idempotent-Replayed: true}) without
 * anything being done twice; the same key with another method, path or body is refused (422). The
 * record is read back from the topic by every instance, so a repeat is recognised after a restart
 * too. Keys are honoured {@link KafkaClients#IDEMPOTENCY_RETENTION_MS} (24 h).
 *
 * <p>Secrets never go to this topic: a response carrying one stores which secret it was, and the
 * replay takes it from the subscription as it is now (omitted when that secret is gone, rotated out
 * or deleted). A request still running with the same key in this process gets 409.
 */
final class Idempotency {

  private static final Logger LOG = LoggerFactory.getLogger(Idempotency.class);
  /** Longest key, characters. */
  static final int MAX_KEY_LENGTH = 255;
  static final String HEADER = "Idempotency-Key";

  private final CompactedTopicView<IdempotentResponse> view;
  private final KafkaProducer<String, byte[]> producer;
  private final AvroSerde<IdempotentResponse> serde;
  private final String topic;
  private final Function<String, Optional<Subscription>> subscriptions;
  private final Clock clock;
  private final Duration writeWait;
  private final Map<String, Boolean> running = new ConcurrentHashMap<>();

  /**
   * @param view the started view of the topic
   * @param producer writes the records (acks=all)
   * @param serde the records' serde
   * @param topic {@code webhook-idempotency-keys} with its prefix
   * @param subscriptions the current subscription by id, for the secret of a replay
   * @param clock decides when a record is too old to be honoured
   * @param writeWait how long to wait for the view to read a record written
   */
  Idempotency(CompactedTopicView<IdempotentResponse> view, KafkaProducer<String, byte[]> producer,
      AvroSerde<IdempotentResponse> serde, String topic, Function<String, Optional<Subscription>> subscriptions,
      Clock clock, Duration writeWait) {
    this.view = view;
    this.producer = producer;
    this.serde = serde;
    this.topic = topic;
    this.subscriptions = subscriptions;
    this.clock = clock;
    this.writeWait = writeWait;
  }

  /**
   * Runs a POST once per key.
   *
   * @param accountId the account the request acts for (keys are per account)
   * @param key the {@code Idempotency-Key} header, or null to just run the request
   * @param method the HTTP method
   * @param path the request path
   * @param body the raw request body (empty for none)
   * @param request what the POST does
   * @return the first response to this key, or the response of {@code request}
   * @throws ApiError 400 for a malformed key, 409 while a request with the key runs, 422 when the
   *     key was used with another request
   */
  Replayable run(String accountId, String key, String method, String path, String body,
      Supplier<ApiResponse> request) {
    if (key == null) {
      return new Replayable(request.get(), false);
    }
    if (key.isBlank() || key.length() > MAX_KEY_LENGTH) {
      throw ApiError.invalid(HEADER, HEADER + ": must be 1.." + MAX_KEY_LENGTH + " characters");
    }
    String recordKey = accountId + "|" + key;
    String hash = sha256(method + " " + path + "\n" + body);
    if (running.putIfAbsent(recordKey, Boolean.TRUE) != null) {
      throw new ApiError(409, HEADER, HEADER + ": a request with this key is still running; repeat it later");
    }
    try {
      Optional<IdempotentResponse> earlier = view.get(recordKey).filter(this::inForce);
      if (earlier.isPresent()) {
        if (!earlier.get().getRequestHash().equals(hash)) {
          throw new ApiError(422, HEADER, HEADER + ": was used with another request (method, path or body); "
              + "a key names one request");
        }
        return new Replayable(replay(earlier.get()), true);
      }
      ApiResponse response = request.get();
      if (response.status() >= 200 && response.status() < 300) {
        store(recordKey, hash, response);
      }
      return new Replayable(response, false);
    } finally {
      running.remove(recordKey);
    }
  }

  /**
   * A response and whether it is a repeat of a stored one.
   *
   * @param response what to send
   * @param replayed true when it is the stored first response to the key
   */
  record Replayable(ApiResponse response, boolean replayed) {}

  private boolean inForce(IdempotentResponse r) {
    return r.getCreatedAt().plusMillis(KafkaClients.IDEMPOTENCY_RETENTION_MS).isAfter(clock.instant());
  }

  private ApiResponse replay(IdempotentResponse r) {
    JsonNode body;
    try {
      body = SubscriptionJson.JSON.readTree(r.getBody());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored response is not JSON", e);
    }
    if (r.getSecretSubscriptionId() != null && body instanceof ObjectNode o) {
      subscriptions.apply(r.getSecretSubscriptionId()).flatMap(s -> s.getSecrets().stream()
              .filter(secret -> secret.getCreatedAt().equals(r.getSecretCreatedAt()))
              .map(SigningSecret::getSecret).findFirst())
          .ifPresent(secret -> o.put("secret", secret));
    }
    return ApiResponse.of(r.getStatus(), body);
  }

  private void store(String recordKey, String hash, ApiResponse response) {
    JsonNode body = response.body() == null ? SubscriptionJson.JSON.nullNode() : response.body().deepCopy();
    if (body instanceof ObjectNode o) {
      o.remove("secret");
    }
    IdempotentResponse record = IdempotentResponse.newBuilder()
        .setRequestHash(hash)
        .setStatus(response.status())
        .setBody(body.toString())
        .setSecretSubscriptionId(response.secret() == null ? null : response.secret().subscriptionId())
        .setSecretCreatedAt(response.secret() == null ? null : response.secret().createdAt())
        .setCreatedAt(clock.instant())
        .build();
    try {
      RecordMetadata m = producer.send(new ProducerRecord<>(topic, recordKey, serde.serialize(topic, record))).get();
      if (!view.awaitWritten(m, writeWait)) {
        LOG.warn("idempotency record {} not read back within {} ms", recordKey, writeWait.toMillis());
      }
    } catch (ExecutionException e) {
      // the request was done; only its protection against a repeat is lost, so answer it anyway
      LOG.warn("cannot store the response to idempotency key {}: {}", recordKey, e.getCause().toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }
}
