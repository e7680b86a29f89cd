package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.fanout.FanoutService;
import org.webhooks.schemas.Service;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.worker.DeliveryWorker;

/**
 * Scale-out in one JVM on the real embedded broker: two fanout-stream instances and two delivery
 * workers (same consumer groups, distinct instance ids and so distinct transactional ids) share six
 * partitions. A second worker starts in the middle of a burst, the first is closed while it has
 * requests in flight, and every (event, endpoint) pair the fanout committed still reaches the
 * receiver; the repeats are counted, explained and bounded.
 */
class ScaleOutIT {

  private static final int EVENTS = 2000;
  /** Small caps and a slow receiver keep a backlog: a worker answers at most 16 / 10 ms = 1600 per s. */
  private static final int MAX_IN_FLIGHT = 16;
  private static final int MAX_IN_FLIGHT_PER_ENDPOINT = 4;
  private static final Duration RECEIVER_DELAY = Duration.ofMillis(10);
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path dataDir;
  @TempDir Path fanoutStateA;
  @TempDir Path fanoutStateB;

  private final List<Service> services = new ArrayList<>();
  private final long startNanos = System.nanoTime();

  @AfterEach
  void stop() {
    for (int i = services.size() - 1; i >= 0; i--) {
      services.get(i).close();
    }
  }

