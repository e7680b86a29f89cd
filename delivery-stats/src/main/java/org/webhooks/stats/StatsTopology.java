package org.webhooks.stats;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.OperationalEvent;

/**
 * The delivery-stats topology, built apart from starting it so that tests drive exactly what runs in
 * production.
 *
 * <pre>
 * [webhook-attempts] (bytes) -> attempt-decoder
 *     undecodable -> [webhook-dead-letters]       key raw key, DeadLetter UNDECODABLE
 *     decoded (key subscription id, timestamp started_at)
 *       -> stats-recorder     stores stats-by-minute, stats-by-hour
 *       -> subscription-index store attempts-by-subscription
 *       -> attempt-id-index   store attempts-by-id (where each attempt is, for lookups by attempt id)
 *       -> endpoint-health    store endpoint-health -> [webhook-operational-events]  key subscription id
 *       -> by-event key       account|event_id, started_at + bytes
 *            -> [&lt;application id&gt;-attempts-by-event-repartition]
 *            -> event-index   store attempts-by-event
 *
 * [webhook-match-verdicts] (bytes, key event_id) -> verdict-index  store verdicts-by-event
 *     undecodable -> [webhook-dead-letters]
 * </pre>
 *
 * <p>Attempts are keyed, so partitioned, by subscription: one endpoint's attempts are all in one task,
 * which is what its counts, histograms and health need. One event's attempts to an account's endpoints
 * are spread over as many partitions as it has endpoints, so the by-event index is fed through a
 * repartition topic keyed by account and event id, which brings them to one task and one store entry.
 */
public final class StatsTopology {

  /** Name of the repartition step; its topic is {@code <application id>-attempts-by-event-repartition}. */
  public static final String BY_EVENT_REPARTITION = "attempts-by-event";

  private StatsTopology() {}

  /**
   * Builds the topology. Nothing is contacted until it runs; then the registry is used to look up
   * writer schemas and register the output schemas.
   *
   * @param topics the topic names (prefix included)
   * @param registry the schema registry of every Avro value
   * @param policy when endpoints are failing, recovered or to be disabled
   * @param attemptRetention how long the attempt indexes keep an attempt ({@code WEBHOOKS_ATTEMPT_RETENTION})
   * @param clock the time of operational events, dead letters and every judgement of an endpoint
   * @param disabler disables endpoints that have gone without a success for too long
   * @param metrics counters updated while it runs
   */
  static Topology build(Topics topics, SchemaRegistryClient registry, AlertPolicy policy,
      Duration attemptRetention, Clock clock, EndpointDisabler disabler, StatsMetrics metrics) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.addStateStore(StatsStores.minuteStats());
    builder.addStateStore(StatsStores.hourStats());
    builder.addStateStore(StatsStores.attemptsBySubscription(attemptRetention));
    builder.addStateStore(StatsStores.attemptsByEvent(attemptRetention));
    builder.addStateStore(StatsStores.endpointHealth());
    builder.addStateStore(StatsStores.attemptsById(attemptRetention));
    builder.addStateStore(StatsStores.verdictsByEvent(attemptRetention));

    var attemptSerde = topics.attempts().valueSerde(registry);
    KStream<String, Object> decoded = builder
        .stream(topics.attempts().name(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("attempts-source"))
        .process(() -> new AttemptDecoder(topics.attempts().name(), attemptSerde.deserializer(), clock, metrics),
            Named.as("attempt-decoder"));
    Map<String, KStream<String, Object>> branches = decoded.split(Named.as("decoded-"))
        .branch((k, v) -> v instanceof DeadLetter, Branched.as("dead-letter"))
        .defaultBranch(Branched.as("attempt"));

    branches.get("decoded-dead-letter").mapValues(v -> (DeadLetter) v, Named.as("as-dead-letter"))
        .to(topics.deadLetters().name(), Produced.with(Serdes.String(), topics.deadLetters().valueSerde(registry))
            .withName("dead-letters-sink"));

    KStream<String, DecodedAttempt> attempts = branches.get("decoded-attempt")
        .mapValues(v -> (DecodedAttempt) v, Named.as("as-attempt"));
    attempts.process(StatsRecorder::new, Named.as("stats-recorder"), StatsStores.MINUTE_STATS, StatsStores.HOUR_STATS);
    attempts.process(AttemptIndexer::bySubscription, Named.as("subscription-index"),
        StatsStores.ATTEMPTS_BY_SUBSCRIPTION);
    attempts.process(AttemptIdIndexer::new, Named.as("attempt-id-index"), StatsStores.ATTEMPTS_BY_ID);
    attempts.process(() -> new EndpointHealthTracker(policy, clock, disabler, metrics), Named.as("endpoint-health"),
            StatsStores.ENDPOINT_HEALTH)
        .to(topics.operationalEvents().name(),
            Produced.with(Serdes.String(), topics.operationalEvents().valueSerde(registry))
                .withName("operational-events-sink"));
    attempts
        .map((k, d) -> KeyValue.pair(StatsKeys.of(d.attempt().getAccountId(), d.attempt().getEventId()),
            AttemptIndexer.indexEntry(d)), Named.as("by-event-key"))
        .repartition(Repartitioned.<String, byte[]>as(BY_EVENT_REPARTITION)
            .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()))
        .process(AttemptIndexer::byEvent, Named.as("event-index"), StatsStores.ATTEMPTS_BY_EVENT);

    var verdictSerde = topics.matchVerdicts().valueSerde(registry);
    builder.stream(topics.matchVerdicts().name(),
            Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("verdicts-source"))
        .process(() -> new VerdictIndexer(topics.matchVerdicts().name(), verdictSerde.deserializer(), clock, metrics),
            Named.as("verdict-index"), StatsStores.VERDICTS_BY_EVENT)
        .to(topics.deadLetters().name(), Produced.with(Serdes.String(), topics.deadLetters().valueSerde(registry))
            .withName("verdict-dead-letters-sink"));
    return builder.build();
  }
}
