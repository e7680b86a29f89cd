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
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.fanout.FanoutService;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * Scale-out with real {@code ./webhooks delivery-worker} processes against the shared embedded
 * stack: a second worker process starts in the middle of a burst and takes half the partitions;
 * the first is then killed with SIGKILL while it has requests in flight, and a new process with
 * the same instance id takes its place. The newcomer fences the transactional id and takes the
 * killed member's place in the group at once (static membership), and every (event, endpoint) pair
 * still reaches the receiver; the repeats are counted and explained.
 */
class ScaleOutProcessIT {

  private static final int EVENTS = 2000;
  /**
   * Small caps and a slow receiver keep a backlog while processes start: a worker answers at most
   * 8 requests per 50 ms, 160 per s.
   */
  private static final int MAX_IN_FLIGHT = 8;
  private static final int MAX_IN_FLIGHT_PER_ENDPOINT = 2;
  private static final Duration RECEIVER_DELAY = Duration.ofMillis(50);
  /** Generous: each step may wait for a JVM to start, which takes long on a loaded machine. */
  private static final Duration WAIT = Duration.ofSeconds(120);
  /**
   * The first worker's session, 10 minutes, far beyond this test: its successor can only have taken
   * its partitions by replacing it in the group (static membership), never because the killed
   * member's session ran out. Passed to every client as {@code --kafka}; only consumers use it.
   */
  private static final List<String> LONG_SESSION = List.of(
      "--kafka", "session.timeout.ms=600000", "--kafka", "heartbeat.interval.ms=3000");

  @TempDir Path dataDir;
  @TempDir Path fanoutState;
  private Path logs;

  @BeforeEach
  void processLogs(TestInfo test) throws Exception {
    logs = ProcessLogs.of(test);
  }

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final long startNanos = System.nanoTime();

