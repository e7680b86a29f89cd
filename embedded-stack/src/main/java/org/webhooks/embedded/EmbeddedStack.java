package org.webhooks.embedded;

import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded infrastructure on one data directory: an in-process Kafka broker (logs in
 * {@code <dataDir>/kafka}) and an Apicurio Registry child process storing its schemas in that broker (work files
 * in {@code <dataDir>/registry}). While it runs it holds {@code <dataDir>/stack.lock} and publishes its addresses
 * in {@code <dataDir>/stack.properties}. Everything is kept across restarts on the same directory.
 */
public final class EmbeddedStack implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedStack.class);

    private final Path dataDir;
    private final StackLock lock;
    private final EmbeddedKafka kafka;
    private final EmbeddedRegistry registry;
    private boolean closed;

    private EmbeddedStack(Path dataDir, StackLock lock, EmbeddedKafka kafka, EmbeddedRegistry registry) {
        this.dataDir = dataDir;
        this.lock = lock;
        this.kafka = kafka;
        this.registry = registry;
    }

    /**
     * Starts broker and registry and returns once both are ready. The data directory is locked first, so a
     * second stack on the same directory is refused before it touches any port.
     *
     * @param dataDir        the stack's data directory (created if needed)
     * @param brokerPort     Kafka client port on 127.0.0.1, 0 for a free one
     * @param controllerPort Kafka controller port on 127.0.0.1, 0 for a free one
     * @param registryPort   registry HTTP port on 127.0.0.1, 0 for a free one
     * @return the running stack
     * @throws StackAlreadyRunningException when another stack holds {@code dataDir}
     * @throws IllegalStateException        when a fixed port is in use (the message names it) or the broker or
     *                                      registry fails to start; whatever had started is stopped again
     * @throws java.io.UncheckedIOException when the data directory cannot be written
     */
    public static EmbeddedStack start(Path dataDir, int brokerPort, int controllerPort, int registryPort) {
        return start(StackLock.acquire(dataDir.toAbsolutePath()), brokerPort, controllerPort, registryPort);
    }

    /**
     * Starts broker and registry on a data directory already locked, for a caller that locks it before it does
     * anything slow, so that commands started at the same time find it locked and wait (see {@link StackStatus}).
     *
     * @param lock           the held lock of the stack's data directory; the stack releases it when it closes,
     *                       or when this method fails
     * @param brokerPort     Kafka client port on 127.0.0.1, 0 for a free one
     * @param controllerPort Kafka controller port on 127.0.0.1, 0 for a free one
     * @param registryPort   registry HTTP port on 127.0.0.1, 0 for a free one
     * @return the running stack
     * @throws IllegalStateException        when a fixed port is in use (the message names it) or the broker or
     *                                      registry fails to start; whatever had started is stopped again
     * @throws java.io.UncheckedIOException when the data directory cannot be written
     */
    public static EmbeddedStack start(StackLock lock, int brokerPort, int controllerPort, int registryPort) {
        long started = System.nanoTime();
        Path dir = lock.file().getParent();
        EmbeddedKafka kafka = null;
        EmbeddedRegistry registry = null;
        try {
            kafka = EmbeddedKafka.start(dir.resolve("kafka"), brokerPort, controllerPort);
            registry = EmbeddedRegistry.start(dir.resolve("registry"), kafka.bootstrapServers(), registryPort);
            StackProperties.write(dir, kafka.bootstrapServers(), registry.url());
        } catch (RuntimeException e) {
            closeAll(registry, kafka, lock, e);
            throw e;
        }
        LOG.info("embedded stack ready: kafka={}, registry={} in {} ms", kafka.bootstrapServers(), registry.url(),
                (System.nanoTime() - started) / 1_000_000);
        return new EmbeddedStack(dir, lock, kafka, registry);
    }

    /** Closes in dependency order, registry before the broker it stores data in, lock last. */
    private static void closeAll(EmbeddedRegistry registry, EmbeddedKafka kafka, StackLock lock, RuntimeException failure) {
        for (AutoCloseable c : new AutoCloseable[] {registry, kafka, lock}) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (Exception e) {
                failure.addSuppressed(e);
            }
        }
    }

    /** @return Kafka bootstrap servers, {@code 127.0.0.1:<port>} */
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    /** @return the registry's Confluent-compatible base URL, {@code http://127.0.0.1:<port>/apis/ccompat/v7} */
    public String registryUrl() {
        return registry.url();
    }

    /** @return the absolute data directory */
    public Path dataDir() {
        return dataDir;
    }

    /** @return the broker, for its ports */
    public EmbeddedKafka kafka() {
        return kafka;
    }

    /** @return the registry, for its port and PID */
    public EmbeddedRegistry registry() {
        return registry;
    }

    /**
     * Stops the registry, then the broker, deletes {@code stack.properties} and releases the lock. Calling it
     * again does nothing.
     *
     * @throws IllegalStateException when a part failed to stop (the other parts are still stopped; their
     *                               failures are attached as suppressed exceptions)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        IllegalStateException failure = new IllegalStateException("embedded stack on " + dataDir
                + " did not stop cleanly");
        closeAll(registry, kafka, null, failure);
        try {
            StackProperties.delete(dataDir);
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
        closeAll(null, null, lock, failure);
        if (failure.getSuppressed().length > 0) {
            throw failure;
        }
    }
}
