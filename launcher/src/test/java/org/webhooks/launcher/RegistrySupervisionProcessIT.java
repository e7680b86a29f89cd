package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.embedded.StackProperties;

/**
 * The registry child of a real {@code up}: restarted on its port when it dies, and gone when {@code up} is
 * killed with SIGKILL.
 */
class RegistrySupervisionProcessIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dataDir;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  /** Registry processes seen by a test, ended after it should it have failed half-way. */
  private final List<Long> registryPids = new ArrayList<>();

  @AfterEach
  void endLeftoverRegistries() {
    registryPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
  }

  @Test
  void aKilledRegistryIsStartedAgainOnItsPortAndHealthReturnsToUp() throws Exception {
    try (LauncherProcess up = LauncherProcess.start(logs, "up", LauncherProcess.command(stackFlags(), "up",
        "--services", "none"))) {
      String health = awaitHealthUrl(up);
      awaitRegistryUp(health);
      String registryUrl = StackProperties.read(dataDir).orElseThrow().registryUrl();
      long first = registryPid().orElseThrow();
      registryPids.add(first);

      ProcessHandle child = ProcessHandle.of(first).orElseThrow();
      assertThat(child.destroyForcibly()).isTrue();
      await().atMost(WAIT).until(() -> !child.isAlive());

      await().atMost(WAIT).until(() -> registryPid().isPresent() && registryPid().getAsLong() != first);
      long second = registryPid().getAsLong();
      registryPids.add(second);
      awaitRegistryUp(health);
      assertThat(up.isAlive()).isTrue();
      // the same port: stack.properties and every client that read it stay right
      assertThat(StackProperties.read(dataDir).orElseThrow().registryUrl()).isEqualTo(registryUrl);
      HttpResponse<String> subjects = get(registryUrl + "/subjects");
      assertThat(subjects.statusCode()).isEqualTo(200);
      await().atMost(WAIT).untilAsserted(() -> assertThat(up.stderr())
          .containsPattern("Apicurio Registry \\(pid " + first + "\\) exited with code 137; restarting it on port")
          .contains("Apicurio Registry is back on port")
          .contains("(pid " + second + ")"));
    }
  }

  @Test
  void aRegistryDoesNotOutliveAnUpKilledWithSigkill() throws Exception {
    LauncherProcess up = LauncherProcess.start(logs, "up", LauncherProcess.command(stackFlags(), "up",
        "--services", "none"));
    try {
      awaitRegistryUp(awaitHealthUrl(up));
      long pid = registryPid().orElseThrow();
      registryPids.add(pid);
      assertThat(ProcessHandle.of(pid)).isPresent();

      up.kill();

      await().atMost(Duration.ofSeconds(60))
          .until(() -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
      assertThat(Files.readString(dataDir.resolve("registry").resolve("registry.log"), StandardCharsets.UTF_8))
          .contains("parent process gone (standard input closed); stopping");
    } finally {
      up.close();
    }
  }

  private OptionalLong registryPid() throws Exception {
    Path file = dataDir.resolve("registry").resolve("registry.pid");
    if (!Files.isRegularFile(file)) {
      return OptionalLong.empty();
    }
    String text = Files.readString(file, StandardCharsets.UTF_8).trim();
    return text.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(text));
  }

  private static String awaitHealthUrl(LauncherProcess up) throws Exception {
    await().atMost(WAIT).until(() -> {
      if (!up.isAlive()) {
        throw new AssertionError("up exited " + up.exitCode() + ": " + up.stderr());
      }
      return up.stdout().contains("webhooks up:");
    });
    Matcher m = Pattern.compile("health (http://127\\.0\\.0\\.1:\\d+/health)").matcher(up.stdout());
    assertThat(m.find()).as(up.stdout()).isTrue();
    return m.group(1);
  }

  private static void awaitRegistryUp(String health) {
    await().atMost(WAIT).untilAsserted(() -> {
      HttpResponse<String> r = get(health);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(r.body()).contains("\"registry\":\"UP\"");
    });
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Port 0 everywhere, so that nothing depends on fixed ports being free. */
  private List<String> stackFlags() {
    return List.of("--data-dir", dataDir.toString(), "--kafka-port", "0", "--controller-port", "0",
        "--registry-port", "0", "--http-port", "0", "--partitions", "1");
  }
}
