package org.webhooks.runtime;

import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * The service-specific half of a {@link TransactionalLoop}: what to do with each record read. Every
 * method is called on the loop's owner thread, never concurrently; work that completes elsewhere
 * (an HTTP response) comes back through {@link LoopContext#onOwner(Runnable)}.
 *
 * @param <T> what the processor keeps per record whose outcome is still to come
 */
public interface RecordProcessor<T> {

  /**
   * One record of an assigned partition that no earlier owner finished.
   *
   * @param record key and value as raw bytes, so that a record that cannot be decoded can be
   *     dead-lettered byte for byte
   * @return what became of it; outputs of a {@link Received#finished()} record were sent through
   *     {@link LoopContext#send} before returning
   */
  Received<T> receive(ConsumerRecord<byte[], byte[]> record);

  /** Once per round of the loop, after records and owner tasks: start what can start now. */
  default void work() {}

  /**
   * @return how long the loop may wait before the next {@link #work()} when nothing else happens,
   *     ms ({@code Long.MAX_VALUE}: only when something happens)
   */
  default long idleMs() {
    return Long.MAX_VALUE;
  }

  /**
   * The pending items of a partition whose outcome this instance will not write: the partition was
   * revoked or lost, or the loop went back to its committed offsets. Their records are read again
   * by the partition's next owner (or by this one after a rewind). Forget them; their outcomes must
   * not be reported with {@link LoopContext#finished}.
   *
   * @param items the pending items, lowest offset first
   */
  void abandon(TopicPartition partition, List<T> items);

  /** @return true while every partition is to be paused (a cap of work in flight is reached). */
  default boolean saturated() {
    return false;
  }

  /** @return work in flight, which a graceful stop waits for up to its grace period. */
  default int inFlight() {
    return 0;
  }

  /** The loop is stopping: start nothing new. Outcomes still arriving are written if in time. */
  default void stopping() {}
}
