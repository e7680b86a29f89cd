package org.webhooks.schemas;

import java.util.Locale;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * What each attempt outcome counts as, for statistics, alerts and the {@code --failed} of
 * {@code attempts tail}. An <em>attempt</em> is a delivery the worker tried:
 * a request made (succeeded, http_error, timeout, connection_error), or one it refused to make
 * (blocked by the address rules, or other: it could not be built). Deferred (circuit open), cancelled
 * (subscription disabled or deleted) and skipped (another account's subscription) records are counted
 * under their outcome only: no request was tried.
 */
public final class AttemptOutcomes {

  private AttemptOutcomes() {}

  /** @return true for SUCCEEDED. */
  public static boolean isSuccess(AttemptOutcome o) {
    return o == AttemptOutcome.SUCCEEDED;
  }

  /** @return true for HTTP_ERROR, TIMEOUT, CONNECTION_ERROR, BLOCKED and OTHER. */
  public static boolean isFailure(AttemptOutcome o) {
    return switch (o) {
      case HTTP_ERROR, TIMEOUT, CONNECTION_ERROR, BLOCKED, OTHER -> true;
      default -> false;
    };
  }

  /** @return true when the outcome is a success or a failure (see the class comment). */
  public static boolean isAttempt(AttemptOutcome o) {
    return isSuccess(o) || isFailure(o);
  }

  /** @return true when a request went out, so that its latency means something. */
  public static boolean madeRequest(AttemptOutcome o) {
    return switch (o) {
      case SUCCEEDED, HTTP_ERROR, TIMEOUT, CONNECTION_ERROR -> true;
      default -> false;
    };
  }

  /** @return the name used in queries and metrics, e.g. {@code http_error}. */
  public static String wireName(AttemptOutcome o) {
    return o.name().toLowerCase(Locale.ROOT);
  }

  /**
   * @return the outcome of a wire name such as {@code timeout}
   * @throws IllegalArgumentException naming the known outcomes when it is none of them
   */
  public static AttemptOutcome fromWireName(String name) {
    for (AttemptOutcome o : AttemptOutcome.values()) {
      if (wireName(o).equals(name)) {
        return o;
      }
    }
    throw new IllegalArgumentException("unknown outcome '" + name + "' (known: succeeded, http_error, timeout, "
        + "connection_error, blocked, other, deferred, cancelled, skipped)");
  }
}
