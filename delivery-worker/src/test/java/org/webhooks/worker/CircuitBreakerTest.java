package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The states of one endpoint's circuit, on a time given by the test. */
class CircuitBreakerTest {

  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");
  private final CircuitBreaker breaker = new CircuitBreaker(3, Duration.ofSeconds(30));

  @Test
  void opensAfterTheThresholdOfConsecutiveFailuresOnly() {
    assertThat(breaker.failed("a", T0)).isFalse();
    assertThat(breaker.failed("a", T0)).isFalse();
    breaker.succeeded("a");
    assertThat(breaker.failed("a", T0)).isFalse();
    assertThat(breaker.failed("a", T0)).isFalse();
    assertThat(breaker.parks("a", T0)).isFalse();
    assertThat(breaker.failed("a", T0)).isTrue();
    assertThat(breaker.openCount()).isEqualTo(1);
    assertThat(breaker.parks("a", T0.plusSeconds(29))).isTrue();
    assertThat(breaker.admit("a", T0.plusSeconds(29))).isEqualTo(CircuitBreaker.Admission.PARK);
    assertThat(breaker.admit("b", T0)).isEqualTo(CircuitBreaker.Admission.SEND);
  }

  @Test
  void oneProbeAtATimeAndItsOutcomeDecides() {
    for (int i = 0; i < 3; i++) {
      breaker.failed("a", T0);
    }
    Instant due = T0.plusSeconds(30);
    assertThat(breaker.parks("a", due)).isFalse();
    assertThat(breaker.probing("a")).isFalse();
    assertThat(breaker.admit("a", due)).isEqualTo(CircuitBreaker.Admission.PROBE);
    assertThat(breaker.probing("a")).isTrue();
    assertThat(breaker.admit("a", due)).isEqualTo(CircuitBreaker.Admission.PARK);
    assertThat(breaker.parks("a", due)).isTrue();
    assertThat(breaker.failed("a", due)).isTrue();
    assertThat(breaker.probing("a")).isFalse();
    assertThat(breaker.probeAt("a")).isEqualTo(due.plusSeconds(30));
    assertThat(breaker.admit("a", due.plusSeconds(30))).isEqualTo(CircuitBreaker.Admission.PROBE);
    breaker.succeeded("a");
    assertThat(breaker.openCount()).isZero();
    assertThat(breaker.admit("a", due.plusSeconds(30))).isEqualTo(CircuitBreaker.Admission.SEND);
  }

  @Test
  void anAbandonedProbeLetsAnotherGo() {
    for (int i = 0; i < 3; i++) {
      breaker.failed("a", T0);
    }
    assertThat(breaker.admit("a", T0.plusSeconds(30))).isEqualTo(CircuitBreaker.Admission.PROBE);
    breaker.probeAbandoned("a");
    assertThat(breaker.admit("a", T0.plusSeconds(30))).isEqualTo(CircuitBreaker.Admission.PROBE);
  }

  @Test
  void aDisabledBreakerNeverOpens() {
    CircuitBreaker off = CircuitBreaker.disabled();
    for (int i = 0; i < 100; i++) {
      assertThat(off.failed("a", T0)).isFalse();
    }
    assertThat(off.admit("a", T0)).isEqualTo(CircuitBreaker.Admission.SEND);
  }
}
