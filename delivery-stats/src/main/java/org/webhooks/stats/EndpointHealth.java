package org.webhooks.stats;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;

/**
 * The running health of one endpoint (subscription) as read off its attempts, the value of the
 * {@link StatsStores#ENDPOINT_HEALTH} store (JSON, so that fields can be added without a migration).
 * Times are epoch ms; null means never.
 *
 * <p>The circuit is inferred, as the worker keeps its breaker in memory: a DEFERRED attempt means the
 * worker parked the endpoint's tasks, so the circuit is open since that attempt; the next successful
 * attempt closes it, a failed one (a probe) leaves it open.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
    isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
final class EndpointHealth {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Attempts and successes of one slot of the success-rate window.
   *
   * @param start slot start, epoch ms (a multiple of the slot length)
   */
  record Slot(long start, long attempts, long successes) {}

  String accountId;
  String subscriptionId;
  String url = "";
  Long lastAttemptAt;
  Long lastSuccessAt;
  Long lastFailureAt;
  String lastFailureOutcome;
  Integer lastFailureStatus;
  String lastFailureError;
  int consecutiveFailures;
  /** Start of the failed attempts since the last success; null after a success or before any failure. */
  Long failingSince;
  /** Null while the circuit is closed. */
  Long circuitOpenSince;
  List<Slot> slots = new ArrayList<>();
  /** When endpoint.failing was emitted, until endpoint.recovered (or a disable) ends it. */
  Long failingAlertedAt;
  String failingReason;
  /** When the endpoint was disabled (410 or auto-disable); attempts started later mean it was re-enabled. */
  Long disabledAt;

  EndpointHealth() {}

  EndpointHealth(String accountId, String subscriptionId) {
    this.accountId = accountId;
    this.subscriptionId = subscriptionId;
  }

  /**
   * Folds one attempt record in. An attempt that started after the endpoint was disabled means it was
   * enabled again: the failures from before are forgotten, so that re-enabling gives the endpoint a
   * fresh start rather than an immediate second disable.
   *
   * @param slotMs length of a window slot, ms
   * @param windowMs the success-rate window, ms: older slots are dropped
   */
  void apply(DeliveryAttempt a, long slotMs, long windowMs) {
    AttemptOutcome outcome = a.getOutcome();
    long startedAt = a.getStartedAt().toEpochMilli();
    if (!a.getUrl().isEmpty()) {
      url = a.getUrl();
    }
    if (disabledAt != null && AttemptOutcomes.isAttempt(outcome) && startedAt > disabledAt) {
      disabledAt = null;
      consecutiveFailures = 0;
      failingSince = null;
      circuitOpenSince = null;
      failingAlertedAt = null;
      failingReason = null;
      slots.clear();
    }
    if (outcome == AttemptOutcome.DEFERRED) {
      if (circuitOpenSince == null) {
        circuitOpenSince = startedAt;
      }
      return;
    }
    if (!AttemptOutcomes.isAttempt(outcome)) {
      return;
    }
    lastAttemptAt = max(lastAttemptAt, startedAt);
    boolean success = AttemptOutcomes.isSuccess(outcome);
    if (success) {
      lastSuccessAt = max(lastSuccessAt, startedAt);
      consecutiveFailures = 0;
      failingSince = null;
      circuitOpenSince = null;
    } else {
      consecutiveFailures++;
      if (failingSince == null) {
        failingSince = startedAt;
      }
      lastFailureAt = max(lastFailureAt, startedAt);
      lastFailureOutcome = AttemptOutcomes.wireName(outcome);
      lastFailureStatus = a.getStatusCode();
      lastFailureError = a.getError();
    }
    count(startedAt, success, slotMs, windowMs);
  }

  private void count(long at, boolean success, long slotMs, long windowMs) {
    long start = at - Math.floorMod(at, slotMs);
    int i = 0;
    while (i < slots.size() && slots.get(i).start() < start) {
      i++;
    }
    if (i < slots.size() && slots.get(i).start() == start) {
      Slot s = slots.get(i);
      slots.set(i, new Slot(start, s.attempts() + 1, s.successes() + (success ? 1 : 0)));
    } else {
      slots.add(i, new Slot(start, 1, success ? 1 : 0));
    }
    long newest = slots.get(slots.size() - 1).start();
    slots.removeIf(s -> s.start() <= newest - windowMs);
  }

  /** @return attempts and successes in the slots that start after {@code nowMs - windowMs}. */
  long[] window(long nowMs, long windowMs) {
    long attempts = 0;
    long successes = 0;
    for (Slot s : slots) {
      if (s.start() > nowMs - windowMs) {
        attempts += s.attempts();
        successes += s.successes();
      }
    }
    return new long[] {attempts, successes};
  }

  /** @return true when the latest attempt succeeded. */
  boolean lastAttemptSucceeded() {
    return lastSuccessAt != null && consecutiveFailures == 0;
  }

  byte[] encode() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write endpoint health: " + e, e);
    }
  }

  /** @throws IllegalArgumentException when the bytes are not endpoint health JSON */
  static EndpointHealth decode(byte[] bytes) {
    try {
      return JSON.readValue(bytes, EndpointHealth.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("endpoint health cannot be read: " + e.getMessage(), e);
    }
  }

  private static Long max(Long current, long candidate) {
    return current == null || candidate > current ? candidate : current;
  }
}
