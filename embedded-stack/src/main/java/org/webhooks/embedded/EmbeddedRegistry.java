package org.webhooks.embedded;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Apicurio Registry 3.0.9 running as a child process, storing its schemas in Kafka (KafkaSQL) on the
 * given broker, so they survive restarts of both the registry and the broker.
 *
 * <p>Clients use its Confluent-compatible API at {@link #url()}. The child's output goes to
 * {@code <workDir>/registry.log} and its PID to {@code <workDir>/registry.pid}.
 *
 * <p>Supervised: a child that exits while this object is open is logged (with its exit code) and started
 * again on the same port, after 1 s, then after twice as long each time a start fails, up to 30 s; its return
 * is logged too. Tied to its parent: the child runs {@link ParentWatch}, which ends it when this JVM is gone,
 * SIGKILL included; a JVM shutdown hook ends it on a normal exit if {@link #close()} was never called; and a
 * child orphaned anyway is ended by the next {@link #start} on the same work directory.
 */
public final class EmbeddedRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRegistry.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final long STOP_GRACE_MILLIS = 10_000;
    private static final int ATTEMPTS_ON_FREE_PORTS = 3;
    private static final int LOG_TAIL_LINES = 40;
    /** Wait before the first restart of a child that exited; doubled after each failed start. */
    static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
    /** Longest wait between two restart attempts. */
    static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(1)).build();

    private final Path dir;
    private final Path runnerJar;
    private final String bootstrapServers;
    private final int port;
    private final RegistryPidFile pidFile;
    private final Thread shutdownHook;
    private final Object lock = new Object();
    private ScheduledExecutorService supervisor; // guarded by lock; created once the first child is ready
    private Process process; // guarded by lock: the current child
    private boolean closed; // guarded by lock

    private EmbeddedRegistry(Path dir, Path runnerJar, String bootstrapServers, int port, RegistryPidFile pidFile) {
        this.dir = dir;
        this.runnerJar = runnerJar;
        this.bootstrapServers = bootstrapServers;
        this.port = port;
        this.pidFile = pidFile;
        // Registered before the first child starts, so that a JVM exit during the (seconds long) start does not
        // orphan it.
        this.shutdownHook = new Thread(this::shutdown, "embedded-registry-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts the registry and waits until {@code /health/ready} answers 200, which in KafkaSQL mode means its
     * journal has been replayed and every earlier schema id resolves again.
     *
     * <p>The broker must already be running. Start-up takes a few seconds; the first start on a machine also
     * unpacks the distribution (109 MB archive) into a cache directory.
     *
     * @param workDir          directory for the child's log and PID file (created if needed)
     * @param bootstrapServers Kafka bootstrap servers the registry stores its data in
     * @param port             HTTP port on 127.0.0.1, or 0 for a free one (then a bind clash is retried)
     * @return the running registry
     * @throws IllegalStateException when a fixed port is in use (the message names it), the distribution is
     *                               missing (the message says how to get it), or the registry does not become
     *                               ready within 90 s or exits early (the message has the tail of its log)
     * @throws UncheckedIOException  when the work directory or log cannot be written or the child not started
     */
    public static EmbeddedRegistry start(Path workDir, String bootstrapServers, int port) {
        Path dir = workDir.toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create registry work dir " + dir, e);
        }
        RegistryPidFile pidFile = new RegistryPidFile(dir);
        pidFile.killOrphan(STOP_GRACE_MILLIS);
        if (port != 0) {
            Ports.requireFree(port, "Apicurio Registry");
        }
        Path runnerJar = RegistryDistribution.runnerJar();
        int attempts = port == 0 ? ATTEMPTS_ON_FREE_PORTS : 1;
        IllegalStateException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            int httpPort = Ports.resolve(port);
            EmbeddedRegistry registry = new EmbeddedRegistry(dir, runnerJar, bootstrapServers, httpPort, pidFile);
            try {
                long started = System.nanoTime();
                Process child = registry.launchAndAwaitReady();
                registry.supervise(child);
                LOG.debug("Apicurio Registry started on {}:{} (pid {}) in {} ms", Ports.HOST, httpPort, child.pid(),
                        (System.nanoTime() - started) / 1_000_000);
                return registry;
            } catch (PortClash e) {
                registry.close();
                if (port != 0) {
                    throw Ports.portTaken(httpPort, "Apicurio Registry", e);
                }
                LOG.warn("registry port {} was taken while starting (attempt {} of {}); retrying on a fresh port",
                        httpPort, attempt, attempts);
                last = e;
            } catch (RuntimeException e) {
                registry.close();
                throw e;
            }
        }
        throw new IllegalStateException("Apicurio Registry could not bind a free port after " + attempts
                + " attempts", last);
    }

    /** The child exited because its HTTP port was taken between picking and binding it. */
    private static final class PortClash extends IllegalStateException {
        PortClash(String message) {
            super(message);
        }
    }

    /**
     * Starts a child on {@link #port} and waits until it is ready; a child that does not become ready is
     * stopped again.
     *
     * @throws PortClash when the port was taken
     * @throws IllegalStateException when closed, or the child exits early or is not ready in time
     */
    private Process launchAndAwaitReady() {
        Path log = dir.resolve("registry.log");
        long logOffset = appendRunHeader(log, port);
        Path agent = ParentWatch.writeAgentJar(dir);
        Process child;
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("Apicurio Registry on port " + port + " is closed");
            }
            child = launch(dir, runnerJar, agent, bootstrapServers, port, log);
            process = child;
        }
        pidFile.write(child.pid());
        try {
            awaitReady(child, port, log, logOffset);
        } catch (RuntimeException e) {
            stop(child);
            pidFile.delete();
            throw e;
        }
        return child;
    }

    /** Restarts {@code child} when it exits while this registry is open. */
    private void supervise(Process child) {
        ScheduledExecutorService executor;
        synchronized (lock) {
            if (supervisor == null) {
                supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "embedded-registry-supervisor");
                    t.setDaemon(true);
                    return t;
                });
            }
            executor = supervisor;
        }
        child.onExit().thenAcceptAsync(this::exited, executor);
    }

    private void exited(Process child) {
        synchronized (lock) {
            if (closed || child != process) {
                return;
            }
        }
        pidFile.delete();
        LOG.error("Apicurio Registry (pid {}) exited with code {}; restarting it on port {} in {} ms (its output: {})",
                child.pid(), child.exitValue(), port, FIRST_RESTART_DELAY.toMillis(), dir.resolve("registry.log"));
        schedule(FIRST_RESTART_DELAY);
    }

    private void schedule(Duration delay) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            supervisor.schedule(() -> restart(delay), delay.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void restart(Duration delay) {
        Process child;
        try {
            child = launchAndAwaitReady();
        } catch (RuntimeException e) {
            if (isClosed()) {
                return;
            }
            Duration next = delay.multipliedBy(2).compareTo(MAX_RESTART_DELAY) > 0 ? MAX_RESTART_DELAY
                    : delay.multipliedBy(2);
            String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            LOG.warn("Apicurio Registry did not start again on port {}: {}; next attempt in {} ms", port, reason,
                    next.toMillis());
            schedule(next);
            return;
        }
        LOG.info("Apicurio Registry is back on port {} (pid {})", port, child.pid());
        supervise(child);
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /** Stops supervising and stops the current child; the shutdown hook's work, and most of {@link #close()}. */
    private void shutdown() {
        Process child;
        synchronized (lock) {
            closed = true;
            child = process;
            if (supervisor != null) {
                supervisor.shutdownNow();
            }
        }
        if (child != null) {
            stop(child);
        }
        pidFile.delete();
    }

    private static Process launch(Path dir, Path runnerJar, Path agent, String bootstrapServers, int httpPort,
                                  Path log) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(List.of(java,
                // The schemas live in the registry's heap (its KafkaSQL storage is an in-memory database
                // fed from the journal topic): 96 MiB hold this platform's dozen schemas many times over,
                // about 60 MB of schema text at most. No exit on running out of heap: a registry that
                // filled its heap would then fail again while replaying its journal at every restart.
                "-Xmx96m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=" + Ports.HOST,
                "-Dquarkus.http.port=" + httpPort,
                // 3.0.9 never opens the management interface, but pin it anyway so it cannot claim port 9000.
                "-Dquarkus.management.host=" + Ports.HOST,
                "-Dquarkus.management.port=" + Ports.pickFree(),
                "-javaagent:" + agent,
                "-jar", runnerJar.toString()))
                .directory(dir.toFile())
                // a pipe the parent never writes to: it closes when the parent dies, which ends the child
                .redirectInput(ProcessBuilder.Redirect.PIPE)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("APICURIO_STORAGE_KIND", "kafkasql");
        env.put("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS", bootstrapServers);
        // Its topics would otherwise get the broker's 7-day delete retention and schemas would vanish.
        env.put("APICURIO_KAFKASQL_TOPIC_RETENTION_MS", "-1");
        // Cuts start-up from about 8 s to 3.5 s: the journal replay waits on each empty poll.
        env.put("APICURIO_KAFKASQL_CONSUMER_POLL_TIMEOUT", "200");
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Apicurio Registry (" + java + " -jar " + runnerJar + ")", e);
        }
    }

    private static void awaitReady(Process process, int httpPort, Path log, long logOffset) {
        HttpRequest ready = HttpRequest.newBuilder(URI.create("http://" + Ports.HOST + ":" + httpPort + "/health/ready"))
                .timeout(Duration.ofSeconds(2)).GET().build();
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                String tail = tail(log, logOffset);
                String message = "Apicurio Registry exited with status " + process.exitValue()
                        + " before becoming ready; last lines of " + log + ":\n" + tail;
                if (tail.contains("Port " + httpPort + " seems to be in use") || tail.contains("already bound")
                        || tail.contains("Address already in use")) {
                    throw new PortClash(message);
                }
                throw new IllegalStateException(message);
            }
            try {
                if (HTTP.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) {
                // expected until Quarkus has bound its port
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Apicurio Registry", e);
            }
            try {
                process.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for Apicurio Registry", e);
            }
        }
        throw new IllegalStateException("Apicurio Registry did not become ready within " + READY_TIMEOUT.toSeconds()
                + " s on port " + httpPort + "; last lines of " + log + ":\n" + tail(log, logOffset));
    }

    private static long appendRunHeader(Path log, int httpPort) {
        try {
            long offset = Files.exists(log) ? Files.size(log) : 0;
            Files.writeString(log, "---- " + Instant.now() + " starting Apicurio Registry on port " + httpPort
                    + System.lineSeparator(), StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return offset;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + log, e);
        }
    }

    /** The last lines the child wrote since {@code offset}. */
    static String tail(Path log, long offset) {
        try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(offset, file.length() - 64 * 1024);
            byte[] bytes = new byte[(int) (file.length() - start)];
            file.seek(start);
            file.readFully(bytes);
            List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e + ")";
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway; stopping twice is harmless
        }
    }

    private static void stop(Process process) {
        process.destroy();
        try {
            if (!process.waitFor(STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("Apicurio Registry (pid {}) ignored SIGTERM for {} ms; killing it", process.pid(),
                        STOP_GRACE_MILLIS);
                process.destroyForcibly().waitFor(STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** @return the Confluent-compatible API base URL, {@code http://127.0.0.1:<port>/apis/ccompat/v7} */
    public String url() {
        return "http://" + Ports.HOST + ":" + port + "/apis/ccompat/v7";
    }

    /** @return the HTTP port on 127.0.0.1 */
    public int port() {
        return port;
    }

    /** @return the current child's process id (a restarted child has a new one) */
    public long pid() {
        synchronized (lock) {
            return process.pid();
        }
    }

    /**
     * Stops supervising and stops the child: SIGTERM, up to 10 s to exit, then a forced kill. Calling it again
     * does nothing. Stop the registry before the broker it stores data in.
     */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        long started = System.nanoTime();
        shutdown();
        removeHook(shutdownHook);
        LOG.debug("Apicurio Registry on port {} stopped in {} ms", port, (System.nanoTime() - started) / 1_000_000);
    }
}
