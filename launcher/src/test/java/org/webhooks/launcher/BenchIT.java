package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.bench.Bench;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/**
 * {@code bench} end to end with tiny numbers, in this JVM: its own embedded stack on a temporary data
 * dir (deleted afterwards), every expected delivery received, and a report with every key and
 * consistent values, all endpoints healthy and with a share of them failing for a while. No timing is
 * asserted: the figures depend on the machine.
 */
class BenchIT {

  private static final List<String> KEYS = List.of(
      "services", "backlog", "warm_up_events", "events", "subscriptions", "matches_per_event", "rate", "publish_seconds", "deliveries_expected",
      "deliveries", "missing", "duplicates", "deliveries_seconds", "deliveries_per_second", "warm_up",
      "latency_deliveries", "latency_p50_ms", "latency_p99_ms", "latency_max_ms", "cpu_ms_per_delivery",
      "cpu_publisher_ms_per_delivery", "cpu_broker_ms_per_delivery", "cpu_fanout_stream_threads_ms_per_delivery",
      "cpu_fanout_clients_ms_per_delivery", "cpu_worker_owner_ms_per_delivery", "cpu_worker_clients_ms_per_delivery",
      "cpu_worker_event_loops_ms_per_delivery", "cpu_worker_blocking_pool_ms_per_delivery",
      "cpu_scheduler_ms_per_delivery", "cpu_stats_ms_per_delivery", "cpu_views_ms_per_delivery",
      "cpu_receiver_ms_per_delivery", "cpu_jvm_gc_jit_ms_per_delivery",
      "cpu_registry_ms_per_delivery", "cpu_all_stages_ms_per_delivery", "cpu_cores_busy", "other_processes_cpu_cores", "gc_ms", "jit_ms",
      "worker_owner_waited_ms",
      "worker_owner_blocked_ms", "worker_transactions", "worker_commit_ms", "worker_wakeups", "worker_loops",
      "worker_in_flight_avg", "worker_waiting_avg", "fanout_lag_p50_ms", "fanout_lag_p99_ms", "worker_lag_p50_ms", "worker_lag_p99_ms",
      "http_p50_ms", "http_p99_ms", "fanout_tasks_per_second", "peak_rss_mb", "registry_rss_mb",
      "baseline_concurrency", "baseline_deliveries_per_second", "baseline_cpu_ms_per_delivery", "ratio",
      "load_average");
  /** The keys of the retry scenario, printed after {@code registry_rss_mb}. */
  private static final List<String> RETRY_KEYS = List.of(
      "failing_subscriptions", "failing_for", "retry_schedule", "circuit_probe_delay", "failed_requests",
      "healthy_deliveries", "healthy_deliveries_per_second", "healthy_latency_p50_ms", "healthy_latency_p99_ms",
      "failing_latency_p50_ms", "failing_latency_p99_ms", "attempts_failed", "attempts_deferred",
      "retries_forwarded", "retry_lateness_p50_ms", "retry_lateness_p99_ms", "retry_lateness_max_ms");

  @Test
  void aSmallBenchDeliversEverythingAndReportsEveryFigure(@TempDir Path scratch) throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    // what `bench --events 200 --subscriptions 3 --max-in-flight-per-endpoint 8 --warm-up-events 50` runs,
    // with its data dir in a directory of this test's own: the system's temporary directory is shared
    // with every other build and test running meanwhile, and its listing would show their benches too
    int exit = Bench.run(new Bench.Options(200, 3, null, 600, 1, 0, Duration.ofSeconds(30), Duration.ZERO, 50, false),
        WebhooksConfig.defaults().with(Setting.MAX_IN_FLIGHT_PER_ENDPOINT, "8"), scratch,
        new PrintWriter(out, true), new PrintWriter(err, true));

    assertThat(exit).as("exit code; stderr: %s", err).isZero();
    Map<String, String> report = parse(out.toString());
    assertThat(report.keySet()).containsExactlyElementsOf(KEYS);
    // the services up runs; the warm-up's 150 deliveries are in no figure
    assertThat(report).containsEntry("services", "fanout-stream,delivery-worker,retry-scheduler,delivery-stats,"
        + "control-plane").containsEntry("backlog", "false")
        .containsEntry("warm_up_events", "50").containsEntry("events", "200").containsEntry("subscriptions", "3")
        .containsEntry("matches_per_event", "3").containsEntry("rate", "unthrottled")
        .containsEntry("deliveries_expected", "600").containsEntry("deliveries", "600")
        .containsEntry("missing", "0").containsEntry("duplicates", "0")
        // 3 subscriptions x 8 requests each, below the total cap of 512
        .containsEntry("baseline_concurrency", "24");

