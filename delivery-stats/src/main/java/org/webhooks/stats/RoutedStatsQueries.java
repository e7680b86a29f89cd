package org.webhooks.stats;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;

/**
 * {@link DeliveryStatsQueries} over Kafka Streams interactive queries: each query is answered by the
 * instance whose task holds its key ({@link KafkaStreams#queryMetadataForKey}), from this process's
 * stores when that is this instance, else over that instance's internal routes ({@link PeerClient}).
 *
 * <p>Routing keys: statistics, attempts and health live in the partition of the subscription id,
 * the key of {@code webhook-attempts}; an event's attempts in the partition of
 * {@code <account_id>|<event_id>}, the key of the by-event repartition topic; an event's match verdicts
 * in the partition of the event id, the key of {@code webhook-match-verdicts}. All were partitioned by
 * the default partitioner over the UTF-8 key, which is what the metadata lookup applies too. An attempt
 * looked up by its id has no routing key (its subscription is not known): every instance holding a part
 * of the index is asked.
 */
final class RoutedStatsQueries implements DeliveryStatsQueries {

  private static final Serializer<String> KEYS = new StringSerializer();

  /** Builds a reader over the given stores. */
  interface Readers {
    LocalStatsReader over(LocalStatsReader.Stores stores);
  }

  private final KafkaStreams streams;
  private final HostInfo self;
  private final PeerClient peers;
  private final Readers readers;
  private final boolean mayForward;
  private final StatsMetrics metrics;

  /**
   * @param self this instance's {@code application.server}, or null when it serves no routes (then
   *     every query is answered from this process's stores, which is right for a single instance only)
   * @param mayForward false for the answers to a forwarded query: this instance's stores or nothing
   */
  RoutedStatsQueries(KafkaStreams streams, HostInfo self, PeerClient peers, Readers readers, boolean mayForward,
      StatsMetrics metrics) {
    this.streams = streams;
    this.self = self;
    this.peers = peers;
    this.readers = readers;
    this.mayForward = mayForward;
    this.metrics = metrics;
  }

  @Override
  public EndpointStats stats(String accountId, String subscriptionId, StatsWindow window) {
    StatsKeys.of(accountId, subscriptionId);
    return route(window.store(), subscriptionId, r -> r.stats(accountId, subscriptionId, window),
        peer -> peers.get(peer, StatsRoutes.STATS, Map.of("account_id", accountId, "subscription_id", subscriptionId,
            "window", window.label()), EndpointStats.class).orElseThrow());
  }

  @Override
  public AttemptPage attempts(String accountId, String subscriptionId, AttemptQuery query) {
    StatsKeys.of(accountId, subscriptionId);
    if (query.cursor() != null) {
      AttemptCursor.decode(query.cursor());
    }
    return route(StatsStores.ATTEMPTS_BY_SUBSCRIPTION, subscriptionId, r -> r.attempts(accountId, subscriptionId, query),
        peer -> {
          Map<String, String> params = new LinkedHashMap<>(StatsRoutes.params(query));
          params.put("account_id", accountId);
          params.put("subscription_id", subscriptionId);
          return peers.get(peer, StatsRoutes.ATTEMPTS, params, AttemptPage.class).orElseThrow();
        });
  }

  @Override
  public EventAttempts eventAttempts(String accountId, String eventId) {
    return route(StatsStores.ATTEMPTS_BY_EVENT, StatsKeys.of(accountId, eventId), r -> r.eventAttempts(accountId, eventId),
        peer -> peers.get(peer, StatsRoutes.EVENT_ATTEMPTS, Map.of("account_id", accountId, "event_id", eventId),
            EventAttempts.class).orElseThrow());
  }

  @Override
  public EventVerdicts eventVerdicts(String accountId, String eventId) {
    StatsKeys.of(accountId, eventId);
    return route(StatsStores.VERDICTS_BY_EVENT, eventId, r -> r.eventVerdicts(accountId, eventId),
        peer -> peers.get(peer, StatsRoutes.EVENT_VERDICTS, Map.of("account_id", accountId, "event_id", eventId),
            EventVerdicts.class).orElseThrow());
  }

