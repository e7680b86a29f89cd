package org.webhooks.fanout;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.DeliveryTasks;
import org.webhooks.data.EventMatching;
import org.webhooks.data.FilterInput;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.OperationalEventJson;
import org.webhooks.schemas.OperationalEventTypes;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.MatchSource;
import org.webhooks.schemas.avro.MatchVerdict;
import org.webhooks.schemas.avro.MatchVerdicts;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.schemas.avro.SubscriptionVerdict;
import org.webhooks.schemas.UndecodableRecords;

/**
 * Turns one event record (of {@code call-events}, or of {@code webhook-operational-events}: both are
 * delivered the same way) into one {@link DeliveryTask} per matching subscription of the same account,
 * plus one {@link MatchVerdicts} record saying, for every subscription of the account considered, whether
 * it got the event and why not; or into one UNDECODABLE {@link DeadLetter} when the record cannot be used.
 * The event's body is built once, whatever the number of subscriptions: filters read its tree (turned
 * into their input only when a selected subscription has a filter) and every task carries the same
 * rendered bytes. Reads key and value as raw bytes so that a bad record reaches the dead-letter topic
 * byte for byte and never stops the stream.
 *
 * <p>A registry that cannot be reached is not the record's fault: it is thrown, the transaction
 * aborts, and the record is processed again by the replacement thread.
 */
final class EventFanout implements Processor<byte[], byte[], String, Object> {

  /** Verdicts listed at most in one record (about 30 bytes each); the rest are counted as unlisted. */
  static final int MAX_LISTED_VERDICTS = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(EventFanout.class);
  private static final StringSerializer PREFIX_SERIALIZER = new StringSerializer();

  /**
   * One event as the fanout matches it, whatever topic it came from.
   *
   * @param eventId its id, the {@code webhook-id}
   * @param eventType its wire type
   * @param accountId its account
   * @param callId its call ("" for an operational event)
   * @param body builds the body receivers get, as a JSON tree
   */
  record Incoming(String eventId, String eventType, String accountId, String callId, Supplier<ObjectNode> body) {}

  /** Reads the events of one topic. */
  interface EventReader {
    /**
     * @return the event, or null for one that is to be ignored (an operational event of a type this
     *     version does not know)
     * @throws RuntimeException with a reason fit for a dead letter when the value is not a usable event
     */
    Incoming read(byte[] value);
  }

  /** @return the reader of call-events */
  static EventReader callEvents(String topic, Deserializer<CallEvent> events) {
    return value -> {
      CallEvent e = events.deserialize(topic, requireValue(value));
      return new Incoming(e.getEventId(), EventTypes.wireName(e.getEventType()), e.getAccountId(), e.getCallId(),
          () -> CallEventJson.toBody(e));
    };
  }

  /** @return the reader of webhook-operational-events */
  static EventReader operationalEvents(String topic, Deserializer<OperationalEvent> events) {
    return value -> {
      OperationalEvent e = events.deserialize(topic, requireValue(value));
      if (e.getEventType() == OperationalEventType.UNKNOWN) {
        return null;
      }
      return new Incoming(e.getEventId(), OperationalEventTypes.wireName(e.getEventType()), e.getAccountId(), "",
          () -> OperationalEventJson.toBody(e));
    };
  }

  private final String topic;
  private final String subscriptionsTopic;
  private final EventReader reader;
  private final Deserializer<Subscription> subscriptions;
  private final SubscriptionMatcher matcher;
  private final Clock clock;
  private final FanoutMetrics metrics;
  private final int maxEventBytes;
  private final long maxCarriedBytes;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, byte[]> store;
  private final DecodedSubscriptions decoded = new DecodedSubscriptions();
  private LiveCommitPolicy liveCommits;

  EventFanout(String topic, String subscriptionsTopic, EventReader reader, Deserializer<Subscription> subscriptions,
      SubscriptionMatcher matcher, Clock clock, FanoutMetrics metrics, int maxEventBytes) {
    this.topic = topic;
    this.subscriptionsTopic = subscriptionsTopic;
    this.reader = reader;
    this.subscriptions = subscriptions;
    this.matcher = matcher;
    this.clock = clock;
    this.metrics = metrics;
    this.maxEventBytes = maxEventBytes;
    this.maxCarriedBytes = KafkaClients.maxRecordBytes(maxEventBytes) - KafkaClients.RECORD_OVERHEAD_BYTES;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.store = context.getStateStore(FanoutTopology.SUBSCRIPTION_STORE);
    this.liveCommits = new LiveCommitPolicy(new StreamThreadCommitTime(context.metrics()::metrics));
  }

