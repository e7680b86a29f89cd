package org.webhooks.launcher;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.webhooks.embedded.StackProperties;
import org.webhooks.embedded.StackStatus;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/**
 * Finds the Kafka cluster and registry a command talks to: the configured ones, else the running
 * stack named by {@code <data dir>/stack.properties}. A stack that is still starting (it holds the
 * data dir's lock but is not ready yet) is waited for, up to {@link #START_WAIT}, so that a command
 * run right after {@code ./webhooks up &} works; a stack's {@code stack.properties} is used only while
 * the process that wrote it holds the lock. Only {@code up} and {@code demo} start a broker.
 */
final class StackConnection {

  /** Longest wait for a stack that is starting; a cold start takes about 20-30 s on 2 cores. */
  static final Duration START_WAIT = Duration.ofSeconds(120);
  /**
   * How long a command looks for a stack before it says that none runs. {@code up} locks the data dir
   * first of all, within a second of its start; a command started in the same instant as {@code up}
   * (two JVMs racing to the data dir) may otherwise look before that.
   */
  static final Duration LOOK_AGAIN = Duration.ofSeconds(2);
  private static final long POLL_MS = 100;

  private StackConnection() {}

  /**
   * @param err where the one line saying that the command waits for a starting stack goes
   * @return {@code config} with bootstrap servers filled in (the registry is not needed)
   * @throws IllegalStateException when none are configured and no stack runs on the data dir, or the
   *     stack there does not become ready within {@link #START_WAIT}
   */
  static WebhooksConfig resolveKafka(WebhooksConfig config, PrintWriter err) {
    if (!config.bootstrapServers().isEmpty()) {
      return config;
    }
    return config.with(Setting.BOOTSTRAP_SERVERS, runningStack(config, err).bootstrapServers());
  }

  /**
   * @param err where the one line saying that the command waits for a starting stack goes
   * @return {@code config} with bootstrap servers and registry URL filled in
   * @throws IllegalStateException when neither is configured and no stack runs on the data dir, or
   *     the stack there does not become ready within {@link #START_WAIT}
   */
  static WebhooksConfig resolve(WebhooksConfig config, PrintWriter err) {
    if (!config.bootstrapServers().isEmpty() && !config.registryUrl().isEmpty()) {
      return config;
    }
    if (!config.bootstrapServers().isEmpty()
        && !(StackStatus.of(config.dataDir()) instanceof StackStatus.Running)) {
      throw new IllegalStateException("no schema registry configured: set --registry-url / WEBHOOKS_REGISTRY_URL");
    }
    StackProperties stack = runningStack(config, err);
    WebhooksConfig out = config;
    if (out.bootstrapServers().isEmpty()) {
      out = out.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers());
    }
    if (out.registryUrl().isEmpty()) {
      out = out.with(Setting.REGISTRY_URL, stack.registryUrl());
    }
    return out;
  }

  /** @return the addresses of the stack on the data dir, once it is ready */
  private static StackProperties runningStack(WebhooksConfig config, PrintWriter err) {
    Path dir = config.dataDir();
    StackStatus status = StackStatus.of(dir);
    long lookUntil = System.nanoTime() + LOOK_AGAIN.toNanos();
    while (status instanceof StackStatus.Stopped && System.nanoTime() < lookUntil) {
      pause(dir);
      status = StackStatus.of(dir);
    }
    if (status instanceof StackStatus.Running running) {
      return running.properties();
    }
    if (status instanceof StackStatus.Stopped) {
      throw new IllegalStateException("no stack is running on data dir " + dir.toAbsolutePath().normalize()
          + ": start one with ./webhooks up, or set --bootstrap-servers and --registry-url");
    }
    long pid = ((StackStatus.Starting) status).pid();
    err.println("waiting for the stack on data dir " + dir.toAbsolutePath().normalize() + " (pid " + pid + ") to start ...");
    err.flush();
    long deadline = System.nanoTime() + START_WAIT.toNanos();
    while (status instanceof StackStatus.Starting) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the stack on data dir " + dir.toAbsolutePath().normalize() + " (pid " + pid
            + ") did not become ready within " + START_WAIT.toSeconds() + " s; see the output of ./webhooks up");
      }
      pause(dir);
      status = StackStatus.of(dir);
    }
    if (status instanceof StackStatus.Running running) {
      return running.properties();
    }
    throw new IllegalStateException("the stack on data dir " + dir.toAbsolutePath().normalize() + " (pid " + pid
        + ") stopped before it was ready; see the output of ./webhooks up");
  }

  private static void pause(Path dir) {
    try {
      TimeUnit.MILLISECONDS.sleep(POLL_MS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the stack on data dir " + dir.toAbsolutePath().normalize(), e);
    }
  }
}
