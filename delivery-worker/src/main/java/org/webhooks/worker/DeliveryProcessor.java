package org.webhooks.worker;

import org.webhooks.client.EndpointClient;
import org.webhooks.client.DeliveryRequest;
import org.webhooks.client.AttemptResult;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SubscriptionView;
import org.webhooks.runtime.LoopContext;
import org.webhooks.runtime.Received;
import org.webhooks.runtime.RecordProcessor;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.RetrySchedule;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;

/**
 * What a delivery worker does with each {@code webhook-deliveries} record, run by the worker's
 * {@link org.webhooks.runtime.TransactionalLoop}. A task goes: received; held in memory if it is
 * not due yet (only clock skew between hosts makes that happen: retries reach this topic when due);
 * queued per endpoint until a slot is free and the endpoint's {@code rate_limit_per_second} allows a
 * request ({@link EndpointGate}; waiting for the rate is neither a failure nor an attempt); looked up in the subscription
 * view (nothing is sent before the view has read the topic as it was at start; later, a miss waits
 * for the view to catch up, then means deleted); admitted by its endpoint's {@link CircuitBreaker};
 * sent; and its outcome written in the loop's transaction:
 *
 * <ul>
 *   <li>success: an attempt record, final;</li>
 *   <li>failure with attempts left: an attempt record with the next due time, and the task, attempt
 *       number one up, in the retry tier of that delay ({@code webhook-deliveries} itself for 0s);</li>
 *   <li>failure without: a final attempt record and an EXHAUSTED dead letter;</li>
 *   <li>410 Gone: a final attempt record, and the subscription written back disabled;</li>
 *   <li>circuit open: the task parked in the first non-zero tier, attempt number unchanged, with a
 *       DEFERRED attempt record; once the retry schedule's span ({@link RetrySchedule#span}), a
 *       probe delay and a park tier have passed since the task was created, a final DEFERRED attempt
 *       record and an EXHAUSTED dead letter instead, so that an endpoint that stays down does not
 *       keep its deliveries (and their DEFERRED records, one per task per park tier delay) for ever,
 *       while one that recovers within the span still gets them; a task of a subscription deleted or
 *       disabled meanwhile is not parked but cancelled (below);</li>
 *   <li>subscription disabled or deleted: a CANCELLED attempt record, nothing sent;</li>
 *   <li>subscription record unreadable (for example encrypted with a secrets key this worker lacks):
 *       a final OTHER attempt record and an EXHAUSTED dead letter saying why, nothing sent.</li>
 * </ul>
 */
final class DeliveryProcessor implements RecordProcessor<PendingDelivery> {

  private static final Logger LOG = LoggerFactory.getLogger(DeliveryProcessor.class);
  /** Longest sleep while tasks wait for their due time; the clock may be moved by others, ms. */
  private static final long DUE_CHECK_MS = 100;
  private static final Duration REGISTRY_BACKOFF = Duration.ofSeconds(1);

  private final LoopContext loop;
  private final WorkerOutputs outputs;
  private final Clock clock;
  private final SubscriptionView view;
  private final EndpointClient endpoints;
  private final WorkerMetrics metrics;
  /** This loop's gauges, summed with the other loops' by {@link #metrics}. */
  private final WorkerMetrics.Loop gauges;
  private final RetryPlanner planner;
  private final CircuitBreaker circuits;
  /** Where open circuits park tasks: the first non-zero tier; null when there is none. */
  private final Duration parkTier;
  /** How long after its creation a task may still be parked. */
  private final Duration parkedAtMost;
  private final int maxInFlight;
  /** Signs on the owner thread, keeping each secret's key set up between requests. */
  private final WebhookSignature.Signer signer = new WebhookSignature.Signer();

  private final PriorityQueue<PendingDelivery> notDue = new PriorityQueue<>(
      Comparator.comparing((PendingDelivery p) -> p.task.getDueAt()).thenComparingLong(p -> p.offset));
  private final EndpointGate<PendingDelivery> gate;
  /** Tasks whose subscription was missing, each with the catch-up that must complete first. */
  private final Map<PendingDelivery, CompletableFuture<Void>> awaitingView = new LinkedHashMap<>();
  private final List<PendingDelivery> newMisses = new ArrayList<>();

