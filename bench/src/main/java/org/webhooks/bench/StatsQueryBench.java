package org.webhooks.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.AttemptQuery;
import org.webhooks.stats.DeliveryStatsQueries;
import org.webhooks.stats.DeliveryStatsService;
import org.webhooks.stats.StatsJson;
import org.webhooks.stats.StatsUnavailableException;
import org.webhooks.stats.StatsWindow;

/**
 * {@code bench --stats-queries}: how long delivery-stats' queries take for one endpoint with many
 * attempts. Writes {@code attempts} attempt records of one subscription straight to
 * {@code webhook-attempts} (spread evenly over the last 6 days: 90 % succeeded, 8 % http_error, 2 %
 * timeout), lets a delivery-stats service index them, then times each query as the control plane serves
 * it (the query through {@link DeliveryStatsQueries} and its JSON), one at a time.
 */
public final class StatsQueryBench {

  private static final Logger LOG = LoggerFactory.getLogger(StatsQueryBench.class);
  private static final String ACCOUNT = "acct_bench";
  /** Within the 7d window, whose first hour bucket starts up to an hour after now - 7 days. */
  private static final Duration SPREAD = Duration.ofDays(6);
  private static final Duration INDEX_TIMEOUT = Duration.ofMinutes(60);

  private StatsQueryBench() {}

  /** A timed query: what it asks and the histogram of its times, in microseconds. */
  private record Timed(String name, Supplier<Object> query, Histogram micros) {}

  /**
   * @param config the bench's settings, on a fresh data dir
   * @param dataDir the temporary data dir of the embedded stack and the service's state
   * @param attempts attempt records to write
   * @param queries how many times each query is timed (after as many warm-up runs, at most 100)
   * @return the report, one {@code key: value} each
   * @throws Exception when the stack or delivery-stats does not start, or the attempts are not indexed
   *     within 60 minutes
   */
  public static Map<String, Object> run(WebhooksConfig config, Path dataDir, int attempts, int queries) throws Exception {
    Map<String, Object> report = new LinkedHashMap<>();
    // delivery-stats stops before the stack it reads, which closes when this block ends
    try (EmbeddedStack stack = EmbeddedStack.start(dataDir, 0, 0, 0)) {
      run(config, dataDir, attempts, queries, stack, report);
    }
    return report;
  }

  private static void run(WebhooksConfig config, Path dataDir, int attempts, int queries, EmbeddedStack stack,
      Map<String, Object> report) throws Exception {
    DeliveryStatsService stats = null;
    try {
      WebhooksConfig c = config.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
          .with(Setting.REGISTRY_URL, stack.registryUrl());
      KafkaClients.ensureTopics(c);
      // a real subscription: delivery-stats drops the health of one that does not exist
      String subscription;
      try (SubscriptionStore store = new SubscriptionStore(c)) {
        Subscription s = SubscriptionRules.newSubscription(ACCOUNT, "http://127.0.0.1:9/hooks",
            List.of("call.completed"), null, null, c.targetPolicy(), Instant.now());
        store.save(s);
        subscription = s.getId();
      }
      Instant now = Instant.now();
      List<String> attemptIds = new ArrayList<>();
      List<String> eventIds = new ArrayList<>();
      long writeStart = System.nanoTime();
      write(c, subscription, attempts, now, attemptIds, eventIds);
      double writeSeconds = (System.nanoTime() - writeStart) / 1e9;
      LOG.info("bench: wrote {} attempts in {} s", attempts, format(writeSeconds));

      long indexStart = System.nanoTime();
      stats = new DeliveryStatsService(c, dataDir.resolve("delivery-stats-state"));
      stats.start();
      DeliveryStatsQueries q = stats.queries();
      awaitIndexed(q, subscription, attempts, attemptIds.get(attemptIds.size() - 1),
          eventIds.get(eventIds.size() - 1));
      double indexSeconds = (System.nanoTime() - indexStart) / 1e9;

      Random random = new Random(7);
      String deepCursor = q.attempts(ACCOUNT, subscription, new AttemptQuery(Set.of(), null, null,
          now.minus(Duration.ofDays(3)), null, 1)).nextCursor();
      List<Timed> timed = List.of(
          timed("stats_1h", () -> q.stats(ACCOUNT, subscription, StatsWindow.HOUR)),
          timed("stats_24h", () -> q.stats(ACCOUNT, subscription, StatsWindow.DAY)),
          timed("stats_7d", () -> q.stats(ACCOUNT, subscription, StatsWindow.WEEK)),
          timed("attempts_first_page", () -> q.attempts(ACCOUNT, subscription, AttemptQuery.all())),
          timed("attempts_page_3_days_back", () -> q.attempts(ACCOUNT, subscription, AttemptQuery.all().next(deepCursor))),
          timed("attempts_timeouts_of_a_day", () -> q.attempts(ACCOUNT, subscription, new AttemptQuery(
              Set.of(AttemptOutcome.TIMEOUT), null, now.minus(Duration.ofDays(1)), null, null, AttemptQuery.DEFAULT_LIMIT))),
          timed("event_attempts", () -> q.eventAttempts(ACCOUNT, eventIds.get(random.nextInt(eventIds.size())))),
          timed("event_verdicts", () -> q.eventVerdicts(ACCOUNT, eventIds.get(random.nextInt(eventIds.size())))),
          timed("attempt_by_id", () -> q.attempt(ACCOUNT, attemptIds.get(random.nextInt(attemptIds.size())))
              .orElseThrow()),
          timed("health", () -> q.health(ACCOUNT, subscription).orElseThrow()));
      int warmUp = Math.min(queries, 100);
      for (Timed t : timed) {
        for (int i = 0; i < warmUp; i++) {
          serve(t.query());
        }
        for (int i = 0; i < queries; i++) {
          long start = System.nanoTime();
          serve(t.query());
          t.micros().recordValue(Math.max(1, (System.nanoTime() - start) / 1000));
        }
      }

      report.put("attempts", attempts);
      report.put("attempts_write_seconds", format(writeSeconds));
      report.put("index_seconds", format(indexSeconds));
      report.put("indexed_per_second", format(attempts / indexSeconds));
      report.put("queries_each", queries);
      for (Timed t : timed) {
        report.put(t.name() + "_p50_ms", ms(t.micros().getValueAtPercentile(50)));
        report.put(t.name() + "_p99_ms", ms(t.micros().getValueAtPercentile(99)));
        report.put(t.name() + "_max_ms", ms(t.micros().getMaxValue()));
      }
      report.put("peak_rss_mb", BenchMemory.peakRssMb("self").orElse(-1));
    } finally {
      if (stats != null) {
        stats.close();
      }
    }
  }

