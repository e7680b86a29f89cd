package org.webhooks.worker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Bounds requests in flight, in total and per endpoint, without letting a slow endpoint hold up the
 * others (DESIGN "Slow endpoints do not stall others"). Items of an endpoint at its cap wait in that
 * endpoint's own queue; free slots go to the other endpoints, round robin, one item at a time, and
 * each endpoint's items leave in the order they came. Used by one thread only.
 *
 * @param <T> the queued item
 */
final class EndpointGate<T> {

  private final int maxTotal;
  private final int maxPerEndpoint;
  private final Function<T, String> endpointOf;
  private final Map<String, Endpoint<T>> endpoints = new HashMap<>();
  /** Endpoints with waiting items and a free slot of their own, in round-robin order. */
  private final ArrayDeque<String> ready = new ArrayDeque<>();
  private int inFlight;
  private int waiting;

  /**
   * @param maxTotal requests in flight at most, all endpoints together
   * @param maxPerEndpoint requests in flight at most per endpoint
   * @param endpointOf the endpoint key of an item (the subscription id)
   */
  EndpointGate(int maxTotal, int maxPerEndpoint, Function<T, String> endpointOf) {
    this.maxTotal = maxTotal;
    this.maxPerEndpoint = maxPerEndpoint;
    this.endpointOf = endpointOf;
  }

  /** Queues an item behind the other items of its endpoint. */
  void enqueue(T item) {
    String key = endpointOf.apply(item);
    Endpoint<T> e = endpoints.computeIfAbsent(key, k -> new Endpoint<>());
    e.queue.addLast(item);
    waiting++;
    markReady(key, e);
  }

  /**
   * Takes items for which a slot is free, and counts each as in flight until {@link #release}.
   *
   * @return the items to send now, possibly none
   */
  List<T> take() {
    List<T> out = new ArrayList<>();
    while (inFlight < maxTotal && !ready.isEmpty()) {
      String key = ready.pollFirst();
      Endpoint<T> e = endpoints.get(key);
      e.ready = false;
      T item = e.queue.pollFirst();
      if (item == null) {
        forgetIfIdle(key, e);
        continue;
      }
      waiting--;
      e.inFlight++;
      inFlight++;
      out.add(item);
      markReady(key, e);
    }
    return out;
  }

  /** Frees the slot an item of {@code endpoint} took. */
  void release(String endpoint) {
    Endpoint<T> e = endpoints.get(endpoint);
    if (e == null || e.inFlight == 0) {
      throw new IllegalStateException("no request in flight for " + endpoint);
    }
    e.inFlight--;
    inFlight--;
    markReady(endpoint, e);
    forgetIfIdle(endpoint, e);
  }

  /**
   * Drops waiting items that match (items in flight stay counted until released).
   *
   * @return the items dropped, in queue order per endpoint
   */
  List<T> removeWaiting(Predicate<T> drop) {
    List<T> removed = new ArrayList<>();
    for (Map.Entry<String, Endpoint<T>> entry : new ArrayList<>(endpoints.entrySet())) {
      Endpoint<T> e = entry.getValue();
      e.queue.removeIf(item -> drop.test(item) && removed.add(item));
      forgetIfIdle(entry.getKey(), e);
    }
    waiting -= removed.size();
    return removed;
  }

  /** @return requests in flight, all endpoints together. */
  int inFlight() {
    return inFlight;
  }

  /** @return requests in flight to one endpoint. */
  int inFlight(String endpoint) {
    Endpoint<T> e = endpoints.get(endpoint);
    return e == null ? 0 : e.inFlight;
  }

  /** @return items waiting for a slot. */
  int waiting() {
    return waiting;
  }

  private void markReady(String key, Endpoint<T> e) {
    if (!e.ready && !e.queue.isEmpty() && e.inFlight < maxPerEndpoint) {
      e.ready = true;
      ready.addLast(key);
    }
  }

  private void forgetIfIdle(String key, Endpoint<T> e) {
    if (e.inFlight == 0 && e.queue.isEmpty()) {
      endpoints.remove(key);
      if (e.ready) {
        ready.remove(key);
        e.ready = false;
      }
    }
  }

  private static final class Endpoint<T> {
    final ArrayDeque<T> queue = new ArrayDeque<>();
    int inFlight;
    boolean ready;
  }
}
