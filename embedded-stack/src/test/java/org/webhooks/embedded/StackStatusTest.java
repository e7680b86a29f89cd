package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What other commands see of a data dir: stopped, starting (locked, not ready) or running. */
class StackStatusTest {

    private static final long SELF = ProcessHandle.current().pid();

    @TempDir
    Path dir;

    @Test
    void aDirectoryNobodyHoldsIsStoppedEvenWithTheFilesAStackLeftBehind() throws Exception {
        assertThat(StackStatus.of(dir.resolve("missing"))).isEqualTo(new StackStatus.Stopped());
        // What a killed stack leaves: its PID in the lock file and its stack.properties. The PID here is of a
        // live process (this one), as after a reuse: only the OS lock says that nobody holds the directory.
        Files.writeString(dir.resolve("stack.lock"), SELF + "\n");
        StackProperties.write(dir, "127.0.0.1:1", "http://127.0.0.1:2/apis/ccompat/v7");

        assertThat(StackLock.holder(dir)).isEmpty();
        assertThat(StackStatus.of(dir)).isEqualTo(new StackStatus.Stopped());
    }

    @Test
    void aHeldDirectoryIsStartingUntilItsHolderWritesStackProperties() throws Exception {
        Files.writeString(dir.resolve("stack.lock"), "123456789\n");
        try (StackLock lock = StackLock.acquire(dir)) {
            assertThat(lock.file()).content().isEqualTo(SELF + "\n");
            assertThat(StackLock.holder(dir)).hasValue(SELF);
            assertThat(StackStatus.of(dir)).isEqualTo(new StackStatus.Starting(SELF));

            StackProperties.write(dir, "127.0.0.1:1", "http://127.0.0.1:2/apis/ccompat/v7");
            StackStatus running = StackStatus.of(dir);
            assertThat(running).isInstanceOf(StackStatus.Running.class);
            assertThat(((StackStatus.Running) running).properties().bootstrapServers()).isEqualTo("127.0.0.1:1");
        }
        // released: the file names nobody, and the stack.properties left behind is not used
        assertThat(dir.resolve("stack.lock")).isEmptyFile();
        assertThat(StackStatus.of(dir)).isEqualTo(new StackStatus.Stopped());
    }

    @Test
    void anotherProcessHoldingTheLockIsNamedAndAskingDoesNotTakeItAway() throws Exception {
        Path output = dir.resolve("holder.log");
        Path dataDir = Files.createDirectories(dir.resolve("data"));
        Process holder = ChildProcess.startLockProbe(output, "hold", dataDir.toString());
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> Files.readString(output, StandardCharsets.UTF_8).contains("HELD"));
            for (int i = 0; i < 20; i++) {
                assertThat(StackLock.holder(dataDir)).hasValue(holder.pid());
            }
            assertThat(StackStatus.of(dataDir)).isEqualTo(new StackStatus.Starting(holder.pid()));
            assertThatThrownBy(() -> StackLock.acquire(dataDir))
                    .isInstanceOf(StackAlreadyRunningException.class)
                    .hasMessageContaining("pid " + holder.pid());
            assertThat(StackLock.holder(dataDir)).hasValue(holder.pid());
        } finally {
            holder.destroyForcibly().waitFor();
        }
        // killed with the lock held: the OS released it, the file still names the dead process
        assertThat(dataDir.resolve("stack.lock")).content().contains(String.valueOf(holder.pid()));
        assertThat(StackLock.holder(dataDir)).isEmpty();
        assertThat(StackStatus.of(dataDir)).isEqualTo(new StackStatus.Stopped());
    }
}
