package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.TestStack;

/**
 * Signing secrets on {@code webhook-subscriptions}, on the real broker and registry: what any
 * Confluent-format reader sees, a wrong key, records from before encryption, and key rotation.
 */
class SecretsAtRestTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY_A = key(11);
  private static final String KEY_B = key(12);

  @Test
  void aPlainConfluentFormatReaderFindsNoSecretOnTheTopic() throws Exception {
    WebhooksConfig config = config(KEY_A);
    Subscription s = subscription(WebhookSecret.generate());
    String secret = s.getSecrets().get(0).getSecret();
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.save(s);
      assertThat(store.find(s.getId()).orElseThrow().getSecrets().get(0).getSecret()).isEqualTo(secret);
    }
    // the caller's object keeps its secret in clear
    assertThat(s.getSecrets().get(0).getSecret()).isEqualTo(secret);

    List<byte[]> values = rawValues(config);
    assertThat(values).hasSize(1);
    byte[] value = values.get(0);
    String base64Part = secret.substring(WebhookSecret.PREFIX.length());
    assertThat(new String(value, StandardCharsets.ISO_8859_1)).doesNotContain(WebhookSecret.PREFIX)
        .doesNotContain(base64Part);
    assertThat(containsBytes(value, Base64.getDecoder().decode(base64Part))).isFalse();

    // the record as a data team's reader sees it: the writer schema from the registry, generic Avro
    GenericRecord record = readGeneric(config, value);
    assertThat(record.get("id").toString()).isEqualTo(s.getId());
    assertThat(record.get("url").toString()).isEqualTo(s.getUrl());
    String stored = ((GenericRecord) ((List<?>) record.get("secrets")).get(0)).get("secret").toString();
    assertThat(stored).startsWith(SecretsCipher.PREFIX);
    assertThat(record.toString()).doesNotContain(WebhookSecret.PREFIX).doesNotContain(base64Part);
  }

  @Test
  void aWrongKeyGivesAClearErrorAndTheRightOneReads() {
    WebhooksConfig config = config(KEY_A);
    Subscription s = subscription(WebhookSecret.generate());
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      store.save(s);
    }

    String idA = SecretsCipher.of(config).currentKeyId();
    String idB = SecretsCipher.of(config.with(Setting.SECRETS_KEY, KEY_B)).currentKeyId();
    try (SubscriptionStore wrong = new SubscriptionStore(config.with(Setting.SECRETS_KEY, KEY_B))) {
      SubscriptionStore.Current current = wrong.readAll();
      assertThat(current.subscriptions()).isEmpty();
      assertThat(current.unreadable().get(s.getId()))
          .contains("is encrypted with key " + idA + ", which is not among the secrets keys of WEBHOOKS_SECRETS_KEY ("
              + idB + ")");
    }
  }

  @Test
  void recordsFromBeforeEncryptionAreReadAndRewrittenEncrypted() throws Exception {
    WebhooksConfig config = config(KEY_A);
    Subscription legacy = subscription(WebhookSecret.generate());
    String secret = legacy.getSecrets().get(0).getSecret();
    writePlain(config, legacy);
    assertThat(new String(rawValues(config).get(0), StandardCharsets.ISO_8859_1)).contains(secret);

    try (SubscriptionStore store = new SubscriptionStore(config)) {
      assertThat(store.find(legacy.getId()).orElseThrow().getSecrets().get(0).getSecret()).isEqualTo(secret);

      SubscriptionStore.Reencrypted done = store.reencrypt();
      assertThat(done.rewritten()).containsExactly(legacy.getId());
      assertThat(done.unreadable()).isEmpty();

      assertThat(store.find(legacy.getId()).orElseThrow().getSecrets().get(0).getSecret()).isEqualTo(secret);
      // once rewritten, a second run finds nothing to do
      assertThat(store.reencrypt().rewritten()).isEmpty();
    }
    List<byte[]> values = rawValues(config);
    assertThat(new String(values.get(values.size() - 1), StandardCharsets.ISO_8859_1)).doesNotContain(secret);
  }

  @Test
  void theKeyIsRotatedByPuttingANewKeyFirstAndRewritingEveryRecord() {
    WebhooksConfig onlyA = config(KEY_A);
    Subscription s = subscription(WebhookSecret.generate());
    String secret = s.getSecrets().get(0).getSecret();
    try (SubscriptionStore store = new SubscriptionStore(onlyA)) {
      store.save(s);
    }

    WebhooksConfig rotating = onlyA.with(Setting.SECRETS_KEY, KEY_B + "," + KEY_A);
    try (SubscriptionStore store = new SubscriptionStore(rotating)) {
      assertThat(store.find(s.getId())).isPresent();
      SubscriptionStore.Reencrypted done = store.reencrypt();
      assertThat(done.rewritten()).containsExactly(s.getId());
      assertThat(done.current()).isZero();
    }

    WebhooksConfig onlyB = onlyA.with(Setting.SECRETS_KEY, KEY_B);
    try (SubscriptionStore store = new SubscriptionStore(onlyB)) {
      assertThat(store.readAll().unreadable()).isEmpty();
      assertThat(store.find(s.getId()).orElseThrow().getSecrets().get(0).getSecret()).isEqualTo(secret);
      assertThat(store.reencrypt().current()).isEqualTo(1);
    }
  }

  // ---- helpers

  private static WebhooksConfig config(String secretsKey) {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig config = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.TOPIC_PREFIX, "t" + UUID.randomUUID() + "-")
        .with(Setting.PARTITIONS, "1")
        .with(Setting.RETRY_SCHEDULE, "")
        .with(Setting.SECRETS_KEY, secretsKey);
    KafkaClients.ensureTopics(config);
    return config;
  }

  private static Subscription subscription(String secret) {
    Subscription s = SubscriptionRules.newSubscription("acct_1", "https://hooks.example.com/in",
        List.of("call.completed"), secret, null, TargetPolicy.parse(""), Instant.now());
    s.getSecrets().add(new SigningSecret(WebhookSecret.generate(), Instant.now(), Instant.now().plusSeconds(3600)));
    return s;
  }

  /** Writes a record as versions before encryption did: Avro with the secret in clear. */
  private static void writePlain(WebhooksConfig config, Subscription s) throws Exception {
    String topic = config.topics().subscriptions().name();
    byte[] value = config.topics().subscriptions().valueSerde(new SchemaRegistryClient(config.registryUrl()))
        .serializer().serialize(topic, s);
    Properties p = KafkaClients.common(config);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, s.getId(), value)).get();
    }
  }

  private static List<byte[]> rawValues(WebhooksConfig config) {
    Properties p = KafkaClients.common(config);
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    List<byte[]> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(config.topics().subscriptions().name(), 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      while (consumer.position(tp) < end) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.value());
        }
      }
    }
    return out;
  }

  /** Decodes a Confluent-format value the way any reader does: magic byte, schema id, registry, Avro. */
  private static GenericRecord readGeneric(WebhooksConfig config, byte[] value) throws Exception {
    assertThat(value[0]).isZero();
    int id = ByteBuffer.wrap(value, 1, 4).getInt();
    HttpResponse<String> response = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create(config.registryUrl() + "/schemas/ids/" + id)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    Schema writer = new Schema.Parser().parse(JSON.readTree(response.body()).get("schema").asText());
    return new GenericDatumReader<GenericRecord>(writer)
        .read(null, DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, null));
  }

  private static boolean containsBytes(byte[] haystack, byte[] needle) {
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        return true;
      }
    }
    return false;
  }

  private static String key(int fill) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) fill);
    return Base64.getEncoder().encodeToString(k);
  }
}
