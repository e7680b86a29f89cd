package org.webhooks.launcher;

import java.time.Duration;

/**
 * A service command ({@code delivery-worker}, {@code fanout-stream}, ...) run as its own process with
 * {@code --http-port 0}: its health URL is known once the process has bound its HTTP port and said
 * which, so several services start at once and no test picks a port another could take first.
 */
final class ServiceProcess {

  /** How long a service may take to bind its port: a JVM start on a loaded machine. */
  private static final Duration START = Duration.ofSeconds(120);

  private final LauncherProcess process;
  private String health;

  ServiceProcess(LauncherProcess process) {
    this.process = process;
  }

  LauncherProcess process() {
    return process;
  }

  /**
   * @return {@code http://127.0.0.1:<port>/health} of the process, waiting for its port at first
   * @throws IllegalStateException when the process exits before binding its port
   */
  synchronized String health() {
    if (health == null) {
      health = "http://127.0.0.1:" + process.awaitHttpPort(START) + "/health";
    }
    return health;
  }
}
