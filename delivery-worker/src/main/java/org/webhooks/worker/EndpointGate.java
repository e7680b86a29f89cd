package org.webhooks.worker;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * Bounds requests in flight, in total and per endpoint, and requests per second of an endpoint with a
 * rate limit, without letting a slow or rate-limited endpoint hold up the others (DESIGN "Slow
 * endpoints do not stall others"). Items of an endpoint at its cap, or past its rate
 * ({@link RateWindow}), wait in that endpoint's own queue; free slots go to the other endpoints,
 * round robin, one item at a time, and each endpoint's items leave in the order they came. An item
 * held back by a rate limit waits (it is never dropped) until the worker clock reaches the time its
 * endpoint may send again ({@link #nextRateRelease}). Used by one thread only.
 *
 * @param <T> the queued item
 */
final class EndpointGate<T> {

  private final int maxTotal;
  private final int maxPerEndpoint;
  private final Function<T, String> endpointOf;
  private final Clock clock;
  private final ToIntFunction<String> rateLimitOf;
  private final Map<String, Endpoint<T>> endpoints = new HashMap<>();
  /** Endpoints with waiting items and a free slot of their own, in round-robin order. */
  private final ArrayDeque<String> ready = new ArrayDeque<>();
  /** Requests of the last second of every rate-limited endpoint, kept while the endpoint is idle too. */
  private final Map<String, RateWindow> windows = new HashMap<>();
  /** Endpoints held back by their rate limit, by the time they may send again (ms). */
  private final PriorityQueue<Held> held = new PriorityQueue<>((a, b) -> Long.compare(a.untilMs(), b.untilMs()));
  private long windowsPrunedAtMs = Long.MIN_VALUE;
  private int inFlight;
  private int waiting;

  private record Held(long untilMs, String endpoint) {}

  /**
   * A gate without rate limits.
   *
   * @param maxTotal requests in flight at most, all endpoints together
   * @param maxPerEndpoint requests in flight at most per endpoint
   * @param endpointOf the endpoint key of an item (the subscription id)
   */
  EndpointGate(int maxTotal, int maxPerEndpoint, Function<T, String> endpointOf) {
    this(maxTotal, maxPerEndpoint, endpointOf, Clock.systemUTC(), endpoint -> 0);
  }

  /**
   * @param maxTotal requests in flight at most, all endpoints together
   * @param maxPerEndpoint requests in flight at most per endpoint
   * @param endpointOf the endpoint key of an item (the subscription id)
   * @param clock the time rate limits are counted in
   * @param rateLimitOf requests per second an endpoint may receive, 0 or less for no limit; asked each
   *     time one of its items could go, so a changed limit applies at once
   */
  EndpointGate(int maxTotal, int maxPerEndpoint, Function<T, String> endpointOf, Clock clock,
      ToIntFunction<String> rateLimitOf) {
    this.maxTotal = maxTotal;
    this.maxPerEndpoint = maxPerEndpoint;
    this.endpointOf = endpointOf;
    this.clock = clock;
    this.rateLimitOf = rateLimitOf;
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
   * Takes items for which a slot is free and whose endpoint's rate allows a request now, and counts
   * each as in flight until {@link #release}.
   *
   * @return the items to send now, possibly none
   */
  List<T> take() {
    long now = clock.millis();
    releaseHeld(now);
    pruneWindows(now);
    List<T> out = new ArrayList<>();
    while (inFlight < maxTotal && !ready.isEmpty()) {
      String key = ready.pollFirst();
      Endpoint<T> e = endpoints.get(key);
      e.ready = false;
      if (e.queue.isEmpty()) {
        forgetIfIdle(key, e);
        continue;
      }
      int limit = rateLimitOf.applyAsInt(key);
      if (limit > 0) {
        RateWindow window = windows.computeIfAbsent(key, k -> new RateWindow());
        long allowedAt = window.nextAllowed(limit, now);
        if (allowedAt > now) {
          e.heldUntilMs = allowedAt;
          held.add(new Held(allowedAt, key));
          continue;
        }
        window.sent(now);
      }
      T item = e.queue.pollFirst();
      waiting--;
      e.inFlight++;
      inFlight++;
      out.add(item);
      markReady(key, e);
    }
    return out;
  }

  /**
   * @return ms from now until an endpoint held back by its rate limit may send again; 0 when one may
   *     already, {@link Long#MAX_VALUE} when none is held back
   */
  long nextRateRelease() {
    Held first = held.peek();
    return first == null ? Long.MAX_VALUE : Math.max(0, first.untilMs() - clock.millis());
  }

  private void releaseHeld(long now) {
    while (!held.isEmpty() && held.peek().untilMs() <= now) {
      Held h = held.poll();
      Endpoint<T> e = endpoints.get(h.endpoint());
      if (e != null && e.heldUntilMs == h.untilMs()) {
        e.heldUntilMs = 0;
        markReady(h.endpoint(), e);
      }
    }
  }

  /** Drops, once a second at most, the windows of endpoints that sent nothing during the last second. */
  private void pruneWindows(long now) {
    if (now - windowsPrunedAtMs < RateWindow.WINDOW_MS) {
      return;
    }
    windowsPrunedAtMs = now;
    windows.entrySet().removeIf(w -> w.getValue().isEmptyAt(now));
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
    if (!e.ready && e.heldUntilMs == 0 && !e.queue.isEmpty() && e.inFlight < maxPerEndpoint) {
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
    /** When its rate limit lets it send again (ms), 0 when it is not held back. */
    long heldUntilMs;
  }
}
