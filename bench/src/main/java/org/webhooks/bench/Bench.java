package org.webhooks.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.producer.CallSimulator;
import org.webhooks.worker.WorkerMetrics;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallEvent;

/**
 * The benchmark behind {@code ./webhooks bench}: delivery throughput and latency of the whole platform
 * in one JVM, on a fresh temporary data dir with free ports, against a local receiver that answers 204
 * at once; then the ceiling, a plain HTTP client posting the same bodies to the same receiver.
 *
 * <p>All subscriptions belong to one account and take every event type, so each event matches every
 * subscription and {@code deliveries_expected = events x subscriptions}. In the retry scenario
 * ({@link Options#failingShare()} above 0) the endpoints of that share of the subscriptions answer 500
 * from the first publish until {@link Options#failingFor()} later, then recover; every delivery must
 * still arrive, and the report adds the retry figures (see {@code docs/benchmarks.md}).
 *
 * <p>Prints one {@code key: value} per line.
 */
public final class Bench {

  /**
   * The retry schedule of the retry scenario unless one is given: the default schedule's shape on a
   * scale of seconds, so that a run takes minutes, not a day.
   */
  public static final String RETRY_SCHEDULE = "5s,10s,30s,60s,120s";
  /** The circuit probe delay of the retry scenario unless one is given: the first tier's delay. */
  public static final String CIRCUIT_PROBE_DELAY = "5s";

  private static final Logger LOG = LoggerFactory.getLogger(Bench.class);
  private static final Duration STAGES_TIMEOUT = Duration.ofSeconds(60);
  private static final long PROGRESS_EVERY_MS = 5000;
  /** Added to the seed of the warm-up events, so that their event ids are not the measured run's. */
  private static final long WARM_UP_SEED_OFFSET = 1_000_003;
  /**
   * Bodies kept for the baseline, which sends them in turn: enough to vary like the events, few
   * enough that a run of a million deliveries does not hold every body in the measured JVM.
   */
  private static final int BASELINE_BODIES = 10_000;

  /**
   * What to run.
   *
   * @param events call events to publish, at least 1
   * @param subscriptions subscriptions, each receiving every event, at least 1
   * @param rate events per second to publish at, or null for as fast as possible
   * @param waitSeconds how long to wait for every delivery after the last publish, at least 1
   * @param seed seed of the simulated calls
   * @param failingShare share of the subscriptions whose endpoint fails for a while, 0 to less than 1;
   *     0 runs the all-healthy benchmark
   * @param failingFor how long the failing endpoints answer 500, from the first publish
   * @param warmUp the deliveries of events published within this long of the first publish are left
   *     out of the latency figures (they still count as deliveries): connections, JIT compilation and
   *     caches settle meanwhile
   * @param warmUpEvents events published, and delivered, before the measured run (at {@code rate} if
   *     given), none of whose figures count: the JVM compiles the hot code during the first hundred
   *     thousand deliveries or so, which a long-running service does once
   * @param backlog start the worker only once the fanout has written every delivery, so that all of
   *     them wait in {@code webhook-deliveries} at once; the figures are then those of draining it
   */
  public record Options(int events, int subscriptions, Double rate, int waitSeconds, long seed,
      double failingShare, Duration failingFor, Duration warmUp, int warmUpEvents, boolean backlog) {

    /** The warm-up when none is given: 10 s for a paced run, none for an unthrottled one. */
    public static Duration defaultWarmUp(Double rate) {
      return rate == null ? Duration.ZERO : Duration.ofSeconds(10);
    }

    /** @throws IllegalArgumentException naming the flag of a value out of range */
    public Options {
      if (warmUp == null || warmUp.isNegative()) {
        throw new IllegalArgumentException("--warm-up must not be negative");
      }
      if (warmUpEvents < 0) {
        throw new IllegalArgumentException("--warm-up-events must not be negative");
      }
      if (warmUpEvents > 0 && failingShare > 0) {
        throw new IllegalArgumentException("--warm-up-events is for the all-healthy benchmark, not with --failing-share");
      }
      if (backlog && (warmUpEvents > 0 || failingShare > 0)) {
        throw new IllegalArgumentException("--backlog runs on its own, without --warm-up-events or --failing-share");
      }
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
      if (!(failingShare >= 0 && failingShare < 1)) {
        throw new IllegalArgumentException("--failing-share must be at least 0 and less than 1");
      }
      if (failingFor.isNegative() || failingFor.isZero() && failingShare > 0) {
        throw new IllegalArgumentException("--failing-for must be more than 0");
      }
      int failing = failingSubscriptions(subscriptions, failingShare);
      if (failingShare > 0 && (failing == 0 || failing == subscriptions)) {
        throw new IllegalArgumentException("--failing-share " + failingShare + " of " + subscriptions
            + " subscriptions makes " + failing + " failing: choose a share that leaves some failing and some "
            + "healthy");
      }
    }

    /** @return how many subscriptions fail: the share of them, rounded */
    public int failingSubscriptions() {
      return failingSubscriptions(subscriptions, failingShare);
    }

    private static int failingSubscriptions(int subscriptions, double share) {
      return (int) Math.round(subscriptions * share);
    }
  }

