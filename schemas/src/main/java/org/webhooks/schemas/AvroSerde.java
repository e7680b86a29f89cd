package org.webhooks.schemas;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
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

  /** Output buffers kept by a thread between records up to this size, bytes; larger ones are dropped. */
  private static final int KEPT_BUFFER_BYTES = 64 * 1024;
  /** Each thread's output buffer and encoder, reused from record to record. */
  private static final ThreadLocal<Output> OUTPUT = ThreadLocal.withInitial(Output::new);

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
    this.readModel = hasArray(schema, new HashSet<>())
        ? new ListModel(SpecificData.getForSchema(schema))
        : fastModel(SpecificData.getForSchema(schema));
  }

  /**
   * @return the wire-format bytes of {@code value}, or null for a null value (a tombstone)
   * @throws SerializationException when the schema cannot be registered or the value cannot be written
   */
  public byte[] serialize(String topic, T value) {
    if (value == null) {
      return null;
    }
    Output out = OUTPUT.get();
    try {
      int id = writerIds.computeIfAbsent(topic, t -> registry.register(t + "-value", readerSchema));
      out.reset();
      out.write(MAGIC_BYTE);
      out.write(id >>> 24);
      out.write(id >>> 16);
      out.write(id >>> 8);
      out.write(id);
      BinaryEncoder encoder = out.encoder();
      writer.write(value, encoder);
      encoder.flush();
      return out.toByteArray();
    } catch (IOException | RuntimeException e) {
      out.discardEncoder();
      throw new SerializationException("cannot serialize a value for topic " + topic + ": " + e.getMessage(), e);
    } finally {
      if (out.capacity() > KEPT_BUFFER_BYTES) {
        OUTPUT.remove();
      }
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
   * @return true when {@code schema} holds an array anywhere: such records are read with
   *     {@link ListModel}, the others with Avro's fast reader
   */
  private static boolean hasArray(Schema schema, Set<Schema> seen) {
    if (!seen.add(schema)) {
      return false;
    }
    switch (schema.getType()) {
      case ARRAY:
        return true;
      case MAP:
        return hasArray(schema.getValueType(), seen);
      case UNION:
        return schema.getTypes().stream().anyMatch(t -> hasArray(t, seen));
      case RECORD:
        return schema.getFields().stream().anyMatch(f -> hasArray(f.schema(), seen));
      default:
        return false;
    }
  }

  /**
   * The model of a record without arrays: that of the generated class, read by Avro's fast reader,
   * which builds one reader per writer schema (resolution worked out once) instead of interpreting
   * the resolution grammar for every value, as the default reader does.
   */
  private static SpecificData fastModel(SpecificData base) {
    SpecificData model = new SpecificData(base.getClassLoader());
    base.getConversions().forEach(model::addLogicalTypeConversion);
    model.setFastReaderEnabled(true);
    return model;
  }

  /**
   * An output stream over a growing array, without the locking of {@link java.io.ByteArrayOutputStream},
   * with the buffered encoder that writes into it: one of each per thread, reused record after record.
   */
  private static final class Output extends OutputStream {
    private byte[] buf = new byte[512];
    private int count;
    private BinaryEncoder encoder;

    BinaryEncoder encoder() {
      encoder = EncoderFactory.get().binaryEncoder(this, encoder);
      return encoder;
    }

    /** After a failed write the encoder may hold part of a record: start the next one afresh. */
    void discardEncoder() {
      encoder = null;
    }

    void reset() {
      count = 0;
    }

    int capacity() {
      return buf.length;
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, count);
    }

    @Override
    public void write(int b) {
      ensure(1);
      buf[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, count, len);
      count += len;
    }

    private void ensure(int more) {
      if (count + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
      }
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