  @AfterEach
  void stop() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  @Test
  void aWorkerKilledMidBurstLosesNothingAndItsSuccessorWithTheSameInstanceIdFencesIt() throws Exception {
    try (ScaleOutFixture f = ScaleOutFixture.create(dataDir, RECEIVER_DELAY)) {
      // one endpoint per partition: each partition's requests leave in offset order, so nearly
      // every repeat is a request that was in flight when its partition changed hands
      f.subscribeSpread(1);
      LauncherProcess w1 = worker(f, "w1", "w1-first", LONG_SESSION);
      FanoutService fanout = new FanoutService(f.config, fanoutState);
      fanout.start();
      closeables.add(fanout);
      await().atMost(WAIT).until(() -> fanout.isReady()
          && f.workerAssignments().equals(Map.of("w1", Set.of(0, 1, 2, 3, 4, 5))));
      step(f, "fanout and w1 ready");

      List<CallEvent> events = ScaleOutFixture.burst(EVENTS);
      Set<ScaleOutReceiver.Delivery> expected = f.expected(events);
      CompletableFuture<Void> secondHalf = new CompletableFuture<>();
      CompletableFuture<Void> publishing = f.publishInBackground(events, secondHalf);

      // mid-burst, a second process joins and takes half of the partitions
      await().atMost(WAIT).until(() -> f.receiver.distinct() >= expected.size() / 20);
      LauncherProcess w2 = worker(f, "w2", "w2", List.of());
      step(f, "w2 started");
      await().atMost(WAIT).until(() -> sharedByBoth(f.workerAssignments(), "w1", "w2"));
      Map<String, Set<Integer>> shared = f.workerAssignments();
      step(f, "partitions shared " + shared);
      Set<String> w1Paths = f.pathsOf(shared.get("w1"));
      Set<String> w2Paths = f.pathsOf(shared.get("w2"));
      // From here W1's endpoints stop answering, so W1 surely has requests in flight when it is
      // killed (long before they could time out), whatever it finished before W2 joined: the rest
      // of the burst gives every partition new tasks.
      f.receiver.hold(w1Paths);
      secondHalf.complete(null);
      // requests on W2's endpoints beyond what W1 could still have had in flight come from W2
      int onW2PathsAtSplit = onPaths(f, w2Paths);
      await().atMost(WAIT).until(() -> onPaths(f, w2Paths) > onW2PathsAtSplit + 4 * MAX_IN_FLIGHT
          && f.receiver.heldCount() > 0);
      step(f, "w2 did work; w1 waits for answers");
      String w1Transactions = f.workerTransactionalId("w1");
      TransactionDescription beforeKill = f.transaction(w1Transactions);
      String killedMember = memberId(f, "w1");
      assertThat(killedMember).isNotEmpty();
      ScaleOutFixture.killWorkerProcess(f.config.topicPrefix(), "w1");
      await().atMost(WAIT).until(() -> !w1.isAlive());
      Set<ScaleOutReceiver.Delivery> inFlightAtKill = f.receiver.heldDeliveries();
      int distinctAtKill = f.receiver.distinct();
      f.receiver.release();
      step(f, "w1 killed with " + inFlightAtKill.size() + " requests in flight");

      // A kill in the middle of a commit cannot be timed from outside: a transaction is left open
      // under W1's transactional id instead, with a timeout far beyond this test, so that nothing
      // but the successor's fencing can end it.
      KafkaProducer<String, byte[]> leftOpen = f.openTransaction(w1Transactions, Duration.ofMinutes(10));
      TransactionDescription open = f.transaction(w1Transactions);
      assertThat(open.state()).isEqualTo(TransactionState.ONGOING);

      LauncherProcess w1Again = worker(f, "w1", "w1-second", LONG_SESSION);
      await().atMost(WAIT).until(() -> {
        assertThat(w1Again.isAlive()).as("w1 restarted").isTrue();
        return newerProducer(f.transaction(w1Transactions), open);
      });
      TransactionDescription fenced = f.transaction(w1Transactions);
      leftOpen.close(Duration.ZERO);
      step(f, "w1 restarted; its transactional id moved from " + describe(open) + " to " + describe(fenced));
      // the newcomer replaces the killed member, whose session cannot have run out yet, and takes
      // its partitions back; W2 keeps its own
      await().atMost(WAIT).until(() -> !killedMember.equals(memberId(f, "w1"))
          && sharedByBoth(f.workerAssignments(), "w1", "w2"));
      Map<String, Set<Integer>> back = f.workerAssignments();
      step(f, "w1 again in the group " + back);
      assertThat(back).isEqualTo(shared);

      publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      await().atMost(WAIT).until(() -> f.receiver.distinct() >= expected.size());
      List<ConsumerRecord<String, DeliveryTask>> tasks = f.tasks();
      // once the group has committed past every task, no request can come again
      await().atMost(WAIT).until(() -> f.workersCommittedAll(tasks));
      List<DeliveryAttempt> attempts = f.attempts();
      ScaleOutFixture.Duplicates duplicates = f.duplicates(attempts);
      step(f, "every delivery received and committed");
      System.out.printf("scale-out (SIGKILL): shared assignment %s; %d requests of W1 in flight at the kill; "
          + "W1's transactional id before the kill %s; %s%n", shared, inFlightAtKill.size(), describe(beforeKill),
          duplicates);

      assertThat(distinctAtKill).isLessThan(expected.size());
      // the restarted instance took over the transactional id (a newer producer epoch than the open
      // transaction's) and so aborted that transaction long before its timeout: had it stayed open
      // or been committed, the attempts read above would stop at it or fail on its record
      assertThat(newerProducer(fenced, open)).isTrue();

      // nothing lost: every pair the fanout committed arrived, signed, and has a successful attempt
      assertThat(tasks).hasSize(expected.size());
      assertThat(tasks.stream().map(r -> f.deliveryOf(r.value())).collect(Collectors.toSet())).isEqualTo(expected);
      assertThat(f.receiver.counts().keySet()).isEqualTo(expected);
      assertThat(f.receiver.badSignatures()).isZero();
      assertThat(attempts).allSatisfy(a -> assertThat(a.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED));
      assertThat(attempts.stream().map(f::deliveryOf).collect(Collectors.toSet())).isEqualTo(expected);

      // the requests in flight at the kill were sent again; they are repeats whose first outcome
      // was never written, on W1's partitions
      Map<ScaleOutReceiver.Delivery, Integer> counts = f.receiver.counts();
      assertThat(inFlightAtKill).isNotEmpty().allSatisfy(d -> assertThat(counts.get(d)).isGreaterThanOrEqualTo(2));
      int lostOnW1 = shared.get("w1").stream().mapToInt(p -> duplicates.afterLostOutcome().getOrDefault(p, 0)).sum();
      assertThat(lostOnW1).isGreaterThanOrEqualTo(inFlightAtKill.size());
      // on the partitions W1 handed to W2 when W2 joined: what W1 had in flight then, and what W2
      // had in flight on any of them it handed to the restarted W1 (when the killed member's
      // session ended first and W2 held every partition for a while)
      int lostOnW2 = shared.get("w2").stream().mapToInt(p -> duplicates.afterLostOutcome().getOrDefault(p, 0)).sum();
      assertThat(lostOnW2).isLessThanOrEqualTo(2 * MAX_IN_FLIGHT);
      // and nothing else: no task whose outcome was committed was sent again (the commit metadata
      // names the finished tasks above each committed offset)
      assertThat(duplicates.committedOutcomes()).isZero();
      assertThat(w2.isAlive()).isTrue();
    }
  }

