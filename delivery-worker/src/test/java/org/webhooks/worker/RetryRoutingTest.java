package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
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
 * Where a failed attempt's task goes (DESIGN "Retry schedule", Standard Webhooks retry
 * recommendations): the tier of the schedule's next delay, a later tier for a {@code Retry-After},
 * straight back to the deliveries topic for a 0s delay, the dead-letter topic when the schedule is
 * used up, and nowhere for a 410 (the subscription is disabled). The retry tiers are read by the
 * test itself: what the scheduler does with them is tested in its own module.
 */
class RetryRoutingTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private final AtomicLong sequence = new AtomicLong();

  @Test
  void aFailedAttemptGoesToTheTierOfTheNextDelayWithTheSameBodyAndId() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.RETRY_SCHEDULE, "1h,2h"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/fail", new Receiver.Status(500, "boom"));
      f.startWorker(clock);
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/fail")), clock.instant());

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
      DeliveryAttempt attempt = f.attemptsOf(task).get(0);
      assertThat(attempt.getOutcome()).isEqualTo(AttemptOutcome.HTTP_ERROR);
      assertThat(attempt.getFinal$()).isFalse();
      assertThat(attempt.getNextAttemptAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
      assertThat(attempt.getRetryTopic()).isEqualTo(f.topics().retry(Duration.ofHours(1)).name());

      List<DeliveryTask> waiting = f.read(f.topics().retry(Duration.ofHours(1)));
      assertThat(waiting).hasSize(1);
      DeliveryTask next = waiting.get(0);
      assertThat(next.getAttempt()).isEqualTo(2);
      assertThat(next.getDeliveryId()).isEqualTo(task.getDeliveryId());
      assertThat(next.getEventId()).isEqualTo(task.getEventId());
      assertThat(WorkerFixture.bytes(next)).isEqualTo(WorkerFixture.bytes(task));
      assertThat(next.getDueAt()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
      assertThat(next.getFirstAttemptAt()).isEqualTo(clock.instant());
      assertThat(next.getLastStatus()).isEqualTo(500);
      assertThat(next.getLastError()).isEqualTo("HTTP 500");
      // the outcome is in the same transaction as the retry: nothing was dead-lettered
      assertThat(f.deadLettersOf(task)).isEmpty();
      assertThat(f.read(f.topics().retry(Duration.ofHours(2)))).isEmpty();
    }
  }

  @Test
  void aZeroDelayRetryIsMadeAtOnceThroughTheDeliveriesTopic() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.RETRY_SCHEDULE, "0s"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/flaky", new Receiver.Sequence(new Receiver.Status(503, "busy"), new Receiver.Status(200, "ok")));
      f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/flaky")));

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(2));
      List<DeliveryAttempt> attempts = f.attemptsOf(task);
      assertThat(attempts).extracting(DeliveryAttempt::getAttempt).containsExactly(1, 2);
      assertThat(attempts).extracting(DeliveryAttempt::getOutcome)
          .containsExactly(AttemptOutcome.HTTP_ERROR, AttemptOutcome.SUCCEEDED);
      assertThat(attempts.get(0).getRetryTopic()).isEqualTo(f.topics().deliveries().name());
      List<Receiver.Received> got = receiver.received("/flaky");
      assertThat(got).hasSize(2);
      assertThat(got.get(1).body()).isEqualTo(got.get(0).body());
      assertThat(got.get(1).header("webhook-id")).isEqualTo(got.get(0).header("webhook-id"));
    }
  }

  @Test
  void anEndpointThatAlwaysFailsIsDeadLetteredAfterEveryAttemptOfTheSchedule() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.RETRY_SCHEDULE, "0s,0s"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/down", new Receiver.Status(500, "down"));
      f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/down")));

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.deadLettersOf(task)).hasSize(1));
      List<DeliveryAttempt> attempts = f.attemptsOf(task);
      assertThat(attempts).extracting(DeliveryAttempt::getAttempt).containsExactly(1, 2, 3);
      assertThat(attempts).extracting(DeliveryAttempt::getFinal$).containsExactly(false, false, true);
      DeadLetter dl = f.deadLettersOf(task).get(0);
      assertThat(dl.getKind()).isEqualTo(DeadLetterKind.EXHAUSTED);
      assertThat(dl.getAttempts()).isEqualTo(3);
      assertThat(dl.getFirstAttemptAt()).isEqualTo(attempts.get(0).getStartedAt());
      assertThat(dl.getLastAttemptAt()).isEqualTo(attempts.get(2).getStartedAt());
      assertThat(dl.getLastStatus()).isEqualTo(500);
      assertThat(dl.getTask().getEventId()).isEqualTo(task.getEventId());
      assertThat(receiver.received("/down")).hasSize(3);
    }
  }

  @Test
  void retryAfterInSecondsMovesTheRetryToTheFirstTierAtOrBeyondIt() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.RETRY_SCHEDULE, "1m,1h,4h"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/slow-down", new Receiver.Status(429, "slow down", Map.of("retry-after", "5400")));
      f.startWorker(clock);
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/slow-down")), clock.instant());

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.read(f.topics().retry(Duration.ofHours(4)))).hasSize(1));
      DeliveryTask next = f.read(f.topics().retry(Duration.ofHours(4))).get(0);
      // 90 min asked: the 1m delay of the schedule gives way to the first tier beyond it; one retry used
      assertThat(next.getAttempt()).isEqualTo(2);
      assertThat(next.getDueAt()).isEqualTo(clock.instant().plus(Duration.ofHours(4)));
      assertThat(f.read(f.topics().retry(Duration.ofMinutes(1)))).isEmpty();
      assertThat(f.attemptsOf(task).get(0).getNextAttemptAt()).isEqualTo(next.getDueAt());
    }
  }

  @Test
  void retryAfterAsAnHttpDateMovesTheRetryAndNeverShortensTheSchedule() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    String inTwoMinutes = DateTimeFormatter.RFC_1123_DATE_TIME.format(
        clock.instant().plus(Duration.ofMinutes(2)).atOffset(ZoneOffset.UTC));
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.RETRY_SCHEDULE, "1m,5m,1h"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/dated", new Receiver.Status(503, "maintenance", Map.of("retry-after", inTwoMinutes)));
      receiver.answer("/soon", new Receiver.Status(503, "maintenance", Map.of("retry-after", "1")));
      f.startWorker(clock);
      DeliveryTask dated = f.deliver(f.subscribe(receiver.url("/dated")), clock.instant());
      DeliveryTask soon = f.deliver(f.subscribe(receiver.url("/soon")), clock.instant());

      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(f.attemptsOf(dated)).hasSize(1);
        assertThat(f.attemptsOf(soon)).hasSize(1);
      });
      // 2 minutes asked: the 5m tier
      assertThat(f.read(f.topics().retry(Duration.ofMinutes(5))))
          .extracting(DeliveryTask::getDeliveryId).containsExactly(dated.getDeliveryId());
      // 1 second asked: the schedule's own 1m delay stays
      assertThat(f.read(f.topics().retry(Duration.ofMinutes(1))))
          .extracting(DeliveryTask::getDeliveryId).containsExactly(soon.getDeliveryId());
    }
  }

  @Test
  void goneDisablesTheSubscriptionAndItsPendingTasksAreCancelled() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.RETRY_SCHEDULE, "1h", Setting.PARTITIONS, "1"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/gone", new Receiver.Status(410, "gone"));
      f.startWorker(Clock.systemUTC());
      Subscription sub = f.subscribe(receiver.url("/gone"));
      DeliveryTask first = f.deliver(sub);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(first)).hasSize(1));
      DeliveryTask second = f.deliver(sub);

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(second)).hasSize(1));
      DeliveryAttempt goneAttempt = f.attemptsOf(first).get(0);
      assertThat(goneAttempt.getStatusCode()).isEqualTo(410);
      assertThat(goneAttempt.getFinal$()).isTrue();
      DeliveryAttempt cancelled = f.attemptsOf(second).get(0);
      assertThat(cancelled.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED);
      assertThat(cancelled.getFinal$()).isTrue();
      assertThat(cancelled.getError()).contains("disabled").contains("410 Gone");
      assertThat(receiver.received("/gone")).hasSize(1);

      List<Subscription> versions = f.read(f.topics().subscriptions()).stream()
          .filter(s -> s.getId().equals(sub.getId())).toList();
      Subscription latest = versions.get(versions.size() - 1);
      assertThat(latest.getEnabled()).isFalse();
      assertThat(latest.getDisabledReason()).contains("410 Gone");
      assertThat(latest.getSecrets()).isEqualTo(sub.getSecrets());
      assertThat(f.read(f.topics().retry(Duration.ofHours(1)))).isEmpty();
      assertThat(f.deadLetters()).isEmpty();
    }
  }
}
