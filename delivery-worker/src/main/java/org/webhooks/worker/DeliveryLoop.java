package org.webhooks.worker;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SubscriptionRules;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/**
 * The owner thread of a delivery worker: the only thread that touches its consumer and its
 * transactional producer (a producer has one open transaction at a time). HTTP runs on Vert.x;
 * each result is queued back here and the consumer is woken up.
 *
 * <p>A task goes: received, held until {@code due_at}, queued per endpoint until a slot is free,
 * looked up in the subscription view (nothing is sent before the view has read the topic as it was
 * at start; later, a miss waits for the view to catch up, then means deleted),
 * sent, and its outcome (attempt record, and a dead letter on failure) is written in the next
 * transaction together with the offsets of every partition up to its lowest unfinished record, and
 * in each offset's metadata the {@link UnfinishedRanges} above it. A partition's next owner skips
 * the records that metadata names finished, so a hand-over repeats only the requests in flight.
 */
final class DeliveryLoop implements Runnable {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryLoop.class);
  /** Finished outcomes are written at least this often, and at most one transaction per interval. */
  private static final long COMMIT_INTERVAL_MS = 100;
  /** Longest sleep while tasks wait for their due time; the clock may be moved by others. */
  private static final long DUE_CHECK_MS = 100;
  private static final long IDLE_POLL_MS = 1000;
  private static final long REGISTRY_BACKOFF_MS = 1000;
  /** Calls of commitTransaction that may time out before the worker gives up. */
  private static final int COMMIT_TRIES = 3;

  /** Kafka clients, topics and serdes of one worker. */
  record Clients(
      KafkaConsumer<byte[], byte[]> consumer,
      KafkaProducer<String, byte[]> producer,
      String deliveriesTopic,
      String attemptsTopic,
      String deadLettersTopic,
      AvroSerde<DeliveryTask> tasks,
      AvroSerde<DeliveryAttempt> attempts,
      AvroSerde<DeadLetter> deadLetters) {}

  /** Bounds: requests in flight in total and per endpoint, and tasks held in memory. */
  record Limits(int maxInFlight, int maxInFlightPerEndpoint, int maxUnfinished, Duration closeGrace) {}

  /** An HTTP result handed back from Vert.x. */
  private record Completion(PendingDelivery pending, String url, Instant startedAt, AttemptResult result) {}

  private final Clients kafka;
  private final Limits limits;
  private final Clock clock;
  private final SubscriptionView view;
  private final EndpointClient endpoints;
  private final WorkerMetrics metrics;

  private final Map<TopicPartition, PartitionProgress<PendingDelivery>> progress = new HashMap<>();
  private final PriorityQueue<PendingDelivery> notDue = new PriorityQueue<>(
      Comparator.comparing((PendingDelivery p) -> p.task.getDueAt()).thenComparingLong(p -> p.offset));
  private final EndpointGate<PendingDelivery> gate;
  /** Tasks whose subscription was missing, each with the catch-up that must complete first. */
  private final Map<PendingDelivery, CompletableFuture<Void>> awaitingView = new LinkedHashMap<>();
  private final List<PendingDelivery> newMisses = new ArrayList<>();
  private final LinkedBlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
  private final List<ProducerRecord<String, byte[]>> outputs = new ArrayList<>();
  private final Map<TopicPartition, Long> backoffUntilNanos = new HashMap<>();
  private long lastCommitNanos = System.nanoTime();

  private volatile boolean stopRequested;
  private volatile boolean halted;
  private volatile boolean joined;
  private volatile boolean running;
  private volatile Throwable failure;

  DeliveryLoop(Clients kafka, Limits limits, Clock clock, SubscriptionView view, EndpointClient endpoints,
      WorkerMetrics metrics) {
    this.kafka = kafka;
    this.limits = limits;
    this.clock = clock;
    this.view = view;
    this.endpoints = endpoints;
    this.metrics = metrics;
    this.gate = new EndpointGate<>(
        limits.maxInFlight(), limits.maxInFlightPerEndpoint(), PendingDelivery::subscriptionId);
  }

  /** Asks the loop to stop: finish in-flight requests within the grace period, commit, close. */
  void stop() {
    stopRequested = true;
    kafka.consumer().wakeup();
  }

  /** Asks the loop to stop at once without committing anything more, as if the process died. */
  void halt() {
    halted = true;
    stopRequested = true;
    kafka.consumer().wakeup();
  }

  /** @return the error the loop stopped on, or null while it runs or after a requested stop */
  Throwable failure() {
    return failure;
  }

  /** @return true while the loop runs and has joined the consumer group at least once. */
  boolean isReady() {
    return running && joined && failure == null;
  }

  @Override
  public void run() {
    running = true;
    try {
      kafka.consumer().subscribe(List.of(kafka.deliveriesTopic()), new Rebalance());
      view.initialCatchUp().whenComplete((v, e) -> wakeUp());
      while (!stopRequested) {
        ConsumerRecords<byte[], byte[]> records = poll();
        accept(records);
        drainCompletions();
        takeCaughtUp();
        releaseDue();
        dispatch();
        askViewToCatchUp();
        if (commitDue()) {
          commit();
        }
        updatePause();
        metrics.inFlight(gate.inFlight());
        metrics.waiting(waitingCount());
      }
      if (!halted) {
        finishInFlight();
      }
    } catch (FatalException e) {
      failure = e.getCause();
      LOG.error("delivery worker stopped: {}", e.getCause().toString(), e.getCause());
    } catch (RuntimeException e) {
      failure = e;
      LOG.error("delivery worker stopped: {}", e.toString(), e);
    } finally {
      running = false;
      closeClients();
    }
  }

  private ConsumerRecords<byte[], byte[]> poll() {
    try {
      return kafka.consumer().poll(Duration.ofMillis(pollTimeoutMs()));
    } catch (WakeupException e) {
      return ConsumerRecords.empty();
    }
  }

  private long pollTimeoutMs() {
    long ms = IDLE_POLL_MS;
    if (!completions.isEmpty()) {
      return 0;
    }
    if (!outputs.isEmpty() || offsetsMayAdvance()) {
      long since = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastCommitNanos);
      ms = Math.min(ms, Math.max(0, COMMIT_INTERVAL_MS - since));
    }
    PendingDelivery next = notDue.peek();
    if (next != null) {
      long untilDue = Duration.between(clock.instant(), next.task.getDueAt()).toMillis();
      ms = Math.min(ms, Math.max(0, Math.min(untilDue, DUE_CHECK_MS)));
    }
    if (!backoffUntilNanos.isEmpty()) {
      ms = Math.min(ms, DUE_CHECK_MS);
    }
    return ms;
  }

  // ---- receiving

  private void accept(ConsumerRecords<byte[], byte[]> records) {
    for (TopicPartition tp : records.partitions()) {
      PartitionProgress<PendingDelivery> pp = progress.get(tp);
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
  private boolean accept(TopicPartition tp, PartitionProgress<PendingDelivery> pp, ConsumerRecord<byte[], byte[]> r) {
    if (pp.finishedEarlier(r.offset())) {
      pp.receivedFinished(r.offset());
      metrics.taskSkipped();
      return true;
    }
    DeliveryTask task;
    try {
      if (r.value() == null) {
        throw new SerializationException("the record has no value");
      }
      task = kafka.tasks().deserialize(r.topic(), r.value());
    } catch (SerializationException e) {
      if (RegistryFailures.isUnreachable(e)) {
        LOG.warn("schema registry unreachable ({}); reading {} again from offset {} in {} ms",
            e.getMessage(), tp, r.offset(), REGISTRY_BACKOFF_MS);
        kafka.consumer().seek(tp, r.offset());
        backoffUntilNanos.put(tp, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REGISTRY_BACKOFF_MS));
        return false;
      }
      LOG.warn("delivery record {}-{} offset {} cannot be decoded; dead-lettered: {}",
          r.topic(), r.partition(), r.offset(), e.getMessage());
      String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
      DeadLetter dl = AttemptRecords.undecodable(r.topic(), r.partition(), r.offset(), r.key(), r.value(),
          e.getMessage(), clock.instant());
      outputs.add(new ProducerRecord<>(kafka.deadLettersTopic(), key,
          kafka.deadLetters().serialize(kafka.deadLettersTopic(), dl)));
      pp.receivedFinished(r.offset());
      metrics.undecodable();
      metrics.deadLetter();
      return true;
    }
    PendingDelivery p = new PendingDelivery(tp, r.offset(), task);
    pp.received(r.offset(), p);
    if (task.getDueAt().isAfter(clock.instant())) {
      notDue.add(p);
    } else {
      gate.enqueue(p);
    }
    return true;
  }

  private void releaseDue() {
    Instant now = clock.instant();
    while (!notDue.isEmpty() && !notDue.peek().task.getDueAt().isAfter(now)) {
      gate.enqueue(notDue.poll());
    }
  }

  // ---- sending

  private void dispatch() {
    // Until the view has read the topic as it was at start, a lookup could find an old version
    // of a subscription that was since disabled or deleted; sending nothing before costs little.
    if (stopRequested || !view.isCaughtUp()) {
      return;
    }
    for (List<PendingDelivery> batch = gate.take(); !batch.isEmpty(); batch = gate.take()) {
      for (PendingDelivery p : batch) {
        send(p);
      }
    }
  }

  /** Sends a task that holds a slot of the gate, or settles it without a request. */
  private void send(PendingDelivery p) {
    DeliveryTask task = p.task;
    Instant now = clock.instant();
    Optional<Subscription> found = view.find(p.subscriptionId());
    if (found.isEmpty() && !p.viewCaughtUp) {
      gate.release(p.subscriptionId());
      newMisses.add(p);
      return;
    }
    String skip = null;
    if (found.isEmpty()) {
      skip = "subscription " + p.subscriptionId() + " does not exist (deleted)";
    } else if (!found.get().getAccountId().equals(task.getAccountId())) {
      LOG.error("task {} of account {} names subscription {} of account {}; not sent",
          task.getDeliveryId(), task.getAccountId(), p.subscriptionId(), found.get().getAccountId());
      skip = "subscription " + p.subscriptionId() + " belongs to another account";
    } else if (!found.get().getEnabled()) {
      Subscription s = found.get();
      skip = "subscription " + p.subscriptionId() + " is disabled"
          + (s.getDisabledReason() == null ? "" : ": " + s.getDisabledReason());
    }
    if (skip != null) {
      gate.release(p.subscriptionId());
      String url = found.map(Subscription::getUrl).orElse("");
      AttemptResult result = AttemptResult.notSent(AttemptOutcome.SKIPPED, skip);
      metrics.attempt(result, false);
      settle(p, url, now, result);
      return;
    }
    Subscription sub = found.get();
    DeliveryRequest request;
    try {
      request = DeliveryRequest.signed(sub.getUrl(), SubscriptionRules.signingSecrets(sub, now),
          task.getEventId(), now, p.body);
    } catch (IllegalArgumentException e) {
      gate.release(p.subscriptionId());
      AttemptResult result = AttemptResult.notSent(AttemptOutcome.OTHER, "cannot sign: " + e.getMessage());
      metrics.attempt(result, false);
      settle(p, sub.getUrl(), now, result);
      return;
    }
    endpoints.deliver(request).whenComplete((result, error) -> {
      AttemptResult r = error == null ? result
          : AttemptResult.notSent(AttemptOutcome.OTHER, "delivery failed unexpectedly: " + error);
      completions.add(new Completion(p, sub.getUrl(), now, r));
      wakeUp();
    });
  }

  /** Called from other threads: makes the owner thread's poll return now. */
  private void wakeUp() {
    if (running) {
      try {
        kafka.consumer().wakeup();
      } catch (RuntimeException e) {
        LOG.debug("waking a closing consumer: {}", e.toString());
      }
    }
  }

  private void drainCompletions() {
    for (Completion c; (c = completions.poll()) != null; ) {
      completed(c);
    }
  }

  private void completed(Completion c) {
    gate.release(c.pending().subscriptionId());
    metrics.attempt(c.result(), c.result().outcome() != AttemptOutcome.BLOCKED);
    if (c.pending().abandoned) {
      LOG.debug("outcome {} of abandoned task {} not written; its partition is read again",
          c.result().outcome(), c.pending().task.getDeliveryId());
      return;
    }
    settle(c.pending(), c.url(), c.startedAt(), c.result());
  }

  /** Queues the outcome of a task for the next transaction and marks its record finished. */
  private void settle(PendingDelivery p, String url, Instant startedAt, AttemptResult result) {
    DeliveryTask task = p.task;
    String key = task.getSubscriptionId();
    DeliveryAttempt attempt = AttemptRecords.attempt(task, url, startedAt, result, true);
    outputs.add(new ProducerRecord<>(kafka.attemptsTopic(), key,
        kafka.attempts().serialize(kafka.attemptsTopic(), attempt)));
    if (result.outcome() == AttemptOutcome.SKIPPED) {
      LOG.info("delivery {} of event {} to subscription {} skipped: {}",
          task.getDeliveryId(), task.getEventId(), key, result.error());
    } else if (!result.succeeded()) {
      DeadLetter dl = AttemptRecords.exhausted(task, startedAt, result, clock.instant());
      outputs.add(new ProducerRecord<>(kafka.deadLettersTopic(), key,
          kafka.deadLetters().serialize(kafka.deadLettersTopic(), dl)));
      metrics.deadLetter();
      String line = "delivery {} of event {} to subscription {} failed: {} status {} after {} ms: {}";
      Object[] args = {task.getDeliveryId(), task.getEventId(), key, result.outcome(),
          result.statusCode() == null ? "-" : result.statusCode(), result.latencyMs(), result.error()};
      if (result.outcome() == AttemptOutcome.BLOCKED || result.outcome() == AttemptOutcome.OTHER) {
        LOG.warn(line, args);
      } else {
        LOG.info(line, args);
      }
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("delivery {} of event {} to subscription {} succeeded: status {} in {} ms",
          task.getDeliveryId(), task.getEventId(), key, result.statusCode(), result.latencyMs());
    }
    PartitionProgress<PendingDelivery> pp = progress.get(p.partition);
    if (pp != null) {
      pp.finished(p.offset);
    }
  }

  // ---- the subscription view

  private void askViewToCatchUp() {
    if (newMisses.isEmpty()) {
      return;
    }
    // one catch-up for every miss of this round; its end offsets are taken after all of them arrived
    CompletableFuture<Void> caughtUp = view.catchUp();
    caughtUp.whenComplete((v, e) -> wakeUp());
    for (PendingDelivery p : newMisses) {
      awaitingView.put(p, caughtUp);
    }
    newMisses.clear();
  }

  private void takeCaughtUp() {
    Iterator<Map.Entry<PendingDelivery, CompletableFuture<Void>>> it = awaitingView.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<PendingDelivery, CompletableFuture<Void>> e = it.next();
      if (e.getValue().isDone()) {
        it.remove();
        e.getKey().viewCaughtUp = true;
        gate.enqueue(e.getKey());
      }
    }
  }

  // ---- transactions

  private boolean offsetsMayAdvance() {
    for (PartitionProgress<PendingDelivery> pp : progress.values()) {
      if (pp.finishedSinceCommit()) {
        return true;
      }
    }
    return false;
  }

  private boolean commitDue() {
    if (outputs.isEmpty() && !offsetsMayAdvance()) {
      return false;
    }
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastCommitNanos) >= COMMIT_INTERVAL_MS;
  }

  /**
   * Writes the queued outcomes and the offsets up to each partition's lowest unfinished record in
   * one transaction. A transaction refused because the consumer group moved on to a new
   * generation is aborted and its outcomes go into the next one. Any other failed transaction is
   * aborted and every partition is read again from its last committed offset (at-least-once: some
   * requests are repeated, none is lost).
   *
   * @throws FatalException when the producer is fenced or otherwise unusable, or the commit timed
   *     out {@value #COMMIT_TRIES} times
   */
  private void commit() {
    lastCommitNanos = System.nanoTime();
    Map<TopicPartition, PartitionProgress.Commit> commits = new HashMap<>();
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    progress.forEach((tp, pp) -> pp.toCommit().ifPresentOrElse(c -> {
      commits.put(tp, c);
      offsets.put(tp, new OffsetAndMetadata(c.offset(), c.metadata()));
    }, pp::upToDate));
    if (outputs.isEmpty() && offsets.isEmpty()) {
      return;
    }
    KafkaProducer<String, byte[]> producer = kafka.producer();
    try {
      producer.beginTransaction();
      for (ProducerRecord<String, byte[]> r : outputs) {
        producer.send(r);
      }
      if (!offsets.isEmpty()) {
        producer.sendOffsetsToTransaction(offsets, kafka.consumer().groupMetadata());
      }
    } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
        | UnsupportedVersionException | IllegalStateException e) {
      throw new FatalException(e);
    } catch (CommitFailedException e) {
      abortAndCommitLater(e);
      return;
    } catch (KafkaException e) {
      abortAndRewind(e);
      return;
    }
    for (int tries = 1; ; tries++) {
      try {
        producer.commitTransaction();
        break;
      } catch (TimeoutException e) {
        // the outcome of the commit is unknown; the producer requires the same call again
        if (tries >= COMMIT_TRIES) {
          throw new FatalException(e);
        }
        LOG.warn("committing a transaction timed out ({}); trying again", e.getMessage());
      } catch (ProducerFencedException | OutOfOrderSequenceException | AuthorizationException
          | UnsupportedVersionException | IllegalStateException e) {
        throw new FatalException(e);
      } catch (CommitFailedException e) {
        abortAndCommitLater(e);
        return;
      } catch (KafkaException e) {
        abortAndRewind(e);
        return;
      }
    }
    outputs.clear();
    commits.forEach((tp, c) -> {
      PartitionProgress<PendingDelivery> pp = progress.get(tp);
      if (pp != null) {
        pp.committed(c);
      }
    });
    metrics.transactionCommitted();
  }

  /**
   * The consumer group moved to a new generation (an instance joined or left) after this worker's
   * last poll, so the broker refused offsets stamped with the old one. The outcomes themselves are
   * sound: the transaction is aborted and the same outcomes and offsets go into the next one, after
   * the next poll has brought the consumer into the new generation. Partitions that move meanwhile
   * are dropped by the rebalance listener as usual. Rewinding instead would send again every
   * request in flight and every request finished since the last commit, on every partition, each
   * time the group changes.
   */
  private void abortAndCommitLater(CommitFailedException cause) {
    LOG.info("transaction of {} records not committed while the consumer group rebalances ({}); "
        + "committing them with the next transaction", outputs.size(), cause.getMessage());
    try {
      kafka.producer().abortTransaction();
    } catch (KafkaException abortFailure) {
      throw new FatalException(abortFailure);
    }
  }

  private void abortAndRewind(KafkaException cause) {
    LOG.warn("transaction of {} records failed ({}); reading every partition again from its last committed offset",
        outputs.size(), cause.toString());
    try {
      kafka.producer().abortTransaction();
    } catch (KafkaException abortFailure) {
      throw new FatalException(abortFailure);
    }
    rewind();
  }

  /** Forgets everything since the last commit and reads the assigned partitions again from there. */
  private void rewind() {
    metrics.rewound();
    outputs.clear();
    Set<TopicPartition> assigned = new HashSet<>(progress.keySet());
    for (TopicPartition tp : assigned) {
      abandon(tp);
    }
    Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(assigned);
    List<TopicPartition> fromStart = new ArrayList<>();
    for (TopicPartition tp : assigned) {
      OffsetAndMetadata o = committed.get(tp);
      if (o == null) {
        fromStart.add(tp);
        progress.put(tp, new PartitionProgress<>());
      } else {
        kafka.consumer().seek(tp, o.offset());
        progress.put(tp, new PartitionProgress<>(UnfinishedRanges.parse(o.offset(), o.metadata())));
      }
    }
    if (!fromStart.isEmpty()) {
      kafka.consumer().seekToBeginning(fromStart);
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> committedOffsets(Set<TopicPartition> partitions) {
    while (true) {
      try {
        return kafka.consumer().committed(partitions);
      } catch (WakeupException e) {
        // an HTTP result arrived meanwhile; it is picked up after the rewind
      }
    }
  }

  /** Drops every unfinished task of a partition: its outcome will not be written by this instance. */
  private void abandon(TopicPartition tp) {
    PartitionProgress<PendingDelivery> pp = progress.remove(tp);
    backoffUntilNanos.remove(tp);
    if (pp == null || pp.unfinishedCount() == 0) {
      return;
    }
    for (PendingDelivery p : pp.unfinished()) {
      p.abandoned = true;
    }
    notDue.removeIf(p -> p.abandoned);
    gate.removeWaiting(p -> p.abandoned);
    awaitingView.keySet().removeIf(p -> p.abandoned);
    newMisses.removeIf(p -> p.abandoned);
  }

  // ---- flow control

  private int waitingCount() {
    return notDue.size() + gate.waiting() + awaitingView.size() + newMisses.size();
  }

  /**
   * Pauses every assigned partition while the worker is at its cap of requests in flight; a
   * partition holding its share of the cap of unfinished tasks in memory (the cap divided by the
   * partitions assigned); and a partition whose records wait for the schema registry. The share
   * bounds memory per partition, so the backlog of a hung endpoint (every task of a subscription is
   * in one partition) pauses that partition alone and the endpoints of the other partitions go on.
   */
  private void updatePause() {
    KafkaConsumer<byte[], byte[]> consumer = kafka.consumer();
    Set<TopicPartition> assigned = consumer.assignment();
    Set<TopicPartition> wanted = new HashSet<>();
    if (gate.inFlight() >= limits.maxInFlight()) {
      wanted.addAll(assigned);
    } else {
      int share = Math.max(1, limits.maxUnfinished() / Math.max(1, progress.size()));
      progress.forEach((tp, pp) -> {
        if (pp.unfinishedCount() >= share) {
          wanted.add(tp);
        }
      });
    }
    long now = System.nanoTime();
    backoffUntilNanos.entrySet().removeIf(e -> e.getValue() - now <= 0);
    wanted.addAll(backoffUntilNanos.keySet());
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

  /** Waits up to the grace period for requests in flight, then commits what finished. */
  private void finishInFlight() {
    kafka.consumer().pause(kafka.consumer().assignment());
    long deadline = System.nanoTime() + limits.closeGrace().toNanos();
    drainCompletions();
    while (gate.inFlight() > 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        break;
      }
      try {
        Completion c = completions.poll(left, TimeUnit.NANOSECONDS);
        if (c != null) {
          completed(c);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (gate.inFlight() > 0) {
      LOG.info("closing with {} requests in flight; their tasks are delivered again after a restart", gate.inFlight());
    }
    commit();
  }

  private void closeClients() {
    try {
      kafka.consumer().close(halted ? Duration.ofSeconds(1) : Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      LOG.debug("closing the delivery consumer: {}", e.toString());
    }
    try {
      kafka.producer().close(halted || failure != null ? Duration.ZERO : Duration.ofSeconds(5));
    } catch (RuntimeException e) {
      LOG.debug("closing the delivery producer: {}", e.toString());
    }
  }

  /** Commits, as far as it can, before partitions go; forgets their unfinished tasks. */
  private final class Rebalance implements ConsumerRebalanceListener {

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return;
      }
      if (!halted && failure == null) {
        drainCompletions();
        commit();
      }
      partitions.forEach(DeliveryLoop.this::abandon);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // another instance may own them already: their offsets cannot be committed here, so their
      // records are read again there; outcomes already queued are still written (a repeat at worst)
      partitions.forEach(DeliveryLoop.this::abandon);
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
     * offset is sent again: repeats, no loss.
     */
    private Map<TopicPartition, OffsetAndMetadata> inheritedCommits(Collection<TopicPartition> partitions) {
      if (partitions.isEmpty()) {
        return Map.of();
      }
      try {
        Map<TopicPartition, OffsetAndMetadata> committed = committedOffsets(new HashSet<>(partitions));
        return committed == null ? Map.of() : committed;
      } catch (KafkaException e) {
        LOG.warn("could not read the committed offsets of {} ({}); their records from the committed offset "
            + "are sent again", partitions, e.toString());
        return Map.of();
      }
    }
  }

  /** An error after which the worker cannot go on (fenced producer, missing rights). */
  private static final class FatalException extends RuntimeException {
    FatalException(Throwable cause) {
      super(cause);
    }
  }
}
