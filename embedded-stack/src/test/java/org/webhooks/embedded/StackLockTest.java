package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackLockTest {

    @TempDir
    Path dir;

    @Test
    void secondAcquireInSameJvmIsRefusedAndReleaseAllowsAnother() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        try (StackLock lock = StackLock.acquire(dir)) {
            assertThat(lock.file()).hasFileName("stack.lock");
            assertThat(lock.file()).content().isEqualToIgnoringWhitespace(String.valueOf(ProcessHandle.current().pid()));
            assertThatThrownBy(() -> StackLock.acquire(dir))
                    .isInstanceOf(StackAlreadyRunningException.class)
                    .hasMessageContaining("another stack is already running on data dir")
                    .hasMessageContaining("pid " + ProcessHandle.current().pid());
            // Same directory under another spelling is the same lock.
            assertThatThrownBy(() -> StackLock.acquire(dir.resolve("sub/..")))
                    .isInstanceOf(StackAlreadyRunningException.class);
        }
        StackLock.acquire(dir).close();
    }

    @Test
    void anotherProcessIsRefusedWhileHeldAndSucceedsAfterRelease() throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        try (StackLock lock = StackLock.acquire(dir)) {
            // A refused attempt in this JVM must not release the OS lock (closing a channel can do that).
            assertThatThrownBy(() -> StackLock.acquire(dir)).isInstanceOf(StackAlreadyRunningException.class);

            ChildProcess.Result refused = ChildProcess.runLockProbe(dir.resolve("sub"), "lock", dir.toString());
            assertThat(refused.exitCode()).as(refused.output()).isEqualTo(LockProbe.REFUSED);
            assertThat(refused.output())
                    .contains("another stack is already running on data dir " + dir.toRealPath())
                    .contains("(pid " + ProcessHandle.current().pid() + ")")
                    .contains("stop it first or use another --data-dir");
        }
        ChildProcess.Result acquired = ChildProcess.runLockProbe(dir.resolve("sub"), "lock", dir.toString());
        assertThat(acquired.exitCode()).as(acquired.output()).isZero();
    }
}