  /** Events as published: Kafka timestamp by event id, and every body in publish order. */
  private record Published(Map<String, Long> timestampMs, List<byte[]> bodies, long failures, double seconds) {

    /** @return the earliest Kafka timestamp, epoch ms */
    long firstTimestampMs() {
      return timestampMs.values().stream().mapToLong(Long::longValue).min().orElse(0);
    }
  }

  /**
   * Publish-to-receipt latencies, ms, of the deliveries that arrived, of all endpoints and of the
   * healthy and failing ones apart; the count of those that did not arrive, with a few named; and the
   * span of the healthy endpoints' first receipts.
   */
  private record Latencies(Histogram all, Histogram healthy, Histogram failing, long healthyDelivered,
      long healthySpanMs, long missing, List<String> examples) {}

  private final Options options;

  private Bench(Options options) {
    this.options = options;
  }

  /**
   * Runs the benchmark and prints its report on {@code out}.
   *
   * @param options what to run
   * @param settings every other setting (in-flight caps, retry schedule, ...); its data dir and servers
   *     are replaced by the bench's own
   * @param out where the {@code key: value} lines go
   * @param err where the line naming missing deliveries goes
   * @return 0, or 1 when some delivery did not arrive within {@link Options#waitSeconds()}
   * @throws Exception when the platform does not start or a step fails
   */
  public static int run(Options options, WebhooksConfig settings, PrintWriter out, PrintWriter err)
      throws Exception {
    return run(options, settings, Path.of(System.getProperty("java.io.tmpdir")), out, err);
  }

  /**
   * As {@link #run(Options, WebhooksConfig, PrintWriter, PrintWriter)}, with the bench's temporary
   * data dir made in {@code scratch} rather than in the system's temporary directory: a caller that
   * checks that the bench leaves nothing behind looks where nobody else writes at the same time.
   *
   * @param scratch an existing directory; the bench's data dir ({@code webhooks-bench-*}) is made in
   *     it and deleted at the end
   */
  public static int run(Options options, WebhooksConfig settings, Path scratch, PrintWriter out, PrintWriter err)
      throws Exception {
    Path dataDir = Files.createTempDirectory(scratch, "webhooks-bench-");
    String allowed = settings.get(Setting.ALLOWED_TARGETS);
    WebhooksConfig config = settings.with(Setting.DATA_DIR, dataDir.toString())
        .with(Setting.ALLOWED_TARGETS, allowed.isBlank() ? "127.0.0.1" : allowed + ",127.0.0.1");
    try {
      return new Bench(options).run(out, err, config, dataDir);
    } finally {
      deleteRecursively(dataDir);
    }
  }

  /**
   * @param settings the settings as given
   * @param given the settings that were given (by flag or variable) rather than defaulted
   * @param failingShare the run's {@link Options#failingShare()}
   * @return {@code settings} with {@link #RETRY_SCHEDULE} and {@link #CIRCUIT_PROBE_DELAY} for the retry
   *     scenario where they were not given
   */
  public static WebhooksConfig withRetryDefaults(WebhooksConfig settings, Set<Setting> given, double failingShare) {
    WebhooksConfig out = settings;
    if (failingShare > 0 && !given.contains(Setting.RETRY_SCHEDULE)) {
      out = out.with(Setting.RETRY_SCHEDULE, RETRY_SCHEDULE);
    }
    if (failingShare > 0 && !given.contains(Setting.CIRCUIT_PROBE_DELAY)) {
      out = out.with(Setting.CIRCUIT_PROBE_DELAY, CIRCUIT_PROBE_DELAY);
    }
    return out;
  }

