package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.console.Console;

/**
 * A running {@code up} answers /health (every service, delivery-stats included) and its /metrics counters
 * move while {@code simulate} publishes; its control plane and console answer on the same port, and
 * {@code control-plane} runs a second one as a process of its own.
 */
class MetricsProcessIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dataDir;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  @Test
  void healthIsUpAndCountersMoveWhileSimulateRuns() throws Exception {
    // port 0 everywhere: the stack picks free ports and names them in stack.properties, where the
    // other commands find it, and up prints the health URL
    List<String> flags = List.of("--data-dir", dataDir.toString(), "--kafka-port", "0", "--controller-port", "0",
        "--registry-port", "0", "--http-port", "0", "--partitions", "2");
    try (RecordingReceiver receiver = new RecordingReceiver();
        LauncherProcess up = LauncherProcess.start(logs, "up", LauncherProcess.command(flags, "up"))) {
      await().atMost(WAIT).until(() -> {
        assertThat(up.isAlive()).as("up is running").isTrue();
        return up.stdout().contains("webhooks up:");
      });
      Matcher healthUrl = Pattern.compile("health http://127\\.0\\.0\\.1:(\\d+)/health").matcher(up.stdout());
      assertThat(healthUrl.find()).as(up.stdout()).isTrue();
      String base = "http://127.0.0.1:" + healthUrl.group(1);
      await().atMost(WAIT).untilAsserted(() -> {
        HttpResponse<String> health = get(base + "/health");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"delivery-worker\":\"UP\"")
            .contains("\"delivery-stats\":\"UP\"");
      });
      String before = get(base + "/metrics").body();
      assertThat(before).contains("webhooks_fanout_events_total").contains("webhooks_consumer_lag");

      LauncherProcess add = LauncherProcess.run(logs, "add", List.of("subscriptions", "add", "--data-dir",
          dataDir.toString(), "--account", "acct_1", "--url", receiver.url(), "--events",
          "call.started,call.completed,call.failed,transcript.updated,sentiment.changed,keyword.detected,"
              + "appointment.booked,ticket.created"));
      assertThat(add.exitCode()).as(add.stderr()).isZero();
      LauncherProcess simulate = LauncherProcess.run(logs, "simulate", List.of("simulate", "--data-dir",
          dataDir.toString(), "--rate", "50", "--duration", "3s", "--accounts", "1", "--seed", "7"));
      assertThat(simulate.exitCode()).as(simulate.stderr()).isZero();
      Matcher published = Pattern.compile("published (\\d+) events").matcher(simulate.stdout());
      assertThat(published.find()).as(simulate.stdout()).isTrue();
      long events = Long.parseLong(published.group(1));
      assertThat(events).isPositive();

      await().atMost(WAIT).untilAsserted(() -> {
        String after = get(base + "/metrics").body();
        assertThat(value(after, "webhooks_fanout_events_total")).isEqualTo(events);
        assertThat(value(after, "webhooks_deliveries_total{outcome=\"succeeded\"}"))
            .isGreaterThan(value(before, "webhooks_deliveries_total{outcome=\"succeeded\"}"))
            .isEqualTo(receiver.requests().size());
        assertThat(value(after, "webhooks_attempt_latency_seconds_count")).isEqualTo(receiver.requests().size());
        // delivery-stats, run by up too, read every attempt record
        assertThat(value(after, "webhooks_stats_attempts_total")).isEqualTo(receiver.requests().size());
      });
      assertThat(receiver.requests()).isNotEmpty();

      // the control plane of up, on the same port, and a second one as its own process
      LauncherProcess create = LauncherProcess.run(logs, "api-keys", List.of("api-keys", "create", "--data-dir",
          dataDir.toString(), "--account", "acct_1"));
      assertThat(create.exitCode()).as(create.stderr()).isZero();
      String key = create.stdout().trim();
      assertThat(get(base + "/openapi.json").body()).contains("\"openapi\": \"3.1.0\"");
      // up prints where the console is: the same port, under its Content-Security-Policy
      Matcher consoleUrl = Pattern.compile("console: (http://127\\.0\\.0\\.1:\\d+/) ").matcher(up.stdout());
      assertThat(consoleUrl.find()).as(up.stdout()).isTrue();
      assertThat(consoleUrl.group(1)).isEqualTo(base + "/");
      HttpResponse<String> console = get(consoleUrl.group(1));
      assertThat(console.statusCode()).isEqualTo(200);
      assertThat(console.headers().firstValue("content-security-policy")).hasValue(Console.CONTENT_SECURITY_POLICY);
      assertThat(console.body()).contains("<script type=\"module\" src=\"/console/js/main.js\"></script>");
      await().atMost(WAIT).untilAsserted(() -> {
        HttpResponse<String> list = get(base + "/v1/webhooks", key);
        assertThat(list.statusCode()).as(list.body()).isEqualTo(200);
        assertThat(list.body()).contains(receiver.url());
      });
      assertThat(get(base + "/health").body()).contains("\"control-plane\":\"UP\"");
      try (LauncherProcess second = LauncherProcess.start(logs, "control-plane", List.of("control-plane",
          "--data-dir", dataDir.toString(), "--http-port", "0", "--instance-id", "control-plane-2"))) {
        Pattern port = Pattern.compile("health and metrics on http://127\\.0\\.0\\.1:(\\d+)/health");
        await().atMost(WAIT).until(() -> {
          assertThat(second.isAlive()).as("control-plane is running").isTrue();
          return port.matcher(second.stderr()).find();
        });
        Matcher m = port.matcher(second.stderr());
        assertThat(m.find()).isTrue();
        String secondBase = "http://127.0.0.1:" + m.group(1);
        await().atMost(WAIT).untilAsserted(() -> {
          HttpResponse<String> health = get(secondBase + "/health");
          assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
          assertThat(health.body()).contains("\"control-plane\":\"UP\"");
        });
        assertThat(get(secondBase + "/v1/webhooks", key).body()).contains(receiver.url());
        assertThat(get(secondBase + "/metrics").body()).contains("webhooks_control_plane_requests_total");
        assertThat(get(secondBase + "/").body()).contains("/console/js/main.js");
      }
    }
  }

  private static HttpResponse<String> get(String url, String key) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key)
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double value(String scrape, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE)
        .matcher(scrape);
    double sum = 0;
    boolean found = false;
    while (m.find()) {
      sum += Double.parseDouble(m.group(2));
      found = true;
    }
    if (!found) {
      throw new AssertionError(series + " is not in the scrape");
    }
    return sum;
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

}
