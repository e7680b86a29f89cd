package org.webhooks.data;

import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.avro.Subscription;

/**
 * Subscription records as they are stored on {@code webhook-subscriptions}: Avro in the Confluent
 * wire format. Every reader and writer of the topic goes through this class, so that what is
 * stored, and how, is decided in one place.
 */
public class SubscriptionCodec {

  private final AvroSerde<Subscription> serde;

  /** @param registry where the schema is registered and writer schemas are looked up */
  public SubscriptionCodec(SchemaRegistryClient registry) {
    this.serde = new AvroSerde<>(registry, Subscription.getClassSchema());
  }

  /**
   * @return the record value of {@code s} for {@code topic}
   * @throws org.apache.kafka.common.errors.SerializationException when it cannot be written
   */
  public byte[] encode(String topic, Subscription s) {
    return serde.serialize(topic, s);
  }

  /**
   * @return the subscription a record value holds
   * @throws org.apache.kafka.common.errors.SerializationException when the bytes cannot be read
   */
  public Subscription decode(String topic, byte[] value) {
    return serde.deserialize(topic, value);
  }
}
