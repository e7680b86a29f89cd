package org.webhooks.launcher;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.producer.CallSimulator;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: measures delivery throughput and latency of the whole platform in one JVM, on a
 * fresh temporary data dir with free ports, against a local receiver that answers 204 at once; then
 * the ceiling, a plain HTTP client posting the same bodies to the same receiver.
 *
 * <p>All subscriptions belong to one account and take every event type, so each event matches every
 * subscription and {@code deliveries_expected = events x subscriptions}. They are saved before the
 * services start, so the fanout has them all before its first event.
 *
 * <p>Prints one {@code key: value} per line on stdout (see {@code docs/benchmarks.md} for each key).
 * Exits 1 when some delivery did not arrive within {@code --wait}, after naming how many.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure delivery throughput and publish-to-receipt latency on a temporary embedded stack, "
        + "and the plain-HTTP ceiling of this machine.")
final class BenchCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(BenchCommand.class);
  /** The one account of every simulated call ({@code CallSimulator} with one account). */
  private static final String ACCOUNT = "acct_1";
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STAGES_TIMEOUT = Duration.ofSeconds(60);
  private static final long PROGRESS_EVERY_MS = 5000;

  @Spec CommandSpec spec;

  @Option(names = "--events", defaultValue = "20000", description = "Call events to publish (default 20000).")
  int events;

  @Option(names = "--subscriptions", defaultValue = "10",
      description = "Subscriptions, each receiving every event (default 10).")
  int subscriptions;

  @Option(names = "--rate", description = "Events per second to publish at (default: as fast as possible).")
  Double rate;

  @Option(names = "--wait", defaultValue = "600",
      description = "Seconds to wait for every delivery after the last publish (default 600).")
  int waitSeconds;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the simulated calls (default 1).")
  long seed;

  @Option(names = "--with-stats", description = "Run delivery-stats beside the pipeline, to measure what it costs.")
  boolean withStats;

  @Option(names = "--stats-queries", description = "Measure delivery-stats' queries instead: write --attempts "
      + "attempt records of one endpoint, let delivery-stats index them, time each query --queries times.")
  boolean statsQueries;

  @Option(names = "--attempts", defaultValue = "1000000",
      description = "With --stats-queries: attempt records of the endpoint (default 1000000).")
  int attempts;

  @Option(names = "--queries", defaultValue = "1000",
      description = "With --stats-queries: times each query is timed (default 1000).")
  int queries;

  /** Events as published: Kafka timestamp by event id, and every body in publish order. */
  private record Published(Map<String, Long> timestampMs, List<byte[]> bodies, long failures, double seconds) {}

  /** The running platform: its stack, the settings that reach it, and the receiver path of each subscription. */
  private record Platform(EmbeddedStack stack, WebhooksConfig config, Map<String, String> pathOfSubscription) {}

  /** Latencies in ms of the deliveries that arrived; the count of those that did not, with a few named. */
  private record Latencies(Histogram histogram, long missing, List<String> examples) {}

  @Override
  public Integer call() throws Exception {
    if (events < 1) {
      throw new IllegalArgumentException("--events must be at least 1");
    }
    if (subscriptions < 1) {
      throw new IllegalArgumentException("--subscriptions must be at least 1");
    }
    if (rate != null && !(rate > 0)) {
      throw new IllegalArgumentException("--rate must be more than 0");
    }
    if (waitSeconds < 1) {
      throw new IllegalArgumentException("--wait must be at least 1");
    }
    if (statsQueries && (attempts < 1 || queries < 1)) {
      throw new IllegalArgumentException("--attempts and --queries must be at least 1");
    }
    PrintWriter out = spec.commandLine().getOut();
    Path dataDir = Files.createTempDirectory("webhooks-bench-");
    WebhooksConfig config = SettingsOptions.resolve(spec).with(Setting.DATA_DIR, dataDir.toString());
    String allowed = config.get(Setting.ALLOWED_TARGETS);
    config = config.with(Setting.ALLOWED_TARGETS, allowed.isBlank() ? "127.0.0.1" : allowed + ",127.0.0.1");
    try {
      if (statsQueries) {
        print(out, StatsQueryBench.run(config, dataDir, attempts, queries));
        return 0;
      }
      return run(out, spec.commandLine().getErr(), config, dataDir);
    } finally {
      deleteRecursively(dataDir);
    }
  }

  private int run(PrintWriter out, PrintWriter err, WebhooksConfig settings, Path dataDir) throws Exception {
    Map<String, Object> report = new LinkedHashMap<>();
    try (ServiceHost host = new ServiceHost(); BenchReceiver receiver = BenchReceiver.start()) {
      Platform platform = startPlatform(host, receiver, settings, dataDir);
      long expected = (long) events * subscriptions;
      LOG.info("bench: {} subscriptions ready; publishing {} events {}", subscriptions, events,
          rate == null ? "as fast as possible" : "at " + rate + " events/s");

      long cpuBefore = BenchMemory.processCpuNanos();
      Published published = publish(platform.config());
      if (published.failures() > 0) {
        throw new IllegalStateException(published.failures() + " of " + events + " events could not be published");
      }
      awaitDeliveries(receiver, expected);
      long pipelineCpu = BenchMemory.processCpuNanos() - cpuBefore;

      Latencies latencies = latencies(published, receiver, platform.pathOfSubscription().values());
      long delivered = expected - latencies.missing();
      report.put("delivery_stats", withStats ? "running" : "off");
      report.put("events", events);
      report.put("subscriptions", subscriptions);
      report.put("matches_per_event", subscriptions);
      report.put("rate", rate == null ? "unthrottled" : format(rate));
      report.put("publish_seconds", format(published.seconds()));
      report.put("deliveries_expected", expected);
      report.put("deliveries", delivered);
      report.put("missing", latencies.missing());
      report.put("duplicates", receiver.duplicates());
      long spanMs = Math.max(1, receiver.lastReceiptMs() - receiver.firstReceiptMs());
      double perSecond = delivered <= 1 ? 0 : (delivered - 1) * 1000.0 / spanMs;
      report.put("deliveries_seconds", format(spanMs / 1000.0));
      report.put("deliveries_per_second", format(perSecond));
      Histogram latency = latencies.histogram();
      report.put("latency_p50_ms", latency.getValueAtPercentile(50));
      report.put("latency_p99_ms", latency.getValueAtPercentile(99));
      report.put("latency_max_ms", latency.getMaxValue());
      report.put("cpu_ms_per_delivery", format3(pipelineCpu / 1e6 / Math.max(1, delivered)));

      BenchStages.Result stages = BenchStages.measure(platform.config(),
          new SchemaRegistryClient(platform.config().registryUrl()), delivered, receiver,
          platform.pathOfSubscription(), STAGES_TIMEOUT);
      putStage(report, "fanout_lag", stages.fanout());
      putStage(report, "worker_lag", stages.worker());
      putStage(report, "http", stages.http());
      report.put("fanout_tasks_per_second", format(stages.tasksPerSecond()));
      report.put("peak_rss_mb", orUnknown(BenchMemory.peakRssMb("self")));
      report.put("registry_rss_mb", orUnknown(BenchMemory.peakRssMb(Long.toString(platform.stack().registry().pid()))));

      if (latencies.missing() > 0) {
        print(out, report);
        err.printf("error: %d of %d deliveries did not arrive within %d s, e.g. %s%n", latencies.missing(), expected,
            waitSeconds, String.join(", ", latencies.examples()));
        err.flush();
        return Webhooks.EXIT_FAILURE;
      }

      // The ceiling is measured with the platform stopped, so that it has the machine to itself.
      host.close();
      int concurrency = (int) Math.min(settings.maxInFlight(), (long) subscriptions * settings.maxInFlightPerEndpoint());
      LOG.info("bench: baseline: {} plain requests, {} in flight", expected, concurrency);
      long baselineCpuBefore = BenchMemory.processCpuNanos();
      BenchBaseline.Result baseline = BenchBaseline.run(receiver, published.bodies(), expected, concurrency,
          Duration.ofSeconds(waitSeconds));
      long baselineCpu = BenchMemory.processCpuNanos() - baselineCpuBefore;
      if (baseline.failures() > 0) {
        throw new IllegalStateException(baseline.failures() + " baseline requests failed");
      }
      report.put("baseline_concurrency", concurrency);
      report.put("baseline_deliveries_per_second", format(baseline.requestsPerSecond()));
      report.put("baseline_cpu_ms_per_delivery", format3(baselineCpu / 1e6 / Math.max(1, baseline.requests())));
      report.put("ratio", format3(baseline.requestsPerSecond() == 0 ? 0 : perSecond / baseline.requestsPerSecond()));
    }
    print(out, report);
    return 0;
  }

  /**
   * Starts the embedded stack, creates the topics, saves the subscriptions and starts the services.
   *
   * @throws IllegalStateException when the services are not ready within {@link #READY_TIMEOUT}
   */
  private Platform startPlatform(ServiceHost host, BenchReceiver receiver, WebhooksConfig settings, Path dataDir)
      throws InterruptedException {
    LOG.info("bench: starting the embedded broker and registry in {}", dataDir);
    EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0);
    host.closeLast(stack);
    WebhooksConfig config = settings.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl());
    KafkaClients.ensureTopics(config);

    // Saved before the services start: the fanout loads every existing subscription before it
    // processes its first event, so every event meets all of them.
    Map<String, String> pathOfSubscription = new LinkedHashMap<>();
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      for (int i = 0; i < subscriptions; i++) {
        Subscription s = SubscriptionRules.newSubscription(ACCOUNT, receiver.hookUrl(i), EventTypes.ALL,
            null, null, config.targetPolicy(), Instant.now());
        store.save(s);
        pathOfSubscription.put(s.getId(), BenchReceiver.HOOKS_PATH + i);
      }
    }
    List<String> services = new ArrayList<>(Services.PIPELINE);
    if (withStats) {
      services.add(Services.DELIVERY_STATS);
    }
    for (String name : services) {
      host.start(Services.create(name, config));
    }
    if (!host.awaitReady(READY_TIMEOUT)) {
      throw new IllegalStateException("the services did not become ready within " + READY_TIMEOUT.toSeconds() + " s");
    }
    return new Platform(stack, config, pathOfSubscription);
  }

  /** @return publish-to-receipt latencies of every expected delivery that arrived, and those that did not */
  private static Latencies latencies(Published published, BenchReceiver receiver, Collection<String> paths) {
    Histogram histogram = newHistogram();
    List<String> examples = new ArrayList<>();
    long missing = 0;
    for (Map.Entry<String, Long> e : published.timestampMs().entrySet()) {
      for (String path : paths) {
        Long received = receiver.receivedAtMs(path, e.getKey());
        if (received == null) {
          missing++;
          if (examples.size() < 10) {
            examples.add(e.getKey() + " to " + path);
          }
        } else {
          histogram.recordValue(Math.max(0, received - e.getValue()));
        }
      }
    }
    return new Latencies(histogram, missing, examples);
  }

  /** Publishes {@code --events} simulated events, paced when {@code --rate} is set, and waits for the acks. */
  private Published publish(WebhooksConfig config) {
    CallSimulator simulator = new CallSimulator(seed, 1, Clock.systemUTC());
    Map<String, Long> timestamps = new ConcurrentHashMap<>();
    List<byte[]> bodies = new ArrayList<>(events);
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      for (int i = 0; i < events; i++) {
        if (rate != null) {
          // Paced by schedule rather than by a fixed gap, so that slow sends do not lower the rate.
          long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
        CallEvent event = simulator.next();
        bodies.add(CallEventJson.render(event));
        String id = event.getEventId();
        publisher.publish(event).whenComplete((metadata, error) -> {
          if (error != null) {
            failures.incrementAndGet();
          } else {
            timestamps.put(id, metadata.timestamp());
          }
        });
      }
      publisher.flush();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    LOG.info("bench: published {} events in {} s", events, format(seconds));
    return new Published(timestamps, bodies, failures.get(), seconds);
  }

  private void awaitDeliveries(BenchReceiver receiver, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(waitSeconds);
    long nextProgress = System.currentTimeMillis() + PROGRESS_EVERY_MS;
    while (receiver.deliveries() < expected && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(20);
      if (System.currentTimeMillis() >= nextProgress) {
        LOG.info("bench: {} of {} deliveries received", receiver.deliveries(), expected);
        nextProgress += PROGRESS_EVERY_MS;
      }
    }
  }

  /** @return an empty histogram of ms values that grows as needed, 3 significant digits */
  static Histogram newHistogram() {
    Histogram h = new Histogram(3);
    h.setAutoResize(true);
    return h;
  }

  private static void putStage(Map<String, Object> report, String stage, Histogram h) {
    report.put(stage + "_p50_ms", h.getTotalCount() == 0 ? "unknown" : Long.toString(h.getValueAtPercentile(50)));
    report.put(stage + "_p99_ms", h.getTotalCount() == 0 ? "unknown" : Long.toString(h.getValueAtPercentile(99)));
  }

  private static String orUnknown(OptionalLong v) {
    return v.isPresent() ? Long.toString(v.getAsLong()) : "unknown";
  }

  private static void print(PrintWriter out, Map<String, Object> report) {
    report.forEach((k, v) -> out.println(k + ": " + v));
    out.flush();
  }

  private static String format(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String format3(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
