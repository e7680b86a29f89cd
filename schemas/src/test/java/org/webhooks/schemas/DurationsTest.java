package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The duration syntax of every setting: {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, {@code 1d}. */
class DurationsTest {

  @ParameterizedTest
  @CsvSource({"250ms,250", "0s,0", "15s,15000", "5m,300000", "1h,3600000", "8h,28800000", "1d,86400000",
      "' 5m ',300000", "90m,5400000"})
  void parses_each_unit(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "m", "5 m", "-1s", "1.5s", "5M", "5min", "1w", "", "s5"})
  void refuses_anything_else_quoting_the_text(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @Test
  void refuses_null() {
    assertThatThrownBy(() -> Durations.parse(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"300000,5m", "1500,1500ms", "0,0s", "86400000,1d", "5400000,90m", "3600000,1h", "15000,15s",
      "90000,90s", "1,1ms"})
  void formats_in_the_shortest_exact_form(long millis, String text) {
    assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @Test
  void parses_a_list_in_order() {
    assertThat(Durations.parseList("0s, 1m,5m ,1h")).containsExactly(
        Duration.ZERO, Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofHours(1));
    assertThat(Durations.parseList("")).isEmpty();
    assertThat(Durations.parseList("  ")).isEmpty();
    assertThat(Durations.parseList(null)).isEmpty();
  }

  @Test
  void a_bad_list_item_is_named() {
    assertThatThrownBy(() -> Durations.parseList("1m,bogus,5m"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'bogus'");
    assertThatThrownBy(() -> Durations.parseList("1m,,5m"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("''");
  }
}
