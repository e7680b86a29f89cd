package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.webhooks.testing.MutableClock;

/** {@code rate_limit_per_second} in the gate, on a clock the test moves: excess waits, others go. */
class EndpointRateLimitTest {

  private final MutableClock clock = new MutableClock(Instant.parse("2025-01-15T15:45:32Z"));

  /** Items are "endpoint:n"; endpoint "limited" may receive {@code rate} requests per second. */
  private EndpointGate<String> gate(Map<String, Integer> rates) {
    return new EndpointGate<>(100, 100, s -> s.substring(0, s.indexOf(':')), clock,
        endpoint -> rates.getOrDefault(endpoint, 0));
  }

  @Test
  void aLimitedEndpointGetsItsRatePerSecondAndTheRestWaitsWhileOthersGo() {
    EndpointGate<String> g = gate(Map.of("limited", 2));
    for (int i = 1; i <= 5; i++) {
      g.enqueue("limited:" + i);
    }
    for (int i = 1; i <= 5; i++) {
      g.enqueue("free:" + i);
    }

    List<String> first = g.take();
    assertThat(first).filteredOn(s -> s.startsWith("free")).hasSize(5);
    assertThat(first).filteredOn(s -> s.startsWith("limited")).containsExactly("limited:1", "limited:2");
    release(g, first);
    assertThat(g.waiting()).isEqualTo(3);
    // nothing more within the same second, however often it is asked
    assertThat(g.take()).isEmpty();
    assertThat(g.nextRateRelease()).isEqualTo(1000);

    clock.advance(Duration.ofMillis(999));
    assertThat(g.take()).isEmpty();
    assertThat(g.nextRateRelease()).isEqualTo(1);
    clock.advance(Duration.ofMillis(1));
    List<String> second = g.take();
    assertThat(second).containsExactly("limited:3", "limited:4");
    release(g, second);

    clock.advance(Duration.ofSeconds(1));
    assertThat(g.take()).containsExactly("limited:5");
    assertThat(g.waiting()).isZero();
    assertThat(g.nextRateRelease()).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void noWindowOfOneSecondHoldsMoreThanTheLimitWhereverItStarts() {
    EndpointGate<String> g = gate(Map.of("limited", 3));
    List<Long> sentAt = new ArrayList<>();
    int n = 0;
    // items trickle in every 150 ms; the gate is asked every 50 ms
    for (int tick = 0; tick < 200; tick++) {
      if (tick % 3 == 0) {
        g.enqueue("limited:" + (++n));
      }
      for (String item : g.take()) {
        sentAt.add(clock.millis());
        g.release("limited");
      }
      clock.advance(Duration.ofMillis(50));
    }
    assertThat(sentAt).hasSizeGreaterThan(20);
    for (long start : sentAt) {
      long inWindow = sentAt.stream().filter(t -> t >= start && t < start + 1000).count();
      assertThat(inWindow).isLessThanOrEqualTo(3);
    }
  }

  @Test
  void anEndpointThatWentIdleStillCountsWhatItSentWithinTheSecond() {
    EndpointGate<String> g = gate(Map.of("limited", 1));
    g.enqueue("limited:1");
    assertThat(g.take()).containsExactly("limited:1");
    g.release("limited");
    // its queue is empty and nothing is in flight; a new item half a second later still waits
    clock.advance(Duration.ofMillis(500));
    g.enqueue("limited:2");
    assertThat(g.take()).isEmpty();
    clock.advance(Duration.ofMillis(500));
    assertThat(g.take()).containsExactly("limited:2");
  }

  @Test
  void aLimitChangedMeanwhileAppliesAtOnceAndNoLimitMeansNone() {
    Map<String, Integer> rates = new java.util.HashMap<>(Map.of("limited", 1));
    EndpointGate<String> g = gate(rates);
    for (int i = 1; i <= 4; i++) {
      g.enqueue("limited:" + i);
    }
    List<String> first = g.take();
    assertThat(first).containsExactly("limited:1");
    release(g, first);
    rates.put("limited", 0);
    clock.advance(Duration.ofSeconds(1));
    assertThat(g.take()).containsExactly("limited:2", "limited:3", "limited:4");
  }

  private static void release(EndpointGate<String> g, List<String> items) {
    for (String item : items) {
      g.release(item.substring(0, item.indexOf(':')));
    }
  }
}