  private int run(PrintWriter out, PrintWriter err, WebhooksConfig settings, Path dataDir) throws Exception {
    Map<String, Object> report = new LinkedHashMap<>();
    try (BenchReceiver receiver = BenchReceiver.start();
        BenchPlatform platform = BenchPlatform.start(settings, dataDir, receiver, options.subscriptions(),
            options.backlog())) {
      long expected = (long) options.events() * options.subscriptions();
      Set<String> failingPaths = Set.copyOf(
          new ArrayList<>(platform.pathOfSubscription().values()).subList(0, options.failingSubscriptions()));
      LOG.info("bench: {} subscriptions ready{}; publishing {} events {}", options.subscriptions(),
          failingPaths.isEmpty() ? "" : ", " + failingPaths.size() + " of them failing for "
              + Durations.format(options.failingFor()), options.events(),
          options.rate() == null ? "as fast as possible" : "at " + options.rate() + " events/s");

      if (options.warmUpEvents() > 0) {
        warmUp(platform, receiver);
      }
      StageCpu stageCpu = new StageCpu(receiver.threadIds(), platform.registryPid());
      stageCpu.start();
      WorkerSampler sampler = WorkerSampler.start(platform.workerMetrics());
      WorkerMetrics loop = platform.workerMetrics();
      long commitNanosBefore = loop.commitNanos();
      long commitsBefore = loop.transactionsCommitted();
      long wakeupsBefore = loop.wakeups();
      long cpuBefore = BenchMemory.processCpuNanos();
      if (!failingPaths.isEmpty()) {
        receiver.failUntil(failingPaths, System.currentTimeMillis() + options.failingFor().toMillis());
      }
      Published published = publish(platform.config(), options.events(), options.seed());
      if (published.failures() > 0) {
        throw new IllegalStateException(published.failures() + " of " + options.events()
            + " events could not be published");
      }
      if (options.backlog()) {
        awaitBacklog(platform, expected);
        platform.startWorker();
      }
      awaitDeliveries(receiver, expected);
      // taken before the bench reads the topics back (BenchStages holds a map entry per delivery), so
      // that the figure is the platform's, with the bench's run-time data only
      OptionalLong peakRssMb = BenchMemory.peakRssMb("self");
      OptionalLong registryRssMb = BenchMemory.peakRssMb(Long.toString(platform.registryPid()));
      long pipelineCpu = BenchMemory.processCpuNanos() - cpuBefore;
      StageCpu.Span cpu = stageCpu.stop();
      WorkerSampler.Averages occupancy = sampler.stop();
      long commitMs = (loop.commitNanos() - commitNanosBefore) / 1_000_000;
      long commits = loop.transactionsCommitted() - commitsBefore;
      long wakeups = loop.wakeups() - wakeupsBefore;
      LOG.info("bench: CPU by thread: {}", String.join(", ", cpu.topThreads()));

      Latencies latencies = latencies(published, receiver, platform.pathOfSubscription().values(), failingPaths,
          published.firstTimestampMs() + options.warmUp().toMillis());
      long delivered = expected - latencies.missing();
      report.put("services", String.join(",", platform.serviceNames()));
      report.put("backlog", options.backlog());
      report.put("warm_up_events", options.warmUpEvents());
      report.put("events", options.events());
      report.put("subscriptions", options.subscriptions());
      report.put("matches_per_event", options.subscriptions());
      report.put("rate", options.rate() == null ? "unthrottled" : format(options.rate()));
      report.put("publish_seconds", format(published.seconds()));
      report.put("deliveries_expected", expected);
      report.put("deliveries", delivered);
      report.put("missing", latencies.missing());
      report.put("duplicates", receiver.duplicates());
      long spanMs = Math.max(1, receiver.lastReceiptMs() - receiver.firstReceiptMs());
      double perSecond = delivered <= 1 ? 0 : (delivered - 1) * 1000.0 / spanMs;
      report.put("deliveries_seconds", format(spanMs / 1000.0));
      report.put("deliveries_per_second", format(perSecond));
      report.put("warm_up", Durations.format(options.warmUp()));
      report.put("latency_deliveries", latencies.all().getTotalCount());
      if (latencies.all().getTotalCount() == 0 && delivered > 0) {
        LOG.warn("bench: every event was published within the --warm-up of {}, so no latency is measured: "
            + "publish for longer (more --events) or give a shorter --warm-up", Durations.format(options.warmUp()));
      }
      putPercentiles(report, "latency", latencies.all(), true);
      report.put("cpu_ms_per_delivery", format3(pipelineCpu / 1e6 / Math.max(1, delivered)));
      putStageCpu(report, cpu, delivered);
      report.put("worker_transactions", commits);
      report.put("worker_commit_ms", commitMs);
      report.put("worker_wakeups", wakeups);
      report.put("worker_loops", loop.loopCount());
      report.put("worker_in_flight_avg", format(occupancy.inFlight()));
      report.put("worker_waiting_avg", format(occupancy.waiting()));

      Map<String, String> measured = new LinkedHashMap<>(platform.pathOfSubscription());
      measured.values().removeAll(failingPaths);
      BenchStages.Result stages = BenchStages.measure(platform.config(),
          new SchemaRegistryClient(platform.config().registryUrl()), delivered, receiver, measured,
          published.timestampMs().keySet(), STAGES_TIMEOUT);
      putStage(report, "fanout_lag", stages.fanout());
      putStage(report, "worker_lag", stages.worker());
      putStage(report, "http", stages.http());
      report.put("fanout_tasks_per_second", format(stages.tasksPerSecond()));
      report.put("peak_rss_mb", orUnknown(peakRssMb));
      report.put("registry_rss_mb", orUnknown(registryRssMb));
      if (!failingPaths.isEmpty()) {
        putRetryFigures(report, platform.config(), failingPaths.size(), latencies, stages, receiver);
      }

      if (latencies.missing() > 0) {
        print(out, report);
        err.printf("error: %d of %d deliveries did not arrive within %d s, e.g. %s%n", latencies.missing(), expected,
            options.waitSeconds(), String.join(", ", latencies.examples()));
        err.flush();
        return 1;
      }

      // The ceiling is measured while the platform is up (idle, but its threads and memory there),
      // in the same JVM on the same receiver, so that the ratio compares like with like.
      int concurrency = (int) Math.min(settings.maxInFlight(),
          (long) options.subscriptions() * settings.maxInFlightPerEndpoint());
      LOG.info("bench: baseline: {} plain requests, {} in flight", expected, concurrency);
      long baselineCpuBefore = BenchMemory.processCpuNanos();
      BenchBaseline.Result baseline = BenchBaseline.run(receiver, published.bodies(), expected, concurrency,
          Duration.ofSeconds(options.waitSeconds()));
      long baselineCpu = BenchMemory.processCpuNanos() - baselineCpuBefore;
      if (baseline.failures() > 0) {
        throw new IllegalStateException(baseline.failures() + " baseline requests failed");
      }
      report.put("baseline_concurrency", concurrency);
      report.put("baseline_deliveries_per_second", format(baseline.requestsPerSecond()));
      report.put("baseline_cpu_ms_per_delivery", format3(baselineCpu / 1e6 / Math.max(1, baseline.requests())));
      report.put("ratio", format3(baseline.requestsPerSecond() == 0 ? 0 : perSecond / baseline.requestsPerSecond()));
      report.put("load_average", loadAverage());
    }
    print(out, report);
    return 0;
  }

