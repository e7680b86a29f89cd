package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.TestStack;

/** The subscriptions commands around filters and secrets at rest, against the shared broker and registry. */
class SubscriptionSecretsCliIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private WebhooksConfig config;
  private List<String> connect;

  @BeforeEach
  void topics() {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl()).with(Setting.TOPIC_PREFIX, prefix)
        .with(Setting.PARTITIONS, "1").with(Setting.DATA_DIR, dir.toString());
    KafkaClients.ensureTopics(config);
    connect = List.of("--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl(),
        "--topic-prefix", prefix, "--data-dir", dir.toString());
  }

  private int run(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(connect);
    return Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
  }

  @Test
  void addCompilesTheFilterAndRefusesABadOneWithItsPosition() throws Exception {
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "https://hooks.example.com/h", "--events",
        "call.completed", "--filter", "data.outcome == ")).isEqualTo(2);
    assertThat(err.toString()).contains("filter: at 1:17: ");

    assertThat(run("subscriptions", "add", "--account", "a", "--url", "https://hooks.example.com/h", "--events",
        "sentiment.changed", "--filter", "data.sentiment_score < -0.5")).isZero();
    assertThat(run("subscriptions", "list", "--json")).isZero();
    JsonNode listed = JSON.readTree(out.toString().lines().filter(l -> l.contains("\"filter\"")).findFirst().orElseThrow());
    assertThat(listed.get("filter").asText()).isEqualTo("data.sentiment_score < -0.5");
    assertThat(out.toString()).doesNotContain("enc:v1:");
  }

  @Test
  void theSecretPrintedAtCreationIsStoredEncryptedWithTheKeyOfTheDataDir() throws Exception {
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "https://hooks.example.com/h", "--events",
        "call.completed")).isZero();
    String secret = JSON.readTree(out.toString()).get("secret").asText();

    assertThat(dir.resolve("secrets.key")).exists();
    assertThat(rawValues()).hasSize(1).allMatch(v -> !new String(v, StandardCharsets.ISO_8859_1).contains(secret));
  }

  @Test
  void reencryptRewritesPlainRecordsOnceAndSaysWhichItCannotRead() throws Exception {
    Subscription legacy = SubscriptionRules.newSubscription("a", "https://hooks.example.com/h",
        List.of("call.completed"), null, null, TargetPolicy.parse(""), Instant.now());
    String secret = legacy.getSecrets().get(0).getSecret();
    String topic = config.topics().subscriptions().name();
    byte[] plain = config.topics().subscriptions().valueSerde(new SchemaRegistryClient(config.registryUrl()))
        .serializer().serialize(topic, legacy);
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaClients.common(config),
        new StringSerializer(), new ByteArraySerializer())) {
      producer.send(new ProducerRecord<>(topic, legacy.getId(), plain)).get();
    }

    assertThat(run("subscriptions", "reencrypt")).isZero();
    assertThat(out.toString()).contains("rewrote 1 subscription record(s); 0 already under the current key; 0 unreadable");
    List<byte[]> values = rawValues();
    assertThat(new String(values.get(values.size() - 1), StandardCharsets.ISO_8859_1)).doesNotContain(secret);

    assertThat(run("subscriptions", "reencrypt")).isZero();
    assertThat(out.toString()).contains("rewrote 0 subscription record(s); 1 already under the current key");

    byte[] other = new byte[32];
    Arrays.fill(other, (byte) 5);
    assertThat(run("subscriptions", "reencrypt", "--secrets-key", Base64.getEncoder().encodeToString(other)))
        .isEqualTo(1);
    assertThat(err.toString()).contains("subscription " + legacy.getId() + " not rewritten: ")
        .contains("which is not among the secrets keys of WEBHOOKS_SECRETS_KEY");
  }

  private List<byte[]> rawValues() {
    return TopicReader.readAll(config, config.topics().subscriptions().name(), new ByteArrayDeserializer())
        .stream().map(ConsumerRecord::value).toList();
  }
}
