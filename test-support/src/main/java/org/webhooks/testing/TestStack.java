package org.webhooks.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.webhooks.embedded.Dirs;
import org.webhooks.embedded.EmbeddedStack;

/**
 * One embedded stack shared by all tests of a JVM (a Surefire fork): started on first use on free ports and a
 * fresh temporary data directory, stopped and deleted when the JVM exits. Starting it costs a few seconds once;
 * tests keep apart by using their own topic names, consumer groups and schema subjects.
 *
 * <p>The broker's threads are not daemons: test runners end the JVM with {@code System.exit} (Surefire does),
 * which runs the hook; a plain {@code main} using this class must do the same.
 */
public final class TestStack {

    private static EmbeddedStack shared;
    private static RuntimeException failure;

    private TestStack() {
    }

    /**
     * Returns the shared stack, starting it on the first call. Do not close it: a JVM shutdown hook does.
     *
     * @return the running shared stack
     * @throws IllegalStateException when it failed to start (on this or an earlier call; the cause says why)
     */
    public static synchronized EmbeddedStack shared() {
        if (shared != null) {
            return shared;
        }
        if (failure != null) {
            throw new IllegalStateException("the shared test stack failed to start earlier", failure);
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("webhooks-test-stack-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary data dir", e);
        }
        try {
            EmbeddedStack stack = EmbeddedStack.start(dir, 0, 0, 0);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    stack.close();
                } finally {
                    Dirs.deleteRecursively(dir);
                }
            }, "test-stack-shutdown"));
            shared = stack;
            return stack;
        } catch (RuntimeException e) {
            Dirs.deleteRecursively(dir);
            failure = e;
            throw e;
        }
    }
}