  private LauncherProcess worker(ScaleOutFixture f, String instanceId, String logName, List<String> groupTiming)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("delivery-worker",
        "--bootstrap-servers", f.config.bootstrapServers(), "--registry-url", f.config.registryUrl(),
        "--topic-prefix", f.config.topicPrefix(), "--partitions", Integer.toString(ScaleOutFixture.PARTITIONS),
        "--instance-id", instanceId, "--data-dir", dataDir.toString(),
        "--http-port", "0",
        "--http-timeout", ScaleOutFixture.HELD_REQUEST_TIMEOUT,
        "--max-in-flight", Integer.toString(MAX_IN_FLIGHT),
        "--max-in-flight-per-endpoint", Integer.toString(MAX_IN_FLIGHT_PER_ENDPOINT)));
    args.addAll(groupTiming);
    LauncherProcess p = LauncherProcess.start(logs, logName, args);
    closeables.add(p);
    return p;
  }

  /** Prints a step of the scenario with the time since the test began, for the record. */
  private void step(ScaleOutFixture f, String what) {
    System.out.printf("scale-out (SIGKILL) +%d ms: %s; receiver: %d requests, %d distinct%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), what, f.receiver.total(),
        f.receiver.distinct());
  }

  private static boolean sharedByBoth(Map<String, Set<Integer>> assignments, String one, String other) {
    return assignments.keySet().equals(Set.of(one, other))
        && assignments.values().stream().noneMatch(Set::isEmpty)
        && assignments.values().stream().mapToInt(Set::size).sum() == ScaleOutFixture.PARTITIONS;
  }

  /** @return the member id of the one member of the group with {@code instanceId}, or "" when none or two */
  private static String memberId(ScaleOutFixture f, String instanceId) throws Exception {
    List<ScaleOutFixture.Member> members = f.workerMembers().stream()
        .filter(m -> m.instanceId().equals(instanceId)).toList();
    return members.size() == 1 ? members.get(0).memberId() : "";
  }

  private static int onPaths(ScaleOutFixture f, Set<String> paths) {
    return paths.stream().mapToInt(f.receiver::onPath).sum();
  }

  /** @return true when {@code now} names a later producer of the transactional id than {@code before} */
  private static boolean newerProducer(TransactionDescription now, TransactionDescription before) {
    return now.producerId() != before.producerId() || now.producerEpoch() > before.producerEpoch();
  }

  private static String describe(TransactionDescription t) {
    return t == null ? "none" : t.state() + " producer " + t.producerId() + " epoch " + t.producerEpoch();
  }
}
