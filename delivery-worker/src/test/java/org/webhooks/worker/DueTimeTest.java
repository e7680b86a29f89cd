package org.webhooks.worker;

import org.webhooks.testing.Receiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.MutableClock;

/** A task is not attempted before its {@code due_at}, measured on the worker's clock. */
class DueTimeTest {

  @Test
  void taskIsHeldUntilDueWithoutHoldingUpLaterTasks() throws Exception {
    MutableClock clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(new AtomicLong())) {
      DeliveryWorker worker = f.startWorker(clock);
      Subscription sub = f.subscribe(receiver.url("/hook"));
      Instant dueAt = clock.instant().plus(Duration.ofHours(1));
      DeliveryTask later = f.deliver(sub, dueAt);
      DeliveryTask now = f.deliver(sub, clock.instant());

      // same key, same partition: the task due now comes after the held one, so once it is
      // delivered the held one has been read too
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attemptsOf(now)).hasSize(1));
      assertThat(worker.metrics().waiting()).isEqualTo(1);
      assertThat(receiver.received()).extracting(r -> r.header("webhook-id")).containsExactly(now.getEventId());
      assertThat(f.attemptsOf(later)).isEmpty();

      clock.advance(Duration.ofMinutes(59));
      // a due check runs at least every 100 ms; the task due now proves the loop is running
      DeliveryTask probe = f.deliver(sub, clock.instant());
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attemptsOf(probe)).hasSize(1));
      assertThat(f.attemptsOf(later)).isEmpty();

      clock.advance(Duration.ofMinutes(1));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attemptsOf(later)).hasSize(1));
      DeliveryAttempt attempt = f.attemptsOf(later).get(0);
      assertThat(attempt.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      assertThat(attempt.getStartedAt()).isEqualTo(dueAt);
      Receiver.Received request = receiver.received().stream()
          .filter(r -> r.header("webhook-id").equals(later.getEventId())).findFirst().orElseThrow();
      assertThat(Long.parseLong(request.header("webhook-timestamp"))).isEqualTo(dueAt.getEpochSecond());
      assertThat(worker.metrics().waiting()).isZero();
    }
  }
}
