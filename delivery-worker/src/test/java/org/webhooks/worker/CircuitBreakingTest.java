package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.webhooks.data.Redeliveries;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;

/**
 * The circuit breaker per endpoint: it opens after the threshold of consecutive failures, parks
 * tasks without an attempt while open, lets one probe through after the probe delay, and closes on
 * the probe's success; and it frees the endpoints that share a partition with a hung one.
 */
class CircuitBreakingTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private final AtomicLong sequence = new AtomicLong();

  @Test
  void theCircuitOpensDefersWithoutAttemptsProbesAndCloses() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1h", Setting.CIRCUIT_THRESHOLD, "2",
        Setting.CIRCUIT_PROBE_DELAY, "30s", Setting.PARTITIONS, "1");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/down", new Receiver.Status(500, "down"));
      DeliveryWorker worker = f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/down"));
      DeliveryTask failing1 = f.deliver(sub, clock.instant());
      DeliveryTask failing2 = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attempts()).hasSize(2));
      assertThat(worker.metrics().circuitsOpen()).isEqualTo(1);

      DeliveryTask deferred = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(deferred)).hasSize(1));
      DeliveryAttempt parked = f.attemptsOf(deferred).get(0);
      assertThat(parked.getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(parked.getAttempt()).isEqualTo(1);
      assertThat(parked.getFinal$()).isFalse();
      assertThat(parked.getNextAttemptAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
      assertThat(receiver.received("/down")).hasSize(2);
      // parked in the first non-zero tier with its attempt not used; the two failures wait there as retries
      List<DeliveryTask> tier = f.read(f.topics().retry(Duration.ofHours(1)));
      assertThat(tier).extracting(DeliveryTask::getDeliveryId)
          .containsExactly(failing1.getDeliveryId(), failing2.getDeliveryId(), deferred.getDeliveryId());
      assertThat(tier).extracting(DeliveryTask::getAttempt).containsExactly(2, 2, 1);

      clock.advance(Duration.ofSeconds(30));
      receiver.answer("/down", new Receiver.Status(200, "back"));
      DeliveryTask probe = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(probe)).hasSize(1));
      assertThat(f.attemptsOf(probe).get(0).getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      await().atMost(WAIT).until(() -> worker.metrics().circuitsOpen() == 0);

      DeliveryTask after = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(after)).hasSize(1));
      assertThat(f.attemptsOf(after).get(0).getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      assertThat(receiver.received("/down")).hasSize(4);
    }
  }

  @Test
  void aFailedProbeOpensTheCircuitAgain() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1h,1h", Setting.CIRCUIT_THRESHOLD, "1",
        Setting.CIRCUIT_PROBE_DELAY, "30s", Setting.PARTITIONS, "1");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/down", new Receiver.Status(500, "down"));
      f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/down"));
      f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attempts()).hasSize(1));

      clock.advance(Duration.ofSeconds(30));
      DeliveryTask probe = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(probe)).hasSize(1));
      assertThat(f.attemptsOf(probe).get(0).getOutcome()).isEqualTo(AttemptOutcome.HTTP_ERROR);

      // open again for another probe delay, from the failed probe on
      clock.advance(Duration.ofSeconds(29));
      DeliveryTask parked = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(parked)).hasSize(1));
      assertThat(f.attemptsOf(parked).get(0).getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(receiver.received("/down")).hasSize(2);
    }
  }

  /**
   * A task parked again and again while its endpoint stays down is dead-lettered once the retry
   * schedule's span, a probe delay and a park tier (1 h + 2 h + 1 h) have passed since it was created,
   * with a final DEFERRED attempt record, instead of being parked for ever; nothing but the probe is
   * sent to the endpoint meanwhile.
   */
  @Test
  void aTaskParkedForLongerThanTheScheduleAllowsIsDeadLettered() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1h", Setting.CIRCUIT_THRESHOLD, "1",
        Setting.CIRCUIT_PROBE_DELAY, "2h", Setting.PARTITIONS, "1");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/down", new Receiver.Status(500, "down"));
      f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/down"));
      DeliveryTask task = openTheCircuitAndPark(f, sub, clock);
      assertThat(f.attemptsOf(task).get(0).getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(f.attemptsOf(task).get(0).getUrl()).isEqualTo(receiver.url("/down"));
      DeliveryTask parked = parkedRecordOf(f, task, Duration.ofHours(1));

      // past the span but not past the span, a probe delay and a park tier: parked again
      clock.advance(Duration.ofMinutes(90));
      f.forward(parked);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(2));
      assertThat(f.attemptsOf(task).get(1).getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(f.attemptsOf(task).get(1).getFinal$()).isFalse();
      assertThat(f.deadLettersOf(task)).isEmpty();

      // the probe, 2 h 10 min in, fails: the circuit is open until 4 h 10 min
      clock.advance(Duration.ofMinutes(40));
      DeliveryTask probe = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(probe)).hasSize(1));
      assertThat(f.attemptsOf(probe).get(0).getOutcome()).isEqualTo(AttemptOutcome.HTTP_ERROR);

      // back again at 4 h 5 min, the circuit still open: dead-lettered
      clock.advance(Duration.ofMinutes(115));
      f.forward(parked);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.deadLettersOf(task)).hasSize(1));
      DeadLetter dl = f.deadLettersOf(task).get(0);
      assertThat(dl.getKind()).isEqualTo(DeadLetterKind.EXHAUSTED);
      assertThat(dl.getAttempts()).isZero();
      assertThat(dl.getReason()).contains("circuit open").contains("not delivered within 4h");
      List<DeliveryAttempt> attempts = f.attemptsOf(task);
      assertThat(attempts).hasSize(3);
      assertThat(attempts.get(2).getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(attempts.get(2).getFinal$()).isTrue();
      assertThat(f.read(f.topics().retry(Duration.ofHours(1))))
          .filteredOn(t -> t.getDeliveryId().equals(task.getDeliveryId())).hasSize(2);
      assertThat(receiver.received("/down")).hasSize(2);

      // the endpoint is fixed and the probe delay is over: a recovery sends it again, from its dead letter
      receiver.answer("/down", new Receiver.Status(200, "ok"));
      clock.advance(Duration.ofMinutes(10));
      try (Redeliveries redeliveries = new Redeliveries(f.config(), "circuit-test", clock)) {
        Redeliveries.Recovery recovery = redeliveries.recover(sub, task.getCreatedAt().minusSeconds(60));
        assertThat(recovery.recovered()).extracting(r -> r.deliveryId() + " " + r.lastOutcome() + " " + r.source())
            .containsExactly(task.getDeliveryId() + " deferred dead_letter");
      }
      await().atMost(WAIT).until(() -> receiver.received("/down").size() == 3);
      assertThat(receiver.received("/down").get(2).header("webhook-id")).isEqualTo(task.getEventId());
    }
  }

  /**
   * A probe delay longer than the whole schedule (30 min against 1 min) does not give up the tasks
   * parked meanwhile: the endpoint, back before the first probe, gets them once the probe has closed
   * the circuit.
   */
  @Test
  void aProbeDelayLongerThanTheScheduleStillDeliversTheParkedTasks() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1m", Setting.CIRCUIT_THRESHOLD, "1",
        Setting.CIRCUIT_PROBE_DELAY, "30m", Setting.PARTITIONS, "1");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/flaky", new Receiver.Status(500, "down"));
      f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/flaky"));
      DeliveryTask task = openTheCircuitAndPark(f, sub, clock);
      DeliveryTask parked = parkedRecordOf(f, task, Duration.ofMinutes(1));

      clock.advance(Duration.ofMinutes(10));
      f.forward(parked);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(2));
      assertThat(f.attemptsOf(task).get(1).getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(f.deadLettersOf(task)).isEmpty();

      receiver.answer("/flaky", new Receiver.Status(200, "back"));
      clock.advance(Duration.ofMinutes(21));
      DeliveryTask probe = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(probe)).hasSize(1));
      assertThat(f.attemptsOf(probe).get(0).getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      f.forward(parked);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(3));
      assertThat(f.attemptsOf(task).get(2).getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      assertThat(f.deadLettersOf(task)).isEmpty();
    }
  }

  /**
   * A task past its time comes back while a probe is in flight: the endpoint may be back, so the task is
   * parked once more rather than dead-lettered.
   */
  @Test
  void aTaskPastItsTimeIsParkedAgainWhileAProbeIsInFlight() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1h", Setting.CIRCUIT_THRESHOLD, "1",
        Setting.CIRCUIT_PROBE_DELAY, "2h", Setting.PARTITIONS, "1", Setting.HTTP_TIMEOUT, "5m");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/down", new Receiver.Status(500, "down"));
      f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/down"));
      DeliveryTask task = openTheCircuitAndPark(f, sub, clock);
      DeliveryTask parked = parkedRecordOf(f, task, Duration.ofHours(1));
      assertThat(f.attemptsOf(task).get(0).getError())
          .endsWith("; next probe at " + clock.instant().plus(Duration.ofHours(2)));

      // the probe, 2 h 10 min in, hangs: it stays in flight
      receiver.answer("/down", new Receiver.Hold());
      clock.advance(Duration.ofMinutes(130));
      DeliveryTask probe = f.deliver(sub, clock.instant());
      await().atMost(WAIT).until(() -> receiver.received("/down").size() == 2);

      // 5 h in, past the 4 h a task may wait: parked again, not given up
      clock.advance(Duration.ofMinutes(170));
      f.forward(parked);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(2));
      assertThat(f.attemptsOf(task).get(1).getOutcome()).isEqualTo(AttemptOutcome.DEFERRED);
      assertThat(f.attemptsOf(task).get(1).getFinal$()).isFalse();
      assertThat(f.attemptsOf(task).get(1).getError()).endsWith("; a probe is in flight");
      assertThat(f.deadLettersOf(task)).isEmpty();
      assertThat(f.attemptsOf(probe)).as("the probe is still in flight").isEmpty();
    }
  }

  /** Tasks of a subscription deleted while its circuit is open are cancelled, not parked or dead-lettered. */
  @Test
  void aSubscriptionDeletedWhileItsCircuitIsOpenHasItsTasksCancelled() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1h", Setting.CIRCUIT_THRESHOLD, "1",
        Setting.CIRCUIT_PROBE_DELAY, "2h", Setting.PARTITIONS, "1");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/down", new Receiver.Status(500, "down"));
      DeliveryWorker worker = f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/down"));
      DeliveryTask failing = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(failing)).hasSize(1));
      assertThat(worker.metrics().circuitsOpen()).isEqualTo(1);

      f.delete(sub.getId());
      assertThat(worker.awaitSubscriptionsRead(WAIT)).isTrue();
      DeliveryTask task = f.deliver(sub, clock.instant());
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
      DeliveryAttempt cancelled = f.attemptsOf(task).get(0);
      assertThat(cancelled.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED);
      assertThat(cancelled.getFinal$()).isTrue();
      assertThat(f.deadLettersOf(task)).isEmpty();
      assertThat(f.read(f.topics().retry(Duration.ofHours(1))))
          .noneMatch(t -> t.getDeliveryId().equals(task.getDeliveryId()));
      assertThat(receiver.received("/down")).hasSize(1);
    }
  }

  /**
   * One partition: a hung endpoint's backlog fills the partition's share of the unfinished-task cap
   * and pauses it, with a healthy endpoint's tasks behind. Once the hung requests have timed out
   * (twice: the threshold) the circuit parks the backlog, and the healthy endpoint's deliveries
   * follow; the hung endpoint got no request once its circuit was open.
   */
  @Test
  void anOpenCircuitFreesTheEndpointsThatShareItsPartition() throws Exception {
    Map<Setting, String> settings = Map.of(Setting.RETRY_SCHEDULE, "1h", Setting.CIRCUIT_THRESHOLD, "2",
        Setting.PARTITIONS, "1", Setting.MAX_IN_FLIGHT, "4", Setting.MAX_IN_FLIGHT_PER_ENDPOINT, "2",
        Setting.HTTP_TIMEOUT, "1s");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/hang", new Receiver.Hold());
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());
      Subscription hung = f.subscribe(receiver.url("/hang"));
      Subscription healthy = f.subscribe(receiver.url("/ok"));
      List<DeliveryTask> backlog = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        backlog.add(f.deliver(hung));
      }
      List<DeliveryTask> healthyTasks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        healthyTasks.add(f.deliver(healthy));
      }

      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        assertThat(f.attempts()).filteredOn(a -> a.getSubscriptionId().equals(healthy.getId())).hasSize(20);
        assertThat(f.attempts()).filteredOn(a -> a.getSubscriptionId().equals(hung.getId())).hasSize(40);
      });
      assertThat(f.attempts()).filteredOn(a -> a.getSubscriptionId().equals(healthy.getId()))
          .allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
      assertThat(worker.metrics().circuitsOpened()).isEqualTo(1);
      // a slot freed by the first timeout may carry one more request before the second opens the
      // circuit; every request went out before it opened, and each ended as a timeout
      int requests = receiver.received("/hang").size();
      assertThat(requests).isBetween(2, 3);
      List<DeliveryAttempt> hungAttempts = f.attempts().stream()
          .filter(a -> a.getSubscriptionId().equals(hung.getId())).toList();
      assertThat(hungAttempts).filteredOn(a -> a.getOutcome() == AttemptOutcome.TIMEOUT).hasSize(requests);
      assertThat(hungAttempts).filteredOn(a -> a.getOutcome() == AttemptOutcome.DEFERRED).hasSize(40 - requests);
      assertThat(f.read(f.topics().retry(Duration.ofHours(1)))).hasSize(40);
      assertThat(new String(receiver.received("/ok").get(0).body(), StandardCharsets.UTF_8)).contains("event_id");
    }
  }

  /**
   * Opens the circuit of {@code sub} (threshold 1) with a failed attempt, then delivers a task that the
   * open circuit parks.
   *
   * @return the parked task, once its DEFERRED attempt record is written
   */
  private static DeliveryTask openTheCircuitAndPark(WorkerFixture f, Subscription sub, MutableClock clock) {
    DeliveryTask failing = f.deliver(sub, clock.instant());
    await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(failing)).hasSize(1));
    DeliveryTask task = f.deliver(sub, clock.instant());
    await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
    return task;
  }

  /** @return the record of {@code task} in the retry tier {@code tier}, as the scheduler would forward it */
  private static DeliveryTask parkedRecordOf(WorkerFixture f, DeliveryTask task, Duration tier) {
    return f.read(f.topics().retry(tier)).stream()
        .filter(t -> t.getDeliveryId().equals(task.getDeliveryId())).findFirst().orElseThrow();
  }
}
