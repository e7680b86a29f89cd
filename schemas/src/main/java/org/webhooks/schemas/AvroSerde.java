package org.webhooks.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro values in the Confluent wire format: byte {@code 0x00}, the 4-byte big-endian schema id, then
 * Avro binary. The subject is {@code <topic>-value}. Readers resolve the writer's schema (looked up
 * by id) against their own, so producers and consumers can evolve apart under BACKWARD compatibility.
 * Interoperates with Confluent's KafkaAvroSerializer and Kafka Connect's AvroConverter.
 *
 * @param <T> the generated Avro class
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  /** First byte of every value in the Confluent wire format. */
  public static final byte MAGIC_BYTE = 0x00;

  static {
    AvroTrust.install();
  }

  private final SchemaRegistryClient registry;
  private final Schema readerSchema;
  private final SpecificDatumWriter<T> writer;
  private final SpecificData readModel;
  private final Map<Integer, SpecificDatumReader<T>> readers = new ConcurrentHashMap<>();
  /**
   * Schema id of {@code readerSchema} by topic. The registry client's own cache is keyed by the schema's
   * JSON text, which it renders on every call: per record, that rendering cost more than the record.
   */
  private final Map<String, Integer> writerIds = new ConcurrentHashMap<>();

  /**
   * @param registry where schemas are registered and looked up
   * @param schema the schema of {@code T}, used to write and as the reader's schema
   */
  public AvroSerde(SchemaRegistryClient registry, Schema schema) {
    this.registry = registry;
    this.readerSchema = schema;
    this.writer = new SpecificDatumWriter<>(schema);
    this.readModel = new ListModel(SpecificData.getForSchema(schema));
  }

  /**
   * @return the wire-format bytes of {@code value}, or null for a null value (a tombstone)
   * @throws SerializationException when the schema cannot be registered or the value cannot be written
   */
  public byte[] serialize(String topic, T value) {
    if (value == null) {
      return null;
    }
    try {
      int id = writerIds.computeIfAbsent(topic, t -> registry.register(t + "-value", readerSchema));
      ByteArrayOutputStream out = new ByteArrayOutputStream(256);
      out.write(MAGIC_BYTE);
      out.write(ByteBuffer.allocate(4).putInt(id).array());
      BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
      writer.write(value, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot serialize a value for topic " + topic + ": " + e.getMessage(), e);
    }
  }

  /**
   * @return the decoded value, or null for null bytes (a tombstone)
   * @throws SerializationException with the reason when the bytes are not this wire format, name an
   *     unknown schema id, or do not decode
   */
  public T deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    if (data.length < 5) {
      throw new SerializationException("value of " + data.length + " bytes is too short for the Confluent wire format");
    }
    if (data[0] != MAGIC_BYTE) {
      throw new SerializationException(String.format("unknown magic byte 0x%02x (expected 0x00, Confluent wire format)", data[0]));
    }
    int id = ByteBuffer.wrap(data, 1, 4).getInt();
    try {
      SpecificDatumReader<T> reader = readers.computeIfAbsent(id,
          i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema, readModel));
      BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
      T value = reader.read(null, decoder);
      if (!decoder.isEnd()) {
        throw new IOException((data.length - 5) + " bytes hold more than one record");
      }
      return value;
    } catch (IOException | RuntimeException e) {
      throw new SerializationException("cannot decode a value of schema id " + id + " from topic " + topic + ": " + e, e);
    }
  }

  /**
   * The model values are decoded with: that of the generated class (same class loader, same
   * logical-type conversions), except that arrays become {@link ArrayList}s. Avro's default,
   * {@code GenericData.Array}, compares and hashes its elements with the plain {@code GenericData}
   * model, which knows no logical types, so {@code equals} or {@code hashCode} of a decoded
   * {@code Subscription} whose secret has an {@code expires_at} would throw "Unknown datum type
   * java.time.Instant". Avro's fast reader always builds {@code GenericData.Array}s, so this model
   * uses the standard resolving reader.
   */
  private static final class ListModel extends SpecificData {
    ListModel(SpecificData base) {
      super(base.getClassLoader());
      base.getConversions().forEach(this::addLogicalTypeConversion);
      setFastReaderEnabled(false);
    }

    @Override
    public Object newArray(Object old, int size, Schema schema) {
      return new ArrayList<>(size);
    }
  }

  @Override
  public Serializer<T> serializer() {
    return this::serialize;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this::deserialize;
  }
}
