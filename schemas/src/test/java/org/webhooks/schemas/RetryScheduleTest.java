package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The retry schedule: attempts, the roughly 24 h reach of the default, tiers and where a task moves. */
class RetryScheduleTest {

  private static final RetrySchedule DEFAULT = RetrySchedule.parse(Setting.RETRY_SCHEDULE.defaultValue());

  @Test
  void the_default_schedule_is_ten_attempts_reaching_23h21m() {
    assertThat(Setting.RETRY_SCHEDULE.defaultValue()).isEqualTo("0s,1m,5m,15m,1h,2h,4h,8h,8h");
    assertThat(DEFAULT.maxAttempts()).isEqualTo(10);

    Duration lastAfterFirst = DEFAULT.span();

    assertThat(lastAfterFirst).isEqualTo(Duration.ofHours(23).plusMinutes(21));
    assertThat(lastAfterFirst).isLessThan(Duration.ofHours(24));
  }

  @Test
  void a_schedule_without_retries_spans_nothing() {
    assertThat(RetrySchedule.parse("").span()).isEqualTo(Duration.ZERO);
    assertThat(RetrySchedule.parse("0s,0s").span()).isEqualTo(Duration.ZERO);
  }

  @Test
  void delay_before_each_attempt_follows_the_list_and_ends_with_it() {
    assertThat(DEFAULT.delayBefore(1)).as("the first attempt has no delay entry").isEmpty();
    assertThat(DEFAULT.delayBefore(2)).contains(Duration.ZERO);
    assertThat(DEFAULT.delayBefore(3)).contains(Duration.ofMinutes(1));
    assertThat(DEFAULT.delayBefore(9)).contains(Duration.ofHours(8));
    assertThat(DEFAULT.delayBefore(10)).contains(Duration.ofHours(8));
    assertThat(DEFAULT.delayBefore(11)).as("exhausted after attempt 10").isEmpty();
  }

  @Test
  void tiers_are_the_distinct_delays_shortest_first() {
    assertThat(DEFAULT.tiers()).containsExactly(Duration.ZERO, Duration.ofMinutes(1), Duration.ofMinutes(5),
        Duration.ofMinutes(15), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4), Duration.ofHours(8));
    assertThat(RetrySchedule.parse("5m,1m,5m,30s").tiers())
        .containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5));
  }

  @Test
  void retry_after_moves_to_the_first_tier_at_or_beyond_it() {
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ofMinutes(3))).contains(Duration.ofMinutes(5));
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ofMinutes(5))).contains(Duration.ofMinutes(5));
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ofSeconds(30))).contains(Duration.ofMinutes(1));
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ZERO)).contains(Duration.ZERO);
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ofHours(2).plusSeconds(1))).contains(Duration.ofHours(4));
  }

  @Test
  void retry_after_beyond_the_longest_tier_gets_the_longest() {
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ofHours(9))).contains(Duration.ofHours(8));
    assertThat(DEFAULT.tierAtOrBeyond(Duration.ofDays(30))).contains(Duration.ofHours(8));
  }

  @Test
  void open_circuit_parking_uses_the_first_non_zero_tier() {
    assertThat(DEFAULT.firstNonZeroTier()).contains(Duration.ofMinutes(1));
    assertThat(RetrySchedule.parse("0s,0s").firstNonZeroTier()).isEmpty();
    assertThat(RetrySchedule.parse("2s,1s").firstNonZeroTier()).contains(Duration.ofSeconds(1));
  }

  @Test
  void an_empty_schedule_means_one_attempt_and_no_tiers() {
    RetrySchedule none = RetrySchedule.parse("");

    assertThat(none.maxAttempts()).isEqualTo(1);
    assertThat(none.delayBefore(2)).isEmpty();
    assertThat(none.tiers()).isEmpty();
    assertThat(none.tierAtOrBeyond(Duration.ofMinutes(1))).isEmpty();
    assertThat(none.firstNonZeroTier()).isEmpty();
  }

  @Test
  void bad_items_are_named() {
    assertThatThrownBy(() -> RetrySchedule.parse("0s,1m,5x,1h"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'5x'");
    assertThatThrownBy(() -> new RetrySchedule(List.of(Duration.ofSeconds(-1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("negative");
  }

  @Test
  void delays_cannot_be_changed_from_outside() {
    List<Duration> source = new java.util.ArrayList<>(List.of(Duration.ofMinutes(1)));
    RetrySchedule schedule = new RetrySchedule(source);
    source.add(Duration.ofHours(1));

    assertThat(schedule.delays()).containsExactly(Duration.ofMinutes(1));
    assertThatThrownBy(() -> schedule.delays().add(Duration.ZERO)).isInstanceOf(UnsupportedOperationException.class);
  }
}
