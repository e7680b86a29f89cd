package org.webhooks.stats;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyWindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.MatchVerdicts;

/**
 * Answers the queries of {@link DeliveryStatsQueries} from stores of this process: those of one task
 * when routed to the instance that holds the key, or a TopologyTestDriver's in tests. Every store key
 * is built from the account asked for ({@link StatsKeys}), and each attempt read is checked to be of
 * that account once more before it is returned.
 */
final class LocalStatsReader implements DeliveryStatsQueries {

  /** Index records examined at most for one page: a filter that matches little cannot make a query run long. */
  static final int MAX_SCANNED = 10_000;

  /** Where the stores are. */
  interface Stores {
    /** @throws StatsUnavailableException when the store cannot be read now */
    ReadOnlyWindowStore<String, byte[]> window(String name);

    /** @throws StatsUnavailableException when the store cannot be read now */
    ReadOnlyKeyValueStore<String, byte[]> keyValue(String name);
  }

  private final Stores stores;
  private final String attemptsTopic;
  private final Deserializer<DeliveryAttempt> attempts;
  private final String verdictsTopic;
  private final Deserializer<MatchVerdicts> verdicts;
  private final AlertPolicy policy;
  private final Duration retention;
  private final Clock clock;

  /**
   * The deserializers of the indexed records, made once (they cache a reader per writer schema).
   *
   * @param attemptsTopic the topic attempt records came from (their serde looks schemas up by it)
   * @param verdictsTopic the topic match verdict records came from
   */
  record Decoders(String attemptsTopic, Deserializer<DeliveryAttempt> attempts, String verdictsTopic,
      Deserializer<MatchVerdicts> verdicts) {

    static Decoders of(Topics topics, SchemaRegistryClient registry) {
      return new Decoders(topics.attempts().name(), topics.attempts().valueSerde(registry).deserializer(),
          topics.matchVerdicts().name(), topics.matchVerdicts().valueSerde(registry).deserializer());
    }
  }

  /**
   * @param decoders the deserializers of the indexed records
   * @param retention {@code WEBHOOKS_ATTEMPT_RETENTION}: attempts older than this are not listed
   * @param clock the "now" that windows end at
   */
  LocalStatsReader(Stores stores, Decoders decoders, AlertPolicy policy, Duration retention, Clock clock) {
    this.stores = stores;
    this.attemptsTopic = decoders.attemptsTopic();
    this.attempts = decoders.attempts();
    this.verdictsTopic = decoders.verdictsTopic();
    this.verdicts = decoders.verdicts();
    this.policy = policy;
    this.retention = retention;
    this.clock = clock;
  }

  @Override
  public EndpointStats stats(String accountId, String subscriptionId, StatsWindow window) {
    String key = StatsKeys.of(accountId, subscriptionId);
    Instant now = clock.instant();
    long bucketMs = window.bucket().toMillis();
    long last = now.toEpochMilli() - Math.floorMod(now.toEpochMilli(), bucketMs);
    long first = last - (window.buckets() - 1) * bucketMs;
    Map<Long, BucketStats> byStart = new HashMap<>();
    try (WindowStoreIterator<byte[]> it = stores.window(window.store())
        .fetch(key, Instant.ofEpochMilli(first), Instant.ofEpochMilli(last))) {
      while (it.hasNext()) {
        KeyValue<Long, byte[]> bucket = it.next();
        byStart.put(bucket.key, BucketStats.decode(bucket.value));
      }
    }
    BucketStats total = new BucketStats();
    List<StatsBucket> series = new ArrayList<>(window.buckets());
    for (long start = first; start <= last; start += bucketMs) {
      BucketStats b = byStart.getOrDefault(start, new BucketStats());
      total.add(b);
      series.add(StatsBucket.of(Instant.ofEpochMilli(start), b));
    }
    return new EndpointStats(accountId, subscriptionId, window.label(), Instant.ofEpochMilli(first), now,
        window.bucket().toSeconds(), StatsBucket.of(Instant.ofEpochMilli(first), total), series);
  }

