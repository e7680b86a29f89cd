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
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Exclusive ownership of a data directory: an OS file lock on {@code <dataDir>/stack.lock}, which also holds the
 * owner's PID while it is held (the owner empties the file before it releases the lock). The OS releases the
 * lock when the owning process dies, however it dies, so a crashed stack never blocks the next one. Other
 * processes ask {@link #holder} whether a stack owns the directory, a stack that may still be starting.
 */
public final class StackLock implements AutoCloseable {

    private static final String FILE_NAME = "stack.lock";
    // Locks this JVM holds. Checked before opening the file: on Linux, closing any channel to a locked file
    // releases every lock this process has on it, so a refused second attempt must never open and close one.
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();
    private static final int ACQUIRE_ATTEMPTS = 5;
    private static final long ACQUIRE_RETRY_MILLIS = 20;

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
            // holder() in another process may hold a shared lock for an instant: look again before refusing
            for (int attempt = 1; lock == null && attempt < ACQUIRE_ATTEMPTS; attempt++) {
                TimeUnit.MILLISECONDS.sleep(ACQUIRE_RETRY_MILLIS);
                lock = channel.tryLock();
            }
            if (lock == null) {
                throw new StackAlreadyRunningException(dir, readHolder(channel));
            }
            byte[] pid = (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII);
            // written before the old content is cut, so that a reader never finds the file empty while it is held
            channel.write(ByteBuffer.wrap(pid), 0);
            channel.truncate(pid.length);
            channel.force(false);
            return new StackLock(file, channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            HELD.remove(file);
            throw new UncheckedIOException("cannot lock " + file, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(channel);
            HELD.remove(file);
            throw new IllegalStateException("interrupted while locking " + file, e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            HELD.remove(file);
            throw e;
        }
    }

    /**
     * Who holds the lock of a data directory, without taking it: the PID written in the file, when that process
     * is alive and the lock is in fact held (a PID left by a crashed owner may have been reused). Never creates
     * the directory or the file.
     *
     * @param dataDir a stack's data directory
     * @return the holder's PID (this process's when this JVM holds it), or empty when no process holds it
     */
    public static OptionalLong holder(Path dataDir) {
        Path file;
        try {
            file = dataDir.toRealPath().resolve(FILE_NAME);
        } catch (IOException noDirectory) {
            return OptionalLong.empty();
        }
        if (HELD.contains(file)) {
            return OptionalLong.of(ProcessHandle.current().pid());
        }
        long pid;
        try {
            // the first line only: an owner writes its PID over older content before cutting that off
            pid = Long.parseLong(Files.readString(file, StandardCharsets.US_ASCII).lines().findFirst().orElse("").trim());
        } catch (IOException | NumberFormatException noHolderNamed) {
            return OptionalLong.empty();
        }
        if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
            return OptionalLong.empty();
        }
        // A live process is named: ask the OS. A shared lock, taken for an instant only when the file names a
        // live process, so that it hardly ever meets an owner that is just taking the lock (see acquire).
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            FileLock probe = channel.tryLock(0, Long.MAX_VALUE, true);
            if (probe == null) {
                return OptionalLong.of(pid);
            }
            probe.release();
            return OptionalLong.empty();
        } catch (OverlappingFileLockException e) {
            return OptionalLong.of(pid);
        } catch (IOException e) {
            return OptionalLong.empty();
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
        String pid = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).lines().findFirst()
                .orElse("").trim();
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
            // emptied while still held: a file that names a live process then always means a held lock
            channel.truncate(0);
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release " + file, e);
        } finally {
            HELD.remove(file);
        }
    }
}
