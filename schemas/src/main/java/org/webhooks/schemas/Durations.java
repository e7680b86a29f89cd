package org.webhooks.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and formats the duration syntax of every setting: {@code 250ms}, {@code 15s}, {@code 5m}, {@code 1h}, {@code 1d}. */
public final class Durations {

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /**
   * @param text a whole number followed by {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}
   * @return the duration
   * @throws IllegalArgumentException when {@code text} is not of that form
   */
  public static Duration parse(String text) {
    Matcher m = DURATION.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration (write it like 250ms, 15s, 5m, 1h or 1d)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
  }

  /**
   * @param text comma-separated durations, e.g. {@code 0s,1m,5m}
   * @return the durations in order
   * @throws IllegalArgumentException naming the first item that is not a duration
   */
  public static List<Duration> parseList(String text) {
    List<Duration> out = new ArrayList<>();
    if (text == null || text.isBlank()) {
      return out;
    }
    for (String part : text.split(",")) {
      out.add(parse(part.trim()));
    }
    return out;
  }

  /** @return the shortest exact form, e.g. 300000 ms -> {@code 5m}, 1500 ms -> {@code 1500ms}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0 && ms != 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0 && ms != 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0 && ms != 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1000L == 0) {
      return ms / 1000L + "s";
    }
    return ms + "ms";
  }
}
