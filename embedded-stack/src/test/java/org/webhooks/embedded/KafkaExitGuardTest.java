package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.kafka.common.utils.internals.Exit;
import org.junit.jupiter.api.Test;

class KafkaExitGuardTest {

    @Test
    void kafkaHaltAndExitThrowInsteadOfEndingTheJvm() {
        KafkaExitGuard.install();
        assertThatThrownBy(() -> Exit.halt(1, "fatal fault"))
                .isInstanceOf(KafkaExitGuard.KafkaExitAttempt.class)
                .hasMessageContaining("halt").hasMessageContaining("fatal fault");
        assertThatThrownBy(() -> Exit.exit(1))
                .isInstanceOf(KafkaExitGuard.KafkaExitAttempt.class)
                .hasMessageContaining("exit");
    }
}
