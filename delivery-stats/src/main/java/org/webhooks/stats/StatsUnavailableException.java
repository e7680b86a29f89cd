package org.webhooks.stats;

/**
 * A query cannot be answered now: the stores are being restored or moved between instances (a
 * rebalance), or the instance holding them cannot be reached. Asking again a little later usually
 * works; a REST layer answers 503.
 */
public final class StatsUnavailableException extends RuntimeException {

  public StatsUnavailableException(String message) {
    super(message);
  }

  public StatsUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
