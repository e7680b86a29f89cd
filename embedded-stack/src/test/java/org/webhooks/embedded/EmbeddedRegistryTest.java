package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Failure paths that need no broker; the happy path runs in {@link EmbeddedStackTest}. */
class EmbeddedRegistryTest {

    @TempDir
    Path dir;

    @AfterEach
    void clearProperties() {
        System.clearProperty(RegistryDistribution.DIST_PROPERTY);
    }

    @Test
    void childThatDiesAtStartIsReportedWithTheTailOfItsLog() throws Exception {
        Path dist = Files.createDirectories(dir.resolve("dist"));
        Files.writeString(dist.resolve(RegistryDistribution.RUNNER_JAR), "not a jar");
        System.setProperty(RegistryDistribution.DIST_PROPERTY, dist.toString());
        Path work = dir.resolve("work");

        assertThatThrownBy(() -> EmbeddedRegistry.start(work, "127.0.0.1:1", 0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Apicurio Registry exited with status")
                .hasMessageContaining("registry.log")
                .hasMessageContaining("Invalid or corrupt jarfile");
        assertThat(work.resolve("registry.pid")).doesNotExist();
        assertThat(work.resolve("registry.log")).exists();
    }

    @Test
    void takenFixedPortIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            assertThatThrownBy(() -> EmbeddedRegistry.start(dir, "127.0.0.1:1", port))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Apicurio Registry port " + port)
                    .hasMessageContaining("already in use");
        }
    }
}
