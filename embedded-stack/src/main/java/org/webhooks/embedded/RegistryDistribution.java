package org.webhooks.embedded;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the Apicurio Registry distribution and unpacks it once into a cache directory.
 *
 * <p>Looked for, in order: system property {@value #DIST_PROPERTY} or environment variable {@value #DIST_ENV}
 * (a {@code .tar.gz} or a directory holding the runner jar); then the local Maven repository
 * ({@code maven.repo.local} or {@code ~/.m2/repository}), where building this module puts it. The unpacked
 * copy goes to system property {@value #CACHE_PROPERTY}, environment variable {@value #CACHE_ENV}, or
 * {@code ~/.cache/webhooks/apicurio-registry-3.0.9} ({@code $XDG_CACHE_HOME} respected).
 */
final class RegistryDistribution {

    static final String VERSION = "3.0.9";
    static final String RUNNER_JAR = "apicurio-registry-app-" + VERSION + "-runner.jar";
    static final String DIST_PROPERTY = "webhooks.registry.dist";
    static final String DIST_ENV = "WEBHOOKS_REGISTRY_DIST";
    static final String CACHE_PROPERTY = "webhooks.registry.cache";
    static final String CACHE_ENV = "WEBHOOKS_REGISTRY_CACHE";

    private static final Logger LOG = LoggerFactory.getLogger(RegistryDistribution.class);
    private static final String ARCHIVE = "apicurio-registry-app-" + VERSION + "-all.tar.gz";

    private RegistryDistribution() {
    }

    /**
     * Returns the runner jar of an unpacked distribution, unpacking the archive first if needed.
     *
     * @throws IllegalStateException when no distribution is found (the message says how to get one) or a
     *                               configured path holds none
     * @throws UncheckedIOException  when unpacking fails
     */
    static Path runnerJar() {
        String configured = setting(DIST_PROPERTY, DIST_ENV);
        if (configured != null) {
            Path path = Path.of(configured).toAbsolutePath();
            if (Files.isDirectory(path)) {
                Path jar = path.resolve(RUNNER_JAR);
                if (!Files.isRegularFile(jar)) {
                    throw new IllegalStateException(DIST_ENV + " / -D" + DIST_PROPERTY + " names directory " + path
                            + ", which has no " + RUNNER_JAR);
                }
                return jar;
            }
            if (!Files.isRegularFile(path)) {
                throw new IllegalStateException(DIST_ENV + " / -D" + DIST_PROPERTY + " names " + path
                        + ", which does not exist");
            }
            return unpacked(path);
        }
        Path archive = localMavenRepository().resolve("io/apicurio/apicurio-registry-app/" + VERSION + "/" + ARCHIVE);
        if (Files.isRegularFile(archive)) {
            return unpacked(archive);
        }
        Path cached = cacheDir().resolve(RUNNER_JAR);
        if (Files.isRegularFile(cached)) {
            return cached;
        }
        throw new IllegalStateException("Apicurio Registry " + VERSION + " distribution not found (looked for "
                + archive + "). Get it with `mvn -pl embedded-stack generate-resources` (every build of the"
                + " embedded-stack module downloads it) or `mvn dependency:get -Dtransitive=false"
                + " -Dartifact=io.apicurio:apicurio-registry-app:" + VERSION + ":tar.gz:all`, or set " + DIST_ENV
                + " to an apicurio-registry-app-" + VERSION + "-all.tar.gz or a directory holding " + RUNNER_JAR);
    }

    private static Path unpacked(Path archive) {
        Path target = cacheDir();
        Path jar = target.resolve(RUNNER_JAR);
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        long started = System.nanoTime();
        // Unpack beside the target and rename it into place, so a concurrent process sees either nothing or a
        // complete directory; whoever renames second throws its copy away.
        Path temp = target.resolveSibling(target.getFileName() + ".tmp-" + UUID.randomUUID());
        try {
            Files.createDirectories(temp);
            extract(archive, temp);
            if (!Files.isRegularFile(temp.resolve(RUNNER_JAR))) {
                throw new IllegalStateException(archive + " holds no " + RUNNER_JAR);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                LOG.info("unpacked Apicurio Registry {} into {} in {} ms", VERSION, target,
                        (System.nanoTime() - started) / 1_000_000);
            } catch (IOException e) {
                // Typically "directory not empty": another process renamed its copy into place first.
                if (!Files.isRegularFile(jar)) {
                    throw new IOException("cannot move unpacked registry into " + target
                            + "; delete that directory and try again", e);
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + archive + " into " + target, e);
        } finally {
            Dirs.deleteRecursively(temp);
        }
    }

    private static void extract(Path archive, Path into) throws IOException {
        try (InputStream file = Files.newInputStream(archive);
             TarArchiveInputStream tar = new TarArchiveInputStream(
                     new GzipCompressorInputStream(new BufferedInputStream(file, 1 << 16)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                Path out = into.resolve(entry.getName()).normalize();
                if (!out.startsWith(into)) {
                    throw new IOException("archive entry escapes the target directory: " + entry.getName());
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(out);
                } else if (entry.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out);
                }
            }
        }
    }

    static Path cacheDir() {
        String configured = setting(CACHE_PROPERTY, CACHE_ENV);
        if (configured != null) {
            return Path.of(configured).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("webhooks").resolve("apicurio-registry-" + VERSION).toAbsolutePath();
    }

    private static Path localMavenRepository() {
        String configured = System.getProperty("maven.repo.local");
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured);
        }
        return Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    private static String setting(String property, String env) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value;
    }
}
