package org.webhooks.worker;

import org.webhooks.testing.Receiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryTask;

/** {@link DeliveryWorker#close()} lets requests in flight finish within its grace period and commits them. */
class GracefulCloseTest {

  @Test
  void aRequestThatFinishesDuringCloseIsCommitted() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(new AtomicLong())) {
      receiver.answer("/slow", new Receiver.Hold());
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/slow")));
      await().atMost(Duration.ofSeconds(30)).until(() -> receiver.heldCount() == 1);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(worker::close);
      await().atMost(Duration.ofSeconds(30)).until(() -> !worker.isReady());
      // answered only once the worker is closing
      receiver.releaseHeld(200);
      closing.get(30, TimeUnit.SECONDS);

      assertThat(f.attemptsOf(task)).hasSize(1)
          .allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
    }
  }
}
