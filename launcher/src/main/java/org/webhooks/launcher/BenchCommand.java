package org.webhooks.launcher;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.webhooks.bench.Bench;
import org.webhooks.bench.StatsQueryBench;
import org.webhooks.embedded.Dirs;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: the flags of {@link Bench}, which measures the whole platform on a temporary embedded
 * stack. Prints one {@code key: value} per line on stdout (see {@code docs/benchmarks.md} for each key);
 * exits 1 when some delivery did not arrive within {@code --wait}, after naming how many. With
 * {@code --stats-queries} it measures delivery-stats' queries instead ({@link StatsQueryBench}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure delivery throughput and publish-to-receipt latency on a temporary embedded stack, "
        + "and the plain-HTTP ceiling of this machine; with --failing-share, retries as well.")
final class BenchCommand implements Callable<Integer> {

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

  @Option(names = "--failing-share", defaultValue = "0",
      description = "Share of the subscriptions whose endpoint answers 500 for --failing-for from the first "
          + "publish, then recovers (default 0: all healthy). Unless given, the retry schedule is then "
          + Bench.RETRY_SCHEDULE + " and the circuit probe delay " + Bench.CIRCUIT_PROBE_DELAY + ".")
  double failingShare;

  @Option(names = "--failing-for", defaultValue = "30s",
      description = "How long the failing endpoints fail (default 30s).")
  String failingFor;

  @Option(names = "--warm-up",
      description = "Deliveries of events published within this long of the first publish are left out of the "
          + "latency figures (default: 10s with --rate, 0s without).")
  String warmUp;

  @Option(names = "--warm-up-events", defaultValue = "0",
      description = "Events published and delivered before the measured run, whose figures do not count "
          + "(default 0): the JVM compiles the hot code meanwhile.")
  int warmUpEvents;

  @Option(names = "--backlog",
      description = "Start the worker only once the fanout has written every delivery, so that all of them wait at "
          + "once; the figures are those of draining that backlog.")
  boolean backlog;

  @Option(names = "--stats-queries", description = "Measure delivery-stats' queries instead: write --attempts "
      + "attempt records of one endpoint, let delivery-stats index them, time each query --queries times.")
  boolean statsQueries;

  @Option(names = "--attempts", defaultValue = "1000000",
      description = "With --stats-queries: attempt records of the endpoint (default 1000000).")
  int attempts;

  @Option(names = "--queries", defaultValue = "1000",
      description = "With --stats-queries: times each query is timed (default 1000).")
  int queries;

  @Override
  public Integer call() throws Exception {
    if (statsQueries) {
      return statsQueries(spec.commandLine().getOut());
    }
    Duration failFor = duration("--failing-for", failingFor);
    Duration warm = warmUp == null ? Bench.Options.defaultWarmUp(rate) : duration("--warm-up", warmUp);
    Bench.Options options = new Bench.Options(events, subscriptions, rate, waitSeconds, seed, failingShare, failFor,
        warm, warmUpEvents, backlog);
    WebhooksConfig settings = Bench.withRetryDefaults(ThrowawaySecretsKey.ifUnset(SettingsOptions.resolve(spec)),
        SettingsOptions.given(spec), failingShare);
    return Bench.run(options, settings, spec.commandLine().getOut(), spec.commandLine().getErr());
  }

  private static Duration duration(String flag, String value) {
    try {
      return Durations.parse(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage(), e);
    }
  }

  private int statsQueries(PrintWriter out) throws Exception {
    if (attempts < 1 || queries < 1) {
      throw new IllegalArgumentException("--attempts and --queries must be at least 1");
    }
    Path dataDir = Files.createTempDirectory("webhooks-bench-");
    try {
      StatsQueryBench.run(ThrowawaySecretsKey.ifUnset(SettingsOptions.resolve(spec))
              .with(Setting.DATA_DIR, dataDir.toString()), dataDir,
          attempts, queries).forEach((k, v) -> out.println(k + ": " + v));
      out.flush();
      return 0;
    } finally {
      Dirs.deleteRecursively(dataDir);
    }
  }
}
