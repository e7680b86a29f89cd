package org.webhooks.runtime;

import java.time.Duration;
import java.time.Instant;

/**
 * What a {@link RecordProcessor} made of one record.
 *
 * @param <T> the processor's pending item
 */
public sealed interface Received<T> {

  /** Its outcome is written (sent through the loop context): the record is done. */
  record Finished<T>() implements Received<T> {}

  /** Its outcome comes later, through {@link LoopContext#finished}; {@code item} is kept until then. */
  record Pending<T>(T item) implements Received<T> {}

  /**
   * Not now: the partition is read again from this record once {@code backoff} has passed (wall
   * time), and the rest of the batch of this partition is dropped. For failures that are nobody's
   * record's fault, such as an unreachable schema registry.
   */
  record RetryAfter<T>(Duration backoff, String reason) implements Received<T> {}

  /**
   * Not before {@code dueAt} on the loop's clock: the partition is paused and read again from this
   * record once it is due. Correct for a partition whose records fall due in offset order.
   */
  record HeldUntil<T>(Instant dueAt) implements Received<T> {}

  /** @return the record is done. */
  static <T> Received<T> finished() {
    return new Finished<>();
  }

  /** @return its outcome comes later. */
  static <T> Received<T> pending(T item) {
    return new Pending<>(item);
  }

  /** @return read it again after {@code backoff}. */
  static <T> Received<T> retryAfter(Duration backoff, String reason) {
    return new RetryAfter<>(backoff, reason);
  }

  /** @return read it again once {@code dueAt} has come. */
  static <T> Received<T> heldUntil(Instant dueAt) {
    return new HeldUntil<>(dueAt);
  }
}
