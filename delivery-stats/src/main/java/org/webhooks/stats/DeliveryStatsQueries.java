package org.webhooks.stats;

import java.util.Optional;

/**
 * What delivery-stats answers, for a REST layer to serve as it is. Every query takes the account it
 * is asked for and returns only that account's data: store keys begin with the account, so another
 * account's subscription or event is simply not found (empty statistics, no attempts, no health).
 *
 * <p>Queries block (local RocksDB reads, or one HTTP request to the instance holding the data): call
 * them off event loops (a Vert.x {@code blockingHandler}).
 */
public interface DeliveryStatsQueries {

  /**
   * @return counts, success rate, latency percentiles and a time series of one endpoint over
   *     {@code window}, ending now; zeros when it had no attempts (or is not the account's)
   * @throws StatsUnavailableException when the data cannot be reached now
   * @throws IllegalArgumentException when an id is empty
   */
  EndpointStats stats(String accountId, String subscriptionId, StatsWindow window);

  /**
   * @return one page of the endpoint's attempts, newest first, filtered as {@code query} says
   * @throws StatsUnavailableException when the data cannot be reached now
   * @throws IllegalArgumentException naming {@code cursor} when it is not one this API returned, or
   *     when an id is empty
   */
  AttemptPage attempts(String accountId, String subscriptionId, AttemptQuery query);

  /**
   * @return every attempt of one event to the account's endpoints, oldest first
   * @throws StatsUnavailableException when the data cannot be reached now
   * @throws IllegalArgumentException when an id is empty
   */
  EventAttempts eventAttempts(String accountId, String eventId);

  /**
   * @return what the fanout (and any replay) decided about the event for each subscription of the
   *     account: why each did or did not receive it; empty decisions when the event is unknown to the account
   * @throws StatsUnavailableException when the data cannot be reached now
   * @throws IllegalArgumentException when an id is empty
   */
  EventVerdicts eventVerdicts(String accountId, String eventId);

  /**
   * Finds one attempt by its {@code attempt_id}, among the account's attempts within the index retention.
   * With several instances every one holding a part of the index is asked.
   *
   * @return the attempt, or empty when the account has none with that id
   * @throws StatsUnavailableException when some part of the index cannot be reached now and the others
   *     do not hold it
   * @throws IllegalArgumentException when an id is empty
   */
  Optional<AttemptRecord> attempt(String accountId, String attemptId);

  /**
   * @return the endpoint's current health; empty when it was never attempted (or is not the account's)
   * @throws StatsUnavailableException when the data cannot be reached now
   * @throws IllegalArgumentException when an id is empty
   */
  Optional<EndpointHealthReport> health(String accountId, String subscriptionId);
}
