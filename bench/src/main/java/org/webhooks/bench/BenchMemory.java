package org.webhooks.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Peak resident memory of processes, read from Linux's {@code /proc/<pid>/status}, and this JVM's CPU time. */
final class BenchMemory {

  private BenchMemory() {}

  /**
   * @param pid a process id, or {@code "self"}
   * @return the process's peak resident set size ({@code VmHWM}) in MiB, or empty where
   *     {@code /proc} does not exist (not Linux) or the process is gone
   */
  static OptionalLong peakRssMb(String pid) {
    Path status = Path.of("/proc", pid, "status");
    try {
      for (String line : Files.readAllLines(status)) {
        // "VmHWM:    123456 kB"
        if (line.startsWith("VmHWM:")) {
          String kb = line.substring("VmHWM:".length()).trim().split("\\s+")[0];
          return OptionalLong.of(Long.parseLong(kb) / 1024);
        }
      }
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  /**
   * @return CPU time used so far by this JVM, all threads, user and system, in ns; -1 where the JVM
   *     cannot tell
   */
  static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }
}
