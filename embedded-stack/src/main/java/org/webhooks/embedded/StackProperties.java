package org.webhooks.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code <dataDir>/stack.properties}: where a running embedded stack can be reached, written by the process that
 * started it so that other commands connect to it instead of starting their own. Keys: {@code bootstrap.servers},
 * {@code registry.url}, {@code pid} and {@code started.at} (ISO-8601 instant).
 */
public final class StackProperties {

    /** The file name inside the data directory. */
    public static final String FILE_NAME = "stack.properties";

    private static final Logger LOG = LoggerFactory.getLogger(StackProperties.class);

    private final String bootstrapServers;
    private final String registryUrl;
    private final long pid;
    private final Instant startedAt;

    private StackProperties(String bootstrapServers, String registryUrl, long pid, Instant startedAt) {
        this.bootstrapServers = bootstrapServers;
        this.registryUrl = registryUrl;
        this.pid = pid;
        this.startedAt = startedAt;
    }

    /**
     * Writes the file for the current process, replacing any earlier one atomically (readers never see half a
     * file).
     *
     * @throws UncheckedIOException when the file cannot be written
     */
    public static void write(Path dataDir, String bootstrapServers, String registryUrl) {
        Properties p = new Properties();
        p.setProperty("bootstrap.servers", bootstrapServers);
        p.setProperty("registry.url", registryUrl);
        p.setProperty("pid", String.valueOf(ProcessHandle.current().pid()));
        p.setProperty("started.at", Instant.now().toString());
        store(dataDir, p);
    }

    /**
     * Adds {@code http.port}, the port of the HTTP server ({@code /health}, {@code /metrics}, the API and
     * the console) of the process that runs the stack, once it is bound: with {@code --http-port 0}
     * this file is where scripts find it.
     *
     * @param dataDir the data dir whose file the current process wrote
     * @param httpPort the bound port
     * @throws UncheckedIOException when the file cannot be read or written
     */
    public static void addHttpPort(Path dataDir, int httpPort) {
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(dataDir.resolve(FILE_NAME), StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dataDir.resolve(FILE_NAME), e);
        }
        p.setProperty("http.port", Integer.toString(httpPort));
        store(dataDir, p);
    }

    private static void store(Path dataDir, Properties p) {
        Path file = dataDir.resolve(FILE_NAME);
        Path temp = dataDir.resolve(FILE_NAME + ".tmp");
        try {
            Files.createDirectories(dataDir);
            try (Writer out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                p.store(out, "running embedded stack; deleted when it stops");
            }
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Reads the file of a running stack.
     *
     * @return the stack's addresses, or empty when there is no file, it cannot be parsed, or the process named
     *         in it is no longer alive (a stack that crashed leaves a stale file behind)
     */
    public static Optional<StackProperties> read(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
            String bootstrap = p.getProperty("bootstrap.servers");
            String registry = p.getProperty("registry.url");
            long pid = Long.parseLong(p.getProperty("pid", "").trim());
            Instant startedAt = Instant.parse(p.getProperty("started.at", "").trim());
            if (bootstrap == null || registry == null) {
                LOG.warn("ignoring {}: bootstrap.servers or registry.url missing", file);
                return Optional.empty();
            }
            boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
            return alive ? Optional.of(new StackProperties(bootstrap, registry, pid, startedAt)) : Optional.empty();
        } catch (IOException | NumberFormatException | DateTimeParseException e) {
            LOG.warn("ignoring unreadable {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    /**
     * Deletes the file if present.
     *
     * @throws UncheckedIOException when it exists but cannot be deleted
     */
    public static void delete(Path dataDir) {
        Path file = dataDir.resolve(FILE_NAME);
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file, e);
        }
    }

    /** @return Kafka bootstrap servers, e.g. {@code 127.0.0.1:9092} */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** @return the registry's Confluent-compatible base URL */
    public String registryUrl() {
        return registryUrl;
    }

    /** @return the PID of the process running the stack */
    public long pid() {
        return pid;
    }

    /** @return when the stack became ready */
    public Instant startedAt() {
        return startedAt;
    }

    @Override
    public String toString() {
        return "StackProperties[bootstrap.servers=" + bootstrapServers + ", registry.url=" + registryUrl
                + ", pid=" + pid + ", started.at=" + startedAt + "]";
    }
}
