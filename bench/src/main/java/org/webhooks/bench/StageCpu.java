package org.webhooks.bench;

import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * CPU time of each stage of the pipeline over a span of a bench run: the CPU time of every live
 * thread of this JVM ({@link ThreadMXBean#getThreadCpuTime}, user and system, ns), summed by the
 * group its name puts it in; the rest of the process's CPU time (garbage collection and compilation,
 * which run outside Java threads); and the registry child's CPU time, read from
 * {@code /proc/<pid>/stat}. Also the time the loops' owner threads spent blocked on a monitor or
 * waiting (parked: a commit waiting for the broker, a send waiting for buffer room), from thread
 * contention monitoring.
 *
 * <p>Thread CPU time of a thread that ended within the span is lost; the services' threads live as
 * long as the services, so only short-lived helpers are missed. Grouping is by thread name:
 * {@link Stage} says which names belong where.
 */
final class StageCpu {

  /** The stages of a bench run, in pipeline order; each is a group of threads. */
  enum Stage {
    /** {@code main}, which publishes, and the publisher's Kafka client thread ({@code event-producer}). */
    PUBLISHER("publisher"),
    /** The embedded broker (request handlers, network, log, controller and coordinator threads). */
    BROKER("broker"),
    /** The fanout's Kafka Streams threads (stream threads, global thread). */
    FANOUT("fanout_stream_threads"),
    /** The fanout's Kafka client threads (producer network threads, heartbeats, admin). */
    FANOUT_CLIENTS("fanout_clients"),
    /** The worker's owner threads ({@code delivery-worker}, {@code delivery-worker-N}). */
    WORKER_OWNER("worker_owner"),
    /** The worker's Kafka client threads. */
    WORKER_CLIENTS("worker_clients"),
    /** Vert.x event loops that are not the receiver's: the worker's HTTP client. */
    EVENT_LOOPS("worker_event_loops"),
    /** Vert.x worker threads (blocking work: name resolution). */
    BLOCKING("worker_blocking_pool"),
    /** The retry scheduler's owner and Kafka client threads. */
    SCHEDULER("scheduler"),
    /** Delivery statistics: its stream threads and their Kafka clients. */
    STATS("stats"),
    /** The processes' copies of compacted topics (the worker's, delivery-stats' and the control plane's). */
    VIEWS("views"),
    /** The bench receiver's event loops. */
    RECEIVER("receiver"),
    /** Garbage collection, compilation and other work outside Java threads of this JVM. */
    JVM("jvm_gc_jit"),
    /** The registry child process. */
    REGISTRY("registry");

    final String key;

    Stage(String key) {
      this.key = key;
    }
  }

  /**
   * CPU by stage over a span, ns; the owner threads' blocked and waiting time, ms; and the CPU time
   * the machine spent on other processes meanwhile, ns (from {@code /proc/stat}; -1 when unknown).
   */
  record Span(Map<Stage, Long> cpuNanos, long ownerBlockedMs, long ownerWaitedMs, List<String> topThreads,
      long otherProcessesNanos, long wallNanos, long gcMs, long jitMs) {

    long totalNanos() {
      return cpuNanos.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** A snapshot to subtract from a later one. */
  private record Snapshot(Map<Long, Long> threadCpu, Map<Long, String> names, long processCpu, long registryCpu,
      long ownerBlockedMs, long ownerWaitedMs, long machineBusy, long wallNanos, long gcMs, long jitMs) {}

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  /** Linux's USER_HZ: /proc times are in ticks of 1/100 s on every mainstream kernel build. */
  private static final long NANOS_PER_TICK = 10_000_000L;

  private final Set<Long> receiverThreads;
  private final long registryPid;
  private Snapshot start;

  /**
   * @param receiverThreads ids of the receiver's threads, filled as it handles requests
   * @param registryPid the registry child's pid, or -1
   */
  StageCpu(Set<Long> receiverThreads, long registryPid) {
    this.receiverThreads = receiverThreads;
    this.registryPid = registryPid;
    if (THREADS.isThreadContentionMonitoringSupported()) {
      THREADS.setThreadContentionMonitoringEnabled(true);
    }
  }

  /** Starts the span. */
  void start() {
    start = snapshot();
  }

  /** @return the CPU by stage since {@link #start()} */
  Span stop() {
    Snapshot end = snapshot();
    Map<Stage, Long> cpu = new EnumMap<>(Stage.class);
    for (Stage s : Stage.values()) {
      cpu.put(s, 0L);
    }
    long threadsTotal = 0;
    Map<String, Long> byName = new HashMap<>();
    for (Map.Entry<Long, Long> e : end.threadCpu().entrySet()) {
      long delta = e.getValue() - start.threadCpu().getOrDefault(e.getKey(), 0L);
      if (delta <= 0) {
        continue;
      }
      String name = end.names().get(e.getKey());
      cpu.merge(stageOf(e.getKey(), name), delta, Long::sum);
      threadsTotal += delta;
      byName.merge(name.replaceAll("-\\d+$", "-N"), delta, Long::sum);
    }
    // threads that ended within the span are counted here too: they cannot be told apart
    cpu.put(Stage.JVM, Math.max(0, end.processCpu() - start.processCpu() - threadsTotal));
    cpu.put(Stage.REGISTRY, Math.max(0, end.registryCpu() - start.registryCpu()));
    List<String> top = new ArrayList<>();
    byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(25)
        .forEach(e -> top.add(e.getKey() + "=" + e.getValue() / 1_000_000 + "ms"));
    long others = -1;
    if (start.machineBusy() >= 0 && end.machineBusy() >= 0) {
      others = Math.max(0, end.machineBusy() - start.machineBusy() - (end.processCpu() - start.processCpu())
          - (end.registryCpu() - start.registryCpu()));
    }
    return new Span(cpu, end.ownerBlockedMs() - start.ownerBlockedMs(), end.ownerWaitedMs() - start.ownerWaitedMs(),
        top, others, end.wallNanos() - start.wallNanos(), end.gcMs() - start.gcMs(), end.jitMs() - start.jitMs());
  }

  private Stage stageOf(long id, String name) {
    if (receiverThreads.contains(id)) {
      return Stage.RECEIVER;
    }
    if (name.equals("main") || name.contains("event-producer")) {
      return Stage.PUBLISHER;
    }
    if (name.contains("fanout-stream")) {
      return name.startsWith("kafka-") ? Stage.FANOUT_CLIENTS : Stage.FANOUT;
    }
    if (isOwner(name, "delivery-worker")) {
      return Stage.WORKER_OWNER;
    }
    if (name.contains("delivery-worker")) {
      return Stage.WORKER_CLIENTS;
    }
    if (name.contains("retry-scheduler")) {
      return Stage.SCHEDULER;
    }
    if (name.contains("delivery-stats")) {
      return Stage.STATS;
    }
    if (name.startsWith("view-") || name.contains("control-plane")) {
      return Stage.VIEWS;
    }
    if (name.startsWith("vert.x-eventloop-thread")) {
      return Stage.EVENT_LOOPS;
    }
    if (name.startsWith("vert.x-worker-thread") || name.startsWith("vert.x-internal-blocking")) {
      return Stage.BLOCKING;
    }
    return Stage.BROKER;
  }

  /** @return true for an owner thread of a loop: {@code service} or {@code service-N} */
  private static boolean isOwner(String name, String service) {
    return name.equals(service) || name.startsWith(service + "-") && name.substring(service.length() + 1)
        .chars().allMatch(Character::isDigit);
  }

  private Snapshot snapshot() {
    Map<Long, Long> cpu = new HashMap<>();
    Map<Long, String> names = new HashMap<>();
    long blocked = 0;
    long waited = 0;
    long[] ids = THREADS.getAllThreadIds();
    for (ThreadInfo info : THREADS.getThreadInfo(ids)) {
      if (info == null) {
        continue;
      }
      long t = THREADS.getThreadCpuTime(info.getThreadId());
      if (t < 0) {
        continue;
      }
      cpu.put(info.getThreadId(), t);
      names.put(info.getThreadId(), info.getThreadName());
      if (isOwner(info.getThreadName(), "delivery-worker")) {
        blocked += Math.max(0, info.getBlockedTime());
        waited += Math.max(0, info.getWaitedTime());
      }
    }
    long gcMs = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcMs += Math.max(0, gc.getCollectionTime());
    }
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long jitMs = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    return new Snapshot(cpu, names, BenchMemory.processCpuNanos(), registryCpuNanos(), blocked, waited,
        machineBusyNanos(), System.nanoTime(), gcMs, jitMs);
  }

  /**
   * @return CPU time every process of the machine has used since boot (user, nice, system, irq,
   *     softirq, steal), ns, from the first line of {@code /proc/stat}; -1 when unknown
   */
  private static long machineBusyNanos() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
      String[] f = first.trim().split("\\s+");
      long ticks = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        ticks += Long.parseLong(f[i]);
      }
      return ticks * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** @return user + system CPU of the registry child, ns, from /proc/<pid>/stat; 0 when unknown */
  private long registryCpuNanos() {
    if (registryPid < 0) {
      return 0;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(registryPid), "stat"));
      // fields after the command name, which is in parentheses and may hold spaces
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
