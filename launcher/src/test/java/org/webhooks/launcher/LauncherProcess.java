package org.webhooks.launcher;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The launcher jar run as a real process, as a user runs {@code ./webhooks}. */
final class LauncherProcess implements AutoCloseable {

  private static final Path JAR = Path.of("target", "webhooks.jar");
  /** Logged by a process's HTTP server once bound; its port is group 1. */
  private static final Pattern HTTP_PORT =
      Pattern.compile("health and metrics on http://127\\.0\\.0\\.1:(\\d+)/health");

  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private LauncherProcess(Process process, Path stdout, Path stderr) {
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Starts {@code java -jar webhooks.jar args...} with its output in files under {@code logDir}. */
  static LauncherProcess start(Path logDir, String name, List<String> args) throws IOException {
    if (!Files.exists(JAR)) {
      throw new IllegalStateException(JAR.toAbsolutePath() + " is missing: run mvn package first");
    }
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-jar", JAR.toString()));
    command.addAll(args);
    Path out = logDir.resolve(name + ".out");
    Path err = logDir.resolve(name + ".err");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().put("WEBHOOKS_ALLOWED_TARGETS", "127.0.0.1");
    return new LauncherProcess(pb.start(), out, err);
  }

  /** Runs a command to completion (at most 2 minutes) and returns it. */
  static LauncherProcess run(Path logDir, String name, List<String> args) throws Exception {
    LauncherProcess p = start(logDir, name, args);
    if (!p.process.waitFor(2, TimeUnit.MINUTES)) {
      p.process.destroyForcibly();
      throw new IllegalStateException(name + " did not finish; stderr: " + p.stderr());
    }
    return p;
  }

  /** @return {@code command} followed by {@code flags}, as one argument list */
  static List<String> command(List<String> flags, String... command) {
    List<String> out = new ArrayList<>(List.of(command));
    out.addAll(flags);
    return out;
  }

  /**
   * Waits for the line a process logs once its HTTP server is bound ({@code health and metrics on
   * http://127.0.0.1:N/health}), so that tests start services with {@code --http-port 0} instead of
   * picking a port that another test running at the same time could take before the process binds it.
   *
   * @return the port the process's HTTP server is bound to
   * @throws IllegalStateException when the process exits before it logs the line
   * @throws org.awaitility.core.ConditionTimeoutException when it does not log it within {@code atMost}
   */
  int awaitHttpPort(Duration atMost) {
    await().atMost(atMost).until(() -> {
      if (!isAlive() && !HTTP_PORT.matcher(stderr()).find()) {
        throw new IllegalStateException("the process exited " + exitCode() + " before binding its HTTP port; "
            + "stderr: " + stderr());
      }
      return HTTP_PORT.matcher(stderr()).find();
    });
    Matcher m = HTTP_PORT.matcher(uncheckedStderr());
    if (!m.find()) {
      throw new IllegalStateException("no HTTP port in " + stderr);
    }
    return Integer.parseInt(m.group(1));
  }

  private String uncheckedStderr() {
    try {
      return stderr();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String stdout() throws IOException {
    return Files.readString(stdout, StandardCharsets.UTF_8);
  }

  String stderr() throws IOException {
    return Files.readString(stderr, StandardCharsets.UTF_8);
  }

  boolean isAlive() {
    return process.isAlive();
  }

  int exitCode() {
    return process.exitValue();
  }

  /** @return the process id */
  long pid() {
    return process.pid();
  }

  /** Sends SIGKILL, as an OOM killer or a crash would, and waits for the process to end. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Sends SIGTERM, as Ctrl-C or a service manager would, and waits for the process to end. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }
}
