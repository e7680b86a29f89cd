package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryPidFileTest {

    @TempDir
    Path dir;

    @Test
    void orphanedRegistryIsEnded() throws Exception {
        Process orphan = ChildProcess.startTaggedLockProbe(dir.resolve("orphan.log"),
                "-Dfake=" + RegistryDistribution.RUNNER_JAR, "park");
        try {
            RegistryPidFile pidFile = new RegistryPidFile(dir);
            pidFile.write(orphan.pid());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> orphan.info().commandLine().orElse("").contains(RegistryDistribution.RUNNER_JAR));

            pidFile.killOrphan(5_000);

            assertThat(orphan.isAlive()).isFalse();
            assertThat(dir.resolve("registry.pid")).doesNotExist();
        } finally {
            orphan.destroyForcibly();
        }
    }

    @Test
    void unrelatedProcessWithReusedPidIsLeftAlone() throws Exception {
        Process unrelated = ChildProcess.startTaggedLockProbe(dir.resolve("unrelated.log"), "-Dfake=something-else",
                "park");
        try {
            RegistryPidFile pidFile = new RegistryPidFile(dir);
            pidFile.write(unrelated.pid());

            pidFile.killOrphan(5_000);

            assertThat(unrelated.isAlive()).isTrue();
            assertThat(dir.resolve("registry.pid")).doesNotExist();
        } finally {
            unrelated.destroyForcibly();
        }
    }

    @Test
    void garbageInPidFileIsIgnored() throws Exception {
        Files.writeString(dir.resolve("registry.pid"), "not a pid");
        new RegistryPidFile(dir).killOrphan(1_000);
        assertThat(dir.resolve("registry.pid")).doesNotExist();
    }
}
