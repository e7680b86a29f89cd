package org.webhooks.fanout;

import java.time.Clock;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The fanout-stream topology, built apart from starting it so that tests drive exactly what runs in
 * production.
 *
 * <pre>
 * [webhook-subscriptions] -> subscription-updater -> global store "subscriptions"
 *     keys: {account_id}|{subscription_id} -> Subscription bytes, |id|{subscription_id} -> account_id
 *
 * [call-events] (key and value as bytes) -> fanout
 * [webhook-operational-events] (bytes)      -> operational-fanout
 *   each -> deliveries-sink   [webhook-deliveries]     key subscription id, DeliveryTask, one per match
 *        -> verdicts-sink     [webhook-match-verdicts] key event id, MatchVerdicts, one per event
 *        -> dead-letters-sink [webhook-dead-letters]   key raw key, DeadLetter UNDECODABLE
 * </pre>
 *
 * <p>A GlobalKTable join would yield at most one subscription per event; a global store scanned by
 * account prefix yields all of them without repartitioning the events. Operational events are matched
 * by the same processor code as call events, so they are filtered, signed and retried the same way.
 */
public final class FanoutTopology {

  /** Name of the global subscription store. */
  public static final String SUBSCRIPTION_STORE = "subscriptions";
  /** Name of the call-events source node. */
  public static final String EVENTS_SOURCE = "call-events-source";
  /** Name of the processor that matches events to subscriptions. */
  public static final String FANOUT_PROCESSOR = "fanout";
  /** Name of the webhook-operational-events source node. */
  public static final String OPERATIONAL_EVENTS_SOURCE = "operational-events-source";
  /** Name of the processor that matches operational events to subscriptions. */
  public static final String OPERATIONAL_FANOUT_PROCESSOR = "operational-fanout";
  /** Name of the sink of match verdicts. */
  public static final String VERDICTS_SINK = "verdicts-sink";
  /** Name of the sink of delivery tasks. */
  public static final String DELIVERIES_SINK = "deliveries-sink";
  /** Name of the sink of dead letters. */
  public static final String DEAD_LETTERS_SINK = "dead-letters-sink";
  /** Name of the subscriptions source node of the global store. */
  public static final String SUBSCRIPTIONS_SOURCE = "subscriptions-source";
  /** Name of the processor that maintains the global store. */
  public static final String SUBSCRIPTION_UPDATER = "subscription-updater";

  private FanoutTopology() {}

  /**
   * Builds the topology with counters nobody reads; see {@link #build(Topics, SchemaRegistryClient,
   * Clock, FanoutMetrics)}.
   */
  public static Topology build(Topics topics, SchemaRegistryClient registry, Clock clock) {
    return build(topics, registry, clock, new FanoutMetrics());
  }

  /**
   * Builds the topology with the default largest event ({@code WEBHOOKS_MAX_EVENT_BYTES}); see
   * {@link #build(Topics, SchemaRegistryClient, Clock, FanoutMetrics, int)}.
   */
  public static Topology build(Topics topics, SchemaRegistryClient registry, Clock clock, FanoutMetrics metrics) {
    return build(topics, registry, clock, metrics, WebhooksConfig.defaults().maxEventBytes());
  }

  /**
   * Builds the topology. Nothing is contacted until it runs; then the registry is used to look up
   * writer schemas and register the output schemas.
   *
   * @param topics the topic names (prefix included)
   * @param registry the schema registry of every Avro value
   * @param clock gives {@code created_at}/{@code due_at} of tasks and {@code dead_lettered_at}
   * @param metrics counters updated while it runs
   * @param maxEventBytes the largest rendered body a delivery may carry, bytes; a larger event is
   *     dead-lettered
   * @return a topology with one global store, two sources, two processors and three sinks
   */
  public static Topology build(Topics topics, SchemaRegistryClient registry, Clock clock, FanoutMetrics metrics,
      int maxEventBytes) {
    var subscriptionSerde = topics.subscriptions().valueSerde(registry);
    var eventSerde = topics.callEvents().valueSerde(registry);

    // Global stores are filled from their source topic, never from a changelog.
    StoreBuilder<KeyValueStore<String, byte[]>> store = Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SUBSCRIPTION_STORE), Serdes.String(), Serdes.ByteArray())
        .withLoggingDisabled();

    Topology topology = new Topology();
    topology.addGlobalStore(store, SUBSCRIPTIONS_SOURCE, new StringDeserializer(), new ByteArrayDeserializer(),
        topics.subscriptions().name(), SUBSCRIPTION_UPDATER,
        () -> new SubscriptionStoreUpdater(topics.subscriptions().name(),
            subscriptionSerde.deserializer(), metrics));

    SubscriptionMatcher matcher = new SubscriptionMatcher(metrics);
    topology.addSource(EVENTS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
        topics.callEvents().name());
    topology.addProcessor(FANOUT_PROCESSOR,
        () -> new EventFanout(topics.callEvents().name(), topics.subscriptions().name(),
            EventFanout.callEvents(topics.callEvents().name(), eventSerde.deserializer()),
            subscriptionSerde.deserializer(), matcher, clock, metrics, maxEventBytes),
        EVENTS_SOURCE);
    var operationalSerde = topics.operationalEvents().valueSerde(registry);
    topology.addSource(OPERATIONAL_EVENTS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(),
        topics.operationalEvents().name());
    topology.addProcessor(OPERATIONAL_FANOUT_PROCESSOR,
        () -> new EventFanout(topics.operationalEvents().name(), topics.subscriptions().name(),
            EventFanout.operationalEvents(topics.operationalEvents().name(), operationalSerde.deserializer()),
            subscriptionSerde.deserializer(), matcher, clock, metrics, maxEventBytes),
        OPERATIONAL_EVENTS_SOURCE);
    topology.addSink(DELIVERIES_SINK, topics.deliveries().name(), new StringSerializer(),
        topics.deliveries().valueSerde(registry).serializer(), FANOUT_PROCESSOR, OPERATIONAL_FANOUT_PROCESSOR);
    topology.addSink(VERDICTS_SINK, topics.matchVerdicts().name(), new StringSerializer(),
        topics.matchVerdicts().valueSerde(registry).serializer(), FANOUT_PROCESSOR, OPERATIONAL_FANOUT_PROCESSOR);
    topology.addSink(DEAD_LETTERS_SINK, topics.deadLetters().name(), new StringSerializer(),
        topics.deadLetters().valueSerde(registry).serializer(), FANOUT_PROCESSOR, OPERATIONAL_FANOUT_PROCESSOR);
    return topology;
  }
}
