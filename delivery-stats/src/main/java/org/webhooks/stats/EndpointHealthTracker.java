package org.webhooks.stats;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.OperationalEventTypes;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.OperationalEventType;

/**
 * Keeps each endpoint's {@link EndpointHealth} and emits the operational events of its transitions,
 * each once: the state that says an event was emitted is written in the same transaction as the event.
 *
 * <ul>
 *   <li>on each attempt: message.attempt.exhausted for a final failed attempt (or a final deferred one:
 *       dead-lettered while the circuit stayed open); endpoint.disabled for a
 *       final 410 Gone (the worker disabled the subscription); then the endpoint is judged. Attempts that
 *       delivered an operational event count for none of this but a 410: no alert comes of an alert;
 *   <li>every {@link AlertPolicy#evaluationInterval()} of wall-clock time (a punctuation that reads the
 *       injected {@link Clock}, so tests move time): every endpoint of the task is judged, and one that
 *       has gone without a success for {@code WEBHOOKS_AUTO_DISABLE_AFTER} is disabled; the health of a
 *       deleted subscription is dropped.
 * </ul>
 *
 * <p>Judging follows {@link AlertPolicy}: endpoint.failing when it starts failing, endpoint.recovered
 * when it stops. Conditions that depend on how long something lasted are not judged while the task reads
 * attempts that started more than {@link #BACKLOG} ago: the service is then catching up, and a success
 * further on in the backlog could still end the streak it would judge.
 */
final class EndpointHealthTracker implements Processor<String, DecodedAttempt, String, OperationalEvent> {

  /** An attempt read this long after it started means the service is reading a backlog. */
  static final Duration BACKLOG = Duration.ofMinutes(5);

  private static final Logger LOG = LoggerFactory.getLogger(EndpointHealthTracker.class);

  private final AlertPolicy policy;
  private final Clock clock;
  private final EndpointDisabler disabler;
  private final StatsMetrics metrics;
  private ProcessorContext<String, OperationalEvent> context;
  private KeyValueStore<String, byte[]> store;
  private String taskId;
  /** When this task last read an attempt older than {@link #BACKLOG} (null = never). */
  private Instant lastBacklogRead;

  EndpointHealthTracker(AlertPolicy policy, Clock clock, EndpointDisabler disabler, StatsMetrics metrics) {
    this.policy = policy;
    this.clock = clock;
    this.disabler = disabler;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, OperationalEvent> context) {
    this.context = context;
    this.store = context.getStateStore(StatsStores.ENDPOINT_HEALTH);
    this.taskId = context.taskId().toString();
    context.schedule(policy.evaluationInterval(), PunctuationType.WALL_CLOCK_TIME, t -> evaluateAll());
  }

  @Override
  public void process(Record<String, DecodedAttempt> record) {
    DeliveryAttempt a = record.value().attempt();
    Instant now = clock.instant();
    if (a.getStartedAt().isBefore(now.minus(BACKLOG))) {
      lastBacklogRead = now;
    }
    boolean gone = a.getFinal$() && a.getOutcome() == AttemptOutcome.HTTP_ERROR
        && Integer.valueOf(410).equals(a.getStatusCode());
    // Deliveries of operational events are left out of the judgement: an alert that cannot be delivered
    // must not itself raise an alert (message.attempt.exhausted, endpoint.failing), or an endpoint that
    // receives alerts about itself or others could feed on its own failures. Only a 410 Gone, which
    // disabled the subscription, is reported: it ends deliveries, so it cannot repeat.
    boolean operational = OperationalEventTypes.fromWireName(a.getEventType()).isPresent();
    if (operational && !gone) {
      return;
    }
    String key = StatsKeys.of(a.getAccountId(), a.getSubscriptionId());
    byte[] stored = store.get(key);
    EndpointHealth h = stored == null ? new EndpointHealth(a.getAccountId(), a.getSubscriptionId())
        : EndpointHealth.decode(stored);
    long timestamp = record.timestamp();
    if (operational) {
      if (h.url.isEmpty()) {
        h.url = a.getUrl();
      }
    } else {
      h.apply(a, policy.slotMs(), policy.window().toMillis());
      // a final DEFERRED record is a delivery dead-lettered while its circuit stayed open: exhausted too
      if (a.getFinal$() && (AttemptOutcomes.isFailure(a.getOutcome()) || a.getOutcome() == AttemptOutcome.DEFERRED)) {
        emit(OperationalEvents.exhausted(a, now), timestamp);
      }
    }
    if (gone && h.disabledAt == null) {
      h.disabledAt = a.getStartedAt().toEpochMilli() + Math.max(0, a.getLatencyMs());
      h.failingAlertedAt = null;
      h.failingReason = null;
      emit(OperationalEvents.disabled(h, policy, now, "the endpoint answered 410 Gone to delivery "
          + a.getDeliveryId() + "; the subscription was disabled"), timestamp);
    }
    if (!operational) {
      judge(h, now, timeBased(now), timestamp);
    }
    store.put(key, h.encode());
  }