  @Override
  public Optional<AttemptRecord> attempt(String accountId, String attemptId) {
    StatsKeys.of(accountId, attemptId);
    if (self == null || !mayForward) {
      return readLocally(r -> r.attempt(accountId, attemptId), -1);
    }
    Collection<StreamsMetadata> holders;
    try {
      holders = streams.streamsMetadataForStore(StatsStores.ATTEMPTS_BY_ID);
    } catch (IllegalStateException | InvalidStateStoreException e) {
      throw new StatsUnavailableException("delivery statistics are not available yet: " + e.getMessage(), e);
    }
    StatsUnavailableException unreachable = null;
    for (StreamsMetadata holder : holders) {
      try {
        Optional<AttemptRecord> found = holder.hostInfo().equals(self)
            ? readLocally(r -> r.attempt(accountId, attemptId), -1)
            : forwarded(holder.hostInfo(), accountId, attemptId);
        if (found.isPresent()) {
          return found;
        }
      } catch (StatsUnavailableException e) {
        unreachable = e;
      }
    }
    if (unreachable != null || holders.isEmpty()) {
      throw unreachable != null ? unreachable : new StatsUnavailableException("delivery statistics are not available "
          + "yet (the stores are being assigned or restored); ask again shortly");
    }
    return Optional.empty();
  }

  private Optional<AttemptRecord> forwarded(HostInfo peer, String accountId, String attemptId) {
    metrics.queryForwarded();
    return peers.get(peer, StatsRoutes.ATTEMPT, Map.of("account_id", accountId, "attempt_id", attemptId),
        AttemptRecord.class);
  }

  @Override
  public Optional<EndpointHealthReport> health(String accountId, String subscriptionId) {
    StatsKeys.of(accountId, subscriptionId);
    return route(StatsStores.ENDPOINT_HEALTH, subscriptionId, r -> r.health(accountId, subscriptionId),
        peer -> peers.get(peer, StatsRoutes.HEALTH, Map.of("account_id", accountId, "subscription_id", subscriptionId),
            EndpointHealthReport.class));
  }

  private <T> T route(String store, String routingKey, Function<LocalStatsReader, T> local,
      Function<HostInfo, T> remote) {
    if (self == null) {
      return readLocally(local, -1);
    }
    KeyQueryMetadata owner;
    try {
      owner = streams.queryMetadataForKey(store, routingKey, KEYS);
    } catch (IllegalStateException | InvalidStateStoreException e) {
      throw new StatsUnavailableException("delivery statistics are not available yet: " + e.getMessage(), e);
    }
    if (owner == null || KeyQueryMetadata.NOT_AVAILABLE.equals(owner) || owner.activeHost() == null) {
      throw new StatsUnavailableException("delivery statistics are not available yet (the stores are being "
          + "assigned or restored); ask again shortly");
    }
    if (owner.activeHost().equals(self)) {
      return readLocally(local, owner.partition());
    }
    if (!mayForward) {
      throw new StatsUnavailableException("the data moved to delivery-stats instance " + owner.activeHost().host()
          + ":" + owner.activeHost().port() + " (a rebalance); ask again");
    }
    metrics.queryForwarded();
    return remote.apply(owner.activeHost());
  }

  private <T> T readLocally(Function<LocalStatsReader, T> local, int partition) {
    try {
      return local.apply(readers.over(stores(partition)));
    } catch (InvalidStateStoreException e) {
      // the task was moved or closed while its store was being read
      throw new StatsUnavailableException("delivery statistics moved while being read (" + e.getMessage()
          + "); ask again", e);
    }
  }

  /** @param partition the one task's stores to read, or -1 for every local task */
  private LocalStatsReader.Stores stores(int partition) {
    return new LocalStatsReader.Stores() {
      @Override
      public ReadOnlyWindowStore<String, byte[]> window(String name) {
        return open(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, byte[]>windowStore()));
      }

      @Override
      public ReadOnlyKeyValueStore<String, byte[]> keyValue(String name) {
        return open(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.<String, byte[]>keyValueStore()));
      }

      private <S> S open(StoreQueryParameters<S> params) {
        try {
          return streams.store(partition < 0 ? params : params.withPartition(partition));
        } catch (InvalidStateStoreException | IllegalStateException e) {
          throw new StatsUnavailableException("delivery statistics are not available yet (store "
              + params.storeName() + ": " + e.getMessage() + "); ask again shortly", e);
        }
      }
    };
  }
}