  private static Timed timed(String name, Supplier<Object> query) {
    Histogram h = new Histogram(3);
    h.setAutoResize(true);
    return new Timed(name, query, h);
  }

  /** Runs a query and writes its answer as the control plane does. */
  private static void serve(Supplier<Object> query) throws Exception {
    StatsJson.mapper().writeValueAsBytes(query.get());
  }

  private static void write(WebhooksConfig c, String subscription, int n, Instant now, List<String> attemptIds,
      List<String> eventIds) throws Exception {
    Properties p = KafkaClients.common(c);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "20");
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    var serde = c.topics().attempts().valueSerde(new SchemaRegistryClient(c.registryUrl()));
    String topic = c.topics().attempts().name();
    Random random = new Random(1);
    long spreadMs = SPREAD.toMillis();
    long first = now.toEpochMilli() - spreadMs;
    try (KafkaProducer<String, DeliveryAttempt> producer = new KafkaProducer<>(p, new StringSerializer(),
        serde.serializer())) {
      for (int i = 0; i < n; i++) {
        Instant started = Instant.ofEpochMilli(first + (long) ((double) i / n * spreadMs));
        int roll = random.nextInt(100);
        AttemptOutcome outcome = roll < 90 ? AttemptOutcome.SUCCEEDED : roll < 98 ? AttemptOutcome.HTTP_ERROR
            : AttemptOutcome.TIMEOUT;
        String attemptId = UUID.randomUUID().toString();
        String eventId = "evt_bench_" + i;
        if (i % Math.max(1, n / 10_000) == 0) {
          attemptIds.add(attemptId);
          eventIds.add(eventId);
        }
        DeliveryAttempt a = DeliveryAttempt.newBuilder()
            .setAttemptId(attemptId)
            .setDeliveryId("dlv_bench_" + i)
            .setSubscriptionId(subscription)
            .setAccountId(ACCOUNT)
            .setEventId(eventId)
            .setEventType("call.completed")
            .setUrl("https://bench.example.com/hooks")
            .setAttempt(1)
            .setStartedAt(started)
            .setLatencyMs(outcome == AttemptOutcome.TIMEOUT ? 15_000 : 5 + random.nextInt(400))
            .setEventPublishedAt(started.minusMillis(20))
            .setOutcome(outcome)
            .setStatusCode(outcome == AttemptOutcome.SUCCEEDED ? Integer.valueOf(200)
                : outcome == AttemptOutcome.HTTP_ERROR ? Integer.valueOf(503) : null)
            .setError(outcome == AttemptOutcome.SUCCEEDED ? null : outcome == AttemptOutcome.TIMEOUT ? "timed out"
                : "HTTP 503")
            .setResponseExcerpt(outcome == AttemptOutcome.SUCCEEDED ? "{\"ok\":true}" : "unavailable")
            .setFinal$(outcome == AttemptOutcome.SUCCEEDED)
            .build();
        producer.send(new ProducerRecord<>(topic, subscription, a));
      }
      producer.flush();
    }
  }

  /** Waits until every attempt is counted and the last one is in both indexes. */
  private static void awaitIndexed(DeliveryStatsQueries q, String subscription, long n, String lastAttempt,
      String lastEvent) throws InterruptedException {
    long deadline = System.nanoTime() + INDEX_TIMEOUT.toNanos();
    long nextLog = 0;
    while (System.nanoTime() < deadline) {
      try {
        long counted = q.stats(ACCOUNT, subscription, StatsWindow.WEEK).total().attempts();
        if (counted == n && q.attempt(ACCOUNT, lastAttempt).isPresent()
            && !q.eventAttempts(ACCOUNT, lastEvent).attempts().isEmpty()) {
          return;
        }
        if (System.nanoTime() > nextLog) {
          LOG.info("bench: delivery-stats has counted {} of {} attempts", counted, n);
          nextLog = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        }
      } catch (StatsUnavailableException e) {
        // restoring or assigning: ask again
      }
      TimeUnit.MILLISECONDS.sleep(200);
    }
    throw new IllegalStateException("delivery-stats did not index the attempts within " + INDEX_TIMEOUT.toMinutes()
        + " minutes");
  }

  private static String ms(long micros) {
    return String.format(Locale.ROOT, "%.2f", micros / 1000.0);
  }

  private static String format(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