  @Test
  void aWorkerStartedMidBurstSharesThePartitionsAndTakesThemAllWhenTheFirstClosesWithoutLosingADelivery()
      throws Exception {
    try (ScaleOutFixture f = ScaleOutFixture.create(dataDir, RECEIVER_DELAY)) {
      // saved before the services start: the fanout loads every subscription before its first event
      f.subscribeSpread(2);
      // each process of a service has its own instance id (its static group membership)
      FanoutService fanoutA = start(new FanoutService(f.config.with(Setting.INSTANCE_ID, "fa"), fanoutStateA));
      FanoutService fanoutB = start(new FanoutService(f.config.with(Setting.INSTANCE_ID, "fb"), fanoutStateB));
      DeliveryWorker a = start(new DeliveryWorker(f.worker("a", MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_ENDPOINT)));
      await().atMost(WAIT).until(() -> fanoutA.isReady() && fanoutB.isReady() && a.isReady());

      List<CallEvent> events = ScaleOutFixture.burst(EVENTS);
      step(f, "fanout A, fanout B and worker A ready", null, null);
      Set<ScaleOutReceiver.Delivery> expected = f.expected(events);
      CompletableFuture<Void> secondHalf = new CompletableFuture<>();
      CompletableFuture<Void> publishing = f.publishInBackground(events, secondHalf);

      // mid-burst: a tenth of the deliveries arrived, all of them through A
      await().atMost(WAIT).until(() -> f.receiver.distinct() >= expected.size() / 10);
      assertThat(f.workerAssignments()).containsOnlyKeys("a");
      DeliveryWorker b = start(new DeliveryWorker(f.worker("b", MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_ENDPOINT)));
      step(f, "worker B started", a, null);
      await().atMost(WAIT).until(() -> b.isReady() && bothOwnPartitions(f.workerAssignments()));
      Map<String, Set<Integer>> shared = f.workerAssignments();
      step(f, "partitions shared " + shared, a, b);
      // From here A's endpoints stop answering, so A surely has requests in flight when its close
      // begins; they are answered once it has begun, well within its grace period. The rest of the
      // burst gives every partition new tasks, B's included, whatever A finished before B joined.
      f.receiver.hold(f.pathsOf(shared.get("a")));
      secondHalf.complete(null);
      // B sends the requests of the partitions it took (its counters count its own attempts only)
      await().atMost(WAIT).until(() -> b.metrics().attemptsTotal() > 4 * MAX_IN_FLIGHT && f.receiver.heldCount() > 0);
      step(f, "B did work; A waits for answers", a, b);
      int aInFlightAtClose = a.metrics().inFlight();
      int distinctAtClose = f.receiver.distinct();
      long bAttemptsAtClose = b.metrics().attemptsTotal();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(a::close);
      await().atMost(WAIT).until(() -> !a.isReady());
      f.receiver.release();
      closing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      step(f, "A closed", a, b);
      assertThat(a.isReady()).isFalse();

      publishing.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      await().atMost(WAIT).until(() -> f.workerAssignments().equals(Map.of("b", Set.of(0, 1, 2, 3, 4, 5))));
      await().atMost(WAIT).until(() -> f.receiver.distinct() >= expected.size());
      List<ConsumerRecord<String, DeliveryTask>> tasks = f.tasks();
      step(f, "every delivery received", a, b);
      // once B has committed past every task and has nothing in flight, no request can come again
      await().atMost(WAIT).until(() -> f.workersCommittedAll(tasks) && b.metrics().inFlight() == 0);
      List<DeliveryAttempt> attempts = f.attempts();
      ScaleOutFixture.Duplicates duplicates = f.duplicates(attempts);
      System.out.printf("scale-out (graceful close): fanout events in A=%d B=%d; worker attempts A=%d B=%d "
              + "(B %d before A closed); shared assignment %s; A had %d in flight at close; %s%n",
          fanoutA.metrics().eventsIn(), fanoutB.metrics().eventsIn(), a.metrics().attemptsTotal(),
          b.metrics().attemptsTotal(), bAttemptsAtClose, shared, aInFlightAtClose, duplicates);

      // the fanout: both instances processed events; every expected pair is one task, none twice
      assertThat(fanoutA.metrics().eventsIn()).isPositive();
      assertThat(fanoutB.metrics().eventsIn()).isPositive();
      assertThat(tasks).hasSize(expected.size());
      assertThat(tasks.stream().map(r -> f.deliveryOf(r.value())).collect(Collectors.toSet()))
          .isEqualTo(expected);

      // the workers: both did work, and work was left to B when A closed
      assertThat(a.metrics().attemptsTotal()).isPositive();
      assertThat(distinctAtClose).isLessThan(expected.size());
      assertThat(b.metrics().attemptsTotal()).isGreaterThan(bAttemptsAtClose);

      // every pair arrived, signed, and has a successful attempt on record; nothing else arrived
      assertThat(f.receiver.counts().keySet()).isEqualTo(expected);
      assertThat(f.receiver.badSignatures()).isZero();
      Map<ScaleOutReceiver.Delivery, Long> succeeded = new HashMap<>();
      for (DeliveryAttempt at : attempts) {
        assertThat(at.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
        succeeded.merge(f.deliveryOf(at), 1L, Long::sum);
      }
      assertThat(succeeded.keySet()).isEqualTo(expected);
      // every request the receiver saw was counted by the worker that sent it
      assertThat(duplicates.total()).isEqualTo(a.metrics().attemptsTotal() + b.metrics().attemptsTotal());

      // the repeats: each partition changed hands once, so no request was sent more than twice;
      // requests whose outcome was lost are those A had in flight on the partitions it handed to B
      // when B joined, never more than A's cap; the requests A had in flight when it closed finished
      // within its grace period and were committed, so A's own partitions show none
      assertThat(duplicates.repeated().values()).allSatisfy(r -> assertThat(r.received()).isEqualTo(2));
      assertThat(shared.get("b")).containsAll(duplicates.afterLostOutcome().keySet());
      assertThat(duplicates.lostOutcomes()).isLessThanOrEqualTo(MAX_IN_FLIGHT);
      // no task whose outcome was committed was sent again, although offsets stop at the lowest
      // unfinished task: the commit metadata named the finished ones above it to the next owner
      assertThat(duplicates.committedOutcomes()).isZero();
    }
  }

  /** Prints a step of the scenario with the time since the test began, for the record. */
  private void step(ScaleOutFixture f, String what, DeliveryWorker a, DeliveryWorker b) throws Exception {
    System.out.printf("scale-out (graceful close) +%d ms: %s; receiver: %d requests, %d distinct; A: %s; B: %s; "
            + "group: %s%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos), what, f.receiver.total(),
        f.receiver.distinct(), describe(a), describe(b), f.workerAssignments());
  }

  private static String describe(DeliveryWorker w) {
    return w == null ? "-" : w.metrics().attemptsTotal() + " attempts, " + w.metrics().inFlight() + " in flight, "
        + w.metrics().waiting() + " waiting, " + w.metrics().transactionsCommitted() + " transactions, "
        + w.metrics().rewinds() + " rewinds";
  }

  private static boolean bothOwnPartitions(Map<String, Set<Integer>> assignments) {
    return assignments.keySet().equals(Set.of("a", "b"))
        && assignments.values().stream().noneMatch(Set::isEmpty)
        && assignments.values().stream().mapToInt(Set::size).sum() == ScaleOutFixture.PARTITIONS;
  }

  private <S extends Service> S start(S service) {
    service.start();
    services.add(service);
    return service;
  }
}
