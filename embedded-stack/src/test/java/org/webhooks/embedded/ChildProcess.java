package org.webhooks.embedded;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Runs {@link LockProbe} in a second JVM on this test class path. */
final class ChildProcess {

    record Result(int exitCode, String output) {
    }

    private ChildProcess() {
    }

    static Result runLockProbe(Path workDir, String... args) throws IOException {
        Path output = Files.createTempFile(workDir, "probe-", ".log");
        Process process = startLockProbe(output, args);
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> !process.isAlive());
        } finally {
            process.destroyForcibly();
        }
        return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    static Process startLockProbe(Path output, String... args) throws IOException {
        return startTaggedLockProbe(output, "-Dprobe", args);
    }

    /**
     * @param tag a JVM option placed before the (long) class path: the JDK reports only the first 4096
     *            characters of another process's command line
     */
    static Process startTaggedLockProbe(Path output, String tag, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                tag, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                LockProbe.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
    }
}
