package org.webhooks.launcher;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.TestInfo;
import org.webhooks.embedded.Dirs;

/**
 * Where a process test writes the output of the processes it starts:
 * {@code target/process-logs/<test class>/<test method>}, one directory per test, emptied when the
 * test starts and kept after it. A failure can then be read in the processes' own words (a temporary
 * directory would be gone with them), and tests running at the same time never share a file.
 */
final class ProcessLogs {

  private ProcessLogs() {}

  /**
   * @return the test's own log directory, empty, as an absolute path (also printed, to be found)
   * @throws IOException when it cannot be created
   */
  static Path of(TestInfo test) throws IOException {
    Path dir = Path.of("target", "process-logs", test.getTestClass().orElseThrow().getSimpleName(),
        test.getTestMethod().orElseThrow().getName()).toAbsolutePath();
    Dirs.deleteRecursively(dir);
    Files.createDirectories(dir);
    System.out.println("process logs of " + test.getDisplayName() + ": " + dir);
    return dir;
  }
}
