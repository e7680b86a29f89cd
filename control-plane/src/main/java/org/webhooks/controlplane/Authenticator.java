package org.webhooks.controlplane;

import java.util.Optional;
import org.webhooks.data.ApiKeys;
import org.webhooks.data.CompactedTopicView;
import org.webhooks.schemas.avro.ApiKey;

/**
 * Checks the {@code Authorization: Bearer <key>} of a request against the process's view of
 * {@code webhook-api-keys}. Every refusal is the same 401, whatever was wrong, and it comes before
 * any lookup of what the request names, so that it tells nothing about what exists.
 */
final class Authenticator {

  private static final String BEARER = "bearer ";

  private final CompactedTopicView<ApiKey> keys;

  /** @param keys the view of the API keys (started) */
  Authenticator(CompactedTopicView<ApiKey> keys) {
    this.keys = keys;
  }

  /**
   * @param authorization the {@code Authorization} header, or null
   * @return the caller its key names
   * @throws ApiError 401 when the header is missing or malformed, or the key is unknown, wrong or revoked
   */
  Caller authenticate(String authorization) {
    if (authorization == null || authorization.length() <= BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      throw ApiError.unauthorized();
    }
    String presented = authorization.substring(BEARER.length()).trim();
    Optional<ApiKey> record = ApiKeys.idOf(presented).flatMap(keys::get);
    if (record.isEmpty() || !ApiKeys.accepts(record.get(), presented)) {
      throw ApiError.unauthorized();
    }
    ApiKey k = record.get();
    return new Caller(k.getId(), k.getAccountId(), k.getOperator());
  }
}
