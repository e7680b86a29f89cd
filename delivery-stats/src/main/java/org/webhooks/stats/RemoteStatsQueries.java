package org.webhooks.stats;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@link DeliveryStatsQueries} of a process that does not run delivery-stats itself (a control plane
 * of its own): each query goes to a delivery-stats process over its internal routes
 * ({@code /internal/delivery-stats/*}, with {@code WEBHOOKS_INTERNAL_TOKEN}), and that process answers
 * it or forwards it to the instance holding the key, as it does for its peers. The processes are
 * {@code WEBHOOKS_STATS_URL}, asked in the order given: the next one when one cannot answer.
 */
public final class RemoteStatsQueries implements DeliveryStatsQueries {

  private final List<URI> instances;
  private final PeerClient client;

  /**
   * @param instances base URLs ({@code http://host:port}) of delivery-stats processes' HTTP ports; at least one
   * @param token {@code WEBHOOKS_INTERNAL_TOKEN}, the same as theirs
   * @throws IllegalArgumentException when {@code instances} is empty
   */
  public RemoteStatsQueries(List<URI> instances, String token) {
    if (instances.isEmpty()) {
      throw new IllegalArgumentException("at least one delivery-stats URL is needed");
    }
    this.instances = List.copyOf(instances);
    this.client = new PeerClient(token, false);
  }

  @Override
  public EndpointStats stats(String accountId, String subscriptionId, StatsWindow window) {
    StatsKeys.of(accountId, subscriptionId);
    return ask(StatsRoutes.STATS, Map.of("account_id", accountId, "subscription_id", subscriptionId,
        "window", window.label()), EndpointStats.class).orElseThrow();
  }

  @Override
  public AttemptPage attempts(String accountId, String subscriptionId, AttemptQuery query) {
    StatsKeys.of(accountId, subscriptionId);
    Map<String, String> params = new LinkedHashMap<>(StatsRoutes.params(query));
    params.put("account_id", accountId);
    params.put("subscription_id", subscriptionId);
    return ask(StatsRoutes.ATTEMPTS, params, AttemptPage.class).orElseThrow();
  }

  @Override
  public EventAttempts eventAttempts(String accountId, String eventId) {
    StatsKeys.of(accountId, eventId);
    return ask(StatsRoutes.EVENT_ATTEMPTS, Map.of("account_id", accountId, "event_id", eventId),
        EventAttempts.class).orElseThrow();
  }

  @Override
  public EventVerdicts eventVerdicts(String accountId, String eventId) {
    StatsKeys.of(accountId, eventId);
    return ask(StatsRoutes.EVENT_VERDICTS, Map.of("account_id", accountId, "event_id", eventId),
        EventVerdicts.class).orElseThrow();
  }

  @Override
  public Optional<AttemptRecord> attempt(String accountId, String attemptId) {
    StatsKeys.of(accountId, attemptId);
    return ask(StatsRoutes.ATTEMPT, Map.of("account_id", accountId, "attempt_id", attemptId), AttemptRecord.class);
  }

  @Override
  public Optional<EndpointHealthReport> health(String accountId, String subscriptionId) {
    StatsKeys.of(accountId, subscriptionId);
    return ask(StatsRoutes.HEALTH, Map.of("account_id", accountId, "subscription_id", subscriptionId),
        EndpointHealthReport.class);
  }

  private <T> Optional<T> ask(String path, Map<String, String> params, Class<T> type) {
    return firstAnswer(base -> client.get(base, path, params, type));
  }

  private <T> T firstAnswer(Function<URI, T> query) {
    StatsUnavailableException last = null;
    for (URI base : instances) {
      try {
        return query.apply(base);
      } catch (StatsUnavailableException e) {
        last = e;
      }
    }
    throw last;
  }
}
