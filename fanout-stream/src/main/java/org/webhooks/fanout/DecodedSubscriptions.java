package org.webhooks.fanout;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SubscriptionFilter;
import org.webhooks.schemas.avro.Subscription;

/**
 * The subscriptions a stream thread decoded, by store key, each with the bytes it was decoded from and
 * its filter compiled. Every event is matched against every subscription of its account, so without
 * this the same few hundred bytes would be Avro-decoded, and the same filter parsed and planned, once
 * per event; comparing them with the bytes in the store costs a fraction of that and notices any
 * update, so each subscription version is decoded and compiled once. Least recently used entries go
 * beyond {@link #MAX_ENTRIES}. One per processor instance, used by its stream thread only.
 */
final class DecodedSubscriptions {

  /** Entries kept at most: about 1 KiB each (a few KiB with a compiled filter), so a few MiB per thread. */
  static final int MAX_ENTRIES = 10_000;

  private static final Logger LOG = LoggerFactory.getLogger(DecodedSubscriptions.class);

  /**
   * One subscription version, ready to match.
   *
   * @param subscription the decoded record
   * @param filter its compiled filter, or null when it has none or it does not compile
   * @param filterProblem why its filter does not compile (it then receives nothing), or null
   */
  record Decoded(Subscription subscription, SubscriptionFilter filter, String filterProblem) {

    /** @return true when a filter decides which events of its types it receives */
    boolean hasFilter() {
      return filter != null || filterProblem != null;
    }
  }

  private record Entry(byte[] bytes, Decoded decoded) {}

  private final Map<String, Entry> byKey = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /**
   * @param key the store key of the entry
   * @param bytes the entry's value as the store holds it now
   * @param decode decodes {@code bytes} when they are not the ones last decoded for {@code key};
   *     whatever it throws is thrown from here and nothing is kept
   * @return the subscription {@code bytes} encode, with its filter compiled
   */
  Decoded get(String key, byte[] bytes, Function<byte[], Subscription> decode) {
    Entry e = byKey.get(key);
    if (e != null && Arrays.equals(e.bytes(), bytes)) {
      return e.decoded();
    }
    Decoded d = compiled(decode.apply(bytes));
    byKey.put(key, new Entry(bytes.clone(), d));
    return d;
  }

  /** @return entries kept */
  int size() {
    return byKey.size();
  }

  private static Decoded compiled(Subscription s) {
    String expression = s.getFilter();
    if (expression == null || expression.isBlank()) {
      return new Decoded(s, null, null);
    }
    try {
      return new Decoded(s, SubscriptionFilter.compile(expression), null);
    } catch (IllegalArgumentException e) {
      // Saved filters were compiled when saved; one written around the rules (or by a newer version
      // with more functions) gets nothing rather than more than it asked for.
      LOG.error("the filter of subscription {} does not compile, it receives no events until it is saved "
          + "again: {}", s.getId(), e.getMessage());
      return new Decoded(s, null, e.getMessage());
    }
  }
}
