package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/** DESIGN "Slow endpoints do not stall others", with the in-flight caps small enough to matter. */
class EndpointIsolationTest {

  @Test
  void aHungEndpointDoesNotHoldUpAHealthyOne() throws Exception {
    AtomicLong sequence = new AtomicLong();
    Map<Setting, String> settings = Map.of(
        Setting.HTTP_TIMEOUT, "5s",
        Setting.MAX_IN_FLIGHT, "4",
        Setting.MAX_IN_FLIGHT_PER_ENDPOINT, "2");
    try (WorkerFixture f = WorkerFixture.create(settings); Receiver receiver = Receiver.start(sequence)) {
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

      await().atMost(Duration.ofSeconds(30)).until(() -> !receiver.heldClosedAt().isEmpty());
      long firstGiveUp = Collections.min(receiver.heldClosedAt());
      List<Receiver.Received> healthyReceived = receiver.received("/ok");
      assertThat(healthyReceived).hasSize(20);
      assertThat(healthyReceived).allSatisfy(r -> assertThat(r.seq()).isLessThan(firstGiveUp));
      // only the per-endpoint cap of the hung endpoint's requests went out before the first timeout
      assertThat(receiver.received("/hang")).filteredOn(r -> r.seq() < firstGiveUp).hasSize(2);

      receiver.answer("/hang", new Receiver.Status(200, "late"));
      receiver.releaseHeld(200);
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(f.attempts()).hasSize(24));
      List<DeliveryAttempt> attempts = f.attempts();
      assertThat(attempts).filteredOn(a -> a.getSubscriptionId().equals(healthy.getId()))
          .hasSize(20).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
      // the first hung request timed out; the others may have been answered once released
      List<DeliveryAttempt> slowAttempts = attempts.stream()
          .filter(a -> a.getSubscriptionId().equals(slow.getId())).toList();
      assertThat(slowAttempts).hasSize(4)
          .allMatch(a -> a.getOutcome() == AttemptOutcome.TIMEOUT || a.getOutcome() == AttemptOutcome.SUCCEEDED)
          .anyMatch(a -> a.getOutcome() == AttemptOutcome.TIMEOUT);
    }
  }
}