  /**
   * @param parkTier where open circuits park tasks, or null when the schedule has no non-zero tier
   *     (the circuit breaker is then off)
   * @param parkedAtMost how long after its creation a task may still be parked; past it, a task the
   *     circuit would park is dead-lettered
   */
  DeliveryProcessor(LoopContext loop, WorkerOutputs outputs, SubscriptionView view, EndpointClient endpoints,
      WorkerMetrics.Loop gauges, RetryPlanner planner, CircuitBreaker circuits, Duration parkTier,
      Duration parkedAtMost, int maxInFlight, int maxInFlightPerEndpoint) {
    this.loop = loop;
    this.outputs = outputs;
    this.clock = loop.clock();
    this.view = view;
    this.endpoints = endpoints;
    this.metrics = gauges.worker();
    this.gauges = gauges;
    this.planner = planner;
    this.circuits = parkTier == null ? CircuitBreaker.disabled() : circuits;
    this.parkTier = parkTier;
    this.parkedAtMost = parkedAtMost;
    this.maxInFlight = maxInFlight;
    this.gate = new EndpointGate<>(maxInFlight, maxInFlightPerEndpoint, PendingDelivery::subscriptionId, clock,
        this::rateLimitOf);
    view.initialCatchUp().whenComplete((v, e) -> loop.onOwner(() -> { }));
  }

  // ---- receiving

