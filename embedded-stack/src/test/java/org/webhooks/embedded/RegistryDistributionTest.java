package org.webhooks.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryDistributionTest {

    @TempDir
    Path dir;

    @AfterEach
    void clearProperties() {
        System.clearProperty(RegistryDistribution.DIST_PROPERTY);
        System.clearProperty(RegistryDistribution.CACHE_PROPERTY);
    }

    @Test
    void concurrentCallersUnpackOnceAndSeeACompleteDirectory() throws Exception {
        Path archive = dir.resolve("dist.tar.gz");
        writeArchive(archive);
        Path cache = dir.resolve("cache/apicurio");
        System.setProperty(RegistryDistribution.DIST_PROPERTY, archive.toString());
        System.setProperty(RegistryDistribution.CACHE_PROPERTY, cache.toString());

        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = pool.invokeAll(IntStream.range(0, 4)
                    .mapToObj(i -> (Callable<Path>) RegistryDistribution::runnerJar).toList());
            for (Future<Path> result : results) {
                Path jar = result.get();
                assertThat(jar).isEqualTo(cache.resolve(RegistryDistribution.RUNNER_JAR));
                assertThat(jar).hasContent("runner");
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(cache.resolve("lib/dep.jar")).hasContent("dep");
        try (Stream<Path> siblings = Files.list(cache.getParent())) {
            assertThat(siblings).containsExactly(cache); // no temp dirs left behind
        }
    }

    @Test
    void unpackedDirectoryIsUsedAsIs() throws Exception {
        Files.writeString(dir.resolve(RegistryDistribution.RUNNER_JAR), "runner");
        System.setProperty(RegistryDistribution.DIST_PROPERTY, dir.toString());
        assertThat(RegistryDistribution.runnerJar()).isEqualTo(dir.resolve(RegistryDistribution.RUNNER_JAR));
    }

    @Test
    void missingConfiguredDistributionIsReported() {
        System.setProperty(RegistryDistribution.DIST_PROPERTY, dir.resolve("nope.tar.gz").toString());
        assertThatThrownBy(RegistryDistribution::runnerJar)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("WEBHOOKS_REGISTRY_DIST")
                .hasMessageContaining("nope.tar.gz");
    }

    private static void writeArchive(Path archive) throws Exception {
        try (OutputStream file = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(file))) {
            addDirectory(tar, "lib/");
            addFile(tar, RegistryDistribution.RUNNER_JAR, "runner");
            addFile(tar, "lib/dep.jar", "dep");
        }
    }

    private static void addDirectory(TarArchiveOutputStream tar, String name) throws Exception {
        tar.putArchiveEntry(new TarArchiveEntry(name));
        tar.closeArchiveEntry();
    }

    private static void addFile(TarArchiveOutputStream tar, String name, String content) throws Exception {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setSize(bytes.length);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }
}
