package org.webhooks.launcher;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.RecordTimes;

/** A point in time given on the command line: an ISO-8601 instant, or a duration meaning that long ago. */
final class TimeArgument {

  private TimeArgument() {}

  /**
   * @param flag the flag, named in the error
   * @param text e.g. {@code 2026-01-15T10:00:00Z}, or {@code 24h} for 24 hours before now
   * @throws IllegalArgumentException naming {@code flag} when it is neither, or outside the times
   *     records can have ({@link RecordTimes})
   */
  static Instant parse(String flag, String text, Clock clock) {
    return RecordTimes.check(flag, instant(flag, text, clock));
  }

  private static Instant instant(String flag, String text, Clock clock) {
    String t = text.trim();
    try {
      return Instant.parse(t);
    } catch (DateTimeParseException notAnInstant) {
      try {
        try {
          return clock.instant().minus(Durations.parse(t));
        } catch (ArithmeticException | java.time.DateTimeException tooLong) {
          throw new IllegalArgumentException(flag + ": '" + text + "' reaches before any record");
        }
      } catch (IllegalArgumentException notADuration) {
        throw new IllegalArgumentException(flag + ": '" + text + "' is neither an ISO-8601 instant "
            + "(2026-01-15T10:00:00Z) nor a duration ago (24h)");
      }
    }
  }
}