  @Override
  public AttemptPage attempts(String accountId, String subscriptionId, AttemptQuery query) {
    String key = StatsKeys.of(accountId, subscriptionId);
    AttemptCursor cursor = query.cursor() == null ? null : AttemptCursor.decode(query.cursor());
    Instant now = clock.instant();
    Instant oldest = now.minus(retention);
    Instant from = query.since() == null || query.since().isBefore(oldest) ? oldest : query.since();
    Instant to = query.until() == null ? now : query.until();
    if (cursor != null && cursor.timestampMs() < to.toEpochMilli()) {
      to = Instant.ofEpochMilli(cursor.timestampMs());
    }
    List<AttemptRecord> page = new ArrayList<>();
    if (from.isAfter(to)) {
      return new AttemptPage(page, null);
    }
    int scanned = 0;
    try (WindowStoreIterator<byte[]> it = stores.window(StatsStores.ATTEMPTS_BY_SUBSCRIPTION).backwardFetch(key, from, to)) {
      while (it.hasNext()) {
        KeyValue<Long, byte[]> entry = it.next();
        List<byte[]> records = AttemptList.read(entry.value);
        int i = records.size() - 1;
        if (cursor != null && entry.key == cursor.timestampMs()) {
          i = Math.min(i, cursor.remaining() - 1);
        }
        for (; i >= 0; i--) {
          if (page.size() == query.limit() || scanned == MAX_SCANNED) {
            // one more record exists (this one), so there is a next page
            return new AttemptPage(page, new AttemptCursor(entry.key, i + 1).encode());
          }
          scanned++;
          DeliveryAttempt a = attempts.deserialize(attemptsTopic, records.get(i));
          if (a.getAccountId().equals(accountId) && matches(a, query)) {
            page.add(AttemptRecord.of(a));
          }
        }
      }
    }
    return new AttemptPage(page, null);
  }

  private static boolean matches(DeliveryAttempt a, AttemptQuery q) {
    return (q.outcomes().isEmpty() || q.outcomes().contains(a.getOutcome()))
        && (q.eventType() == null || q.eventType().equals(a.getEventType()));
  }

  @Override
  public EventAttempts eventAttempts(String accountId, String eventId) {
    String key = StatsKeys.of(accountId, eventId);
    List<AttemptRecord> out = new ArrayList<>();
    Instant oldest = clock.instant().minus(retention);
    try (WindowStoreIterator<byte[]> it = stores.window(StatsStores.ATTEMPTS_BY_EVENT)
        .fetch(key, oldest, Instant.ofEpochMilli(Long.MAX_VALUE))) {
      while (it.hasNext()) {
        for (byte[] record : AttemptList.read(it.next().value)) {
          DeliveryAttempt a = attempts.deserialize(attemptsTopic, record);
          if (a.getAccountId().equals(accountId) && a.getEventId().equals(eventId)) {
            out.add(AttemptRecord.of(a));
          }
        }
      }
    }
    return new EventAttempts(accountId, eventId, out);
  }

  @Override
  public EventVerdicts eventVerdicts(String accountId, String eventId) {
    String key = StatsKeys.of(accountId, eventId);
    List<MatchDecision> out = new ArrayList<>();
    Instant oldest = clock.instant().minus(retention);
    try (WindowStoreIterator<byte[]> it = stores.window(StatsStores.VERDICTS_BY_EVENT)
        .fetch(key, oldest, Instant.ofEpochMilli(Long.MAX_VALUE))) {
      while (it.hasNext()) {
        for (byte[] record : AttemptList.read(it.next().value)) {
          MatchVerdicts v = verdicts.deserialize(verdictsTopic, record);
          if (v.getAccountId().equals(accountId) && v.getEventId().equals(eventId)) {
            out.add(MatchDecision.of(v));
          }
        }
      }
    }
    out.sort(Comparator.comparing(MatchDecision::decidedAt));
    return new EventVerdicts(accountId, eventId, out);
  }

  @Override
  public Optional<AttemptRecord> attempt(String accountId, String attemptId) {
    Instant oldest = clock.instant().minus(retention);
    try (WindowStoreIterator<byte[]> where = stores.window(StatsStores.ATTEMPTS_BY_ID)
        .fetch(StatsKeys.of(accountId, attemptId), oldest, Instant.ofEpochMilli(Long.MAX_VALUE))) {
      while (where.hasNext()) {
        KeyValue<Long, byte[]> entry = where.next();
        String subscriptionId = new String(entry.value, StandardCharsets.UTF_8);
        byte[] list = stores.window(StatsStores.ATTEMPTS_BY_SUBSCRIPTION)
            .fetch(StatsKeys.of(accountId, subscriptionId), entry.key);
        if (list == null) {
          continue;
        }
        for (byte[] record : AttemptList.read(list)) {
          DeliveryAttempt a = attempts.deserialize(attemptsTopic, record);
          if (a.getAttemptId().equals(attemptId) && a.getAccountId().equals(accountId)) {
            return Optional.of(AttemptRecord.of(a));
          }
        }
      }
    }
    return Optional.empty();
  }

  @Override
  public Optional<EndpointHealthReport> health(String accountId, String subscriptionId) {
    byte[] stored = stores.keyValue(StatsStores.ENDPOINT_HEALTH).get(StatsKeys.of(accountId, subscriptionId));
    if (stored == null) {
      return Optional.empty();
    }
    EndpointHealth h = EndpointHealth.decode(stored);
    if (!h.accountId.equals(accountId)) {
      return Optional.empty();
    }
    return Optional.of(EndpointHealthReport.of(h, policy, clock.instant()));
  }
}
