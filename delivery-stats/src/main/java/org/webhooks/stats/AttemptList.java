package org.webhooks.stats;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The value of one attempt-index entry: the attempt records that share a key and a millisecond, in the
 * order they were read, each as the bytes of its {@code webhook-attempts} record (Avro in the Confluent
 * wire format, so the schema it was written with travels with it). One entry per millisecond keeps the
 * index free of duplicate keys, which window stores with {@code retainDuplicates} number with a counter
 * that starts again at every restart.
 *
 * <p>Layout: an int count, then per record an int length and its bytes.
 */
final class AttemptList {

  private AttemptList() {}

  /** @return {@code existing} (null = none) with {@code record} appended. */
  static byte[] append(byte[] existing, byte[] record) {
    int count = existing == null ? 0 : ByteBuffer.wrap(existing).getInt();
    int oldLength = existing == null ? 4 : existing.length;
    ByteBuffer out = ByteBuffer.allocate(oldLength + 4 + record.length);
    out.putInt(count + 1);
    if (existing != null) {
      out.put(existing, 4, existing.length - 4);
    }
    out.putInt(record.length);
    out.put(record);
    return out.array();
  }

  /**
   * @return the records of an entry, in the order appended
   * @throws IllegalArgumentException when the bytes are not of this layout
   */
  static List<byte[]> read(byte[] value) {
    try {
      ByteBuffer in = ByteBuffer.wrap(value);
      int count = in.getInt();
      List<byte[]> out = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        byte[] record = new byte[in.getInt()];
        in.get(record);
        out.add(record);
      }
      return out;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("attempt index entry cannot be read: " + e, e);
    }
  }
}
