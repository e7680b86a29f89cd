package org.webhooks.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * A response of the API before it is sent, so that a keyed POST can store it for repeats.
 *
 * @param status the HTTP status
 * @param body the JSON body, or null for none (204)
 * @param secret the secret the body carries in its {@code secret} field, or null; an idempotent
 *     repeat takes it again from the subscription rather than from a stored copy
 */
record ApiResponse(int status, JsonNode body, SecretRef secret) {

  /**
   * Names one signing secret of a subscription.
   *
   * @param subscriptionId the subscription
   * @param createdAt the secret's creation time, which tells it from the others
   */
  record SecretRef(String subscriptionId, Instant createdAt) {}

  static ApiResponse of(int status, JsonNode body) {
    return new ApiResponse(status, body, null);
  }
}
