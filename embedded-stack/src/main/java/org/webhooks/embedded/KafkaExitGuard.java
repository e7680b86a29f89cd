package org.webhooks.embedded;

import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops an in-process Kafka broker from ending the whole JVM.
 *
 * <p>On fatal errors (port taken, out of memory at start, a failed controller) Kafka calls {@code Exit.halt} or
 * {@code Exit.exit}, which by default end the process: in an embedding application or a test fork that is the
 * application itself. The procedures installed here throw instead, so the error surfaces as an exception in
 * the Kafka thread that hit it, and start-up failures reach {@link EmbeddedKafka#start}.
 */
final class KafkaExitGuard {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaExitGuard.class);
    private static boolean installed;

    private KafkaExitGuard() {
    }

    /** Thrown in place of Kafka ending the JVM. */
    static final class KafkaExitAttempt extends RuntimeException {
        KafkaExitAttempt(String kind, int status, String message) {
            super("embedded Kafka tried to " + kind + " the JVM with status " + status
                    + (message == null ? "" : ": " + message));
        }
    }

    /** Installs the throwing procedures once per JVM; later calls do nothing. */
    static synchronized void install() {
        if (installed) {
            return;
        }
        Exit.setHaltProcedure((status, message) -> {
            LOG.error("embedded Kafka requested halt({}) ({}); the JVM keeps running", status, message);
            throw new KafkaExitAttempt("halt", status, message);
        });
        Exit.setExitProcedure((status, message) -> {
            LOG.error("embedded Kafka requested exit({}) ({}); the JVM keeps running", status, message);
            throw new KafkaExitAttempt("exit", status, message);
        });
        installed = true;
    }
}
