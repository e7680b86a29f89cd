package org.webhooks.runtime;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one {@link TransactionalLoop}, safe to read from any thread. */
public final class LoopCounters {

  private final LongAdder transactions = new LongAdder();
  private final LongAdder rewinds = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private final LongAdder commitNanos = new LongAdder();
  private final LongAdder wakeups = new LongAdder();

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
   * @return time the owner thread spent committing (offsets sent to the transaction and the commit
   *     itself, waiting for the broker), ns
   */
  public long commitNanos() {
    return commitNanos.sum();
  }

  /** @return times the owner thread was woken from its poll to run tasks handed to it */
  public long wakeups() {
    return wakeups.sum();
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