  /** Judges every endpoint of this task, disables those due, and updates the gauges. */
  private void evaluateAll() {
    Instant now = clock.instant();
    long timestamp = context.currentSystemTimeMs();
    boolean timeBased = timeBased(now);
    List<KeyValue<String, EndpointHealth>> changed = new ArrayList<>();
    List<String> gone = new ArrayList<>();
    long failing = 0;
    long circuitOpen = 0;
    try (KeyValueIterator<String, byte[]> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, byte[]> entry = it.next();
        EndpointHealth h = EndpointHealth.decode(entry.value);
        if (disabler.isDeleted(h.accountId, h.subscriptionId)) {
          gone.add(entry.key);
          continue;
        }
        boolean changedHere = false;
        if (h.disabledAt == null) {
          changedHere = judge(h, now, timeBased, timestamp);
          if (timeBased && policy.disableDue(h, now)) {
            if (autoDisable(h, now, timestamp)) {
              gone.add(entry.key);
              continue;
            }
            changedHere = true;
          }
        }
        failing += h.failingAlertedAt != null ? 1 : 0;
        circuitOpen += h.circuitOpenSince != null && h.disabledAt == null ? 1 : 0;
        if (changedHere) {
          changed.add(KeyValue.pair(entry.key, h));
        }
      }
    }
    // written after the iterator is closed: the store's cache is not to be changed under it
    changed.forEach(kv -> store.put(kv.key, kv.value.encode()));
    gone.forEach(store::delete);
    metrics.taskEndpoints(taskId, failing, circuitOpen);
  }

  /**
   * Emits endpoint.failing or endpoint.recovered when the endpoint crossed over.
   *
   * @param timestamp the Kafka timestamp of what is emitted: the attempt's record, or the wall clock
   * @return true when it did (and so changed {@code h})
   */
  private boolean judge(EndpointHealth h, Instant now, boolean timeBased, long timestamp) {
    if (h.disabledAt != null) {
      return false;
    }
    if (h.failingAlertedAt == null) {
      Optional<String> reason = policy.failing(h, now, timeBased);
      if (reason.isEmpty()) {
        return false;
      }
      h.failingAlertedAt = now.toEpochMilli();
      h.failingReason = reason.get();
      emit(OperationalEvents.failing(h, policy, now, reason.get()), timestamp);
      return true;
    }
    if (policy.recovered(h, now, timeBased)) {
      long[] w = h.window(now.toEpochMilli(), policy.window().toMillis());
      String reason = "attempt succeeded at " + Instant.ofEpochMilli(h.lastSuccessAt) + " after endpoint.failing ("
          + h.failingReason + "); " + w[1] + " of " + w[0] + " attempts succeeded over the last "
          + Durations.format(policy.window());
      h.failingAlertedAt = null;
      h.failingReason = null;
      emit(OperationalEvents.recovered(h, policy, now, reason), timestamp);
      return true;
    }
    return false;
  }

  /** @return true when the subscription no longer exists, so its entry is dropped. */
  private boolean autoDisable(EndpointHealth h, Instant now, long timestamp) {
    String reason = SubscriptionDisabler.AUTO_DISABLE_REASON + Durations.format(policy.autoDisableAfter())
        + " (failing since " + Instant.ofEpochMilli(h.failingSince) + ")";
    if (h.failingAlertedAt == null) {
      // the warning comes first, even when the two fall due in the same evaluation
      judge(h, now, true, timestamp);
    }
    EndpointDisabler.Result result;
    try {
      result = disabler.disable(h.accountId, h.subscriptionId, reason, now);
    } catch (RuntimeException e) {
      LOG.warn("cannot disable subscription {} yet ({}); trying again at the next evaluation", h.subscriptionId,
          e.toString());
      return false;
    }
    switch (result) {
      case DISABLED -> {
        h.disabledAt = now.toEpochMilli();
        h.failingAlertedAt = null;
        h.failingReason = null;
        emit(OperationalEvents.disabled(h, policy, now, reason + ": disabled automatically"), timestamp);
      }
      case DISABLED_BEFORE -> h.disabledAt = now.toEpochMilli();
      case NOT_FOUND -> {
        LOG.info("subscription {} no longer exists; its endpoint health is dropped", h.subscriptionId);
        return true;
      }
      case NOT_READY -> { }
      default -> throw new IllegalStateException("unknown result " + result);
    }
    return false;
  }

  private boolean timeBased(Instant now) {
    return lastBacklogRead == null || !now.isBefore(lastBacklogRead.plus(policy.evaluationInterval().multipliedBy(2)));
  }

  private void emit(OperationalEvent event, long timestamp) {
    metrics.event(event.getEventType());
    // the worker logs each dead letter already; an endpoint's transitions are rare and worth a line
    if (event.getEventType() != OperationalEventType.MESSAGE_ATTEMPT_EXHAUSTED) {
      LOG.info("{} for subscription {} of account {}: {}", OperationalEventTypes.wireName(event.getEventType()),
          event.getSubscriptionId(), event.getAccountId(), event.getReason());
    }
    context.forward(new Record<>(event.getSubscriptionId(), event, timestamp));
  }

  @Override
  public void close() {
    if (taskId != null) {
      metrics.taskClosed(taskId);
    }
  }
}
