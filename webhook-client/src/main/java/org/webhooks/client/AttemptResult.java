package org.webhooks.client;

import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * What one HTTP attempt came to.
 *
 * @param outcome SUCCEEDED (2xx), HTTP_ERROR (any other status, 3xx included), TIMEOUT (no complete
 *     response within the HTTP timeout), CONNECTION_ERROR (name resolution, connect, TLS or stream
 *     failure), BLOCKED (the URL or an address it resolved to is refused by the target policy; nothing
 *     was sent), or OTHER (the request could not be built, e.g. no signing secret in force)
 * @param statusCode the HTTP status, or null when no response head arrived
 * @param latencyMs from handing the request to the client (name resolution included) to the end of
 *     the response or the error, in ms
 * @param error why it failed, one line; null on success
 * @param responseExcerpt the start of the response body, at most {@link ResponseExcerpt#MAX_BYTES}
 *     UTF-8 bytes; null when there was no body
 * @param retryAfter the response's {@code Retry-After} header as received (delay seconds or an
 *     HTTP date), or null when absent
 */
public record AttemptResult(AttemptOutcome outcome, Integer statusCode, long latencyMs, String error,
    String responseExcerpt, String retryAfter) {

  /** A result without a {@code Retry-After}. */
  public AttemptResult(AttemptOutcome outcome, Integer statusCode, long latencyMs, String error,
      String responseExcerpt) {
    this(outcome, statusCode, latencyMs, error, responseExcerpt, null);
  }

  /** @return true for a 2xx response. */
  public boolean succeeded() {
    return outcome == AttemptOutcome.SUCCEEDED;
  }

  /** @return a result for a request that was never sent. */
  public static AttemptResult notSent(AttemptOutcome outcome, String error) {
    return new AttemptResult(outcome, null, 0, error, null);
  }
}
