package org.webhooks.embedded;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What runs on a data directory, told by its lock and its {@code stack.properties}: a stack holds
 * {@code stack.lock} from the moment it starts and writes {@code stack.properties} once broker and registry are
 * ready. A {@code stack.properties} without a held lock, or written by another process than the holder, is what
 * a stopped or crashed stack left behind and is never used.
 */
public sealed interface StackStatus {

    /**
     * A stack is ready.
     *
     * @param properties its addresses, written by the process that holds the lock
     */
    record Running(StackProperties properties) implements StackStatus {
    }

    /**
     * A stack holds the data directory but is not ready yet (or is stopping).
     *
     * @param pid the process that holds the lock
     */
    record Starting(long pid) implements StackStatus {
    }

    /** No process holds the data directory. */
    record Stopped() implements StackStatus {
    }

    /**
     * Looks once, without waiting and without taking the lock.
     *
     * @param dataDir a stack's data directory (it need not exist)
     * @return what runs there now
     */
    static StackStatus of(Path dataDir) {
        OptionalLong holder = StackLock.holder(dataDir);
        if (holder.isEmpty()) {
            return new Stopped();
        }
        Optional<StackProperties> properties = StackProperties.read(dataDir);
        if (properties.isPresent() && properties.get().pid() == holder.getAsLong()) {
            return new Running(properties.get());
        }
        return new Starting(holder.getAsLong());
    }
}
