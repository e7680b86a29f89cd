package org.webhooks.producer;

import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.Topic;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;

/**
 * The call platform's way in: publishes {@link CallEvent}s to {@code call-events}, keyed by
 * {@code call_id} so that the events of one call stay in order. The producer is idempotent with
 * {@code acks=all}, so a retried send never duplicates or reorders a call's events, and takes records
 * up to {@link KafkaClients#maxCallEventRecordBytes} (an event of {@code WEBHOOKS_MAX_EVENT_BYTES}).
 * Thread-safe.
 */
public final class CallEventPublisher implements AutoCloseable {

  private final KafkaProducer<String, CallEvent> producer;
  private final Topic<CallEvent> topic;

  /**
   * @param config bootstrap servers, registry URL, topic prefix and pass-through Kafka properties
   * @throws IllegalStateException when no bootstrap servers or registry URL are configured
   */
  public CallEventPublisher(WebhooksConfig config) {
    if (config.registryUrl().isEmpty()) {
      throw new IllegalStateException("no schema registry configured: set --registry-url / WEBHOOKS_REGISTRY_URL");
    }
    Properties props = KafkaClients.common(config);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    // an explicit Kafka property wins: it may match a broker limit this process cannot see
    props.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
        Integer.toString(KafkaClients.maxCallEventRecordBytes(config.maxEventBytes())));
    props.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "event-producer");
    this.topic = config.topics().callEvents();
    SchemaRegistryClient registry = new SchemaRegistryClient(config.registryUrl());
    this.producer = new KafkaProducer<>(props, new StringSerializer(), topic.valueSerde(registry).serializer());
  }

  /**
   * Sends one event. The record's Kafka timestamp is the publish time, which is what delivery
   * latency is measured from (never the event's own {@code timestamp}).
   *
   * @return completes with the record's partition, offset and timestamp once the broker has it;
   *     completes exceptionally when the send fails after the producer's own retries
   */
  public CompletableFuture<RecordMetadata> publish(CallEvent event) {
    CompletableFuture<RecordMetadata> result = new CompletableFuture<>();
    producer.send(new ProducerRecord<>(topic.name(), event.getCallId(), event), (metadata, error) -> {
      if (error != null) {
        result.completeExceptionally(error);
      } else {
        result.complete(metadata);
      }
    });
    return result;
  }

  /** Blocks until every event sent so far is acknowledged (or failed). */
  public void flush() {
    producer.flush();
  }

  @Override
  public void close() {
    producer.close();
  }
}
