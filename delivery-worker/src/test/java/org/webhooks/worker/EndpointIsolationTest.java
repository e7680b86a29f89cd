package org.webhooks.worker;

import org.webhooks.testing.Receiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/** DESIGN "Slow endpoints do not stall others", with the in-flight caps small enough to matter. */
class EndpointIsolationTest {

  /**
   * Caps small enough to matter, and a timeout far beyond the test: hung requests stay open until
   * the test answers them, so what goes out meanwhile is decided by the caps alone, not by how fast
   * this machine is.
   */
  private static final Map<Setting, String> SMALL_CAPS = Map.of(
      Setting.HTTP_TIMEOUT, "10m",
      Setting.MAX_IN_FLIGHT, "4",
      Setting.MAX_IN_FLIGHT_PER_ENDPOINT, "2");

  @Test
  void aHungEndpointDoesNotHoldUpAHealthyOne() throws Exception {
    AtomicLong sequence = new AtomicLong();
    try (WorkerFixture f = WorkerFixture.create(SMALL_CAPS); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/hang", new Receiver.Hold());
      f.startWorker(Clock.systemUTC());
      Subscription slow = f.subscribe(receiver.url("/hang"));
      Subscription healthy = f.subscribe(receiver.url("/ok"));
      List<DeliveryTask> slowTasks = new ArrayList<>();
      List<DeliveryTask> healthyTasks = new ArrayList<>();
      // the hung endpoint's tasks come first, so a worker that waited on them would stall
      for (int i = 0; i < 4; i++) {
        slowTasks.add(f.deliver(slow));
      }
      for (int i = 0; i < 20; i++) {
        healthyTasks.add(f.deliver(healthy));
      }

      // every healthy delivery was served while the hung endpoint's requests were still open
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/ok").size() == 20
          && receiver.heldCount() == 2);
      assertThat(receiver.heldClosedAt()).isEmpty();
      // the outcomes are written with the next transaction
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attempts())
          .filteredOn(a -> a.getSubscriptionId().equals(healthy.getId())).hasSize(20));
      assertThat(f.attempts()).filteredOn(a -> a.getSubscriptionId().equals(healthy.getId()))
          .allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
      assertThat(receiver.heldCount()).isEqualTo(2);
      // only the per-endpoint cap of the hung endpoint's requests went out; the rest wait for a slot
      assertThat(receiver.received("/hang")).hasSize(2);
      assertThat(f.attempts()).noneMatch(a -> a.getSubscriptionId().equals(slow.getId()));

      receiver.answer("/hang", new Receiver.Status(200, "late"));
      receiver.releaseHeld(200);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attempts()).hasSize(24));
      List<DeliveryAttempt> slowAttempts = f.attempts().stream()
          .filter(a -> a.getSubscriptionId().equals(slow.getId())).toList();
      assertThat(slowAttempts).extracting(DeliveryAttempt::getDeliveryId)
          .containsExactlyInAnyOrderElementsOf(slowTasks.stream().map(DeliveryTask::getDeliveryId).toList());
      assertThat(slowAttempts).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
      assertThat(receiver.received("/hang")).hasSize(4);
    }
  }

  /**
   * A hung endpoint's backlog fills its partition's share of the unfinished-task cap; only that
   * partition is paused, and an endpoint on the other partition is served meanwhile.
   */
  @Test
  void aHungEndpointsBacklogPausesOnlyItsOwnPartition() throws Exception {
    AtomicLong sequence = new AtomicLong();
    // 2 partitions; at most 4 in flight, so 16 unfinished tasks in memory: 8 per partition
    try (WorkerFixture f = WorkerFixture.create(SMALL_CAPS); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/hang", new Receiver.Hold());
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());
      Subscription slow = f.newSubscription(receiver.url("/hang"));
      Subscription healthy = f.newSubscription(receiver.url("/ok"));
      while (partitionOf(healthy) == partitionOf(slow)) {
        healthy = f.newSubscription(receiver.url("/ok"));
      }
      f.publish(slow);
      f.publish(healthy);

      // the hung endpoint's backlog is more than twice the whole cap
      for (int i = 0; i < 40; i++) {
        f.deliver(slow);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.heldCount() == 2
          && worker.metrics().waiting() >= 6);
      // published after the worker has the backlog: with every partition paused they would wait
      for (int i = 0; i < 20; i++) {
        f.deliver(healthy);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.received("/ok").size() == 20);
      assertThat(receiver.heldCount()).isEqualTo(2);
      assertThat(receiver.heldClosedAt()).isEmpty();

      receiver.answer("/hang", new Receiver.Status(200, "late"));
      receiver.releaseHeld(200);
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(f.attempts()).hasSize(60));
      assertThat(f.attempts()).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
    }
  }

  private static int partitionOf(Subscription s) {
    return Utils.toPositive(Utils.murmur2(s.getId().getBytes(StandardCharsets.UTF_8))) % 2;
  }
}
