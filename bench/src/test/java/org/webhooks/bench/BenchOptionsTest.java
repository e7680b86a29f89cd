package org.webhooks.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

class BenchOptionsTest {

  @Test
  void theRetryScenarioRunsOnASecondScaleScheduleUnlessOneIsGiven() {
    WebhooksConfig defaults = WebhooksConfig.defaults();

    WebhooksConfig retry = Bench.withRetryDefaults(defaults, Set.of(), 0.2);
    assertThat(retry.get(Setting.RETRY_SCHEDULE)).isEqualTo(Bench.RETRY_SCHEDULE);
    assertThat(retry.retrySchedule().delays()).allSatisfy(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofMinutes(2)));
    assertThat(retry.circuitProbeDelay()).isEqualTo(Duration.ofSeconds(5));

    WebhooksConfig given = defaults.with(Setting.RETRY_SCHEDULE, "1s,2s").with(Setting.CIRCUIT_PROBE_DELAY, "1s");
    assertThat(Bench.withRetryDefaults(given, EnumSet.of(Setting.RETRY_SCHEDULE, Setting.CIRCUIT_PROBE_DELAY), 0.2))
        .isEqualTo(given);
    // all healthy: nothing changes
    assertThat(Bench.withRetryDefaults(defaults, Set.of(), 0)).isEqualTo(defaults);
  }

  @Test
  void theFailingShareMustLeaveSomeEndpointsFailingAndSomeHealthy() {
    assertThat(new Bench.Options(10, 10, null, 60, 1, 0.2, Duration.ofSeconds(30), Duration.ZERO, 0, false).failingSubscriptions()).isEqualTo(2);
    assertThat(new Bench.Options(10, 10, null, 60, 1, 0, Duration.ofSeconds(30), Duration.ZERO, 0, false).failingSubscriptions()).isZero();
    assertThatThrownBy(() -> new Bench.Options(10, 3, null, 60, 1, 0.1, Duration.ofSeconds(30), Duration.ZERO, 0, false))
        .hasMessageContaining("--failing-share 0.1 of 3 subscriptions makes 0 failing");
    assertThatThrownBy(() -> new Bench.Options(10, 1, null, 60, 1, 0.9, Duration.ofSeconds(30), Duration.ZERO, 0, false))
        .hasMessageContaining("makes 1 failing");
    assertThatThrownBy(() -> new Bench.Options(10, 10, null, 60, 1, 1.0, Duration.ofSeconds(30), Duration.ZERO, 0, false))
        .hasMessageContaining("--failing-share must be at least 0 and less than 1");
    assertThatThrownBy(() -> new Bench.Options(10, 10, null, 60, 1, 0.5, Duration.ZERO, Duration.ZERO, 0, false))
        .hasMessageContaining("--failing-for must be more than 0");
  }

  @Test
  void aPacedRunLeavesTenSecondsOfWarmUpOutOfItsLatenciesUnlessToldOtherwise() {
    assertThat(Bench.Options.defaultWarmUp(1000.0)).isEqualTo(Duration.ofSeconds(10));
    assertThat(Bench.Options.defaultWarmUp(null)).isZero();
    assertThatThrownBy(() -> new Bench.Options(10, 1, 100.0, 60, 1, 0, Duration.ofSeconds(30), Duration.ofSeconds(-1), 0, false))
        .hasMessageContaining("--warm-up must not be negative");
    assertThatThrownBy(() -> new Bench.Options(10, 1, null, 60, 1, 0, Duration.ofSeconds(30), Duration.ZERO, -1, false))
        .hasMessageContaining("--warm-up-events must not be negative");
    assertThatThrownBy(() -> new Bench.Options(10, 2, null, 60, 1, 0.5, Duration.ofSeconds(30), Duration.ZERO, 10, false))
        .hasMessageContaining("--warm-up-events is for the all-healthy benchmark");
    assertThatThrownBy(() -> new Bench.Options(10, 1, null, 60, 1, 0, Duration.ofSeconds(30), Duration.ZERO, 10, true))
        .hasMessageContaining("--backlog runs on its own");
  }

  @Test
  void theBenchRunsTheServicesUpRunsUnlessToldToLeaveSomeOut() {
    assertThat(BenchPlatform.services("all")).containsExactly("fanout-stream", "delivery-worker", "retry-scheduler",
        "delivery-stats", "control-plane");
    assertThat(BenchPlatform.services("delivery-worker, fanout-stream,retry-scheduler"))
        .containsExactly("fanout-stream", "delivery-worker", "retry-scheduler");
    assertThatThrownBy(() -> BenchPlatform.services("fanout-stream,retry-scheduler"))
        .hasMessageContaining("--services: bench needs at least fanout-stream and delivery-worker");
    assertThatThrownBy(() -> BenchPlatform.services("fanout-stream,delivery-worker,console"))
        .hasMessageContaining("not 'console'");
  }
}
