package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.fanout.FanoutService;
import org.webhooks.producer.CallEventPublisher;
import org.webhooks.schemas.avro.CallEvent;

/**
 * Two worker processes started with one instance id: the second takes over the transactional id
 * and the first, fenced, stops its process with exit code 1 instead of lingering unhealthy; a
 * second start that cannot bind its HTTP port stops before it could fence the running one.
 */
class WorkerFencingProcessIT {

  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final Set<Integer> ALL = Set.of(0, 1, 2, 3, 4, 5);

  @TempDir Path dataDir;
  @TempDir Path fanoutState;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void aFencedWorkerExitsAndAStartThatCannotBindItsPortFencesNothing() throws Exception {
    try (ScaleOutFixture f = ScaleOutFixture.create(dataDir, Duration.ofMillis(1))) {
      f.subscribeSpread(1);
      FanoutService fanout = new FanoutService(f.config, fanoutState);
      fanout.start();
      closeables.add(fanout);
      LauncherProcess first = worker(f, 0, "first");
      int port = first.awaitHttpPort(WAIT);
      await().atMost(WAIT).until(() -> fanout.isReady() && f.workerAssignments().equals(Map.of("w1", ALL)));

      // same instance id and the port the first one holds: refused before the worker starts
      LauncherProcess clash = worker(f, port, "clash");
      await().atMost(WAIT).until(() -> !clash.isAlive());
      assertThat(clash.exitCode()).isNotZero();
      assertThat(clash.stderr()).contains("--http-port");
      // the first is not fenced: it still delivers, which takes committing transactions
      deliverBurst(f, 60);
      assertThat(first.isAlive()).isTrue();

      // same instance id on a free port: the newcomer takes over the static group membership and
      // the transactional id; the first is fenced, ends its process, and the newcomer delivers everything
      LauncherProcess successor = worker(f, 0, "successor");
      CompletableFuture<Void> burst = CompletableFuture.runAsync(() -> deliverBurst(f, 200));
      await().atMost(WAIT).until(() -> !first.isAlive());
      assertThat(first.exitCode()).isEqualTo(Webhooks.EXIT_FAILURE);
      assertThat(first.stderr()).contains("failed and cannot go on");
      burst.get();
      assertThat(successor.isAlive()).isTrue();
      await().atMost(WAIT).until(() -> f.workerAssignments().equals(Map.of("w1", ALL))
          && f.workerMembers().size() == 1);
    }
  }

  /** Publishes {@code count} events and waits until every (event, endpoint) pair has arrived. */
  private static void deliverBurst(ScaleOutFixture f, int count) {
    List<CallEvent> events = ScaleOutFixture.burst(count);
    int before = f.receiver.distinct();
    int expected = f.expected(events).size();
    try (CallEventPublisher publisher = new CallEventPublisher(f.config)) {
      for (CallEvent e : events) {
        publisher.publish(e);
      }
      publisher.flush();
    }
    await().atMost(WAIT).until(() -> f.receiver.distinct() >= before + expected);
  }

  private LauncherProcess worker(ScaleOutFixture f, int httpPort, String logName) throws Exception {
    List<String> args = List.of("delivery-worker",
        "--bootstrap-servers", f.config.bootstrapServers(), "--registry-url", f.config.registryUrl(),
        "--topic-prefix", f.config.topicPrefix(), "--partitions", Integer.toString(ScaleOutFixture.PARTITIONS),
        "--instance-id", "w1", "--data-dir", dataDir.toString(), "--http-port", Integer.toString(httpPort),
        "--kafka", "session.timeout.ms=6000", "--kafka", "heartbeat.interval.ms=1000");
    LauncherProcess p = LauncherProcess.start(logs, logName, args);
    closeables.add(p);
    return p;
  }
}
