package org.webhooks.runtime;

import java.time.Clock;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** What a {@link RecordProcessor} may ask of the loop that runs it. */
public interface LoopContext {

  /**
   * Sends an output record within the loop's open transaction (beginning one if none is open). It
   * becomes visible to {@code read_committed} readers when the transaction commits, together with
   * the consumer offsets of the records whose outcome it is. Owner thread only.
   */
  void send(ProducerRecord<String, byte[]> record);

  /**
   * The record at {@code offset} of {@code partition}, received as pending, is done: its outputs
   * were sent. Ignored when the partition is no longer owned. Owner thread only.
   */
  void finished(TopicPartition partition, long offset);

  /**
   * Runs {@code task} on the owner thread at its next round, waking it if it waits. Thread-safe;
   * the way for asynchronous completions to come back.
   */
  void onOwner(Runnable task);

  /** @return the clock that due times are held against. */
  Clock clock();

  /** @return true once a stop was asked for. */
  boolean isStopping();

  /** @return the loop's counters (transactions, commits, wakeups), safe to read from any thread. */
  LoopCounters counters();
}
