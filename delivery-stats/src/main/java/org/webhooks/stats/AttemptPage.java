package org.webhooks.stats;

import java.util.List;

/**
 * One page of attempts, newest first.
 *
 * @param data the attempts
 * @param nextCursor pass it as the cursor of the next query for the page after; null when there is none
 */
public record AttemptPage(List<AttemptRecord> data, String nextCursor) {}
