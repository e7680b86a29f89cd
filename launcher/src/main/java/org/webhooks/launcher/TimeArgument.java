package org.webhooks.launcher;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.webhooks.schemas.Durations;

/** A point in time given on the command line: an ISO-8601 instant, or a duration meaning that long ago. */
final class TimeArgument {

  private TimeArgument() {}

  /**
   * @param flag the flag, named in the error
   * @param text e.g. {@code 2026-01-15T10:00:00Z}, or {@code 24h} for 24 hours before now
   * @throws IllegalArgumentException naming {@code flag} when it is neither
   */
  static Instant parse(String flag, String text, Clock clock) {
    String t = text.trim();
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException notAnInstant) {
      try {
        return clock.instant().minus(Durations.parse(t));
      } catch (IllegalArgumentException notADuration) {
        throw new IllegalArgumentException(flag + ": '" + text + "' is neither an ISO-8601 instant "
            + "(2026-01-15T10:00:00Z) nor a duration ago (24h)");
      }
    }
  }
}
