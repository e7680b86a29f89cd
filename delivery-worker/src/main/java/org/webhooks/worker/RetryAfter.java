package org.webhooks.worker;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * The {@code Retry-After} response header (RFC 9110 section 10.2.3): either a number of seconds or
 * an HTTP date (IMF-fixdate, as {@link DateTimeFormatter#RFC_1123_DATE_TIME} reads it).
 */
final class RetryAfter {

  private RetryAfter() {}

  /**
   * @param header the header value, or null
   * @param now the time the response arrived, against which a date is measured
   * @return how long the endpoint asks to wait (zero for a date in the past); empty when the header
   *     is absent or neither form
   */
  static Optional<Duration> parse(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    String v = header.trim();
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
      } catch (NumberFormatException e) {
        return Optional.of(Duration.ofSeconds(Long.MAX_VALUE / 1_000_000_000L)); // absurdly long: the longest tier
      }
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration d = Duration.between(now, at);
      return Optional.of(d.isNegative() ? Duration.ZERO : d);
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }
}
