package org.webhooks.embedded;

import java.nio.file.Path;

/** Thrown when a data directory is already in use by a running stack, in this process or another one. */
public class StackAlreadyRunningException extends RuntimeException {

    private final Path dataDir;
    private final String holderPid;

    /**
     * @param dataDir   the contested data directory
     * @param holderPid the PID of the process holding it, or {@code "unknown"}
     */
    public StackAlreadyRunningException(Path dataDir, String holderPid) {
        super("another stack is already running on data dir " + dataDir + " (pid " + holderPid
                + "); stop it first or use another --data-dir");
        this.dataDir = dataDir;
        this.holderPid = holderPid;
    }

    /** @return the contested data directory */
    public Path dataDir() {
        return dataDir;
    }

    /** @return the PID of the holder as written in its lock file, or {@code "unknown"} */
    public String holderPid() {
        return holderPid;
    }
}
