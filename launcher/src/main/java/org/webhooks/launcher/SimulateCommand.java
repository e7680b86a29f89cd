package org.webhooks.launcher;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.producer.CallSimulator;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code simulate}: publishes realistic call lifecycles at a steady rate, as the call platform would,
 * for at most {@code --duration} (fewer events than rate x duration when the broker cannot keep up).
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = "Publish simulated call lifecycles at a steady rate to the running stack.")
final class SimulateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--rate", defaultValue = "100", description = "Events per second (default 100).")
  double rate;

  @Option(names = "--duration", defaultValue = "30s", description = "How long to publish, e.g. 30s, 5m (default 30s).")
  String duration;

  @Option(names = "--accounts", defaultValue = "10", description = "Accounts the calls are spread over (default 10).")
  int accounts;

  @Option(names = "--seed", description = "Seed of the random choices (default: a new one each run).")
  Long seed;

  @Override
  public Integer call() throws Exception {
    if (rate <= 0) {
      throw new IllegalArgumentException("--rate must be more than 0");
    }
    Duration length;
    try {
      length = Durations.parse(duration);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--duration: " + e.getMessage());
    }
    if (accounts < 1) {
      throw new IllegalArgumentException("--accounts must be at least 1");
    }
    WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
    CallSimulator simulator = new CallSimulator(seed == null ? System.nanoTime() : seed, accounts, Clock.systemUTC());
    long total = (long) Math.floor(rate * length.toMillis() / 1000.0);
    AtomicLong failed = new AtomicLong();
    AtomicLong sent = new AtomicLong();
    double seconds;
    try (CallEventPublisher publisher = new CallEventPublisher(config)) {
      // The first send fetches metadata and registers the schema (seconds on a busy machine): the
      // duration counts from when publishing can actually go at the rate.
      publisher.publish(simulator.next()).get();
      sent.incrementAndGet();
      long start = System.nanoTime();
      long end = start + length.toNanos();
      for (long i = 1; i < total && System.nanoTime() < end; i++) {
        // Pace by schedule rather than by sleeping a fixed gap, so slow sends do not lower the rate.
        long due = start + (long) (i * 1_000_000_000L / rate);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        sent.incrementAndGet();
        publisher.publish(simulator.next()).exceptionally(e -> {
          failed.incrementAndGet();
          return null;
        });
      }
      publisher.flush();
      seconds = (System.nanoTime() - start) / 1e9;
    }
    spec.commandLine().getOut().printf("published %d events in %.1f s (%.0f events/s), %d failed%n",
        sent.get() - failed.get(), seconds, sent.get() / Math.max(seconds, 1e-9), failed.get());
    return failed.get() == 0 ? 0 : Webhooks.EXIT_FAILURE;
  }

}