  private static String abbreviate(String id) {
    return id.length() <= 64 ? id : id.substring(0, 64) + "...";
  }

  private static byte[] requireValue(byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("record has no value (a tombstone is not an event)");
    }
    return value;
  }

  /** The subscriptions of the event's account and what was decided about each. */
  private static final class Decisions {
    final List<SubscriptionVerdict> listed = new ArrayList<>();
    /** The subscriptions whose terms select the event, each with its listed verdict (null past the cap). */
    final List<DecodedSubscriptions.Decoded> selected = new ArrayList<>();
    final List<SubscriptionVerdict> selectedVerdicts = new ArrayList<>();
    int unlisted;

    SubscriptionVerdict add(String subscriptionId, MatchVerdict verdict) {
      if (listed.size() == MAX_LISTED_VERDICTS) {
        unlisted++;
        return null;
      }
      SubscriptionVerdict v = new SubscriptionVerdict(subscriptionId, verdict, null);
      listed.add(v);
      return v;
    }
  }

  /**
   * Fans the event out, then asks for a commit when the event is live ({@link LiveCommitPolicy}):
   * Kafka Streams commits after the records in hand.
   */
  @Override
  public void process(Record<byte[], byte[]> record) {
    fanOut(record);
    if (liveCommits.askAfter(record.timestamp(), clock.millis())) {
      context.commit();
    }
  }

  private void fanOut(Record<byte[], byte[]> record) {
    metrics.eventIn();
    Incoming event;
    try {
      event = reader.read(record.value());
      if (event == null) {
        return;
      }
      if (event.accountId().isEmpty()) {
        throw new IllegalArgumentException("event " + event.eventId() + " has an empty account_id");
      }
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      deadLetter(record, reasonOf(e));
      return;
    }
    Instant publishedAt = Instant.ofEpochMilli(record.timestamp());
    Decisions decisions = consider(event, publishedAt);
    if (decisions.selected.isEmpty()) {
      LOG.debug("event {} ({}) of account {} matches no subscription", event.eventId(), event.eventType(),
          event.accountId());
      writeVerdicts(event, publishedAt, decisions, record.timestamp());
      return;
    }
    // The body tree is built once per event: the filters read it and the task carries its bytes.
    ObjectNode tree;
    try {
      tree = event.body().get();
    } catch (RuntimeException e) {
      deadLetter(record, "cannot render event " + event.eventId() + ": " + reasonOf(e));
      return;
    }
    Supplier<FilterInput> input = new Supplier<>() {
      private FilterInput built;

      @Override
      public FilterInput get() {
        if (built == null) {
          built = FilterInput.of(tree);
        }
        return built;
      }
    };
    List<Subscription> matches = new ArrayList<>(decisions.selected.size());
    for (int i = 0; i < decisions.selected.size(); i++) {
      DecodedSubscriptions.Decoded d = decisions.selected.get(i);
      EventMatching.FilterVerdict verdict = matcher.filter(d, input);
      SubscriptionVerdict listed = decisions.selectedVerdicts.get(i);
      if (listed != null) {
        listed.setVerdict(verdict.verdict());
        listed.setDetail(verdict.detail());
      }
      if (verdict.verdict() == MatchVerdict.MATCHED) {
        matches.add(d.subscription());
      }
    }
    if (matches.isEmpty()) {
      LOG.debug("event {} ({}) of account {}: no filter accepts it", event.eventId(), event.eventType(),
          event.accountId());
      writeVerdicts(event, publishedAt, decisions, record.timestamp());
      return;
    }
    byte[] body;
    try {
      body = CallEventJson.render(tree);
    } catch (RuntimeException e) {
      deadLetter(record, "cannot render event " + event.eventId() + ": " + reasonOf(e));
      return;
    }
    // A task past the record limit would be refused by the broker, and the stream thread would fail on
    // it again and again, stopping every tenant's events. The ids are counted at 3 bytes a character
    // (the most UTF-8 takes), which only matters when they are huge.
    if (body.length > maxEventBytes) {
      deadLetter(record, "event " + abbreviate(event.eventId()) + " renders to " + body.length
          + " bytes, more than the " + maxEventBytes + " of " + Setting.MAX_EVENT_BYTES.envName());
      return;
    }
    if (body.length + 3L * (event.callId().length() + event.accountId().length()) > maxCarriedBytes) {
      deadLetter(record, "event " + abbreviate(event.eventId()) + " has a call_id and account_id too long "
          + "for a delivery to carry them beside its body of " + body.length + " bytes");
      return;
    }
    Instant now = clock.instant();
    for (Subscription subscription : matches) {
      // One array for all tasks of this event; each task gets its own buffer position.
      DeliveryTask task = DeliveryTasks.first(subscription.getId(), event.accountId(), event.eventId(),
          event.eventType(), event.callId(), body, publishedAt, now);
      context.forward(new Record<>(subscription.getId(), (Object) task, record.timestamp()),
          FanoutTopology.DELIVERIES_SINK);
      metrics.deliveryOut();
    }
    writeVerdicts(event, publishedAt, decisions, record.timestamp());
    LOG.debug("event {} ({}) of account {} fanned out to {} subscriptions", event.eventId(), event.eventType(),
        event.accountId(), matches.size());
  }

  /**
   * @return every subscription of the event's account in store (key) order with the verdict of its
   *     terms, and those the terms select (filters not evaluated yet)
   */
  private Decisions consider(Incoming event, Instant publishedAt) {
    Decisions out = new Decisions();
    String prefix = SubscriptionStoreKeys.accountPrefix(event.accountId());
    try (KeyValueIterator<String, byte[]> it = store.prefixScan(prefix, PREFIX_SERIALIZER)) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> entry = it.next();
        DecodedSubscriptions.Decoded subscription;
        try {
          subscription = decoded.get(entry.key, entry.value, v -> subscriptions.deserialize(subscriptionsTopic, v));
        } catch (RuntimeException e) {
          if (SchemaRegistryClient.isUnreachable(e)) {
            throw e;
          }
          // It decoded when it was stored, so its schema has since gone from the registry. Skipping
          // this one subscription keeps the others flowing; retrying would stall the partition.
          LOG.error("subscription entry {} cannot be read, event {} is not delivered to it: {}", entry.key,
              event.eventId(), e.getMessage());
          continue;
        }
        Subscription s = subscription.subscription();
        if (!EventMatching.ofAccount(s, event.accountId())) {
          continue;
        }
        MatchVerdict terms = matcher.terms(s, event.eventType(), publishedAt);
        SubscriptionVerdict listed = out.add(s.getId(), terms);
        if (terms == MatchVerdict.MATCHED) {
          out.selected.add(subscription);
          out.selectedVerdicts.add(listed);
        }
      }
    }
    return out;
  }

  private void writeVerdicts(Incoming event, Instant publishedAt, Decisions decisions, long timestamp) {
    MatchVerdicts verdicts = MatchVerdicts.newBuilder()
        .setEventId(event.eventId())
        .setEventType(event.eventType())
        .setAccountId(event.accountId())
        .setPublishedAt(publishedAt)
        .setDecidedAt(clock.instant())
        .setSource(MatchSource.FANOUT)
        .setVerdicts(decisions.listed)
        .setUnlisted(decisions.unlisted)
        .build();
    context.forward(new Record<>(event.eventId(), (Object) verdicts, timestamp), FanoutTopology.VERDICTS_SINK);
  }

  private static String reasonOf(RuntimeException e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private void deadLetter(Record<byte[], byte[]> record, String reason) {
    RecordMetadata source = context.recordMetadata().orElse(null);
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    DeadLetter letter = UndecodableRecords.deadLetter(source == null ? topic : source.topic(),
        source == null ? null : source.partition(), source == null ? null : source.offset(), record.key(),
        record.value(), reason, clock.instant());
    context.forward(new Record<>(key, (Object) letter, record.timestamp()), FanoutTopology.DEAD_LETTERS_SINK);
    metrics.deadLetter();
    LOG.warn("dead-lettered {} record {}-{}@{}: {}", topic, letter.getSourceTopic(),
        letter.getSourcePartition(), letter.getSourceOffset(), letter.getReason());
  }
}
