package org.webhooks.worker;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * One circuit per endpoint (subscription): after {@code threshold} consecutive failed attempts it
 * opens, and the endpoint's tasks are parked in the first non-zero retry tier without an attempt;
 * once {@code probeDelay} has passed, one request probes the endpoint (half-open); its success
 * closes the circuit, its failure opens it again for another {@code probeDelay}. This is what frees
 * the endpoints that share a partition with a dead or hung one: the dead one's backlog leaves the
 * worker's memory instead of holding the partition. Every task of a subscription is in one
 * partition, so its circuit lives in the one worker that owns it; a worker that takes a partition
 * over starts with closed circuits and opens them again after as many failures. Owner thread only.
 */
final class CircuitBreaker {

  /** What to do with a task of an endpoint. */
  enum Admission {
    /** The circuit is closed: send. */
    SEND,
    /** The circuit is half-open and this task is its probe: send, and report the outcome. */
    PROBE,
    /** The circuit is open, or its probe is in flight: park the task. */
    PARK
  }

  private enum State { CLOSED, OPEN, HALF_OPEN }

  private static final class Circuit {
    State state = State.CLOSED;
    int consecutiveFailures;
    Instant probeAt;
  }

  private final int threshold;
  private final Duration probeDelay;
  private final Map<String, Circuit> circuits = new HashMap<>();
  private int open;

  /**
   * @param threshold consecutive failures that open a circuit; 0 = never open one
   * @param probeDelay how long an open circuit parks tasks before a probe
   */
  CircuitBreaker(int threshold, Duration probeDelay) {
    this.threshold = threshold;
    this.probeDelay = probeDelay;
  }

  /** @return a breaker that never opens (no retry tier to park tasks in, or threshold 0). */
  static CircuitBreaker disabled() {
    return new CircuitBreaker(0, Duration.ZERO);
  }

  /**
   * @return true when a task of {@code endpoint} arriving at {@code now} would be parked: the
   *     circuit is open and not yet due for a probe, or its probe is in flight
   */
  boolean parks(String endpoint, Instant now) {
    Circuit c = circuits.get(endpoint);
    if (c == null || c.state == State.CLOSED) {
      return false;
    }
    return c.state == State.HALF_OPEN || now.isBefore(c.probeAt);
  }

  /** @return true while a probe of {@code endpoint} is in flight (half-open): its outcome is not known yet */
  boolean probing(String endpoint) {
    Circuit c = circuits.get(endpoint);
    return c != null && c.state == State.HALF_OPEN;
  }

  /** Decides for a task about to be sent; a PROBE moves the circuit to half-open. */
  Admission admit(String endpoint, Instant now) {
    Circuit c = circuits.get(endpoint);
    if (c == null || c.state == State.CLOSED) {
      return Admission.SEND;
    }
    if (c.state == State.OPEN && !now.isBefore(c.probeAt)) {
      c.state = State.HALF_OPEN;
      return Admission.PROBE;
    }
    return Admission.PARK;
  }

  /** An attempt to {@code endpoint} succeeded: its circuit closes. */
  void succeeded(String endpoint) {
    Circuit c = circuits.remove(endpoint);
    if (c != null && c.state != State.CLOSED) {
      open--;
    }
  }

  /**
   * An attempt to {@code endpoint} failed.
   *
   * @return true when this failure opened the circuit (from closed, or a failed probe)
   */
  boolean failed(String endpoint, Instant now) {
    if (threshold <= 0) {
      return false;
    }
    Circuit c = circuits.computeIfAbsent(endpoint, k -> new Circuit());
    c.consecutiveFailures++;
    if (c.state == State.HALF_OPEN || c.state == State.CLOSED && c.consecutiveFailures >= threshold) {
      if (c.state == State.CLOSED) {
        open++;
      }
      c.state = State.OPEN;
      c.probeAt = now.plus(probeDelay);
      return true;
    }
    return false;
  }

  /** The probe of {@code endpoint} will not report (its partition moved): another may go. */
  void probeAbandoned(String endpoint) {
    Circuit c = circuits.get(endpoint);
    if (c != null && c.state == State.HALF_OPEN) {
      c.state = State.OPEN;
    }
  }

  /** Forgets an endpoint's circuit (its subscription was disabled or deleted). */
  void forget(String endpoint) {
    succeeded(endpoint);
  }

  /** @return consecutive failures of {@code endpoint} so far. */
  int consecutiveFailures(String endpoint) {
    Circuit c = circuits.get(endpoint);
    return c == null ? 0 : c.consecutiveFailures;
  }

  /** @return when an open circuit's next probe may go, or null when it is not open. */
  Instant probeAt(String endpoint) {
    Circuit c = circuits.get(endpoint);
    return c == null || c.state == State.CLOSED ? null : c.probeAt;
  }

  /** @return circuits open or half-open. */
  int openCount() {
    return open;
  }
}
