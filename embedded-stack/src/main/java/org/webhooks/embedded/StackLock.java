package org.webhooks.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Exclusive ownership of a data directory: an OS file lock on {@code <dataDir>/stack.lock}, which also holds the
 * owner's PID. The OS releases the lock when the owning process dies, however it dies, so a crashed stack never
 * blocks the next one.
 */
public final class StackLock implements AutoCloseable {

    private static final String FILE_NAME = "stack.lock";
    // Locks this JVM holds. Checked before opening the file: on Linux, closing any channel to a locked file
    // releases every lock this process has on it, so a refused second attempt must never open and close one.
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private StackLock(Path file, FileChannel channel, FileLock lock) {
        this.file = file;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock without waiting, creating {@code dataDir} if needed.
     *
     * @param dataDir the stack's data directory
     * @return the held lock; close it to release
     * @throws StackAlreadyRunningException when this or another process holds the lock (the message names the
     *                                      directory and the holder's PID)
     * @throws UncheckedIOException         when the directory or lock file cannot be created or written
     */
    public static StackLock acquire(Path dataDir) {
        Path dir = realDir(dataDir);
        Path file = dir.resolve(FILE_NAME);
        if (!HELD.add(file)) {
            throw new StackAlreadyRunningException(dir, String.valueOf(ProcessHandle.current().pid()));
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new StackAlreadyRunningException(dir, String.valueOf(ProcessHandle.current().pid()));
            }
            if (lock == null) {
                throw new StackAlreadyRunningException(dir, readHolder(channel));
            }
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.force(false);
            return new StackLock(file, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            HELD.remove(file);
            throw new UncheckedIOException("cannot lock " + file, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            HELD.remove(file);
            throw e;
        }
    }

    private static Path realDir(Path dataDir) {
        try {
            Files.createDirectories(dataDir);
            return dataDir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data dir " + dataDir, e);
        }
    }

    private static String readHolder(FileChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(32);
        channel.read(buffer, 0);
        String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).trim();
        return pid.isEmpty() ? "unknown" : pid;
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing was locked through this channel
            }
        }
    }

    /** @return the lock file, {@code <dataDir>/stack.lock} */
    public Path file() {
        return file;
    }

    /**
     * Releases the lock. The file stays (deleting it would let two processes lock two different files).
     * Calling it again does nothing.
     *
     * @throws UncheckedIOException when releasing fails
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release " + file, e);
        } finally {
            HELD.remove(file);
        }
    }
}
