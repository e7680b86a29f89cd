package org.webhooks.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consume-transform-produce loop with exactly-once outputs (DESIGN "Guarantees"), run by one
 * owner thread: the only thread that touches its consumer and its transactional producer, since a
 * producer has one open transaction at a time. What to do with each record is the
 * {@link RecordProcessor}'s business; this class owns everything else:
 *
 * <ul>
 *   <li>Outputs go out as they are produced, within an open transaction; every
 *       {@value #COMMIT_INTERVAL_MS} ms at most the transaction commits together with the consumer
 *       offsets of every partition up to its lowest unfinished record, so a record leaves its topic
 *       only when its outcome is in the next one.</li>
 *   <li>Each offset's metadata names the records above it that are finished
 *       ({@link UnfinishedRanges}); a partition's next owner skips them, so a hand-over repeats only
 *       the work in flight.</li>
 *   <li>Pausing, per partition, for one of these reasons: the processor is saturated (all
 *       partitions); the partition holds its share of {@code maxUnfinished} pending records; a
 *       {@link Received.RetryAfter} back-off; a {@link Received.HeldUntil} due time.</li>
 *   <li>Rebalances: before partitions are revoked, what finished is committed; pending items of
 *       partitions that go are {@link RecordProcessor#abandon abandoned}.</li>
 *   <li>Failures: a transaction refused because the group moved to a new generation is aborted and
 *       its outputs are sent again in the next one; any other failed transaction (a commit or a
 *       send that failed, as when the broker was unreachable for longer than the producer waits) is
 *       aborted and every partition is read again from its committed offset (work repeated, none
 *       lost); calls the broker does not answer are made again until it does, so an outage is
 *       ridden out in place; a fenced producer or instance id, or missing rights, stops the loop
 *       with {@link #failure()}.</li>
 *   <li>A transaction in doubt is settled before anything new is taken or dispatched: one that
 *       cannot commit (a send failed, at once or later), or one open for
 *       {@value #STALLED_TRANSACTION_MS} ms or more on the loop's clock (a call waited for a broker
 *       that was away, and the coordinator may have aborted it for its age meanwhile) is committed,
 *       or aborted and read again, first. Work dispatched into it would otherwise be repeated by the
 *       rewind although it started after the broker came back.</li>
 * </ul>
 *
 * @param <T> what the processor keeps per pending record
 */
public final class TransactionalLoop<T> implements Runnable, LoopContext {

  private static final Logger LOG = LoggerFactory.getLogger(TransactionalLoop.class);
  /** Outputs are committed at least this often, and at most one transaction per interval, ms. */
  public static final long COMMIT_INTERVAL_MS = 100;
  /** Longest wait while a partition is held until a due time: the clock may be moved by others, ms. */
  private static final long DUE_CHECK_MS = 100;
  private static final long IDLE_POLL_MS = 1000;
  /**
   * A transaction open this long (ten commit intervals) has been held up, by a call that waited for
   * the broker most likely, and is settled before the loop dispatches more work, ms.
   */
  public static final long STALLED_TRANSACTION_MS = 10 * COMMIT_INTERVAL_MS;

  /**
   * @param name names the owner thread and the log lines, e.g. {@code delivery-worker}
   * @param topics the input topics the consumer subscribes to
   * @param maxUnfinished pending records held at most, shared evenly among the assigned partitions;
   *     a partition at its share is paused
   * @param closeGrace how long a graceful stop waits for work in flight before its last commit
   */
  public record Settings(String name, List<String> topics, int maxUnfinished, Duration closeGrace) {
    public Settings {
      topics = List.copyOf(topics);
    }

    /** @return these settings for a loop of another name (several loops in one process) */
    public Settings named(String otherName) {
      return new Settings(otherName, topics, maxUnfinished, closeGrace);
    }
  }

  private final LoopClients clients;
  private final Settings settings;
  private final Clock clock;
  private final LoopCounters counters = new LoopCounters();
  private final RecordProcessor<T> processor;

  private final Map<TopicPartition, PartitionProgress<T>> progress = new HashMap<>();
  /** Partitions to be read again from a record once a back-off (System.nanoTime) has passed. */
  private final Map<TopicPartition, Long> backoffUntilNanos = new HashMap<>();
  /** Partitions to be read again from a record once the clock has reached its due time. */
  private final Map<TopicPartition, Instant> heldUntil = new HashMap<>();
  private final LinkedBlockingQueue<Runnable> ownerTasks = new LinkedBlockingQueue<>();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  /** True while the owner thread is in (or about to enter) its poll: only then is a wakeup needed. */
  private volatile boolean polling;
  /** Outputs sent in the open transaction, kept to be sent again if it must be aborted and redone. */
  private final List<ProducerRecord<String, byte[]>> sentInTransaction = new ArrayList<>();
  private boolean inTransaction;
  /** When the open transaction began, on {@link #clock}. */
  private Instant transactionBegan = Instant.EPOCH;
  /**
   * Counts the transactions begun; a send failure names the one it belongs to, so that the late
   * failures of an aborted transaction's records do not count against the next one.
   */
  private volatile long transactionNumber;
  /**
   * The first send failure reported by the producer (on its I/O thread, or at once on the owner
   * thread when the send could not even be queued), not yet taken by the owner.
   */
  private final AtomicReference<SendFailure> sendFailure = new AtomicReference<>();
  /**
   * Why the open transaction cannot commit (a send failed, so the producer refuses every call but an
   * abort), or null. Set by {@link #send}, acted on at the end of the round: outputs sent after it
   * are dropped, since the transaction is aborted anyway.
   */
  private KafkaException transactionFailure;
  private long lastCommitNanos = System.nanoTime();

  private volatile boolean stopRequested;
  private volatile boolean halted;
  private volatile boolean joined;
  private volatile boolean running;
  private volatile Throwable failure;

  /**
   * @param clients the consumer and transactional producer, owned (and closed) by this loop; the
   *     producer's transactions must be initialised
   * @param settings name, input topics and bounds
   * @param clock due times of {@link Received.HeldUntil} are held against it
   * @param processor builds the processor given this loop as its context
   */
  public TransactionalLoop(LoopClients clients, Settings settings, Clock clock,
      Function<LoopContext, RecordProcessor<T>> processor) {
    this.clients = clients;
    this.settings = settings;
    this.clock = clock;
    this.processor = processor.apply(this);
  }

  /** @return the processor this loop runs. */
  public RecordProcessor<T> processor() {
    return processor;
  }

  /** @return the name of the loop, of its owner thread and its log lines */
  public String name() {
    return settings.name();
  }

  /** @return this loop's counters. */
  @Override
  public LoopCounters counters() {
    return counters;
  }

  /** Asks the loop to stop: finish work in flight within the grace period, commit, close. */
  public void stop() {
    stopRequested = true;
    clients.consumer().wakeup();
  }

  /** Asks the loop to stop at once without committing anything more, as if the process died. */
  public void halt() {
    halted = true;
    stopRequested = true;
    clients.consumer().wakeup();
  }

  /** @return the error the loop stopped on, or null while it runs or after a requested stop. */
  public Throwable failure() {
    return failure;
  }

  /** @return true while the loop runs and has joined its consumer group at least once. */
  public boolean isReady() {
    return running && joined && failure == null;
  }

  @Override
  public Clock clock() {
    return clock;
  }

  @Override
  public boolean isStopping() {
    return stopRequested;
  }

  @Override
  public void onOwner(Runnable task) {
    ownerTasks.add(task);
    // A wakeup is needed only while the owner waits in its poll; a busy owner drains the tasks at
    // the end of its round anyway, and a wakeup asked for then would cut its next poll short for
    // nothing. One per batch of tasks, not per task: the owner clears the flag before it drains.
    // The owner sets `polling` before it looks at the queue to choose its poll timeout, and this
    // thread adds to the queue before it reads `polling`, so one of them always sees the other.
    if (polling && wakePending.compareAndSet(false, true) && running) {
      counters.wokeUp();
      try {
        clients.consumer().wakeup();
      } catch (RuntimeException e) {
        LOG.debug("waking a closing consumer: {}", e.toString());
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A send that fails (the broker could not be reached in time, say), at once or when the
   * broker answers, is not the processor's business: the transaction is marked failed and aborted
   * before the loop takes or dispatches anything new, and every partition is read again from its
   * last commit, as when a commit fails. A fenced producer stops the loop.
   */
  @Override
  public void send(ProducerRecord<String, byte[]> record) {
    if (transactionFailure != null) {
      return;
    }
    beginIfNeeded();
    sentInTransaction.add(record);
    try {
      clients.producer().send(record, failureOf(transactionNumber));
      // a send that could not even be queued (its topic's metadata did not come in time) has
      // reported its failure already, without throwing
      takeSendFailure();
    } catch (ProducerFencedException | AuthorizationException | UnsupportedVersionException | IllegalStateException e) {
      throw new FatalException(e);
    } catch (FatalException e) {
      throw e;
    } catch (KafkaException e) {
      transactionFailure = e;
    }
  }

  /** @return a callback that records a failed send of transaction {@code number} and wakes the owner */
  private Callback failureOf(long number) {
    return (metadata, exception) -> {
      if (exception == null) {
        return;
      }
      SendFailure failure = new SendFailure(number, exception);
      // a later transaction's failure replaces an earlier one's, never the other way round
      SendFailure before = sendFailure.getAndAccumulate(failure,
          (old, next) -> old == null || old.transaction() < next.transaction() ? next : old);
      if (before == null || before.transaction() < number) {
        onOwner(() -> { });
      }
    };
  }

  /** Makes a reported send failure of the open transaction the reason it cannot commit. */
  private void takeSendFailure() {
    SendFailure f = sendFailure.getAndSet(null);
    if (f != null && inTransaction && f.transaction() == transactionNumber && transactionFailure == null) {
      transactionFailure = f.cause() instanceof KafkaException k ? k : new KafkaException(f.cause());
    }
  }

  /**
   * Settles the open transaction when it cannot commit or has stalled, before the loop takes or
   * dispatches new work (see the class comment).
   */
  private void settleTransactionInDoubt() {
    takeSendFailure();
    if (transactionFailure != null || (inTransaction
        && Duration.between(transactionBegan, clock.instant()).toMillis() >= STALLED_TRANSACTION_MS)) {
      commit();
    }
  }

  @Override
  public void finished(TopicPartition partition, long offset) {
    PartitionProgress<T> pp = progress.get(partition);
    if (pp != null) {
      pp.finished(offset);
    }
  }

  @Override
  public void run() {
    running = true;
    try {
      clients.consumer().subscribe(settings.topics(), new Rebalance());
      while (!stopRequested) {
        settleTransactionInDoubt();
        accept(poll());
        runOwnerTasks();
        settleTransactionInDoubt();
        processor.work();
        if (transactionFailure != null || commitDue()) {
          commit();
        }
        updatePause();
      }
      processor.stopping();
      if (!halted) {
        finishInFlight();
      }
    } catch (FatalException e) {
      failure = e.getCause();
      LOG.error("{} stopped: {}", settings.name(), e.getCause().toString(), e.getCause());
    } catch (RuntimeException e) {
      failure = e;
      LOG.error("{} stopped: {}", settings.name(), e.toString(), e);
    } finally {
      running = false;
      closeClients();
    }
  }

  private ConsumerRecords<byte[], byte[]> poll() {
    polling = true;
    try {
      return clients.consumer().poll(Duration.ofMillis(pollTimeoutMs()));
    } catch (WakeupException e) {
      return ConsumerRecords.empty();
    } catch (FencedInstanceIdException e) {
      throw new FatalException(e);
    } finally {
      polling = false;
    }
  }

  private long pollTimeoutMs() {
    if (!ownerTasks.isEmpty()) {
      return 0;
    }
    long ms = Math.min(IDLE_POLL_MS, processor.idleMs());
    if (inTransaction || offsetsMayAdvance()) {
      long since = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastCommitNanos);
      ms = Math.min(ms, Math.max(0, COMMIT_INTERVAL_MS - since));
    }
    if (!backoffUntilNanos.isEmpty() || !heldUntil.isEmpty()) {
      ms = Math.min(ms, DUE_CHECK_MS);
    }
    return Math.max(0, ms);
  }

  private void runOwnerTasks() {
    wakePending.set(false);
    for (Runnable task; (task = ownerTasks.poll()) != null; ) {
      task.run();
    }
  }

  // ---- receiving

  private void accept(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      PartitionProgress<T> pp = progress.get(tp);
      if (pp == null) {
        continue; // revoked while the records were in the batch; the next owner reads them
      }
      for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
        if (!accept(tp, pp, r)) {
          break;
        }
      }
    }
  }

  /** @return false when the rest of this partition's batch must be read again later. */
  private boolean accept(TopicPartition tp, PartitionProgress<T> pp, ConsumerRecord<byte[], byte[]> r) {
    if (pp.finishedEarlier(r.offset())) {
      pp.receivedFinished(r.offset());
      counters.skipped();
      return true;
    }
    Received<T> received = processor.receive(r);
    if (received instanceof Received.Finished<T>) {
      pp.receivedFinished(r.offset());
      return true;
    }
    if (received instanceof Received.Pending<T> pending) {
      pp.received(r.offset(), pending.item());
      return true;
    }
    clients.consumer().seek(tp, r.offset());
    if (received instanceof Received.RetryAfter<T> retry) {
      LOG.warn("{}: {}; reading {} again from offset {} in {} ms", settings.name(), retry.reason(), tp,
          r.offset(), retry.backoff().toMillis());
      backoffUntilNanos.put(tp, System.nanoTime() + retry.backoff().toNanos());
    } else if (received instanceof Received.HeldUntil<T> held) {
      heldUntil.put(tp, held.dueAt());
    }
    return false;
  }

  // ---- transactions

  private void beginIfNeeded() {
    if (inTransaction) {
      return;
    }
    try {
      clients.producer().beginTransaction();
    } catch (ProducerFencedException | IllegalStateException e) {
      throw new FatalException(e);
    }
    inTransaction = true;
    transactionNumber++;
    transactionBegan = clock.instant();
  }

  private boolean offsetsMayAdvance() {
    for (PartitionProgress<T> pp : progress.values()) {
      if (pp.finishedSinceCommit()) {
        return true;
      }
    }
    return false;
  }

  private boolean commitDue() {
    if (!inTransaction && !offsetsMayAdvance()) {
      return false;
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastCommitNanos) >= COMMIT_INTERVAL_MS;
  }

  /**
   * Commits the open transaction with the offsets up to each partition's lowest unfinished record.
   *
   * @throws FatalException when the producer is fenced or otherwise unusable
   */
  private void commit() {
    takeSendFailure();
    if (transactionFailure != null) {
      abortAndRewind(transactionFailure);
      return;
    }
    long started = System.nanoTime();
    lastCommitNanos = started;
    Map<TopicPartition, PartitionProgress.Commit> commits = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    progress.forEach((tp, pp) -> pp.toCommit().ifPresentOrElse(c -> {
      commits.put(tp, c);
      offsets.put(tp, new OffsetAndMetadata(c.offset(), c.metadata()));
    }, pp::upToDate));
    if (!inTransaction && offsets.isEmpty()) {
      return;
    }
    KafkaProducer<String, byte[]> producer = clients.producer();
    try {
      beginIfNeeded();
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, clients.consumer().groupMetadata());
      }
      commitTransaction(producer);
    } catch (FatalException e) {
      throw e;
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
        | UnsupportedVersionException | IllegalStateException | FencedInstanceIdException e) {
      throw new FatalException(e);
    } catch (CommitFailedException e) {
      abortAndRedo(e);
      return;
    } catch (KafkaException e) {
      abortAndRewind(e);
      return;
    }
    inTransaction = false;
    sentInTransaction.clear();
    commits.forEach((tp, c) -> {
      PartitionProgress<T> pp = progress.get(tp);
      if (pp != null) {
        pp.committed(c);
      }
    });
    counters.committed(System.nanoTime() - started);
  }

  /**
   * Commits; while the broker does not answer (an outage), tries again for as long as it takes,
   * since the outcome of a timed-out commit is unknown and the producer requires the same call
   * again. A transaction that the coordinator meanwhile aborted for its age then fails with an
   * abortable error, and its records are read again.
   */
  private void commitTransaction(KafkaProducer<String, byte[]> producer) {
    while (true) {
      try {
        producer.commitTransaction();
        return;
      } catch (TimeoutException e) {
        if (stopRequested) {
          throw new FatalException(e);
        }
        LOG.warn("{}: committing a transaction timed out ({}); trying again", settings.name(), e.getMessage());
      }
    }
  }

  /**
   * The consumer group moved to a new generation (an instance joined or left) after the last poll,
   * so the broker refused offsets stamped with the old one. The outputs themselves are sound: the
   * transaction is aborted and they are sent again in a new one, whose offsets go with the next
   * commit, after the next poll has brought the consumer into the new generation. Rewinding instead
   * would repeat every piece of work in flight or finished since the last commit, on every
   * partition, each time the group changes.
   */
  private void abortAndRedo(CommitFailedException cause) {
    LOG.info("{}: transaction of {} records not committed while the consumer group rebalances ({}); "
        + "sending them again with the next one", settings.name(), sentInTransaction.size(), cause.getMessage());
    List<ProducerRecord<String, byte[]>> redo = new ArrayList<>(sentInTransaction);
    abort();
    try {
      redo.forEach(this::send);
    } catch (KafkaException e) {
      if (e instanceof FatalException) {
        throw e;
      }
      abortAndRewind(e);
    }
  }

  private void abortAndRewind(KafkaException cause) {
    LOG.warn("{}: transaction of {} records failed ({}); reading every partition again from its last "
        + "committed offset", settings.name(), sentInTransaction.size(), cause.toString());
    abort();
    rewind();
  }

  private void abort() {
    sentInTransaction.clear();
    transactionFailure = null;
    if (!inTransaction) {
      return;
    }
    inTransaction = false;
    while (true) {
      try {
        clients.producer().abortTransaction();
        return;
      } catch (TimeoutException e) {
        if (stopRequested) {
          throw new FatalException(e);
        }
        LOG.warn("{}: aborting a transaction timed out ({}); trying again", settings.name(), e.getMessage());
      } catch (KafkaException abortFailure) {
        throw new FatalException(abortFailure);
      }
    }
  }

  /** Forgets everything since the last commit and reads the assigned partitions again from there. */
  private void rewind() {
    counters.rewound();
    Set<TopicPartition> assigned = new HashSet<>(progress.keySet());
    for (TopicPartition tp : assigned) {
      abandon(tp);
    }
    Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(assigned, true);
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata o = committed.get(tp);
      if (o == null) {
        fromStart.add(tp);
        progress.put(tp, new PartitionProgress<>());
      } else {
        clients.consumer().seek(tp, o.offset());
        progress.put(tp, new PartitionProgress<>(UnfinishedRanges.parse(o.offset(), o.metadata())));
      }
    }
    if (!fromStart.isEmpty()) {
      clients.consumer().seekToBeginning(fromStart);
    }
  }

  /**
   * Asks the group coordinator for the committed offsets of {@code partitions}.
   *
   * @param untilAnswered while the broker does not answer (an outage), ask again for as long as it
   *     takes: a rewind must restart from exactly the committed offsets
   * @throws TimeoutException when the broker does not answer in time and {@code untilAnswered} is false
   */
  private Map<TopicPartition, OffsetAndMetadata> committedOffsets(Set<TopicPartition> partitions,
      boolean untilAnswered) {
    while (true) {
      try {
        Map<TopicPartition, OffsetAndMetadata> committed = clients.consumer().committed(partitions);
        return committed == null ? Map.of() : committed;
      } catch (WakeupException e) {
        // an owner task arrived meanwhile; it runs after this
      } catch (TimeoutException e) {
        if (!untilAnswered) {
          throw e;
        }
        if (stopRequested) {
          throw new FatalException(e);
        }
        LOG.warn("{}: reading the committed offsets timed out ({}); trying again", settings.name(), e.getMessage());
      }
    }
  }

  /** Drops the pending records of a partition: their outcome will not be written by this instance. */
  private void abandon(TopicPartition tp) {
    PartitionProgress<T> pp = progress.remove(tp);
    backoffUntilNanos.remove(tp);
    heldUntil.remove(tp);
    if (pp != null && pp.unfinishedCount() > 0) {
      processor.abandon(tp, pp.unfinished());
    }
  }

  // ---- flow control

  /**
   * Pauses every assigned partition while the processor is saturated; a partition holding its share
   * of pending records (the cap divided by the partitions assigned); one backing off; and one held
   * until a due time. The share bounds memory per partition, so the backlog of one slow endpoint
   * (every task of a subscription is in one partition) pauses that partition alone.
   */
  private void updatePause() {
    KafkaConsumer<byte[], byte[]> consumer = clients.consumer();
    Set<TopicPartition> assigned = consumer.assignment();
    Set<TopicPartition> wanted = new HashSet<>();
    if (processor.saturated()) {
      wanted.addAll(assigned);
    } else {
      int share = Math.max(1, settings.maxUnfinished() / Math.max(1, progress.size()));
      progress.forEach((tp, pp) -> {
        if (pp.unfinishedCount() >= share) {
          wanted.add(tp);
        }
      });
    }
    long nowNanos = System.nanoTime();
    backoffUntilNanos.entrySet().removeIf(e -> e.getValue() - nowNanos <= 0);
    wanted.addAll(backoffUntilNanos.keySet());
    Instant now = clock.instant();
    heldUntil.entrySet().removeIf(e -> !e.getValue().isAfter(now));
    wanted.addAll(heldUntil.keySet());
    wanted.retainAll(assigned);
    Set<TopicPartition> paused = consumer.paused();
    List<TopicPartition> toPause = new ArrayList<>();
    for (TopicPartition tp : wanted) {
      if (!paused.contains(tp)) {
        toPause.add(tp);
      }
    }
    List<TopicPartition> toResume = new ArrayList<>();
    for (TopicPartition tp : paused) {
      if (!wanted.contains(tp) && assigned.contains(tp)) {
        toResume.add(tp);
      }
    }
    if (!toPause.isEmpty()) {
      consumer.pause(toPause);
    }
    if (!toResume.isEmpty()) {
      consumer.resume(toResume);
    }
  }

  // ---- stopping

  /** Waits up to the grace period for work in flight, then commits what finished. */
  private void finishInFlight() {
    clients.consumer().pause(clients.consumer().assignment());
    long deadline = System.nanoTime() + settings.closeGrace().toNanos();
    runOwnerTasks();
    while (processor.inFlight() > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        Runnable task = ownerTasks.poll(left, TimeUnit.NANOSECONDS);
        if (task != null) {
          task.run();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (processor.inFlight() > 0) {
      LOG.info("{}: closing with {} in flight; their records are processed again after a restart",
          settings.name(), processor.inFlight());
    }
    commit();
  }

  private void closeClients() {
    try {
      // a static member stays in its group on close unless told otherwise; leaving moves its
      // partitions to the other instances at once instead of after the session timeout
      clients.consumer().close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
          .withTimeout(halted ? Duration.ofSeconds(1) : Duration.ofSeconds(5)));
    } catch (RuntimeException e) {
      LOG.debug("{}: closing the consumer: {}", settings.name(), e.toString());
    }
    try {
      clients.producer().close(halted || failure != null ? Duration.ZERO : Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      LOG.debug("{}: closing the producer: {}", settings.name(), e.toString());
    }
  }

  /** Commits, as far as it can, before partitions go; forgets their pending records. */
  private final class Rebalance implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      if (!halted && failure == null) {
        runOwnerTasks();
        commit();
      }
      partitions.forEach(TransactionalLoop.this::abandon);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // another instance may own them already: their offsets cannot be committed here, so their
      // records are read again there; outputs already sent are still committed (a repeat at worst)
      partitions.forEach(TransactionalLoop.this::abandon);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      Map<TopicPartition, OffsetAndMetadata> committed = inheritedCommits(partitions);
      for (TopicPartition tp : partitions) {
        OffsetAndMetadata o = committed.get(tp);
        progress.put(tp, o == null ? new PartitionProgress<>()
            : new PartitionProgress<>(UnfinishedRanges.parse(o.offset(), o.metadata())));
      }
      joined = true;
    }

    /**
     * The previous owners' commits, whose metadata names the records they finished above the
     * committed offsets. Without them (the broker did not answer) every record from the committed
     * offset is processed again: repeats, no loss.
     */
    private Map<TopicPartition, OffsetAndMetadata> inheritedCommits(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return Map.of();
      }
      try {
        return committedOffsets(new HashSet<>(partitions), false);
      } catch (KafkaException e) {
        LOG.warn("{}: could not read the committed offsets of {} ({}); their records from the committed "
            + "offset are processed again", settings.name(), partitions, e.toString());
        return Map.of();
      }
    }
  }

  /** A send of transaction {@code transaction} that failed with {@code cause}. */
  private record SendFailure(long transaction, Exception cause) {}

  /** An error after which the loop cannot go on (fenced producer or instance, missing rights). */
  private static final class FatalException extends KafkaException {
    FatalException(Throwable cause) {
      super(cause);
    }
  }
}
