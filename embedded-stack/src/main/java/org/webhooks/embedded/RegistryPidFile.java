package org.webhooks.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry child's PID, kept in {@code <workDir>/registry.pid} so that a child orphaned by a parent that
 * died without closing it (SIGKILL, crash) is ended by the next start on the same directory.
 */
final class RegistryPidFile {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryPidFile.class);
    private static final String RUNNER_MARKER = "apicurio-registry-app";

    private final Path file;

    RegistryPidFile(Path workDir) {
        this.file = workDir.resolve("registry.pid");
    }

    void write(long pid) {
        try {
            Files.writeString(file, pid + System.lineSeparator());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.debug("cannot delete {}", file, e);
        }
    }

    /**
     * Ends the process named in the file when it is alive and is an Apicurio runner; a PID reused by some
     * unrelated process is left alone. Waits up to {@code graceMillis} ms after SIGTERM before killing.
     */
    void killOrphan(long graceMillis) {
        Optional<ProcessHandle> orphan = readPid().flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive)
                .filter(h -> h.info().commandLine().map(c -> c.contains(RUNNER_MARKER)).orElse(false));
        if (orphan.isEmpty()) {
            delete();
            return;
        }
        ProcessHandle handle = orphan.get();
        LOG.warn("ending orphaned Apicurio Registry process {} left by an earlier run", handle.pid());
        handle.destroy();
        try {
            handle.onExit().get(graceMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while ending orphaned registry " + handle.pid(), e);
        } catch (Exception e) {
            handle.destroyForcibly();
            handle.onExit().join();
        }
        delete();
    }

    private Optional<Long> readPid() {
        try {
            return Files.isRegularFile(file) ? Optional.of(Long.parseLong(Files.readString(file).trim()))
                    : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            LOG.debug("ignoring unreadable {}", file, e);
            return Optional.empty();
        }
    }
}
