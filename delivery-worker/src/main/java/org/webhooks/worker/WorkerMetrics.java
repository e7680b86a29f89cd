package org.webhooks.worker;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * Counters of one delivery worker, safe to read from any thread. Counts are of attempts made by
 * this instance since it started, including attempts whose records were later abandoned because
 * their partition moved to another instance (the HTTP request happened all the same).
 */
public final class WorkerMetrics {

  private final Map<AttemptOutcome, LongAdder> attempts = new EnumMap<>(AttemptOutcome.class);
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger waiting = new AtomicInteger();
  private final LongAdder latencyCount = new LongAdder();
  private final LongAdder latencySumMs = new LongAdder();
  private final AtomicLong latencyMaxMs = new AtomicLong();
  private final LongAdder deadLetters = new LongAdder();
  private final LongAdder undecodable = new LongAdder();
  private final LongAdder transactions = new LongAdder();
  private final LongAdder rewinds = new LongAdder();

  WorkerMetrics() {
    for (AttemptOutcome o : AttemptOutcome.values()) {
      attempts.put(o, new LongAdder());
    }
  }

  /** @return attempts that ended with {@code outcome}. */
  public long attempts(AttemptOutcome outcome) {
    return attempts.get(outcome).sum();
  }

  /** @return attempts of every outcome. */
  public long attemptsTotal() {
    return attempts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  /** @return HTTP requests sent and not yet answered, failed or timed out. */
  public int inFlight() {
    return inFlight.get();
  }

  /**
   * @return tasks received and not yet sent: held until due, waiting for a free slot of their
   *     endpoint or of the worker, or waiting for the subscription view to catch up
   */
  public int waiting() {
    return waiting.get();
  }

  /** @return attempts that made an HTTP request (or tried to), i.e. that have a latency. */
  public long attemptLatencyCount() {
    return latencyCount.sum();
  }

  /** @return sum of those attempts' latencies, ms; divide by the count for the mean. */
  public long attemptLatencySumMs() {
    return latencySumMs.sum();
  }

  /** @return the longest attempt latency seen, ms. */
  public long attemptLatencyMaxMs() {
    return latencyMaxMs.get();
  }

  /** @return dead letters written: EXHAUSTED tasks and UNDECODABLE records. */
  public long deadLetters() {
    return deadLetters.sum();
  }

  /** @return delivery records that could not be decoded (each also counted as a dead letter). */
  public long undecodableRecords() {
    return undecodable.sum();
  }

  /** @return transactions committed (attempts, dead letters and consumer offsets together). */
  public long transactionsCommitted() {
    return transactions.sum();
  }

  /**
   * @return times a transaction failed and the worker went back to its last committed offsets
   *     (the records since then are delivered again)
   */
  public long rewinds() {
    return rewinds.sum();
  }

  void attempt(AttemptResult result, boolean madeRequest) {
    attempts.get(result.outcome()).increment();
    if (madeRequest) {
      latencyCount.increment();
      latencySumMs.add(result.latencyMs());
      latencyMaxMs.accumulateAndGet(result.latencyMs(), Math::max);
    }
  }

  void inFlight(int value) {
    inFlight.set(value);
  }

  void waiting(int value) {
    waiting.set(value);
  }

  void deadLetter() {
    deadLetters.increment();
  }

  void undecodable() {
    undecodable.increment();
  }

  void transactionCommitted() {
    transactions.increment();
  }

  void rewound() {
    rewinds.increment();
  }
}
