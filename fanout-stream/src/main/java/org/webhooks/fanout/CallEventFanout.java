package org.webhooks.fanout;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
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
import org.webhooks.data.FilterInput;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/**
 * Turns one call-events record into one {@link DeliveryTask} per matching subscription of the same
 * account, or into one UNDECODABLE {@link DeadLetter} when the record cannot be used. The event's body
 * is built once, whatever the number of subscriptions: filters read its tree (turned into their input
 * only when a selected subscription has a filter) and every task carries the same rendered bytes. Reads key and
 * value as raw bytes so that a bad record reaches the dead-letter topic byte for byte and never stops
 * the stream.
 *
 * <p>A registry that cannot be reached is not the record's fault: it is thrown, the transaction
 * aborts, and the record is processed again by the replacement thread.
 */
final class CallEventFanout implements Processor<byte[], byte[], String, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(CallEventFanout.class);
  private static final StringSerializer PREFIX_SERIALIZER = new StringSerializer();

  private final String topic;
  private final String subscriptionsTopic;
  private final Deserializer<CallEvent> events;
  private final Deserializer<Subscription> subscriptions;
  private final SubscriptionMatcher matcher;
  private final Clock clock;
  private final FanoutMetrics metrics;
  private final int maxEventBytes;
  private final long maxCarriedBytes;
  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, byte[]> store;
  private final DecodedSubscriptions decoded = new DecodedSubscriptions();

  CallEventFanout(String topic, String subscriptionsTopic, Deserializer<CallEvent> events,
      Deserializer<Subscription> subscriptions, SubscriptionMatcher matcher, Clock clock,
      FanoutMetrics metrics, int maxEventBytes) {
    this.topic = topic;
    this.subscriptionsTopic = subscriptionsTopic;
    this.events = events;
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
  }

  private static String abbreviate(String id) {
    return id.length() <= 64 ? id : id.substring(0, 64) + "...";
  }

  @Override
  public void process(Record<byte[], byte[]> record) {
    metrics.eventIn();
    CallEvent event;
    try {
      event = decode(record.value());
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      deadLetter(record, reasonOf(e));
      return;
    }
    Instant publishedAt = Instant.ofEpochMilli(record.timestamp());
    List<DecodedSubscriptions.Decoded> selected = selected(event, publishedAt);
    if (selected.isEmpty()) {
      LOG.debug("event {} ({}) of account {} matches no subscription", event.getEventId(),
          EventTypes.wireName(event.getEventType()), event.getAccountId());
      return;
    }
    // The body tree is built once per event: the filters read it and the task carries its bytes.
    ObjectNode tree;
    try {
      tree = CallEventJson.toBody(event);
    } catch (RuntimeException e) {
      deadLetter(record, "cannot render event " + event.getEventId() + ": " + reasonOf(e));
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
    List<Subscription> matches = new ArrayList<>(selected.size());
    for (DecodedSubscriptions.Decoded d : selected) {
      if (matcher.filterAccepts(d, input)) {
        matches.add(d.subscription());
      }
    }
    if (matches.isEmpty()) {
      LOG.debug("event {} ({}) of account {}: no filter accepts it", event.getEventId(),
          EventTypes.wireName(event.getEventType()), event.getAccountId());
      return;
    }
    byte[] body;
    try {
      body = CallEventJson.render(tree);
    } catch (RuntimeException e) {
      deadLetter(record, "cannot render event " + event.getEventId() + ": " + reasonOf(e));
      return;
    }
    // A task past the record limit would be refused by the broker, and the stream thread would fail on
    // it again and again, stopping every tenant's events. The ids are counted at 3 bytes a character
    // (the most UTF-8 takes), which only matters when they are huge.
    if (body.length > maxEventBytes) {
      deadLetter(record, "event " + abbreviate(event.getEventId()) + " renders to " + body.length
          + " bytes, more than the " + maxEventBytes + " of " + Setting.MAX_EVENT_BYTES.envName());
      return;
    }
    if (body.length + 3L * (event.getCallId().length() + event.getAccountId().length()) > maxCarriedBytes) {
      deadLetter(record, "event " + abbreviate(event.getEventId()) + " has a call_id and account_id too long "
          + "for a delivery to carry them beside its body of " + body.length + " bytes");
      return;
    }
    Instant now = clock.instant();
    String eventType = EventTypes.wireName(event.getEventType());
    for (Subscription subscription : matches) {
      DeliveryTask task = DeliveryTask.newBuilder()
          .setDeliveryId(DeliveryIds.of(subscription.getId(), event.getEventId()))
          .setSubscriptionId(subscription.getId())
          .setAccountId(event.getAccountId())
          .setEventId(event.getEventId())
          .setEventType(eventType)
          .setCallId(event.getCallId())
          // One array for all tasks of this event; each task gets its own buffer position.
          .setBody(ByteBuffer.wrap(body))
          .setAttempt(1)
          .setEventPublishedAt(publishedAt)
          .setCreatedAt(now)
          .setDueAt(now)
          .setTest(false)
          .build();
      context.forward(new Record<>(subscription.getId(), (Object) task, record.timestamp()),
          FanoutTopology.DELIVERIES_SINK);
      metrics.deliveryOut();
    }
    LOG.debug("event {} ({}) of account {} fanned out to {} subscriptions", event.getEventId(), eventType,
        event.getAccountId(), matches.size());
  }

  /**
   * @throws org.apache.kafka.common.errors.SerializationException or another runtime exception, with a
   *     reason fit for the dead letter, when the value is not a usable call event
   */
  private CallEvent decode(byte[] value) {
    if (value == null) {
      throw new IllegalArgumentException("record has no value (a tombstone is not a call event)");
    }
    CallEvent event = events.deserialize(topic, value);
    if (event.getAccountId().isEmpty()) {
      throw new IllegalArgumentException("event " + event.getEventId() + " has an empty account_id");
    }
    return event;
  }

  /**
   * @return the subscriptions of the event's account whose terms select it, filters not evaluated yet,
   *     in store (key) order
   */
  private List<DecodedSubscriptions.Decoded> selected(CallEvent event, Instant publishedAt) {
    List<DecodedSubscriptions.Decoded> out = new ArrayList<>();
    String prefix = SubscriptionStoreKeys.accountPrefix(event.getAccountId());
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
              event.getEventId(), e.getMessage());
          continue;
        }
        if (matcher.selects(subscription.subscription(), event, publishedAt)) {
          out.add(subscription);
        }
      }
    }
    return out;
  }

  private static String reasonOf(RuntimeException e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  private void deadLetter(Record<byte[], byte[]> record, String reason) {
    RecordMetadata source = context.recordMetadata().orElse(null);
    String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    DeadLetter letter = DeadLetter.newBuilder()
        .setKind(DeadLetterKind.UNDECODABLE)
        .setReason(reason)
        .setDeadLetteredAt(clock.instant())
        .setSourceTopic(source == null ? topic : source.topic())
        .setSourcePartition(source == null ? null : source.partition())
        .setSourceOffset(source == null ? null : source.offset())
        .setRawKey(record.key() == null ? null : ByteBuffer.wrap(record.key()))
        .setRawValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
        .build();
    context.forward(new Record<>(key, (Object) letter, record.timestamp()), FanoutTopology.DEAD_LETTERS_SINK);
    metrics.deadLetter();
    LOG.warn("dead-lettered call-events record {}-{}@{}: {}", letter.getSourceTopic(),
        letter.getSourcePartition(), letter.getSourceOffset(), letter.getReason());
  }
}
