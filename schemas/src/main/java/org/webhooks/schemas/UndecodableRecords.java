package org.webhooks.schemas;

import java.nio.ByteBuffer;
import java.time.Instant;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;

/**
 * The dead letter of a record that cannot be decoded, as every service writes it to
 * {@code webhook-dead-letters}: kind {@code UNDECODABLE}, the reason, where the record was, and its raw
 * key and value bytes, so that nothing is lost and the record can be inspected or written again.
 */
public final class UndecodableRecords {

  private UndecodableRecords() {}

  /**
   * @param topic the topic the record was read from
   * @param partition its partition, or null when unknown
   * @param offset its offset, or null when unknown
   * @param key the raw key bytes, or null
   * @param value the raw value bytes, or null
   * @param reason why it cannot be decoded, for the operator
   * @param at when it was dead-lettered
   * @return the dead letter
   */
  public static DeadLetter deadLetter(String topic, Integer partition, Long offset, byte[] key, byte[] value,
      String reason, Instant at) {
    return DeadLetter.newBuilder()
        .setKind(DeadLetterKind.UNDECODABLE)
        .setReason(reason)
        .setDeadLetteredAt(at)
        .setSourceTopic(topic)
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .setRawKey(key == null ? null : ByteBuffer.wrap(key))
        .setRawValue(value == null ? null : ByteBuffer.wrap(value))
        .build();
  }
}