  /** The figures of the retry scenario, after those every run prints. */
  private void putRetryFigures(Map<String, Object> report, WebhooksConfig config, int failing, Latencies latencies,
      BenchStages.Result stages, BenchReceiver receiver) {
    report.put("failing_subscriptions", failing);
    report.put("failing_for", Durations.format(options.failingFor()));
    report.put("retry_schedule", config.get(Setting.RETRY_SCHEDULE));
    report.put("circuit_probe_delay", config.get(Setting.CIRCUIT_PROBE_DELAY));
    report.put("failed_requests", receiver.failedRequests());
    long healthy = latencies.healthyDelivered();
    report.put("healthy_deliveries", healthy);
    report.put("healthy_deliveries_per_second",
        format(healthy <= 1 ? 0 : (healthy - 1) * 1000.0 / Math.max(1, latencies.healthySpanMs())));
    putPercentiles(report, "healthy_latency", latencies.healthy(), false);
    putPercentiles(report, "failing_latency", latencies.failing(), false);
    report.put("attempts_failed", stages.attempts().entrySet().stream()
        .filter(e -> e.getKey() != AttemptOutcome.SUCCEEDED && e.getKey() != AttemptOutcome.DEFERRED)
        .mapToLong(Map.Entry::getValue).sum());
    report.put("attempts_deferred", stages.attempts(AttemptOutcome.DEFERRED));
    report.put("retries_forwarded", stages.retryLateness().getTotalCount());
    putPercentiles(report, "retry_lateness", stages.retryLateness(), true);
  }

