package org.webhooks.runtime;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one {@link TransactionalLoop}, safe to read from any thread. */
public final class LoopCounters {

  private final LongAdder transactions = new LongAdder();
  private final LongAdder rewinds = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder commitNanos = new LongAdder();
  private final LongAdder wakeups = new LongAdder();
  private final LongAdder commitsStarted = new LongAdder();
  private final LongAdder waitsInDoubt = new LongAdder();

  /** @return transactions committed (outputs and consumer offsets together). */
  public long transactionsCommitted() {
    return transactions.sum();
  }

  /**
   * @return times a transaction failed and the loop went back to its last committed offsets (the
   *     records since then are processed again)
   */
  public long rewinds() {
    return rewinds.sum();
  }

  /**
   * @return records not processed again after a partition hand-over, because the previous owner's
   *     commit metadata named them finished
   */
  public long finishedEarlier() {
    return skipped.sum();
  }

  /**
   * @return time the commits took, from handing a transaction over to commit until it was committed
   *     (offsets sent to the transaction and the commit itself, waiting for the broker), ns; the owner
   *     thread goes on meanwhile
   */
  public long commitNanos() {
    return commitNanos.sum();
  }

  /** @return times the owner thread was woken from its poll to run tasks handed to it */
  public long wakeups() {
    return wakeups.sum();
  }

  /**
   * @return transactions handed to the helper thread to commit; those neither committed nor failed
   *     yet are still running
   */
  public long commitsStarted() {
    return commitsStarted.sum();
  }

  /**
   * @return times the owner thread stopped to wait for a running commit in doubt (one of its sends
   *     failed, or its transaction had been open for {@link TransactionalLoop#STALLED_TRANSACTION_MS}
   *     ms) before it polled or dispatched more
   */
  public long waitsInDoubt() {
    return waitsInDoubt.sum();
  }

  void commitStarted() {
    commitsStarted.increment();
  }

  void waitedInDoubt() {
    waitsInDoubt.increment();
  }

  void committed(long nanos) {
    transactions.increment();
    commitNanos.add(nanos);
  }

  void wokeUp() {
    wakeups.increment();
  }

  void rewound() {
    rewinds.increment();
  }

  void skipped() {
    skipped.increment();
  }
}
