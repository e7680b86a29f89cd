package org.webhooks.schemas;

import java.time.Instant;

/**
 * The instants a user may give where the platform looks records up by time ({@code since}, {@code
 * until}): Kafka record timestamps are milliseconds since the epoch, never negative, so an instant
 * before 1970 or past year 9999 cannot name a record and is refused up front, with the parameter
 * named, rather than failing deep inside a lookup.
 */
public final class RecordTimes {

  /** The earliest instant accepted: the epoch. */
  public static final Instant EARLIEST = Instant.EPOCH;
  /** The latest instant accepted. */
  public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

  private RecordTimes() {}

  /**
   * @param name the parameter, named in the error (e.g. {@code since} or {@code --since})
   * @param t the instant given
   * @return {@code t}
   * @throws IllegalArgumentException ("NAME: must be from ... to ...") when {@code t} is outside
   *     {@link #EARLIEST}..{@link #LATEST}
   */
  public static Instant check(String name, Instant t) {
    if (t.isBefore(EARLIEST) || t.isAfter(LATEST)) {
      throw new IllegalArgumentException(name + ": must be from " + EARLIEST + " to " + LATEST);
    }
    return t;
  }
}
