package org.webhooks.schemas;

import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic, named once with its value type. Keys are always UTF-8 strings (call_id or
 * subscription id); values are Avro in the Confluent wire format under subject
 * {@code <name>-value}.
 *
 * @param name full topic name, prefix included
 * @param valueSchema the Avro schema of the value
 * @param <V> the generated Avro class of the value
 */
public record Topic<V extends SpecificRecord>(String name, Schema valueSchema) {

  /** @return the registry subject of the value, {@code <name>-value} (Confluent TopicNameStrategy). */
  public String valueSubject() {
    return name + "-value";
  }

  /** @return a serde of this topic's values that registers and looks up schemas in {@code registry}. */
  public Serde<V> valueSerde(SchemaRegistryClient registry) {
    return new AvroSerde<>(registry, valueSchema);
  }
}
