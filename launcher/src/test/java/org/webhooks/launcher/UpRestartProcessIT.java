package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.StackProperties;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.WebhooksConfig;

/**
 * {@code ./webhooks up} as a real process: stopped and started again on the same data dir it loses
 * nothing, and a second {@code up} on a running data dir is refused without harming the first.
 */
class UpRestartProcessIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dataDir;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  @Test
  void anEventPublishedBeforeAStopIsDeliveredAfterRestartAndOldSchemaIdsResolve() throws Exception {
    List<String> stackFlags = stackFlags();
    try (RecordingReceiver receiver = new RecordingReceiver()) {
      String subscriptionJson;
      int schemaId;
      try (LauncherProcess up = LauncherProcess.start(logs, "up-1", LauncherProcess.command(stackFlags, "up", "--services", "none"))) {
        awaitReady(up);
        LauncherProcess add = LauncherProcess.run(logs, "add", LauncherProcess.command(List.of("--data-dir", dataDir.toString()),
            "subscriptions", "add", "--account", "acct_a", "--url", receiver.url(), "--events", "call.completed"));
        assertThat(add.exitCode()).as(add.stderr()).isZero();
        subscriptionJson = add.stdout().trim();

        Path events = logs.resolve("events.jsonl");
        ObjectNode event = (ObjectNode) EndToEndIT.examples().get("call.completed").deepCopy();
        event.put("account_id", "acct_a");
        Files.writeString(events, event + "\n");
        LauncherProcess publish = LauncherProcess.run(logs, "publish",
            LauncherProcess.command(List.of("--data-dir", dataDir.toString()), "publish", "--file", events.toString()));
        assertThat(publish.exitCode()).as(publish.stderr()).isZero();

        schemaId = schemaIdOfFirstCallEvent();
        assertThat(up.stop()).isNotEqualTo(-1);
      }
      assertThat(receiver.requests()).isEmpty();
      assertThat(StackProperties.read(dataDir)).isEmpty();

      try (LauncherProcess up = LauncherProcess.start(logs, "up-2", LauncherProcess.command(stackFlags, "up"))) {
        awaitReady(up);
        await().atMost(WAIT).until(() -> !receiver.requests().isEmpty());
        RecordingReceiver.Request request = receiver.requests().get(0);
        JsonNode sub = JSON.readTree(subscriptionJson);
        assertThat(request.header("webhook-id")).isEqualTo("evt_abc123");
        assertThat(WebhookSignature.verify(sub.get("secret").asText(), request.header("webhook-id"),
            request.header("webhook-timestamp"), request.body(), request.header("webhook-signature"))).isTrue();

        String registryUrl = StackProperties.read(dataDir).orElseThrow().registryUrl();
        HttpResponse<String> schema = HttpClient.newHttpClient().send(
            HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + schemaId)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(schema.statusCode()).isEqualTo(200);
        assertThat(schema.body()).contains("CallEvent");
      }
    }
  }

  @Test
  void aSecondUpOnARunningDataDirIsRefusedAndTheFirstKeepsRunning() throws Exception {
    try (LauncherProcess first = LauncherProcess.start(logs, "first", LauncherProcess.command(stackFlags(), "up", "--services", "none"))) {
      awaitReady(first);
      LauncherProcess second = LauncherProcess.run(logs, "second", LauncherProcess.command(stackFlags(), "up", "--services", "none"));
      assertThat(second.exitCode()).isEqualTo(1);
      assertThat(second.stderr()).contains("already running").contains(dataDir.toString());
      assertThat(first.isAlive()).isTrue();
      // The first stack still serves clients after the refusal.
      LauncherProcess list = LauncherProcess.run(logs, "list",
          LauncherProcess.command(List.of("--data-dir", dataDir.toString()), "subscriptions", "list", "--json"));
      assertThat(list.exitCode()).as(list.stderr()).isZero();
    }
  }

  private int schemaIdOfFirstCallEvent() {
    StackProperties stack = StackProperties.read(dataDir).orElseThrow();
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers());
    List<ConsumerRecord<String, byte[]>> records =
        TopicReader.readAll(config, config.topics().callEvents().name(), new ByteArrayDeserializer());
    assertThat(records).hasSize(1);
    byte[] value = records.get(0).value();
    assertThat(value[0]).isZero();
    return ByteBuffer.wrap(value, 1, 4).getInt();
  }

  private void awaitReady(LauncherProcess up) {
    await().atMost(WAIT).until(() -> {
      if (!up.isAlive()) {
        throw new AssertionError("up exited " + up.exitCode() + ": " + up.stderr());
      }
      return up.stdout().contains("webhooks up:");
    });
  }

  /** Port 0 everywhere: each start picks free ports and names them in stack.properties. */
  private List<String> stackFlags() {
    return List.of("--data-dir", dataDir.toString(), "--kafka-port", "0", "--controller-port", "0",
        "--registry-port", "0", "--http-port", "0", "--partitions", "2");
  }

}
