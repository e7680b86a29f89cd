package org.webhooks.worker;

import java.util.ArrayDeque;

/**
 * The requests sent to one endpoint during the last second, for its {@code rate_limit_per_second}: a
 * request may go when fewer than the limit were sent in the second before it, so that no window of one
 * second, wherever it starts, holds more requests than the limit (bursts up to the limit are allowed).
 * Times are the worker clock's, in ms. Used by one thread only.
 */
final class RateWindow {

  /** The length of the window, ms. */
  static final long WINDOW_MS = 1000;

  /** Send times within the window, oldest first; never more than the last limit applied. */
  private final ArrayDeque<Long> sent = new ArrayDeque<>();

  /**
   * @param limit requests per second allowed, at least 1
   * @param nowMs the current time
   * @return {@code nowMs} when a request may go now, else the earliest time one may
   */
  long nextAllowed(int limit, long nowMs) {
    expire(nowMs);
    if (sent.size() < limit) {
      return nowMs;
    }
    // the (size - limit + 1)-th oldest send must leave the window first
    int toLeave = sent.size() - limit;
    long leaving = 0;
    var it = sent.iterator();
    for (int i = 0; i <= toLeave; i++) {
      leaving = it.next();
    }
    return leaving + WINDOW_MS;
  }

  /** Records a request sent at {@code nowMs}. */
  void sent(long nowMs) {
    sent.addLast(nowMs);
  }

  /** @return true when no request of the window is still in it at {@code nowMs}: the window can go */
  boolean isEmptyAt(long nowMs) {
    expire(nowMs);
    return sent.isEmpty();
  }

  private void expire(long nowMs) {
    while (!sent.isEmpty() && sent.peekFirst() <= nowMs - WINDOW_MS) {
      sent.pollFirst();
    }
  }
}
