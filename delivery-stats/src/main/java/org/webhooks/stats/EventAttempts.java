package org.webhooks.stats;

import java.util.List;

/**
 * Every attempt of one event across an account's endpoints, oldest first (by start).
 *
 * @param accountId the account asked for
 * @param eventId the event (its {@code webhook-id})
 * @param attempts its attempts to every endpoint of the account, within the index retention
 */
public record EventAttempts(String accountId, String eventId, List<AttemptRecord> attempts) {}
