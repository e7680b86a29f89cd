package org.webhooks.worker;

import org.webhooks.testing.Receiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/** DESIGN "Guarantees": nothing is lost when a worker dies with requests in flight. */
class CrashRecoveryTest {

  @Test
  void tasksInFlightAtACrashAreDeliveredByTheNextWorker() throws Exception {
    AtomicLong sequence = new AtomicLong();
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/held", new Receiver.Hold());
      DeliveryWorker first = f.startWorker(Clock.systemUTC());
      Subscription answered = f.subscribe(receiver.url("/answered"));
      Subscription held = f.subscribe(receiver.url("/held"));
      List<DeliveryTask> finishedTasks = new ArrayList<>();
      List<DeliveryTask> inFlightTasks = new ArrayList<>();
      // finished ones first: where both share a partition, their offsets are below the held ones
      for (int i = 0; i < 5; i++) {
        finishedTasks.add(f.deliver(answered));
      }
      for (int i = 0; i < 5; i++) {
        inFlightTasks.add(f.deliver(held));
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.heldCount() == 5
          && f.attempts().size() == 5);
      assertThat(f.attempts()).allMatch(a -> a.getSubscriptionId().equals(answered.getId()));

      first.halt();
      receiver.answer("/held", new Receiver.Status(200, "ok"));
      receiver.releaseHeld(200);
      f.startWorker(Clock.systemUTC());

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attempts()).hasSize(10));
      List<DeliveryAttempt> attempts = f.attempts();
      assertThat(attempts).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
      assertThat(attempts).extracting(DeliveryAttempt::getDeliveryId).doesNotHaveDuplicates()
          .containsExactlyInAnyOrderElementsOf(
              concat(finishedTasks, inFlightTasks).stream().map(DeliveryTask::getDeliveryId).toList());

      Map<String, Long> receipts = receiver.received().stream()
          .collect(Collectors.groupingBy(r -> r.header("webhook-id"), Collectors.counting()));
      long duplicates = receipts.values().stream().mapToLong(n -> n - 1).sum();
      // the five in flight at the crash were sent again (receivers drop repeats by webhook-id);
      // the five whose outcome was committed were not
      assertThat(duplicates).isEqualTo(5);
      assertThat(inFlightTasks).allSatisfy(t -> assertThat(receipts.get(t.getEventId())).isEqualTo(2));
      assertThat(finishedTasks).allSatisfy(t -> assertThat(receipts.get(t.getEventId())).isEqualTo(1));
    }
  }

  /**
   * The offset a worker commits stops at its lowest unfinished task; the commit metadata names the
   * finished tasks above it, so the next worker sends again only the tasks that were in flight.
   */
  @Test
  void tasksFinishedAboveAHungOneAreNotSentAgainByTheNextWorker() throws Exception {
    AtomicLong sequence = new AtomicLong();
    // one partition, so that the answered tasks sit above the held ones
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.PARTITIONS, "1"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/held", new Receiver.Hold());
      DeliveryWorker first = f.startWorker(Clock.systemUTC());
      Subscription held = f.subscribe(receiver.url("/held"));
      Subscription answered = f.subscribe(receiver.url("/answered"));
      List<DeliveryTask> inFlightTasks = new ArrayList<>();
      List<DeliveryTask> finishedTasks = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        inFlightTasks.add(f.deliver(held));
      }
      for (int i = 0; i < 5; i++) {
        finishedTasks.add(f.deliver(answered));
      }
      // the outcomes are read committed: the transaction that holds them also holds the metadata
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.heldCount() == 3 && f.attempts().size() == 5);

      first.halt();
      receiver.answer("/held", new Receiver.Status(200, "ok"));
      receiver.releaseHeld(200);
      DeliveryWorker second = f.startWorker(Clock.systemUTC());

      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attempts()).hasSize(8));
      Map<String, Long> receipts = receiver.received().stream()
          .collect(Collectors.groupingBy(r -> r.header("webhook-id"), Collectors.counting()));
      assertThat(inFlightTasks).allSatisfy(t -> assertThat(receipts.get(t.getEventId())).isEqualTo(2));
      assertThat(finishedTasks).allSatisfy(t -> assertThat(receipts.get(t.getEventId())).isEqualTo(1));
      assertThat(second.metrics().tasksSkipped()).isEqualTo(5);
      assertThat(f.attempts()).extracting(DeliveryAttempt::getDeliveryId).doesNotHaveDuplicates();
    }
  }

  private static <T> List<T> concat(List<T> a, List<T> b) {
    List<T> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }
}
