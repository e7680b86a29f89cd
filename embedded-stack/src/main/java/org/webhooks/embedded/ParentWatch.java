package org.webhooks.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A Java agent loaded into the registry's JVM ({@code -javaagent}) that ends it when the process that started it
 * is gone. The parent keeps the write end of the child's standard input open and never writes to it; when the
 * parent dies, however it dies (SIGKILL included), the operating system closes that pipe and the agent reads end
 * of input. It then exits the JVM normally, so the registry's own shutdown runs, and halts it if that takes more
 * than {@link #SHUTDOWN_GRACE_MILLIS} ms.
 *
 * <p>This class runs in the registry's JVM, next to nothing of this project: it uses only {@code java.*}.
 */
public final class ParentWatch {

    /** How long the registry's own shutdown may take once the parent is gone, ms. */
    static final long SHUTDOWN_GRACE_MILLIS = 10_000;
    /** The agent jar's file name in the registry's work directory. */
    static final String JAR_NAME = "parent-watch.jar";

    private ParentWatch() {
    }

    /**
     * Agent entry point: starts a daemon thread that waits for the end of standard input.
     *
     * @param args ignored
     */
    public static void premain(String args) {
        Thread watcher = new Thread(ParentWatch::awaitEndOfInput, "parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void awaitEndOfInput() {
        InputStream in = System.in;
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // the parent never writes; whatever arrives is ignored
            }
        } catch (IOException e) {
            // a broken pipe means the same as its end: the parent is gone
        }
        System.err.println("parent process gone (standard input closed); stopping");
        Thread halt = new Thread(ParentWatch::haltAfterGrace, "parent-watch-halt");
        halt.setDaemon(true);
        halt.start();
        System.exit(0);
    }

    private static void haltAfterGrace() {
        try {
            Thread.sleep(SHUTDOWN_GRACE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(1);
    }

    /**
     * Writes the agent jar, {@code <dir>/parent-watch.jar}: this class and a manifest naming it as
     * {@code Premain-Class}. Replaces an earlier one atomically, so a registry starting at the same time never
     * reads half a jar.
     *
     * @param dir an existing directory
     * @return the jar
     * @throws UncheckedIOException when the class cannot be read or the jar not written
     */
    static Path writeAgentJar(Path dir) {
        Path jar = dir.resolve(JAR_NAME);
        String entry = ParentWatch.class.getName().replace('.', '/') + ".class";
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Premain-Class"), ParentWatch.class.getName());
        try (InputStream classBytes = ParentWatch.class.getClassLoader().getResourceAsStream(entry)) {
            if (classBytes == null) {
                throw new IOException(entry + " is not on the class path");
            }
            Path temp = Files.createTempFile(dir, JAR_NAME, ".tmp");
            try (OutputStream file = Files.newOutputStream(temp);
                 JarOutputStream out = new JarOutputStream(file, manifest)) {
                out.putNextEntry(new JarEntry(entry));
                classBytes.transferTo(out);
                out.closeEntry();
            }
            Files.move(temp, jar, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + jar, e);
        }
    }
}
