package org.webhooks.embedded;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point of the second process in lock tests: tries to take a data dir and exits 3 when refused with
 * {@link StackAlreadyRunningException}, 0 when it got it, 1 on any other failure.
 *
 * <p>Usage: {@code lock <dataDir>} or {@code stack <dataDir> <brokerPort> <controllerPort> <registryPort>}; or
 * {@code park <anything>}, which blocks until killed (a stand-in process whose command line says what it is); or
 * {@code hold <dataDir>}, which takes the lock, prints {@code HELD} and blocks until killed.
 */
public final class LockProbe {

    static final int REFUSED = 3;

    private LockProbe() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (args[0].equals("park")) {
            new CountDownLatch(1).await();
        }
        Path dataDir = Path.of(args[1]);
        try {
            if (args[0].equals("hold")) {
                StackLock.acquire(dataDir);
                System.out.println("HELD");
                System.out.flush();
                new CountDownLatch(1).await();
            } else if (args[0].equals("lock")) {
                StackLock.acquire(dataDir).close();
            } else {
                EmbeddedStack.start(dataDir, Integer.parseInt(args[2]), Integer.parseInt(args[3]),
                        Integer.parseInt(args[4])).close();
            }
            System.out.println("ACQUIRED");
            System.exit(0);
        } catch (StackAlreadyRunningException e) {
            System.out.println("REFUSED: " + e.getMessage());
            System.exit(REFUSED);
        } catch (Throwable e) {
            e.printStackTrace(System.out);
            System.exit(1);
        }
    }
}