  /**
   * @param measuredFromMs events published (Kafka timestamp) before this, epoch ms, are left out of the
   *     latencies (the warm-up); they still count as missing when they did not arrive
   * @return publish-to-receipt latencies of every expected delivery that arrived, and those that did not
   */
  private static Latencies latencies(Published published, BenchReceiver receiver, Collection<String> paths,
      Set<String> failingPaths, long measuredFromMs) {
    Histogram all = newHistogram();
    Histogram healthy = newHistogram();
    Histogram failing = newHistogram();
    List<String> examples = new ArrayList<>();
    long missing = 0;
    long healthyDelivered = 0;
    long firstHealthy = Long.MAX_VALUE;
    long lastHealthy = Long.MIN_VALUE;
    for (Map.Entry<String, Long> e : published.timestampMs().entrySet()) {
      for (String path : paths) {
        Long received = receiver.receivedAtMs(path, e.getKey());
        if (received == null) {
          missing++;
          if (examples.size() < 10) {
            examples.add(e.getKey() + " to " + path);
          }
          continue;
        }
        if (e.getValue() < measuredFromMs) {
          continue;
        }
        long latency = Math.max(0, received - e.getValue());
        all.recordValue(latency);
        if (failingPaths.contains(path)) {
          failing.recordValue(latency);
        } else {
          healthy.recordValue(latency);
          healthyDelivered++;
          firstHealthy = Math.min(firstHealthy, received);
          lastHealthy = Math.max(lastHealthy, received);
        }
      }
    }
    return new Latencies(all, healthy, failing, healthyDelivered, Math.max(0, lastHealthy - firstHealthy), missing,
        examples);
  }

  /**
   * Publishes the warm-up events (their ids from another seed than the measured run's), waits for
   * their deliveries and forgets them, so that the measured run starts on a warmed-up platform.
   */
  private void warmUp(BenchPlatform platform, BenchReceiver receiver) throws InterruptedException {
    long expected = (long) options.warmUpEvents() * options.subscriptions();
    LOG.info("bench: warming up with {} events ({} deliveries)", options.warmUpEvents(), expected);
    Published warm = publish(platform.config(), options.warmUpEvents(), options.seed() + WARM_UP_SEED_OFFSET);
    if (warm.failures() > 0) {
      throw new IllegalStateException(warm.failures() + " warm-up events could not be published");
    }
    awaitDeliveries(receiver, expected);
    if (receiver.deliveries() < expected) {
      throw new IllegalStateException("only " + receiver.deliveries() + " of the " + expected
          + " warm-up deliveries arrived within " + options.waitSeconds() + " s");
    }
    receiver.reset();
    LOG.info("bench: warmed up; the measured run starts");
  }

  /** Publishes events, paced when a rate is set, and waits for the acks. */
  private Published publish(WebhooksConfig config, int events, long seed) {
    CallSimulator simulator = new CallSimulator(seed, 1, Clock.systemUTC());
    Map<String, Long> timestamps = new ConcurrentHashMap<>();
    List<byte[]> bodies = new ArrayList<>(Math.min(events, BASELINE_BODIES));
    AtomicLong failures = new AtomicLong();
    long start = System.nanoTime();
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      for (int i = 0; i < events; i++) {
        if (options.rate() != null) {
          // Paced by schedule rather than by a fixed gap, so that slow sends do not lower the rate.
          long wait = start + (long) (i * 1e9 / options.rate()) - System.nanoTime();
          if (wait > 0) {
            LockSupport.parkNanos(wait);
          }
        }
        CallEvent event = simulator.next();
        if (bodies.size() < BASELINE_BODIES) {
          bodies.add(CallEventJson.render(event));
        }
        String id = event.getEventId();
        // latency counts from the send, not from the record's timestamp: call-events is stamped by the
        // broker when it appends, after the producer has batched and sent the record
        long sentAtMs = System.currentTimeMillis();
        publisher.publish(event).whenComplete((metadata, error) -> {
          if (error != null) {
            failures.incrementAndGet();
          } else {
            timestamps.put(id, sentAtMs);
          }
        });
      }
      publisher.flush();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    LOG.info("bench: published {} events in {} s", events, format(seconds));
    return new Published(timestamps, bodies, failures.get(), seconds);
  }

