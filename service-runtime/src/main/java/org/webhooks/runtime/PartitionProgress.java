package org.webhooks.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The records of one assigned partition that were received and have no outcome yet, and so what
 * may be committed: the lowest unfinished offset (or one past the last record received when all
 * are finished), with {@link UnfinishedRanges} metadata naming the records above it that are
 * finished. Committing no further than that means a worker that dies with requests in flight loses
 * none of them: they are delivered again from the committed offset (DESIGN "Guarantees"); the
 * metadata keeps the next owner from sending again the ones whose outcome is already written.
 * Used by one thread only.
 *
 * @param <T> what is kept per unfinished record
 */
final class PartitionProgress<T> {

  /** An offset to commit and its metadata text. */
  record Commit(long offset, String metadata) {}

  private final TreeMap<Long, T> unfinished = new TreeMap<>();
  /** What the previous owner committed: records it finished above its committed offset. */
  private final UnfinishedRanges inherited;
  private long next = -1;
  private Commit committed;
  /** Whether a record finished since the last commit: only then can the commit differ. */
  private boolean finishedSinceCommit;
  /** Records finished so far, counted so that a commit can tell whether any finished after it was taken. */
  private long finishes;

  /** Progress of a partition read from its start or from a commit without metadata. */
  PartitionProgress() {
    this(UnfinishedRanges.none(-1));
  }

  /** @param inherited the committed offset and metadata this partition is read from */
  PartitionProgress(UnfinishedRanges inherited) {
    this.inherited = inherited;
  }

  /**
   * @return true when the record at {@code offset} was finished by an earlier owner (its outcome
   *     is written); it is then to be passed to {@link #receivedFinished(long)}, not sent
   */
  boolean finishedEarlier(long offset) {
    return inherited.isFinished(offset);
  }

  /** A record whose outcome is still to come. */
  void received(long offset, T item) {
    unfinished.put(offset, item);
    next = Math.max(next, offset + 1);
  }

  /** A record that was finished as soon as it was received (its outcome is already written). */
  void receivedFinished(long offset) {
    next = Math.max(next, offset + 1);
    finishedSinceCommit = true;
    finishes++;
  }

  /** The outcome of the record at {@code offset} is written. Unknown offsets are ignored. */
  void finished(long offset) {
    if (unfinished.remove(offset) != null) {
      finishedSinceCommit = true;
      finishes++;
    }
  }

  /** @return records finished so far: a commit taken at one count covers none that finished after it */
  long finishes() {
    return finishes;
  }

  /**
   * @return true when a record finished since the last commit, so that {@link #toCommit()} may
   *     have something new; cheap, unlike {@code toCommit()}, which renders the metadata
   */
  boolean finishedSinceCommit() {
    return finishedSinceCommit;
  }

  /**
   * @return the offset and metadata to commit, when either differs from those last committed;
   *     empty before the first record was received
   */
  Optional<Commit> toCommit() {
    if (next < 0) {
      return Optional.empty();
    }
    long offset = unfinished.isEmpty() ? next : unfinished.firstKey();
    Commit c = new Commit(offset, unfinishedFrom(offset).toText());
    if (committed != null && (offset < committed.offset()
        || offset == committed.offset() && c.metadata().equals(committed.metadata()))) {
      return Optional.empty();
    }
    return Optional.of(c);
  }

  /**
   * The unfinished records from {@code offset} on: those received, then those an earlier owner
   * left unfinished beyond what this one has read, so that a hand-over before this owner caught
   * up keeps what the earlier one knew.
   */
  private UnfinishedRanges unfinishedFrom(long offset) {
    List<UnfinishedRanges.Range> ranges = new ArrayList<>();
    long from = -1;
    long to = -1;
    for (long o : unfinished.keySet()) {
      if (o != to) {
        if (from >= 0) {
          ranges.add(new UnfinishedRanges.Range(from, to - from));
        }
        from = o;
      }
      to = o + 1;
    }
    if (from >= 0) {
      ranges.add(new UnfinishedRanges.Range(from, to - from));
    }
    for (UnfinishedRanges.Range r : inherited.ranges()) {
      long start = Math.max(r.from(), next);
      if (start < r.to()) {
        ranges.add(new UnfinishedRanges.Range(start, r.to() - start));
      }
    }
    return new UnfinishedRanges(offset, Math.max(next, inherited.end()), ranges);
  }

  /** {@link #toCommit()} found nothing new to commit. */
  void upToDate() {
    finishedSinceCommit = false;
  }

  /** {@code commit}, taken just now, was committed. */
  void committed(Commit commit) {
    committed(commit, finishes);
  }

  /**
   * {@code commit} was committed; it was taken when {@link #finishes()} was {@code finishesThen}, so
   * records that finished since are still to be committed.
   */
  void committed(Commit commit, long finishesThen) {
    committed = commit;
    finishedSinceCommit = finishes != finishesThen;
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
