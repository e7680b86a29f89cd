package org.webhooks.stats;

import java.time.Instant;
import java.util.Set;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * Which attempts of a subscription to list, newest first.
 *
 * @param outcomes only these outcomes; empty = all
 * @param eventType only attempts of this event type (wire name, e.g. {@code call.completed}); null = all
 * @param since only attempts started at or after this; null = as far back as the index keeps
 * @param until only attempts started at or before this; null = now
 * @param cursor the {@code nextCursor} of the previous page; null = the first page
 * @param limit attempts per page, 1 to {@value #MAX_LIMIT}
 */
public record AttemptQuery(Set<AttemptOutcome> outcomes, String eventType, Instant since, Instant until,
    String cursor, int limit) {

  /** Page size when none is asked for. */
  public static final int DEFAULT_LIMIT = 50;
  /** Largest page. */
  public static final int MAX_LIMIT = 500;

  /**
   * @throws IllegalArgumentException naming {@code limit}, or {@code since} when it is after {@code until}
   */
  public AttemptQuery {
    outcomes = outcomes == null ? Set.of() : Set.copyOf(outcomes);
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit: " + limit + " is out of range 1.." + MAX_LIMIT);
    }
    if (since != null && until != null && since.isAfter(until)) {
      throw new IllegalArgumentException("since: " + since + " is after until " + until);
    }
  }

  /** @return every attempt, first page, {@value #DEFAULT_LIMIT} per page. */
  public static AttemptQuery all() {
    return new AttemptQuery(Set.of(), null, null, null, null, DEFAULT_LIMIT);
  }

  /** @return this query for the page after the one that returned {@code nextCursor}. */
  public AttemptQuery next(String nextCursor) {
    return new AttemptQuery(outcomes, eventType, since, until, nextCursor, limit);
  }
}