    long p50 = Long.parseLong(report.get("latency_p50_ms"));
    long p99 = Long.parseLong(report.get("latency_p99_ms"));
    long max = Long.parseLong(report.get("latency_max_ms"));
    assertThat(p50).isNotNegative().isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(max);
    for (String stage : List.of("fanout_lag", "worker_lag", "http")) {
      assertThat(Long.parseLong(report.get(stage + "_p50_ms")))
          .isNotNegative().isLessThanOrEqualTo(Long.parseLong(report.get(stage + "_p99_ms")));
    }
    assertThat(Double.parseDouble(report.get("deliveries_per_second"))).isPositive();
    assertThat(Double.parseDouble(report.get("fanout_tasks_per_second"))).isPositive();
    assertThat(Double.parseDouble(report.get("baseline_deliveries_per_second"))).isPositive();
    assertThat(Double.parseDouble(report.get("ratio"))).isPositive();
    assertThat(Double.parseDouble(report.get("cpu_ms_per_delivery"))).isPositive();
    assertThat(Double.parseDouble(report.get("baseline_cpu_ms_per_delivery"))).isPositive();
    // every delivery went through the worker's owner thread, its event loops and the receiver
    for (String stage : List.of("worker_owner", "worker_event_loops", "receiver", "fanout_stream_threads", "broker")) {
      assertThat(Double.parseDouble(report.get("cpu_" + stage + "_ms_per_delivery"))).as(stage).isPositive();
    }
    assertThat(Long.parseLong(report.get("latency_deliveries"))).isEqualTo(600);
    if (Files.exists(Path.of("/proc/self/status"))) {
      assertThat(Long.parseLong(report.get("peak_rss_mb"))).isPositive();
      assertThat(Long.parseLong(report.get("registry_rss_mb"))).isPositive();
    }
    assertThat(scratch).as("the bench's temporary data dir is deleted").isEmptyDirectory();
  }

  @Test
  void withAShareOfEndpointsFailingForAWhileEveryDeliveryStillArrivesAndTheRetriesAreReported() throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    // one of two endpoints fails for 2 s; a schedule and probe delay of 1-2 s keep the run short (the last
    // delay only lengthens the span within which a task parked by the open circuit must be delivered)
    int exit = Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true),
        "bench", "--events", "100", "--subscriptions", "2", "--failing-share", "0.5", "--failing-for", "2s",
        "--retry-schedule", "1s,2s,2s,2s,2s,2s,30s", "--circuit-probe-delay", "1s");

    assertThat(exit).as("exit code; stderr: %s", err).isZero();
    Map<String, String> report = parse(out.toString());
    List<String> keys = new java.util.ArrayList<>(KEYS);
    keys.addAll(keys.indexOf("registry_rss_mb") + 1, RETRY_KEYS);
    assertThat(report.keySet()).containsExactlyElementsOf(keys);
    assertThat(report).containsEntry("deliveries_expected", "200").containsEntry("deliveries", "200")
        .containsEntry("missing", "0").containsEntry("duplicates", "0")
        .containsEntry("failing_subscriptions", "1").containsEntry("failing_for", "2s")
        .containsEntry("retry_schedule", "1s,2s,2s,2s,2s,2s,30s").containsEntry("circuit_probe_delay", "1s")
        .containsEntry("healthy_deliveries", "100");
    // every request the failing endpoint answered 500 is a failed attempt; each failed attempt's retry,
    // and each task parked by the open circuit, waited in a tier and was forwarded once
    long failed = Long.parseLong(report.get("failed_requests"));
    assertThat(failed).isPositive();
    assertThat(Long.parseLong(report.get("attempts_failed"))).isEqualTo(failed);
    assertThat(Long.parseLong(report.get("retries_forwarded")))
        .isEqualTo(failed + Long.parseLong(report.get("attempts_deferred")));
    long p50 = Long.parseLong(report.get("retry_lateness_p50_ms"));
    long p99 = Long.parseLong(report.get("retry_lateness_p99_ms"));
    assertThat(p50).isNotNegative().isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(Long.parseLong(report.get("retry_lateness_max_ms")));
    assertThat(Long.parseLong(report.get("healthy_latency_p50_ms")))
        .isLessThanOrEqualTo(Long.parseLong(report.get("healthy_latency_p99_ms")));
    assertThat(Long.parseLong(report.get("failing_latency_p50_ms")))
        .isLessThanOrEqualTo(Long.parseLong(report.get("failing_latency_p99_ms")));
    assertThat(Double.parseDouble(report.get("healthy_deliveries_per_second"))).isPositive();
  }

  @Test
  void aBacklogWaitsForTheWorkerAndIsDrainedWhole() throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int exit = Webhooks.run(new PrintWriter(out, true), new PrintWriter(err, true),
        "bench", "--events", "100", "--subscriptions", "2", "--backlog", "--services", "fanout-stream,delivery-worker");

    assertThat(exit).as("exit code; stderr: %s", err).isZero();
    Map<String, String> report = parse(out.toString());
    assertThat(report).containsEntry("services", "fanout-stream,delivery-worker").containsEntry("backlog", "true")
        .containsEntry("deliveries_expected", "200").containsEntry("deliveries", "200")
        .containsEntry("missing", "0").containsEntry("duplicates", "0");
  }

  @Test
  void badNumbersAreRefusedWithTheFlagNamed() {
    StringWriter err = new StringWriter();
    int exit = Webhooks.run(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true),
        "bench", "--subscriptions", "0");
    assertThat(exit).isEqualTo(Webhooks.EXIT_USAGE);
    assertThat(err.toString()).contains("--subscriptions");

    StringWriter share = new StringWriter();
    assertThat(Webhooks.run(new PrintWriter(new StringWriter(), true), new PrintWriter(share, true),
        "bench", "--subscriptions", "2", "--failing-share", "0.1")).isEqualTo(Webhooks.EXIT_USAGE);
    assertThat(share.toString()).contains("--failing-share 0.1 of 2 subscriptions makes 0 failing");
    StringWriter duration = new StringWriter();
    assertThat(Webhooks.run(new PrintWriter(new StringWriter(), true), new PrintWriter(duration, true),
        "bench", "--failing-share", "0.5", "--failing-for", "soon")).isEqualTo(Webhooks.EXIT_USAGE);
    assertThat(duration.toString()).contains("--failing-for: 'soon' is not a duration");
  }

  /** @return the {@code key: value} lines, in order; any other line fails the test */
  private static Map<String, String> parse(String output) {
    Map<String, String> report = new LinkedHashMap<>();
    for (String line : output.split("\\R")) {
      if (line.isBlank()) {
        continue;
      }
      int colon = line.indexOf(": ");
      assertThat(colon).as("line '%s' is key: value", line).isPositive();
      report.put(line.substring(0, colon), line.substring(colon + 2));
    }
    return report;
  }

}
