package org.webhooks.launcher;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The launcher jar run as a real process, as a user runs {@code ./webhooks}. */
final class LauncherProcess implements AutoCloseable {

  private static final Path JAR = Path.of("target", "webhooks.jar");

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

  /** @return a port that was free a moment ago (the process under test binds it) */
  static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
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
