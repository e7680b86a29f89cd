package org.webhooks.runtime;

import java.util.concurrent.atomic.LongAdder;

/** Counters of one {@link TransactionalLoop}, safe to read from any thread. */
public final class LoopCounters {

  private final LongAdder transactions = new LongAdder();
  private final LongAdder rewinds = new LongAdder();
  private final LongAdder skipped = new LongAdder();

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

  void committed() {
    transactions.increment();
  }

  void rewound() {
    rewinds.increment();
  }

  void skipped() {
    skipped.increment();
  }
}
