package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;

/**
 * A subscription's {@code rate_limit_per_second} and custom {@code headers}, enforced by a real worker
 * against a real receiver. Time is the worker's clock, which the test moves: what may go in a second
 * is decided by the clock, never by how fast this machine is.
 */
class RateLimitAndHeadersTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void aRateLimitedEndpointGetsNoMoreThanItsRateWhileAnotherOnTheSamePartitionIsNotSlowed() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.PARTITIONS, "1"));
        Receiver receiver = Receiver.start(new AtomicLong())) {
      MutableClock clock = new MutableClock(Instant.now().plusSeconds(60));
      long t0 = clock.instant().getEpochSecond();
      f.startWorker(clock);
      Subscription limited = f.newSubscription(receiver.url("/limited"));
      limited.setRateLimitPerSecond(2);
      Subscription other = f.newSubscription(receiver.url("/other"));
      f.publish(limited);
      f.publish(other);
      // the limited endpoint's backlog comes first in the partition: a worker that served the
      // partition in order would hold the other endpoint's deliveries behind it
      for (int i = 0; i < 6; i++) {
        f.deliver(limited);
      }
      for (int i = 0; i < 6; i++) {
        f.deliver(other);
      }

      // with the clock standing still, all of the other endpoint's deliveries go, and 2 of the limited's
      await().atMost(WAIT).until(() -> receiver.received("/other").size() == 6
          && receiver.received("/limited").size() == 2);
      assertThat(receiver.received("/other")).allMatch(r -> r.header("webhook-timestamp").equals(Long.toString(t0)));
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attempts()).hasSize(8));
      assertThat(receiver.received("/limited")).hasSize(2);

      clock.advance(Duration.ofSeconds(1));
      await().atMost(WAIT).until(() -> receiver.received("/limited").size() == 4);
      clock.advance(Duration.ofSeconds(1));
      await().atMost(WAIT).until(() -> receiver.received("/limited").size() == 6);

      // per second of the worker's clock, at most the rate
      Map<String, Long> perSecond = receiver.received("/limited").stream()
          .collect(Collectors.groupingBy(r -> r.header("webhook-timestamp"), LinkedHashMap::new,
              Collectors.counting()));
      assertThat(perSecond).containsExactly(Map.entry(Long.toString(t0), 2L), Map.entry(Long.toString(t0 + 1), 2L),
          Map.entry(Long.toString(t0 + 2), 2L));
      // causally: the other endpoint was done before the limited backlog was
      long otherDone = receiver.received("/other").stream().mapToLong(Receiver.Received::seq).max().orElseThrow();
      long limitedDone = receiver.received("/limited").stream().mapToLong(Receiver.Received::seq).max().orElseThrow();
      assertThat(otherDone).isLessThan(limitedDone);
      // waiting for the rate is neither a failure nor an attempt
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attempts()).hasSize(12));
      assertThat(f.attempts()).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED && a.getAttempt() == 1);
      assertThat(f.deadLetters()).isEmpty();
    }
  }

  @Test
  void customHeadersGoWithEveryDeliveryButNeverReplaceTheReservedOnes() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(new AtomicLong())) {
      f.startWorker(java.time.Clock.systemUTC());
      Subscription sub = f.newSubscription(receiver.url("/hook"));
      // a record may carry reserved names (written around the rules): the worker leaves them out
      sub.setHeaders(Map.of("X-Team", "calls", "Authorization", "Bearer t0k3n", "webhook-signature", "v1,forged",
          "Content-Type", "text/plain", "Host", "evil.example"));
      f.publish(sub);
      f.deliver(sub);
      f.deliver(sub);

      await().atMost(WAIT).until(() -> receiver.received("/hook").size() == 2);
      for (Receiver.Received r : receiver.received("/hook")) {
        assertThat(r.header("x-team")).isEqualTo("calls");
        assertThat(r.header("authorization")).isEqualTo("Bearer t0k3n");
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.header("host")).isEqualTo("127.0.0.1:" + receiver.port());
        assertThat(r.header("webhook-signature")).doesNotContain("forged");
        assertThat(WebhookSignature.verify(sub.getSecrets().get(0).getSecret(), r.header("webhook-id"),
            r.header("webhook-timestamp"), r.body(), r.header("webhook-signature"))).isTrue();
      }
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attempts()).hasSize(2));
      // the attempt records hold no header value
      assertThat(f.attempts()).extracting(DeliveryAttempt::toString).noneMatch(s -> s.contains("t0k3n"));
    }
  }
}
