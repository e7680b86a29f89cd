package org.webhooks.embedded;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node KRaft Kafka broker (combined broker and controller) running in this JVM.
 *
 * <p>Its data lives in a log directory that is formatted on first use and reused afterwards, so closing and
 * starting again on the same directory keeps every topic, record and committed offset. All listeners bind
 * 127.0.0.1. Starting one installs, once per JVM, Kafka exit procedures that throw instead of ending the JVM.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);
    private static final int NODE_ID = 1;
    private static final int ATTEMPTS_ON_FREE_PORTS = 4;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";

    private final KafkaRaftServer server;
    private final int brokerPort;
    private final int controllerPort;
    private boolean closed;

    private EmbeddedKafka(KafkaRaftServer server, int brokerPort, int controllerPort) {
        this.server = server;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
    }

    /**
     * Starts a broker and returns once clients can connect to it.
     *
     * <p>Formats {@code logDir} (creating it if needed) when it holds no {@code meta.properties}; otherwise
     * reuses it with all its data. A port of 0 picks a free port; when both ports are 0 and a picked port is
     * taken before the broker binds it, start-up is retried on fresh ports a few times.
     *
     * @param logDir         the broker's data directory (metadata log and topic logs)
     * @param brokerPort     client listener port on 127.0.0.1, or 0 for a free one
     * @param controllerPort KRaft controller listener port on 127.0.0.1, or 0 for a free one
     * @return the running broker
     * @throws IllegalStateException when a fixed port is already in use (the message names the port), when
     *                               free ports kept clashing, or when the broker fails to start for another
     *                               reason (the cause is attached)
     * @throws UncheckedIOException  when the log directory cannot be created or formatted
     */
    public static EmbeddedKafka start(Path logDir, int brokerPort, int controllerPort) {
        KafkaExitGuard.install();
        Path dir = logDir.toAbsolutePath();
        if (brokerPort != 0) {
            Ports.requireFree(brokerPort, "Kafka broker");
        }
        if (controllerPort != 0) {
            Ports.requireFree(controllerPort, "Kafka controller");
        }
        boolean retryable = brokerPort == 0 || controllerPort == 0;
        int attempts = retryable ? ATTEMPTS_ON_FREE_PORTS : 1;
        RuntimeException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            int bport = Ports.resolve(brokerPort);
            int cport = Ports.resolve(controllerPort);
            while (cport == bport) {
                cport = Ports.pickFree();
            }
            try {
                return startOnce(dir, bport, cport);
            } catch (RuntimeException e) {
                int taken = takenPort(e, bport, cport);
                if (taken < 0) {
                    throw new IllegalStateException("embedded Kafka broker failed to start on " + dir + ": " + e, e);
                }
                String what = taken == bport ? "Kafka broker" : "Kafka controller";
                if (!retryable || (taken == bport ? brokerPort : controllerPort) != 0) {
                    throw Ports.portTaken(taken, what, e);
                }
                LOG.warn("{} port {} was taken while starting (attempt {} of {}); retrying on fresh ports",
                        what, taken, attempt, attempts);
                last = e;
            }
        }
        throw new IllegalStateException("embedded Kafka broker could not bind free ports after " + attempts
                + " attempts", last);
    }

    /**
     * Finds which port made start-up fail, or -1 when the failure was not a bind clash. A clash on the
     * controller listener reaches us as a halt attempt without its cause, so the ports are probed as well.
     */
    private static int takenPort(RuntimeException error, int bport, int cport) {
        boolean bindError = Ports.isBindFailure(error);
        if (!bindError && !(error instanceof KafkaExitGuard.KafkaExitAttempt)) {
            return -1;
        }
        if (!Ports.isFree(bport)) {
            return bport;
        }
        if (!Ports.isFree(cport)) {
            return cport;
        }
        return bindError ? bport : -1;
    }

    private static EmbeddedKafka startOnce(Path dir, int bport, int cport) {
        long started = System.nanoTime();
        boolean formatted = formatIfNeeded(dir);
        KafkaConfig config = new KafkaConfig(brokerConfig(dir, bport, cport), false);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            stopQuietly(server);
            throw e;
        }
        LOG.debug("Kafka broker started on {}:{} (controller {}) in {} ms{}", Ports.HOST, bport, cport,
                (System.nanoTime() - started) / 1_000_000, formatted ? ", log dir formatted" : "");
        return new EmbeddedKafka(server, bport, cport);
    }

    private static boolean formatIfNeeded(Path dir) {
        if (Files.exists(dir.resolve("meta.properties"))) {
            return false;
        }
        try {
            Files.createDirectories(dir);
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(List.of(dir.toString()))
                    .setMetadataLogDirectory(dir.toString())
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .run();
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Kafka log dir " + dir, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot format Kafka log dir " + dir + ": " + e.getMessage(), e);
        }
    }

    private static Properties brokerConfig(Path dir, int bport, int cport) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + Ports.HOST + ":" + cport);
        p.put("listeners", "PLAINTEXT://" + Ports.HOST + ":" + bport + "," + CONTROLLER_LISTENER + "://"
                + Ports.HOST + ":" + cport);
        p.put("advertised.listeners", "PLAINTEXT://" + Ports.HOST + ":" + bport);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        // Kafka's defaults assume three brokers: internal topics would never get an ISR and consumers would
        // silently receive nothing.
        p.put("offsets.topic.replication.factor", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.streams.initial.rebalance.delay.ms", "0");
        // The cleaner's default 128 MiB dedupe buffer is heap taken from the embedding application.
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(2 * 1024 * 1024));
        // Topics are created on purpose, with their partition counts and cleanup policies.
        p.put("auto.create.topics.enable", "false");
        p.put("num.partitions", "1");
        return p;
    }

    private static void stopQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.debug("error while stopping a broker that failed to start", e);
        }
    }

    /** @return the client bootstrap address, {@code 127.0.0.1:<broker port>} */
    public String bootstrapServers() {
        return Ports.HOST + ":" + brokerPort;
    }

    /** @return the port of the client (PLAINTEXT) listener */
    public int brokerPort() {
        return brokerPort;
    }

    /** @return the port of the KRaft controller listener */
    public int controllerPort() {
        return controllerPort;
    }

    /**
     * Shuts the broker down and waits until it has stopped and released its log directory. Calling it again
     * does nothing.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        long started = System.nanoTime();
        server.shutdown();
        server.awaitShutdown();
        LOG.debug("Kafka broker on port {} stopped in {} ms", brokerPort, (System.nanoTime() - started) / 1_000_000);
    }
}
