package org.webhooks.data;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * The {@code webhook-dead-letters} topic as operators use it: list what is there, and redeliver
 * exhausted tasks as fresh deliveries. A dead letter's id is where it sits,
 * {@code dl-<partition>-<offset>}. Redelivering writes the fresh task to {@code webhook-deliveries}
 * and a REDELIVERED marker naming the id to the dead-letter topic in one transaction, so a dead
 * letter is redelivered once however often the command runs; undecodable records are listed,
 * never redelivered.
 */
public final class DeadLetters implements AutoCloseable {

  /**
   * One dead letter.
   *
   * @param id {@code dl-<partition>-<offset>}
   * @param letter the record
   * @param redelivered true when a REDELIVERED marker names it
   */
  public record Entry(String id, DeadLetter letter, boolean redelivered) {
    /** @return true when it is an exhausted task not yet redelivered. */
    public boolean redeliverable() {
      return letter.getKind() == DeadLetterKind.EXHAUSTED && letter.getTask() != null && !redelivered;
    }
  }

  private final WebhooksConfig config;
  private final Topics topics;
  private final AvroSerde<DeadLetter> letters;
  private final AvroSerde<DeliveryTask> tasks;
  private final Clock clock;
  private KafkaProducer<String, byte[]> producer;

  /**
   * @param config where the broker and registry are, the topic prefix and the instance id (which
   *     names the transactional id of redeliveries, so a redelivery cut short is fenced by the next)
   */
  public DeadLetters(WebhooksConfig config, Clock clock) {
    this.config = config;
    this.topics = config.topics();
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    this.letters = new AvroSerde<>(registry, DeadLetter.getClassSchema());
    this.tasks = new AvroSerde<>(registry, DeliveryTask.getClassSchema());
    this.clock = clock;
  }

  /**
   * @return every dead letter (markers excluded), oldest first per partition; records that cannot
   *     be decoded are skipped
   * @throws KafkaException when the broker cannot be reached
   */
  public List<Entry> list() {
    String topic = topics.deadLetters().name();
    List<ConsumerRecord<byte[], byte[]>> records = TopicSnapshot.read(config, topic);
    Set<String> redelivered = new HashSet<>();
    List<Entry> out = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> kept = new ArrayList<>();
    List<DeadLetter> decoded = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      DeadLetter dl;
      try {
        dl = letters.deserialize(r.topic(), r.value());
      } catch (RuntimeException e) {
        continue;
      }
      if (dl == null) {
        continue;
      }
      if (dl.getKind() == DeadLetterKind.REDELIVERED) {
        if (dl.getRedeliveredId() != null) {
          redelivered.add(dl.getRedeliveredId());
        }
        continue;
      }
      kept.add(r);
      decoded.add(dl);
    }
    for (int i = 0; i < kept.size(); i++) {
      String id = idOf(kept.get(i));
      out.add(new Entry(id, decoded.get(i), redelivered.contains(id)));
    }
    return out;
  }

  /**
   * @return the entries that pass {@code filter} (see {@link #since(Instant)} and
   *     {@link #ofSubscription(String)})
   */
  public List<Entry> list(Predicate<Entry> filter) {
    return list().stream().filter(filter).toList();
  }

  /** @return a filter of dead letters written at or after {@code since}. */
  public static Predicate<Entry> since(Instant since) {
    return e -> !e.letter().getDeadLetteredAt().isBefore(since);
  }

  /** @return a filter of one subscription's dead letters. */
  public static Predicate<Entry> ofSubscription(String subscriptionId) {
    return e -> e.letter().getTask() != null && subscriptionId.equals(e.letter().getTask().getSubscriptionId());
  }

  /**
   * Sends each redeliverable entry again as a fresh delivery: the same delivery id, event id
   * ({@code webhook-id}) and body bytes, attempt 1, due now; and marks it redelivered, both in one
   * transaction. Entries not redeliverable are left as they are.
   *
   * @param entries what to redeliver (usually from {@link #list})
   * @return the entries redelivered
   * @throws KafkaException when the transaction fails (then none of them is redelivered)
   */
  public List<Entry> redeliver(List<Entry> entries) {
    List<Entry> todo = entries.stream().filter(Entry::redeliverable).toList();
    if (todo.isEmpty()) {
      return todo;
    }
    KafkaProducer<String, byte[]> p = producer();
    String deliveries = topics.deliveries().name();
    String deadLetters = topics.deadLetters().name();
    Instant now = clock.instant();
    p.beginTransaction();
    try {
      for (Entry e : todo) {
        DeliveryTask old = e.letter().getTask();
        DeliveryTask fresh = fresh(old, now);
        p.send(new ProducerRecord<>(deliveries, old.getSubscriptionId(), tasks.serialize(deliveries, fresh)));
        p.send(new ProducerRecord<>(deadLetters, old.getSubscriptionId(),
            letters.serialize(deadLetters, marker(e.id(), fresh, now))));
      }
      p.commitTransaction();
    } catch (KafkaException e) {
      p.abortTransaction();
      throw e;
    }
    return todo;
  }

  /**
   * @return {@code old} as a fresh delivery: the same delivery id, event id ({@code webhook-id}) and body,
   *     attempt 1, due {@code now}, without the previous failure
   */
  public static DeliveryTask fresh(DeliveryTask old, Instant now) {
    return DeliveryTask.newBuilder(old)
        .setAttempt(1)
        .setCreatedAt(now)
        .setDueAt(now)
        .setFirstAttemptAt(null)
        .setLastStatus(null)
        .setLastError(null)
        .build();
  }

  /**
   * @param redeliveredId what was redelivered: a dead letter's id, or another id of the failure made good
   * @param fresh the task that was sent again
   * @return the REDELIVERED marker that says so, so that the same failure is never redelivered twice
   */
  public static DeadLetter marker(String redeliveredId, DeliveryTask fresh, Instant now) {
    return DeadLetter.newBuilder()
        .setKind(DeadLetterKind.REDELIVERED)
        .setReason("redelivered as a fresh delivery")
        .setDeadLetteredAt(now)
        .setTask(fresh)
        .setRedeliveredId(redeliveredId)
        .build();
  }

  /** @return the id of the dead letter at this record: {@code dl-<partition>-<offset>} */
  static String idOf(ConsumerRecord<byte[], byte[]> r) {
    return "dl-" + r.partition() + "-" + r.offset();
  }

  private KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      Properties props = KafkaClients.common(config);
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG,
          config.topicPrefix() + "dead-letters-redeliver-" + config.instanceId());
      props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000");
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
      producer.initTransactions();
    }
    return producer;
  }

  @Override
  public void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
  }
}
