package org.webhooks.stats;

import java.time.Instant;
import java.util.List;

/**
 * Statistics of one endpoint over a window.
 *
 * @param accountId the account asked for
 * @param subscriptionId the subscription asked for
 * @param window {@code 1h}, {@code 24h} or {@code 7d}
 * @param from start of the first bucket
 * @param to the time of the query (end of the last, current bucket)
 * @param bucketSeconds length of one bucket, s
 * @param total the whole window
 * @param series every bucket of the window, oldest first, empty ones included
 */
public record EndpointStats(String accountId, String subscriptionId, String window, Instant from, Instant to,
    long bucketSeconds, StatsBucket total, List<StatsBucket> series) {}
