package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackPropertiesTest {

    @TempDir
    Path dir;

    @Test
    void writeReadDelete() throws Exception {
        assertThat(StackProperties.read(dir)).isEmpty();
        Instant before = Instant.now();
        StackProperties.write(dir, "127.0.0.1:19092", "http://127.0.0.1:18081/apis/ccompat/v7");

        StackProperties read = StackProperties.read(dir).orElseThrow();
        assertThat(read.bootstrapServers()).isEqualTo("127.0.0.1:19092");
        assertThat(read.registryUrl()).isEqualTo("http://127.0.0.1:18081/apis/ccompat/v7");
        assertThat(read.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(read.startedAt()).isAfterOrEqualTo(before.minusSeconds(1));

        // up adds its HTTP port once bound; the rest stays as it was
        StackProperties.addHttpPort(dir, 45873);
        assertThat(Files.readAllLines(dir.resolve(StackProperties.FILE_NAME))).contains("http.port=45873");
        assertThat(StackProperties.read(dir).orElseThrow().registryUrl()).isEqualTo(read.registryUrl());

        StackProperties.delete(dir);
        assertThat(dir.resolve(StackProperties.FILE_NAME)).doesNotExist();
        assertThat(StackProperties.read(dir)).isEmpty();
    }

    @Test
    void fileOfADeadProcessIsIgnored() throws Exception {
        Process finished = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-version").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        finished.waitFor();
        Files.writeString(dir.resolve(StackProperties.FILE_NAME), "bootstrap.servers=127.0.0.1:1\n"
                + "registry.url=http\\://127.0.0.1\\:2/apis/ccompat/v7\npid=" + finished.pid()
                + "\nstarted.at=2026-01-01T00:00:00Z\n");
        assertThat(StackProperties.read(dir)).isEmpty();
    }

    @Test
    void unreadableFileIsIgnored() throws Exception {
        Files.writeString(dir.resolve(StackProperties.FILE_NAME), "pid=not-a-number\n");
        assertThat(StackProperties.read(dir)).isEmpty();
    }
}
