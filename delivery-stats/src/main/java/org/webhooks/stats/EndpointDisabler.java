package org.webhooks.stats;

import java.time.Instant;

/**
 * Disables a subscription on the platform's behalf (auto-disable of an endpoint that keeps failing),
 * and tells which subscriptions are gone, so that their endpoint health is not kept forever.
 */
interface EndpointDisabler {

  /** What became of a request to disable. */
  enum Result {
    /** Disabled now, or found disabled by an earlier auto-disable (one whose transaction was not committed). */
    DISABLED,
    /** Already disabled for another reason (410 Gone, the customer): nothing written. */
    DISABLED_BEFORE,
    /** The subscription does not exist (deleted), or belongs to another account. */
    NOT_FOUND,
    /** Not known yet whether it exists (the subscriptions are still being read); ask again later. */
    NOT_READY
  }

  /**
   * @param reason why, written to the subscription's {@code disabled_reason} (with the time)
   * @throws IllegalStateException when the write fails (the caller asks again later)
   */
  Result disable(String accountId, String subscriptionId, String reason, Instant now);

  /**
   * @return true only when it is known that the subscription no longer exists (or is another
   *     account's); false when it exists or when that is not known yet
   */
  boolean isDeleted(String accountId, String subscriptionId);
}
