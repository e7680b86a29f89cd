package org.webhooks.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.OperationalEventJson;
import org.webhooks.schemas.OperationalEventTypes;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;

/**
 * The events as Kafka keeps them ({@code call-events} and {@code webhook-operational-events}), read
 * back for deliveries made again: found one by one by their publish time (a delivery records the Kafka
 * timestamp of its event's record, and {@code offsetsForTimes} leads to it), or read over a time range
 * for a replay. Only committed records are read ({@code read_committed}); records that cannot be
 * decoded are skipped (the fanout dead-lettered them). Not thread-safe: one caller at a time.
 */
public final class EventLog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);
  /**
   * How far past an event's publish time a lookup reads a partition before giving up on it: records of
   * one partition are in time order but for producers whose clocks disagree.
   */
  static final Duration LOOKUP_SLACK = Duration.ofMinutes(1);
  /**
   * How many records in a row stamped past the slack end a read of a partition. One record is not
   * enough: a producer whose clock runs ahead writes records stamped up to an hour later (the broker's
   * {@code message.timestamp.after.max.ms}) among records of the right time, and
   * {@code offsetsForTimes} for any earlier time leads to it.
   */
  static final int LATER_RUN = 1_000;
  /** Records read at most per partition for one lookup. */
  static final int LOOKUP_MAX_RECORDS = 10_000;
  private static final Duration POLL = Duration.ofMillis(200);

  /**
   * Names an event as a delivery records it.
   *
   * @param eventId its id (the {@code webhook-id})
   * @param eventType its wire type: says which topic it is in
   * @param publishedAt the Kafka timestamp of its record
   */
  public record EventRef(String eventId, String eventType, Instant publishedAt) {

    /** @return true for an operational event ({@code endpoint.failing}, ...), in webhook-operational-events */
    public boolean operational() {
      return OperationalEventTypes.fromWireName(eventType).isPresent();
    }
  }

  /**
   * One event read back.
   *
   * @param eventId its id
   * @param eventType its wire type
   * @param accountId its account
   * @param callId its call ("" for an operational event)
   * @param publishedAt the Kafka timestamp of its record
   * @param body builds the body a receiver gets (the same bytes the fanout wrote, once rendered)
   */
  public record LoggedEvent(String eventId, String eventType, String accountId, String callId, Instant publishedAt,
      Supplier<ObjectNode> body) {

    /** @return the rendered body, byte for byte what the fanout rendered for this event */
    public byte[] render() {
      return CallEventJson.render(body.get());
    }
  }

  /**
   * Where a range read stopped.
   *
   * @param recordsRead records read by this call (decodable or not)
   * @param next the offset to go on from, per partition
   * @param complete true when every partition was read to its end offset
   */
  public record ScanResult(long recordsRead, Map<Integer, Long> next, boolean complete) {}

  private final WebhooksConfig config;
  private final AvroSerde<CallEvent> callEvents;
  private final AvroSerde<OperationalEvent> operationalEvents;
  private KafkaConsumer<byte[], byte[]> consumer;

  /** @param config where the broker, the registry and the topics are */
  public EventLog(WebhooksConfig config) {
    this.config = config;
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    this.callEvents = new AvroSerde<>(registry, CallEvent.getClassSchema());
    this.operationalEvents = new AvroSerde<>(registry, OperationalEvent.getClassSchema());
  }

  /**
   * Finds events by publish time and id. Each lookup asks every partition of the event's topic for the
   * first offset at its publish time and reads on from there until past {@link #LOOKUP_SLACK}.
   *
   * @return the events found, by reference; an event gone from the topic (retention) is absent
   * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached
   */
  public Map<EventRef, LoggedEvent> find(Collection<EventRef> refs) {
    Map<EventRef, LoggedEvent> found = new LinkedHashMap<>();
    for (EventRef ref : refs) {
      if (found.containsKey(ref)) {
        continue;
      }
      String topic = ref.operational() ? config.topics().operationalEvents().name() : config.topics().callEvents().name();
      Map<TopicPartition, Long> at = new HashMap<>();
      for (TopicPartition tp : partitions(topic)) {
        at.put(tp, ref.publishedAt().toEpochMilli());
      }
      Map<TopicPartition, OffsetAndTimestamp> starts = consumer().offsetsForTimes(at, Duration.ofSeconds(30));
      for (Map.Entry<TopicPartition, OffsetAndTimestamp> start : starts.entrySet()) {
        if (start.getValue() == null) {
          continue;
        }
        LoggedEvent e = lookIn(start.getKey(), start.getValue().offset(), ref);
        if (e != null) {
          found.put(ref, e);
          break;
        }
      }
    }
    return found;
  }

  private LoggedEvent lookIn(TopicPartition tp, long offset, EventRef ref) {
    KafkaConsumer<byte[], byte[]> c = consumer();
    c.assign(List.of(tp));
    c.seek(tp, offset);
    long end = c.endOffsets(List.of(tp)).get(tp);
    long wanted = ref.publishedAt().toEpochMilli();
    LaterRun later = new LaterRun(wanted + LOOKUP_SLACK.toMillis());
    int read = 0;
    while (c.position(tp) < end && read < LOOKUP_MAX_RECORDS) {
      for (ConsumerRecord<byte[], byte[]> r : c.poll(POLL)) {
        read++;
        if (later.endsAt(r.timestamp())) {
          return null;
        }
        if (r.timestamp() == wanted) {
          LoggedEvent e = decode(r);
          if (e != null && e.eventId().equals(ref.eventId())) {
            return e;
          }
        }
      }
    }
    return null;
  }

  /**
   * Reads {@code call-events} from {@code from} (or from the first record at or after {@code since})
   * up to {@code ends}, handing each decodable event published within [{@code since}, {@code until}]
   * to {@code each}, and stops after {@code maxRecords} records. A partition is left once
   * {@link #LATER_RUN} records in a row are stamped more than {@link #LOOKUP_SLACK} after {@code until}.
   *
   * @param from where a previous call stopped ({@link ScanResult#next()}), or null to start at {@code since}
   * @param ends where to stop per partition ({@link #endOffsets}), fixed by the first call
   * @return how far it got
   */
  public ScanResult scanCallEvents(Instant since, Instant until, Map<Integer, Long> from, Map<Integer, Long> ends,
      int maxRecords, Consumer<LoggedEvent> each) {
    String topic = config.topics().callEvents().name();
    KafkaConsumer<byte[], byte[]> c = consumer();
    Map<Integer, Long> next = new HashMap<>(from == null ? startOffsets(topic, since, ends) : from);
    List<TopicPartition> open = new ArrayList<>();
    for (Map.Entry<Integer, Long> e : next.entrySet()) {
      if (e.getValue() < ends.getOrDefault(e.getKey(), 0L)) {
        open.add(new TopicPartition(topic, e.getKey()));
      }
    }
    c.assign(open);
    open.forEach(tp -> c.seek(tp, next.get(tp.partition())));
    long read = 0;
    boolean full = false;
    Map<Integer, LaterRun> later = new HashMap<>();
    open.forEach(tp -> later.put(tp.partition(), new LaterRun(until.toEpochMilli() + LOOKUP_SLACK.toMillis())));
    while (!full && !open.isEmpty()) {
      for (ConsumerRecord<byte[], byte[]> r : c.poll(POLL)) {
        long end = ends.get(r.partition());
        if (r.offset() >= end || next.get(r.partition()) > r.offset()) {
          continue;
        }
        if (read == maxRecords) {
          full = true;
          break;
        }
        read++;
        // past the range for good: the partition is done, as if read to its end
        next.put(r.partition(), later.get(r.partition()).endsAt(r.timestamp()) ? end : r.offset() + 1);
        if (r.timestamp() >= since.toEpochMilli() && r.timestamp() <= until.toEpochMilli()) {
          LoggedEvent e = decode(r);
          if (e != null) {
            each.accept(e);
          }
        }
      }
      if (!full) {
        // past transaction markers too: the position, not the last record, says where a partition is
        List<TopicPartition> done = new ArrayList<>();
        for (TopicPartition tp : open) {
          long position = c.position(tp);
          if (position > next.get(tp.partition())) {
            next.put(tp.partition(), Math.min(position, ends.get(tp.partition())));
          }
          if (next.get(tp.partition()) >= ends.get(tp.partition())) {
            done.add(tp);
          }
        }
        if (!done.isEmpty()) {
          open.removeAll(done);
          c.assign(open);
        }
      }
    }
    boolean complete = next.entrySet().stream().allMatch(e -> e.getValue() >= ends.getOrDefault(e.getKey(), 0L));
    return new ScanResult(read, next, complete);
  }

  /**
   * Where a range read of {@code call-events} stops at the latest: the end offset of each partition
   * now. Not the first record stamped after the range: a record stamped ahead by its producer's clock
   * may come before records of the range ({@link #LATER_RUN}), so the scan itself decides where a
   * partition's range ends.
   *
   * @return per partition of {@code call-events}, its end offset
   * @throws org.apache.kafka.common.KafkaException when the broker cannot be reached
   */
  public Map<Integer, Long> endOffsets() {
    String topic = config.topics().callEvents().name();
    List<TopicPartition> partitions = partitions(topic);
    Map<TopicPartition, Long> end = consumer().endOffsets(partitions, Duration.ofSeconds(30));
    Map<Integer, Long> out = new HashMap<>();
    partitions.forEach(tp -> out.put(tp.partition(), end.get(tp)));
    return out;
  }

  private Map<Integer, Long> startOffsets(String topic, Instant since, Map<Integer, Long> ends) {
    Map<TopicPartition, Long> at = new HashMap<>();
    partitions(topic).forEach(tp -> at.put(tp, since.toEpochMilli()));
    Map<TopicPartition, OffsetAndTimestamp> starts = consumer().offsetsForTimes(at, Duration.ofSeconds(30));
    Map<Integer, Long> out = new HashMap<>();
    for (TopicPartition tp : at.keySet()) {
      OffsetAndTimestamp o = starts.get(tp);
      out.put(tp.partition(), o == null ? ends.getOrDefault(tp.partition(), 0L) : o.offset());
    }
    return out;
  }

  private LoggedEvent decode(ConsumerRecord<byte[], byte[]> r) {
    if (r.value() == null) {
      return null;
    }
    Instant publishedAt = Instant.ofEpochMilli(r.timestamp());
    try {
      if (r.topic().equals(config.topics().operationalEvents().name())) {
        OperationalEvent e = operationalEvents.deserialize(r.topic(), r.value());
        if (e.getEventType() == OperationalEventType.UNKNOWN) {
          return null;
        }
        return new LoggedEvent(e.getEventId(), OperationalEventTypes.wireName(e.getEventType()), e.getAccountId(),
            "", publishedAt, () -> OperationalEventJson.toBody(e));
      }
      CallEvent e = callEvents.deserialize(r.topic(), r.value());
      return new LoggedEvent(e.getEventId(), EventTypes.wireName(e.getEventType()), e.getAccountId(), e.getCallId(),
          publishedAt, () -> CallEventJson.toBody(e));
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      LOG.debug("{}-{} offset {} is not an event and is skipped: {}", r.topic(), r.partition(), r.offset(), e.toString());
      return null;
    }
  }

  private List<TopicPartition> partitions(String topic) {
    return consumer().partitionsFor(topic, Duration.ofSeconds(30)).stream()
        .map(p -> new TopicPartition(topic, p.partition())).toList();
  }

  private KafkaConsumer<byte[], byte[]> consumer() {
    if (consumer == null) {
      Properties props = KafkaClients.common(config);
      props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
      props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
    return consumer;
  }

  @Override
  public void close() {
    if (consumer != null) {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /**
   * Counts the records in a row stamped after a bound (ms since the epoch), to end a read of a
   * partition at the {@link #LATER_RUN}th.
   */
  private static final class LaterRun {
    private final long bound;
    private int run;

    LaterRun(long bound) {
      this.bound = bound;
    }

    /** @return true when the record stamped {@code timestamp} (ms) makes {@link #LATER_RUN} in a row */
    boolean endsAt(long timestamp) {
      run = timestamp > bound ? run + 1 : 0;
      return run >= LATER_RUN;
    }
  }
}
