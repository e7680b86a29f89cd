package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.webhooks.testing.Receiver;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.embedded.StackProperties;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;

/** The command line's contract: exit codes, messages naming the field or line, and what reaches Kafka. */
class CliIT {

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    return Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void anInvalidSubscriptionIsRefusedWithTheFieldNamed() {
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "ftp://x", "--events", "call.completed")).isEqualTo(2);
    assertThat(err.toString()).contains("url:");
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "https://example.com/h", "--events", "call.exploded"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("event_types:").contains("call.exploded");
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "https://example.com/h", "--events", "call.completed",
        "--secret", "whsec_tooshort")).isEqualTo(2);
    assertThat(err.toString()).contains("secret:");
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "http://10.0.0.5/h", "--events", "call.completed"))
        .isEqualTo(2);
    assertThat(err.toString()).contains("url:");
    assertThat(run("subscriptions", "add", "--account", "a", "--url", "https://example.com:99999/h", "--events",
        "call.completed")).isEqualTo(2);
    assertThat(err.toString()).contains("outside 1..65535");
  }

  @Test
  void aCommandRefusesTheSettingsItDoesNotUse() {
    assertThat(run("subscriptions", "list", "--max-in-flight", "3")).isEqualTo(2);
    assertThat(err.toString()).contains("Unknown option").contains("--max-in-flight");
    assertThat(run("publish", "--file", "x", "--http-port", "8080")).isEqualTo(2);
    assertThat(err.toString()).contains("--http-port");
  }

  @Test
  void aMalformedSettingIsRefusedWithTheFlagNamed() {
    assertThat(run("delivery-worker", "--http-timeout", "soon")).isEqualTo(2);
    assertThat(err.toString()).contains("--http-timeout").contains("WEBHOOKS_HTTP_TIMEOUT");
    assertThat(run("up", "--services", "fanout-stream,mailer")).isEqualTo(2);
    assertThat(err.toString()).contains("--services").contains("mailer");
    assertThat(run("publish")).isEqualTo(2);
    assertThat(err.toString()).contains("--file");
    assertThat(run("publish", "--file", dir.toString(), "--bootstrap-servers", "127.0.0.1:1", "--registry-url",
        "http://127.0.0.1:1")).isEqualTo(2);
    assertThat(err.toString()).contains("--file: " + dir + " is not a readable file");
  }

  @Test
  void aCommandWithoutARunningStackSaysHowToStartOne() {
    // the data dir as typed (./data) is named as the directory it is
    assertThat(run("subscriptions", "list", "--data-dir", dir + "/./")).isEqualTo(1);
    assertThat(err.toString()).contains("no stack is running on data dir " + dir.toAbsolutePath() + ": ")
        .contains("./webhooks up");
  }

  @Test
  void theStackPropertiesOfAStackThatIsGoneAreNotUsed() throws Exception {
    // what a killed up leaves behind; the PID in it is alive (this JVM's), as after a PID reuse
    EmbeddedStack stack = TestStack.shared();
    StackProperties.write(dir, stack.bootstrapServers(), stack.registryUrl());
    Files.writeString(dir.resolve("stack.lock"), ProcessHandle.current().pid() + "\n");

    assertThat(run("subscriptions", "list", "--data-dir", dir.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("no stack is running on data dir " + dir.toAbsolutePath());
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void publishSkipsBadLinesNamingThemAndPublishesTheRest() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    Path file = dir.resolve("events.jsonl");
    Files.writeString(file, String.join("\n",
        "{\"account_id\":\"a\",\"event_id\":\"e1\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}",
        "{\"account_id\":\"a\",\"event_id\":\"e2\",\"event_type\":\"call.teleported\",\"data\":{\"call_id\":\"c1\"}}",
        "not json",
        "{\"account_id\":\"a\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}",
        "{\"account_id\":\"a\",\"event_id\":\"e5\",\"event_type\":\"call.completed\",\"data\":{\"call_id\":\"c1\",\"duration_seconds\":\"long\"}}",
        "{\"account_id\":\"a\",\"event_id\":\"e6\",\"event_type\":\"call.completed\",\"timestamp\":\"2025-01-15T15:45:32Z\",\"data\":{\"call_id\":\"c1\"}}",
        ""));
    List<String> flags = List.of("--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl(),
        "--topic-prefix", prefix);
    List<String> args = new ArrayList<>(List.of("publish", "--file", file.toString()));
    args.addAll(flags);
    // Topics are created by up or a service; create them as an operator would.
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl()).with(Setting.TOPIC_PREFIX, prefix).with(Setting.PARTITIONS, "1");
    KafkaClients.ensureTopics(config);

    assertThat(run(args.toArray(String[]::new))).isEqualTo(2);

    assertThat(err.toString().lines().toList()).containsExactly(
        "line 2: event_type 'call.teleported' is unknown (known: call.started, call.completed, call.failed, "
            + "transcript.updated, sentiment.changed, keyword.detected, appointment.booked, ticket.created)",
        err.toString().lines().toList().get(1),
        "line 4: event_id is required",
        "line 5: data.duration_seconds must be a number");
    assertThat(err.toString().lines().toList().get(1)).startsWith("line 3: not valid JSON");
    assertThat(out.toString()).contains("published 2 event(s), skipped 4");
    List<String> published = TopicReader.readAll(config, config.topics().callEvents().name(),
            config.topics().callEvents().valueSerde(new SchemaRegistryClient(stack.registryUrl())).deserializer())
        .stream().map(ConsumerRecord::value).map(CallEvent::getEventId).toList();
    assertThat(published).containsExactly("e1", "e6");
  }

  @Test
  void publishReportsLinesInLineOrderWhenASendFailsAfterLaterLinesWereRead() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl()).with(Setting.TOPIC_PREFIX, prefix).with(Setting.PARTITIONS, "1");
    // a call-events topic an operator made with a smaller record limit: the broker refuses line 1 only
    // once it is sent, after lines 2 and 3 were read and refused
    try (Admin admin = Admin.create(KafkaClients.common(config))) {
      admin.createTopics(List.of(new NewTopic(config.topics().callEvents().name(), 1, (short) 1)
          .configs(Map.of(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, "4096")))).all().get();
    }
    Path file = dir.resolve("events.jsonl");
    Files.writeString(file, String.join("\n",
        "{\"account_id\":\"a\",\"event_id\":\"e1\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\","
            + "\"metadata\":{\"blob\":\"" + "x".repeat(8000) + "\"}}}",
        "{\"account_id\":\"a\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}",
        "not json",
        "{\"account_id\":\"a\",\"event_id\":\"e4\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}",
        ""));

    assertThat(run("publish", "--file", file.toString(), "--bootstrap-servers", stack.bootstrapServers(),
        "--registry-url", stack.registryUrl(), "--topic-prefix", prefix)).isEqualTo(2);

    List<String> lines = err.toString().lines().toList();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("line 1: not published: ");
    assertThat(lines.get(1)).isEqualTo("line 2: event_id is required");
    assertThat(lines.get(2)).startsWith("line 3: not valid JSON");
    assertThat(out.toString()).contains("published 1 event(s), skipped 3");
  }

  @Test
  void publishRefusesAnEventLargerThanTheLimitNamingTheLineAndPublishesOneRightAtIt() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl()).with(Setting.TOPIC_PREFIX, prefix).with(Setting.PARTITIONS, "1");
    KafkaClients.ensureTopics(config);
    // the default limit, 1 MiB: Kafka's own default record limit would refuse an event of that size
    int limit = WebhooksConfig.defaults().maxEventBytes();
    String fits = lineRenderingTo(limit, "e_fits");
    String over = lineRenderingTo(limit + 1, "e_over");
    Path file = dir.resolve("big.jsonl");
    Files.writeString(file, fits + "\n" + over + "\n");

    assertThat(run("publish", "--file", file.toString(), "--bootstrap-servers", stack.bootstrapServers(),
        "--registry-url", stack.registryUrl(), "--topic-prefix", prefix)).isEqualTo(2);

    assertThat(err.toString().lines().toList()).containsExactly("line 2: the event is " + (limit + 1)
        + " bytes as a receiver gets it, more than the " + limit + " of --max-event-bytes / WEBHOOKS_MAX_EVENT_BYTES");
    assertThat(out.toString()).contains("published 1 event(s), skipped 1");
    List<CallEvent> published = TopicReader.readAll(config, config.topics().callEvents().name(),
            config.topics().callEvents().valueSerde(new SchemaRegistryClient(stack.registryUrl())).deserializer())
        .stream().map(ConsumerRecord::value).toList();
    assertThat(published).extracting(CallEvent::getEventId).containsExactly("e_fits");
    assertThat(CallEventJson.render(published.get(0))).hasSize(limit);

    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);
    assertThat(run("publish", "--file", file.toString(), "--bootstrap-servers", stack.bootstrapServers(),
        "--registry-url", stack.registryUrl(), "--topic-prefix", prefix, "--max-event-bytes", "4096")).isEqualTo(2);
    assertThat(err.toString()).contains("line 1: the event is " + limit + " bytes").contains("line 2: ");
  }

  @Test
  void publishWithTheRegistryDownSaysSoInOneLine() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.TOPIC_PREFIX, prefix).with(Setting.PARTITIONS, "1");
    KafkaClients.ensureTopics(config);
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    String registryUrl = "http://127.0.0.1:" + closedPort + "/apis/ccompat/v7";
    Path file = dir.resolve("events.jsonl");
    Files.writeString(file,
        "{\"account_id\":\"a\",\"event_id\":\"e1\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}\n"
            + "{\"account_id\":\"a\",\"event_id\":\"e2\",\"event_type\":\"call.started\",\"data\":{\"call_id\":\"c1\"}}\n");

    assertThat(run("publish", "--file", file.toString(), "--bootstrap-servers", stack.bootstrapServers(),
        "--registry-url", registryUrl, "--topic-prefix", prefix)).isEqualTo(1);

    assertThat(err.toString().lines().toList()).singleElement().asString()
        .startsWith("error: schema registry at " + registryUrl + " cannot be reached: ")
        .contains("ConnectException");
    assertThat(out.toString()).isEmpty();
  }

  /** @return a JSON line whose event renders to exactly {@code bytes} bytes */
  private static String lineRenderingTo(int bytes, String eventId) throws Exception {
    String head = "{\"account_id\":\"a\",\"event_id\":\"" + eventId + "\",\"event_type\":\"call.completed\","
        + "\"timestamp\":\"2025-01-15T15:45:32Z\",\"data\":{\"call_id\":\"c1\",\"metadata\":{\"blob\":\"";
    int base = CallEventJson.render(CallEventJson.parse(CallEventJson.readEnvelope(head + "\"}}}"), Instant.EPOCH)).length;
    String line = head + "x".repeat(bytes - base) + "\"}}}";
    assertThat(CallEventJson.render(CallEventJson.parse(CallEventJson.readEnvelope(line), Instant.EPOCH))).hasSize(bytes);
    return line;
  }

  @Test
  void anUnreadableSubscriptionRecordIsListedAsAWarningAndCanBeDeleted() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl()).with(Setting.TOPIC_PREFIX, prefix).with(Setting.PARTITIONS, "1");
    KafkaClients.ensureTopics(config);
    String[] flags = {"--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl(),
        "--topic-prefix", prefix};
    assertThat(run(concat(new String[] {"subscriptions", "add", "--account", "acct_1", "--url",
        "https://example.com/hook", "--events", "call.completed"}, flags))).as(err.toString()).isZero();
    try (var producer = new KafkaProducer<String, String>(
        KafkaClients.common(config), new StringSerializer(),
        new StringSerializer())) {
      producer.send(new ProducerRecord<>(
          config.topics().subscriptions().name(), "sub_garbage", "not avro")).get();
    }
    out.getBuffer().setLength(0);
    err.getBuffer().setLength(0);

    assertThat(run(concat(new String[] {"subscriptions", "list"}, flags))).as(err.toString()).isZero();
    assertThat(out.toString()).contains("https://example.com/hook").doesNotContain("sub_garbage");
    assertThat(err.toString()).contains("warning: the record of subscription sub_garbage cannot be read")
        .contains("magic byte");

    err.getBuffer().setLength(0);
    assertThat(run(concat(new String[] {"subscriptions", "delete", "sub_garbage"}, flags))).as(err.toString()).isZero();
    err.getBuffer().setLength(0);
    assertThat(run(concat(new String[] {"subscriptions", "list"}, flags))).isZero();
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void apiKeysArePrintedOnceListedWithoutTheKeyAndRevoked() throws Exception {
    String[] flags = freshTopicFlags();
    assertThat(run(concat(new String[] {"api-keys", "create", "--account", "acct_1"}, flags))).as(err.toString()).isZero();
    String key = out.toString();
    assertThat(key.lines().toList()).singleElement().asString().matches("whk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}");
    String id = "key_" + key.substring(4, 20);
    out.getBuffer().setLength(0);
    assertThat(run(concat(new String[] {"api-keys", "create", "--operator"}, flags))).isZero();
    String operatorKey = out.toString().trim();
    assertThat(run(concat(new String[] {"api-keys", "create", "--operator", "--account", "acct_1"}, flags)))
        .isEqualTo(2);
    assertThat(err.toString()).contains("--account");

    out.getBuffer().setLength(0);
    assertThat(run(concat(new String[] {"api-keys", "list", "--account", "acct_1"}, flags))).isZero();
    assertThat(out.toString()).contains(id).doesNotContain(key.trim()).doesNotContain(operatorKey)
        .doesNotContain("key_" + operatorKey.substring(4, 20));
    out.getBuffer().setLength(0);
    assertThat(run(concat(new String[] {"api-keys", "revoke", id}, flags))).isZero();
    assertThat(out.toString().trim()).isEqualTo("revoked " + id);
    out.getBuffer().setLength(0);
    assertThat(run(concat(new String[] {"api-keys", "list"}, flags))).isZero();
    String row = out.toString().lines().filter(l -> l.startsWith(id)).findFirst().orElseThrow();
    assertThat(row).doesNotEndWith("-").contains("acct_1");
    assertThat(out.toString()).contains("key_" + operatorKey.substring(4, 20));
    assertThat(run(concat(new String[] {"api-keys", "revoke", "key_0000000000000000"}, flags))).isEqualTo(2);
  }

  @Test
  void subscriptionsUpdateRotateAndTestGoThroughTheSameRulesAsTheApi() throws Exception {
    String[] flags = freshTopicFlags();
    try (Receiver receiver = Receiver.start(new java.util.concurrent.atomic.AtomicLong())) {
      receiver.answer("/down", new Receiver.Status(500, "down for maintenance"));
      String[] local = concat(flags, new String[] {"--allowed-targets", "127.0.0.1"});
      assertThat(run(concat(new String[] {"subscriptions", "add", "--account", "acct_1", "--url", receiver.url("/down"),
          "--events", "call.completed"}, local))).as(err.toString()).isZero();
      String id = JSON.readTree(out.toString()).get("id").asText();
      String firstSecret = JSON.readTree(out.toString()).get("secret").asText();

      out.getBuffer().setLength(0);
      assertThat(run(concat(new String[] {"subscriptions", "update", id, "--events", "ticket.created,call.failed",
          "--enabled", "false", "--description", "CRM"}, local))).as(err.toString()).isZero();
      JsonNode updated = JSON.readTree(out.toString());
      assertThat(updated.get("event_types")).extracting(JsonNode::asText).containsExactly("ticket.created", "call.failed");
      assertThat(updated.get("enabled").asBoolean()).isFalse();
      assertThat(updated.get("description").asText()).isEqualTo("CRM");
      assertThat(updated.has("secret")).isFalse();
      // list --json shows every field the API shows
      out.getBuffer().setLength(0);
      assertThat(run(concat(new String[] {"subscriptions", "list", "--json"}, flags))).as(err.toString()).isZero();
      JsonNode listed = JSON.readTree(out.toString().trim());
      assertThat(listed).isEqualTo(updated);
      assertThat(listed.fieldNames()).toIterable().contains("description", "filter", "disabled_reason", "rate_limit",
          "headers", "metadata", "updated_at");
      assertThat(run(concat(new String[] {"subscriptions", "update", id, "--header", "webhook-id=x"}, local)))
          .isEqualTo(2);
      assertThat(err.toString()).contains("headers: 'webhook-id' cannot be set");
      assertThat(run(concat(new String[] {"subscriptions", "update", "sub_nope", "--enabled", "true"}, local)))
          .isEqualTo(2);
      assertThat(err.toString()).contains("ID: no subscription sub_nope");

      out.getBuffer().setLength(0);
      assertThat(run(concat(new String[] {"subscriptions", "rotate-secret", id}, flags))).as(err.toString()).isZero();
      JsonNode rotated = JSON.readTree(out.toString());
      assertThat(rotated.get("id").asText()).isEqualTo(id);
      assertThat(rotated.get("secret").asText()).startsWith("whsec_").isNotEqualTo(firstSecret);
      assertThat(Instant.parse(rotated.get("previous_secrets_expire_at").asText()))
          .isAfter(Instant.now().plusSeconds(23 * 3600));

      out.getBuffer().setLength(0);
      assertThat(run(concat(new String[] {"subscriptions", "test", id, "--event-type", "call.failed"}, local)))
          .isEqualTo(1);
      JsonNode outcome = JSON.readTree(out.toString());
      assertThat(outcome.get("status_code").asInt()).isEqualTo(500);
      assertThat(outcome.get("response_excerpt").asText()).isEqualTo("down for maintenance");
      Receiver.Received got = receiver.received("/down").get(0);
      assertThat(org.webhooks.schemas.WebhookSignature.verify(firstSecret, got.header("webhook-id"),
          got.header("webhook-timestamp"), got.body(), got.header("webhook-signature"))).isTrue();
      assertThat(org.webhooks.schemas.WebhookSignature.verify(rotated.get("secret").asText(), got.header("webhook-id"),
          got.header("webhook-timestamp"), got.body(), got.header("webhook-signature"))).isTrue();
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** @return connection flags of fresh topics on the shared stack, created */
  private static String[] freshTopicFlags() {
    EmbeddedStack stack = TestStack.shared();
    String prefix = "cli-" + UUID.randomUUID() + "-";
    KafkaClients.ensureTopics(WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl()).with(Setting.TOPIC_PREFIX, prefix).with(Setting.PARTITIONS, "1"));
    return new String[] {"--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl(),
        "--topic-prefix", prefix};
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