  @Override
  public Received<PendingDelivery> receive(ConsumerRecord<byte[], byte[]> r) {
    DeliveryTask task;
    try {
      if (r.value() == null) {
        throw new SerializationException("the record has no value");
      }
      task = outputs.task(r.topic(), r.value());
    } catch (SerializationException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        return Received.retryAfter(REGISTRY_BACKOFF, "schema registry unreachable (" + e.getMessage() + ")");
      }
      LOG.warn("delivery record {}-{} offset {} cannot be decoded; dead-lettered: {}",
          r.topic(), r.partition(), r.offset(), e.getMessage());
      String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
      loop.send(outputs.deadLetter(key, AttemptRecords.undecodable(r.topic(), r.partition(), r.offset(), r.key(),
          r.value(), e.getMessage(), clock.instant())));
      metrics.undecodable();
      metrics.deadLetter();
      return Received.finished();
    }
    Instant now = clock.instant();
    if (circuits.parks(task.getSubscriptionId(), now)) {
      // a subscription deleted or disabled since its circuit opened gets its tasks cancelled, not parked:
      // they go the way of every task (a miss in the view is confirmed before it means deleted)
      Optional<Subscription> sub = view.find(task.getSubscriptionId());
      if (sub.isPresent() && sub.get().getEnabled()) {
        park(task, sub.get().getUrl());
        return Received.finished();
      }
    }
    PendingDelivery p = new PendingDelivery(new TopicPartition(r.topic(), r.partition()), r.offset(), task);
    if (task.getDueAt().isAfter(now)) {
      notDue.add(p);
    } else {
      gate.enqueue(p);
    }
    return Received.pending(p);
  }

  @Override
  public void work() {
    takeCaughtUp();
    releaseDue();
    dispatch();
    askViewToCatchUp();
    gauges.inFlight(gate.inFlight());
    gauges.waiting(notDue.size() + gate.waiting() + awaitingView.size() + newMisses.size());
    gauges.circuitsOpen(circuits.openCount());
  }

  @Override
  public long idleMs() {
    long untilRate = gate.nextRateRelease();
    PendingDelivery next = notDue.peek();
    if (next == null && untilRate == Long.MAX_VALUE) {
      return Long.MAX_VALUE;
    }
    long untilDue = next == null ? Long.MAX_VALUE : Duration.between(clock.instant(), next.task.getDueAt()).toMillis();
    return Math.max(0, Math.min(Math.min(untilDue, untilRate), DUE_CHECK_MS));
  }

  /** @return the requests per second a subscription's endpoint may receive, 0 for no limit */
  private int rateLimitOf(String subscriptionId) {
    Integer limit = view.find(subscriptionId).map(Subscription::getRateLimitPerSecond).orElse(null);
    return limit == null ? 0 : limit;
  }

  @Override
  public boolean saturated() {
    return gate.inFlight() >= maxInFlight;
  }

  @Override
  public int inFlight() {
    return gate.inFlight();
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
    if (loop.isStopping() || !view.isCaughtUp()) {
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
    String url = found.map(Subscription::getUrl).orElse("");
    String unreadable = found.isEmpty() ? view.unreadable().get(p.subscriptionId()) : null;
    if (unreadable != null) {
      // Not deleted: its record is there but cannot be read here (a secrets key missing from this
      // worker's configuration, say). Dead-lettered with the reason, it can be redelivered once fixed.
      gate.release(p.subscriptionId());
      settleWithoutRequest(p, url, now, AttemptResult.notSent(AttemptOutcome.OTHER,
          "the record of subscription " + p.subscriptionId() + " cannot be read: " + unreadable));
      return;
    }
    if (found.isEmpty() || !found.get().getEnabled()) {
      gate.release(p.subscriptionId());
      circuits.forget(p.subscriptionId());
      String why = found.isEmpty()
          ? "subscription " + p.subscriptionId() + " does not exist (deleted)"
          : "subscription " + p.subscriptionId() + " is disabled"
              + (found.get().getDisabledReason() == null ? "" : ": " + found.get().getDisabledReason());
      settleWithoutRequest(p, url, now, AttemptResult.notSent(AttemptOutcome.CANCELLED, why));
      return;
    }
    Subscription sub = found.get();
    if (!sub.getAccountId().equals(task.getAccountId())) {
      LOG.error("task {} of account {} names subscription {} of account {}; not sent",
          task.getDeliveryId(), task.getAccountId(), p.subscriptionId(), sub.getAccountId());
      gate.release(p.subscriptionId());
      settleWithoutRequest(p, url, now, AttemptResult.notSent(AttemptOutcome.SKIPPED,
          "subscription " + p.subscriptionId() + " belongs to another account"));
      return;
    }
    CircuitBreaker.Admission admission = circuits.admit(p.subscriptionId(), now);
    if (admission == CircuitBreaker.Admission.PARK) {
      gate.release(p.subscriptionId());
      park(task, url);
      loop.finished(p.partition, p.offset);
      return;
    }
    p.probe = admission == CircuitBreaker.Admission.PROBE;
    DeliveryRequest request;
    try {
      request = DeliveryRequest.signed(signer, sub.getUrl(), SubscriptionRules.signingSecrets(sub, now),
          task.getEventId(), now, p.body, sub.getHeaders());
    } catch (IllegalArgumentException e) {
      gate.release(p.subscriptionId());
      if (p.probe) {
        circuits.probeAbandoned(p.subscriptionId());
      }
      settleWithoutRequest(p, sub.getUrl(), now, AttemptResult.notSent(AttemptOutcome.OTHER,
          "cannot sign: " + e.getMessage()));
      return;
    }
    p.signature = request.signature();
    endpoints.deliver(request).whenComplete((result, error) -> {
      AttemptResult r = error == null ? result
          : AttemptResult.notSent(AttemptOutcome.OTHER, "delivery failed unexpectedly: " + error);
      loop.onOwner(() -> completed(p, sub, now, r));
    });
  }

  private void completed(PendingDelivery p, Subscription sub, Instant startedAt, AttemptResult result) {
    gate.release(p.subscriptionId());
    metrics.attempt(result, result.outcome() != AttemptOutcome.BLOCKED);
    if (p.abandoned) {
      LOG.debug("outcome {} of abandoned task {} not written; its partition is read again",
          result.outcome(), p.task.getDeliveryId());
      if (p.probe) {
        circuits.probeAbandoned(p.subscriptionId());
      }
      return;
    }
    if (result.succeeded()) {
      circuits.succeeded(p.subscriptionId());
      loop.send(outputs.attempt(AttemptRecords.attempt(p.task, sub.getUrl(), startedAt, result, true, null, null,
          p.signature)));
      if (LOG.isDebugEnabled()) {
        LOG.debug("delivery {} of event {} to subscription {} succeeded: status {} in {} ms",
            p.task.getDeliveryId(), p.task.getEventId(), p.subscriptionId(), result.statusCode(), result.latencyMs());
      }
    } else {
      failed(p, sub, startedAt, result);
    }
    loop.finished(p.partition, p.offset);
  }

  private void failed(PendingDelivery p, Subscription sub, Instant startedAt, AttemptResult result) {
    DeliveryTask task = p.task;
    Instant now = clock.instant();
    RetryPlan plan = planner.afterFailure(task, result, now);
    String key = task.getSubscriptionId();
    if (plan instanceof RetryPlan.Retry retry) {
      DeliveryTask next = AttemptRecords.retry(task, startedAt, result, retry.dueAt());
      loop.send(outputs.waiting(next, retry.tier()));
      loop.send(outputs.attempt(AttemptRecords.attempt(task, sub.getUrl(), startedAt, result, false,
          retry.dueAt(), outputs.tierTopic(retry.tier()), p.signature)));
      metrics.retryScheduled();
      LOG.info("delivery {} of event {} to subscription {} failed ({} status {} after {} ms: {}); attempt {} "
          + "due in {} ({})", task.getDeliveryId(), task.getEventId(), key, result.outcome(),
          status(result), result.latencyMs(), result.error(), next.getAttempt(), Durations.format(retry.tier()),
          retry.reason());
    } else if (plan instanceof RetryPlan.Exhausted exhausted) {
      loop.send(outputs.attempt(AttemptRecords.attempt(task, sub.getUrl(), startedAt, result, true, null, null,
          p.signature)));
      DeadLetter dl = AttemptRecords.exhausted(task, startedAt, result, exhausted.reason(), now);
      loop.send(outputs.deadLetter(key, dl));
      metrics.deadLetter();
      LOG.warn("delivery {} of event {} to subscription {} dead-lettered after attempt {}: {} status {}: {} ({})",
          task.getDeliveryId(), task.getEventId(), key, task.getAttempt(), result.outcome(), status(result),
          result.error(), exhausted.reason());
    } else if (plan instanceof RetryPlan.Disable disable) {
      loop.send(outputs.attempt(AttemptRecords.attempt(task, sub.getUrl(), startedAt, result, true, null, null,
          p.signature)));
      Subscription disabled = Subscription.newBuilder(sub)
          .setEnabled(false)
          .setDisabledReason(disable.reason() + " at " + now)
          .setUpdatedAt(now.isAfter(sub.getUpdatedAt()) ? now : sub.getUpdatedAt().plusMillis(1))
          .build();
      loop.send(outputs.subscription(disabled));
      view.wrote(disabled);
      circuits.forget(key);
      metrics.disabled();
      LOG.warn("subscription {} disabled: {} to delivery {} of event {}; its pending deliveries are cancelled",
          key, disable.reason(), task.getDeliveryId(), task.getEventId());
      return;
    }
    if (result.outcome() != AttemptOutcome.BLOCKED && result.outcome() != AttemptOutcome.OTHER
        && circuits.failed(key, now)) {
      circuitOpened(key, sub.getUrl(), now);
    }
  }

  /** Parks every task of the endpoint waiting in memory, so that none holds its partition. */
  private void circuitOpened(String subscriptionId, String url, Instant now) {
    LOG.warn("circuit of subscription {} opened after {} consecutive failed attempts: its tasks wait in {} "
        + "until a probe at {}", subscriptionId, circuits.consecutiveFailures(subscriptionId),
        outputs.tierTopic(parkTier), circuits.probeAt(subscriptionId));
    metrics.circuitOpened();
    for (PendingDelivery waiting : gate.removeWaiting(w -> w.subscriptionId().equals(subscriptionId))) {
      park(waiting.task, url);
      loop.finished(waiting.partition, waiting.offset);
    }
  }

  /**
   * Writes {@code task} to the park tier, its attempt not made, with a DEFERRED attempt record; or,
   * when it has waited as long as a task may and no probe is in flight, dead-letters it.
   */
  private void park(DeliveryTask task, String url) {
    Instant now = clock.instant();
    // given up only while the endpoint is known to be down: with a probe in flight, the task is parked once
    // more and comes back after the probe's outcome
    if (!now.isBefore(task.getCreatedAt().plus(parkedAtMost)) && !circuits.probing(task.getSubscriptionId())) {
      expire(task, url, now);
      return;
    }
    Instant dueAt = now.plus(parkTier);
    loop.send(outputs.waiting(AttemptRecords.parked(task, dueAt), parkTier));
    // while a probe is in flight its due time has passed: saying so beats naming a time gone by
    String probe = circuits.probing(task.getSubscriptionId()) ? "a probe is in flight"
        : "next probe at " + circuits.probeAt(task.getSubscriptionId());
    AttemptResult deferred = AttemptResult.notSent(AttemptOutcome.DEFERRED, "circuit open after "
        + circuits.consecutiveFailures(task.getSubscriptionId()) + " consecutive failed attempts; " + probe);
    loop.send(outputs.attempt(AttemptRecords.attempt(task, url, now, deferred, false, dueAt,
        outputs.tierTopic(parkTier))));
    metrics.attempt(deferred, false);
  }

  /** Dead-letters a task whose circuit is still open after it has waited as long as a delivery may. */
  private void expire(DeliveryTask task, String url, Instant now) {
    String why = "circuit open after " + circuits.consecutiveFailures(task.getSubscriptionId())
        + " consecutive failed attempts; not delivered within " + Durations.format(parkedAtMost)
        + " (the retry schedule, a probe delay and a park tier) since the task was created at "
        + task.getCreatedAt();
    AttemptResult deferred = AttemptResult.notSent(AttemptOutcome.DEFERRED, why);
    loop.send(outputs.attempt(AttemptRecords.attempt(task, url, now, deferred, true)));
    loop.send(outputs.deadLetter(task.getSubscriptionId(), AttemptRecords.expired(task, why, now)));
    metrics.attempt(deferred, false);
    metrics.deadLetter();
    LOG.warn("delivery {} of event {} to subscription {} dead-lettered: {}", task.getDeliveryId(),
        task.getEventId(), task.getSubscriptionId(), why);
  }

  /** Writes the final attempt record of a task settled without a request. */
  private void settleWithoutRequest(PendingDelivery p, String url, Instant now, AttemptResult result) {
    metrics.attempt(result, false);
    DeliveryTask task = p.task;
    if (result.outcome() == AttemptOutcome.OTHER) {
      loop.send(outputs.attempt(AttemptRecords.attempt(task, url, now, result, true)));
      loop.send(outputs.deadLetter(task.getSubscriptionId(),
          AttemptRecords.exhausted(task, now, result, "not retried", now)));
      metrics.deadLetter();
      LOG.warn("delivery {} of event {} to subscription {} dead-lettered: {}", task.getDeliveryId(),
          task.getEventId(), task.getSubscriptionId(), result.error());
    } else {
      loop.send(outputs.attempt(AttemptRecords.attempt(task, url, now, result, true)));
      LOG.info("delivery {} of event {} to subscription {} {}: {}", task.getDeliveryId(), task.getEventId(),
          task.getSubscriptionId(), result.outcome().name().toLowerCase(java.util.Locale.ROOT), result.error());
    }
    loop.finished(p.partition, p.offset);
  }

  private static Object status(AttemptResult result) {
    return result.statusCode() == null ? "-" : result.statusCode();
  }

  // ---- the subscription view

  private void askViewToCatchUp() {
    if (newMisses.isEmpty()) {
      return;
    }
    // one catch-up for every miss of this round; its end offsets are taken after all of them arrived
    CompletableFuture<Void> caughtUp = view.catchUp();
    caughtUp.whenComplete((v, e) -> loop.onOwner(() -> { }));
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

  // ---- partitions that go

  @Override
  public void abandon(TopicPartition partition, List<PendingDelivery> items) {
    for (PendingDelivery p : items) {
      p.abandoned = true;
    }
    notDue.removeIf(p -> p.abandoned);
    gate.removeWaiting(p -> p.abandoned);
    awaitingView.keySet().removeIf(p -> p.abandoned);
    newMisses.removeIf(p -> p.abandoned);
  }
}
