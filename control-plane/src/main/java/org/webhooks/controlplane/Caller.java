package org.webhooks.controlplane;

/**
 * Who sent a request, as its API key says.
 *
 * @param keyId the id of the key, {@code key_...}
 * @param accountId the account of an account key; null for an operator key
 * @param operator true for an operator key, which names its account with {@code ?account_id=}
 */
record Caller(String keyId, String accountId, boolean operator) {}