  /** Waits until the fanout has written every delivery (the worker is not running yet). */
  private void awaitBacklog(BenchPlatform platform, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.waitSeconds());
    long nextProgress = System.currentTimeMillis() + PROGRESS_EVERY_MS;
    while (platform.deliveriesWritten() < expected) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the fanout wrote " + platform.deliveriesWritten() + " of " + expected
            + " deliveries within " + options.waitSeconds() + " s");
      }
      TimeUnit.MILLISECONDS.sleep(20);
      if (System.currentTimeMillis() >= nextProgress) {
        LOG.info("bench: {} of {} deliveries waiting for the worker", platform.deliveriesWritten(), expected);
        nextProgress += PROGRESS_EVERY_MS;
      }
    }
    LOG.info("bench: a backlog of {} deliveries is waiting; starting the worker ({} MiB resident so far)",
        expected, BenchMemory.peakRssMb("self").orElse(-1));
  }

  private void awaitDeliveries(BenchReceiver receiver, long expected) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.waitSeconds());
    long nextProgress = System.currentTimeMillis() + PROGRESS_EVERY_MS;
    while (receiver.deliveries() < expected && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(20);
      if (System.currentTimeMillis() >= nextProgress) {
        LOG.info("bench: {} of {} deliveries received{}", receiver.deliveries(), expected,
            receiver.failedRequests() == 0 ? "" : ", " + receiver.failedRequests() + " requests failed");
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

  private static void putPercentiles(Map<String, Object> report, String name, Histogram h, boolean withMax) {
    report.put(name + "_p50_ms", h.getTotalCount() == 0 ? "unknown" : Long.toString(h.getValueAtPercentile(50)));
    report.put(name + "_p99_ms", h.getTotalCount() == 0 ? "unknown" : Long.toString(h.getValueAtPercentile(99)));
    if (withMax) {
      report.put(name + "_max_ms", h.getTotalCount() == 0 ? "unknown" : Long.toString(h.getMaxValue()));
    }
  }

  /**
   * CPU ms per delivery of each stage, their sum, the cores they kept busy and those other processes
   * did meanwhile, and how long the worker's owner threads spent waiting (parked: commits, sends
   * waiting for buffer room) or blocked on a monitor.
   */
  private static void putStageCpu(Map<String, Object> report, StageCpu.Span cpu, long delivered) {
    long n = Math.max(1, delivered);
    cpu.cpuNanos().forEach((stage, ns) -> report.put("cpu_" + stage.key + "_ms_per_delivery", format3(ns / 1e6 / n)));
    report.put("cpu_all_stages_ms_per_delivery", format3(cpu.totalNanos() / 1e6 / n));
    double wall = Math.max(1, cpu.wallNanos());
    report.put("cpu_cores_busy", format(cpu.totalNanos() / wall));
    report.put("other_processes_cpu_cores", cpu.otherProcessesNanos() < 0 ? "unknown"
        : format(cpu.otherProcessesNanos() / wall));
    report.put("gc_ms", cpu.gcMs());
    report.put("jit_ms", cpu.jitMs());
    report.put("worker_owner_waited_ms", cpu.ownerWaitedMs());
    report.put("worker_owner_blocked_ms", cpu.ownerBlockedMs());
  }

  /** @return the 1-minute load average of the machine (other processes included), or "unknown" */
  static String loadAverage() {
    double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    return load < 0 ? "unknown" : String.format(Locale.ROOT, "%.2f", load);
  }

  private static void putStage(Map<String, Object> report, String stage, Histogram h) {
    putPercentiles(report, stage, h, false);
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
