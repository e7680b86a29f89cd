package org.webhooks.stats;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.Function;
import org.webhooks.schemas.AttemptOutcomes;
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

  /**
   * Reads a query from request parameters: {@code outcome} (comma-separated wire names such as
   * {@code http_error,timeout}), {@code event_type}, {@code since} and {@code until} (ISO-8601 instants),
   * {@code cursor} and {@code limit} (1 to {@value #MAX_LIMIT}, default {@value #DEFAULT_LIMIT}).
   *
   * @param param a query parameter by name, null when absent
   * @throws IllegalArgumentException whose message starts with the name of the parameter that is
   *     malformed ({@code outcome: ...}, {@code limit: ...}, {@code since: ...})
   */
  public static AttemptQuery parse(Function<String, String> param) {
    Set<AttemptOutcome> outcomes = EnumSet.noneOf(AttemptOutcome.class);
    String outcome = param.apply("outcome");
    if (outcome != null && !outcome.isBlank()) {
      for (String o : outcome.split(",")) {
        try {
          outcomes.add(AttemptOutcomes.fromWireName(o.trim()));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("outcome: " + e.getMessage());
        }
      }
    }
    String limit = param.apply("limit");
    int n;
    try {
      n = limit == null || limit.isEmpty() ? DEFAULT_LIMIT : Integer.parseInt(limit);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("limit: '" + limit + "' is not a whole number");
    }
    String eventType = param.apply("event_type");
    String cursor = param.apply("cursor");
    AttemptQuery q = new AttemptQuery(outcomes, eventType == null || eventType.isEmpty() ? null : eventType,
        instant(param, "since"), instant(param, "until"), cursor == null || cursor.isEmpty() ? null : cursor, n);
    if (q.cursor() != null) {
      AttemptCursor.decode(q.cursor());
    }
    return q;
  }

  private static Instant instant(Function<String, String> param, String name) {
    String v = param.apply(name);
    if (v == null || v.isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(v);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + ": '" + v + "' is not an ISO-8601 instant");
    }
  }

  /** @return this query for the page after the one that returned {@code nextCursor}. */
  public AttemptQuery next(String nextCursor) {
    return new AttemptQuery(outcomes, eventType, since, until, nextCursor, limit);
  }
}
