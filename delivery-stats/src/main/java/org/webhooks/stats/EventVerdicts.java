package org.webhooks.stats;

import java.util.List;

/**
 * The match decisions recorded for one event of an account, oldest first: the fanout's when the event
 * was published, then those of any replay. Empty when the event is unknown to the account (never
 * published in it, or older than the index retention).
 *
 * @param accountId the account asked for
 * @param eventId the event (its {@code webhook-id})
 * @param decisions its decisions
 */
public record EventVerdicts(String accountId, String eventId, List<MatchDecision> decisions) {}
