package org.webhooks.worker;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * The records of one assigned partition that were received and have no outcome yet, and so the
 * offset that may be committed: the lowest unfinished offset, or one past the last record received
 * when all are finished. Committing no further than that means a worker that dies with requests in
 * flight loses none of them: they are delivered again from the committed offset (DESIGN
 * "Guarantees"). Used by one thread only.
 *
 * @param <T> what is kept per unfinished record
 */
final class PartitionProgress<T> {

  private final TreeMap<Long, T> unfinished = new TreeMap<>();
  private long next = -1;
  private long committed = -1;

  /** A record whose outcome is still to come. */
  void received(long offset, T item) {
    unfinished.put(offset, item);
    next = Math.max(next, offset + 1);
  }

  /** A record that was finished as soon as it was received (its outcome is already written). */
  void receivedFinished(long offset) {
    next = Math.max(next, offset + 1);
  }

  /** The outcome of the record at {@code offset} is written. Unknown offsets are ignored. */
  void finished(long offset) {
    unfinished.remove(offset);
  }

  /** @return the offset to commit, when it is beyond the one last committed. */
  OptionalLong toCommit() {
    if (next < 0) {
      return OptionalLong.empty();
    }
    long offset = unfinished.isEmpty() ? next : unfinished.firstKey();
    return offset > committed ? OptionalLong.of(offset) : OptionalLong.empty();
  }

  /** {@code offset} was committed. */
  void committed(long offset) {
    committed = Math.max(committed, offset);
  }

  /** @return records without an outcome yet. */
  int unfinishedCount() {
    return unfinished.size();
  }

  /** @return what is kept for the unfinished records, lowest offset first. */
  List<T> unfinished() {
    return new ArrayList<>(unfinished.values());
  }
}
