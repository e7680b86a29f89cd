package org.webhooks.stats;

import java.util.List;

/**
 * One page of attempts, newest first.
 *
 * @param data the attempts
 * @param nextCursor pass it as the cursor of the next query for the page after; null when no attempt is
 *     left to look at. A page may hold fewer than the limit, even none, and still have a cursor: when a
 *     filter matched few of the records a page looks at (at most 10,000)
 */
public record AttemptPage(List<AttemptRecord> data, String nextCursor) {}
