package org.webhooks.fanout;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.webhooks.schemas.avro.Subscription;

/**
 * The subscriptions a stream thread decoded, by store key, each with the bytes it was decoded from.
 * Every event is matched against every subscription of its account, so without this the same few
 * hundred bytes would be Avro-decoded once per event; comparing them with the bytes in the store
 * costs a fraction of that and notices any update. Least recently used entries go beyond
 * {@link #MAX_ENTRIES}. One per processor instance, used by its stream thread only.
 */
final class DecodedSubscriptions {

  /** Entries kept at most: about 1 KiB each, so a few MiB per stream thread. */
  static final int MAX_ENTRIES = 10_000;

  private record Decoded(byte[] bytes, Subscription subscription) {}

  private final Map<String, Decoded> byKey = new LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Decoded> eldest) {
      return size() > MAX_ENTRIES;
    }
  };

  /**
   * @param key the store key of the entry
   * @param bytes the entry's value as the store holds it now
   * @param decode decodes {@code bytes} when they are not the ones last decoded for {@code key};
   *     whatever it throws is thrown from here and nothing is kept
   * @return the subscription {@code bytes} encode
   */
  Subscription get(String key, byte[] bytes, Function<byte[], Subscription> decode) {
    Decoded d = byKey.get(key);
    if (d != null && Arrays.equals(d.bytes(), bytes)) {
      return d.subscription();
    }
    Subscription s = decode.apply(bytes);
    byKey.put(key, new Decoded(bytes.clone(), s));
    return s;
  }

  /** @return entries kept */
  int size() {
    return byKey.size();
  }
}
