package org.webhooks.data;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topics;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.MatchVerdicts;

/**
 * Writes deliveries made again (by a recovery, a replay or a resend) in one Kafka transaction each
 * call: the tasks to {@code webhook-deliveries}, the markers that say what was redelivered to
 * {@code webhook-dead-letters}, and a replay's match verdicts to {@code webhook-match-verdicts}, so that a
 * marker is never written without its task nor a task without its marker. Calls are serialised: a
 * process has one transactional producer per role.
 */
public final class TaskWriter implements AutoCloseable {

  private final WebhooksConfig config;
  private final Topics topics;
  private final String transactionalId;
  private final AvroSerde<DeliveryTask> tasks;
  private final AvroSerde<DeadLetter> letters;
  private final AvroSerde<MatchVerdicts> verdicts;
  private KafkaProducer<String, byte[]> producer;

  /**
   * @param config where the broker, the registry and the topics are, and the instance id
   * @param role names the transactional id with the instance id ({@code <prefix><role>-<instance id>}), so
   *     that a writer cut short is fenced by the next one of the same role and instance, and two roles
   *     (the control plane, a command) never fence each other
   */
  public TaskWriter(WebhooksConfig config, String role) {
    this.config = config;
    this.topics = config.topics();
    this.transactionalId = config.topicPrefix() + role + "-" + config.instanceId();
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    this.tasks = new AvroSerde<>(registry, DeliveryTask.getClassSchema());
    this.letters = new AvroSerde<>(registry, DeadLetter.getClassSchema());
    this.verdicts = new AvroSerde<>(registry, MatchVerdicts.getClassSchema());
  }

  /**
   * Writes everything given in one transaction: all of it is written, or nothing.
   *
   * @param deliveries tasks, each keyed by its subscription id
   * @param markers REDELIVERED dead letters, each keyed by the subscription id of its task
   * @param decisions match verdicts, each keyed by its event id
   * @throws KafkaException when the transaction fails (nothing was written)
   */
  public synchronized void write(List<DeliveryTask> deliveries, List<DeadLetter> markers, List<MatchVerdicts> decisions) {
    if (deliveries.isEmpty() && markers.isEmpty() && decisions.isEmpty()) {
      return;
    }
    KafkaProducer<String, byte[]> p = producer();
    try {
      p.beginTransaction();
      String deliveriesTopic = topics.deliveries().name();
      for (DeliveryTask t : deliveries) {
        p.send(new ProducerRecord<>(deliveriesTopic, t.getSubscriptionId(), tasks.serialize(deliveriesTopic, t)));
      }
      String lettersTopic = topics.deadLetters().name();
      for (DeadLetter m : markers) {
        p.send(new ProducerRecord<>(lettersTopic, m.getTask().getSubscriptionId(), letters.serialize(lettersTopic, m)));
      }
      String verdictsTopic = topics.matchVerdicts().name();
      for (MatchVerdicts v : decisions) {
        p.send(new ProducerRecord<>(verdictsTopic, v.getEventId(), verdicts.serialize(verdictsTopic, v)));
      }
      p.commitTransaction();
    } catch (ProducerFencedException e) {
      // another process of the same role and instance id took over: the next call starts afresh
      closeProducer();
      throw e;
    } catch (KafkaException e) {
      try {
        p.abortTransaction();
      } catch (KafkaException abortFailed) {
        closeProducer();
      }
      throw e;
    }
  }

  private KafkaProducer<String, byte[]> producer() {
    if (producer == null) {
      Properties props = KafkaClients.common(config);
      props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
      props.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000");
      props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
      props.put(ProducerConfig.ACKS_CONFIG, "all");
      props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, KafkaClients.maxRecordBytes(config.maxEventBytes()));
      producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
      producer.initTransactions();
    }
    return producer;
  }

  private void closeProducer() {
    if (producer != null) {
      producer.close(Duration.ZERO);
      producer = null;
    }
  }

  @Override
  public synchronized void close() {
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
      producer = null;
    }
  }
}
