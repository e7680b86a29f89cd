package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.StackLock;

/** The README session as written: {@code ./webhooks up &}, then at once a command against it. */
class StartingStackProcessIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(120);

  @TempDir Path dataDir;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  @Test
  void subscriptionsAddRunWhileUpIsStartingWaitsForTheStackAndSucceeds() throws Exception {
    List<String> stackFlags = List.of("--data-dir", dataDir.toString(), "--kafka-port", "0", "--controller-port",
        "0", "--registry-port", "0", "--http-port", "0", "--partitions", "1");
    try (LauncherProcess up = LauncherProcess.start(logs, "up", LauncherProcess.command(stackFlags, "up",
        "--services", "none"))) {
      // A command can know that a stack is starting once up has locked the data dir, which it does first of
      // all; two JVMs started at the same instant race to that point, so the test starts the second at once
      // after it (broker and registry then need seconds more).
      await().atMost(WAIT).until(() -> {
        assertThat(up.isAlive()).as("up is running").isTrue();
        return StackLock.holder(dataDir).equals(OptionalLong.of(up.pid()));
      });
      LauncherProcess add = LauncherProcess.run(logs, "add", List.of("subscriptions", "add", "--data-dir",
          dataDir.toString(), "--account", "acct_1", "--events", "call.completed,call.failed", "--url",
          "https://example.com/hooks"));

      assertThat(add.exitCode()).as(add.stderr()).isZero();
      assertThat(add.stderr()).contains("waiting for the stack on data dir " + dataDir.toAbsolutePath()
          + " (pid " + up.pid() + ") to start ...");
      JsonNode created = JSON.readTree(add.stdout());
      assertThat(created.get("id").asText()).isNotBlank();
      assertThat(created.get("account_id").asText()).isEqualTo("acct_1");
      assertThat(created.get("url").asText()).isEqualTo("https://example.com/hooks");
      assertThat(created.get("secret").asText()).startsWith("whsec_");

      LauncherProcess list = LauncherProcess.run(logs, "list", List.of("subscriptions", "list", "--json",
          "--data-dir", dataDir.toString()));
      assertThat(list.exitCode()).as(list.stderr()).isZero();
      assertThat(list.stdout()).contains(created.get("id").asText());
      assertThat(list.stderr()).doesNotContain("waiting");
      assertThat(up.isAlive()).isTrue();
    }
  }
}
