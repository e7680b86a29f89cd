package org.webhooks.stats;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where the next page of a subscription's attempts starts: at index entry {@code timestampMs}, its
 * records below {@code remaining} (they are listed newest first, last appended first), then every
 * older entry. Written as an opaque URL-safe string.
 *
 * @param timestampMs the index entry (attempt start, epoch ms)
 * @param remaining how many records of that entry are still to be listed
 */
record AttemptCursor(long timestampMs, int remaining) {

  private static final String VERSION = "a1";

  String encode() {
    String text = VERSION + ":" + timestampMs + ":" + remaining;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** @throws IllegalArgumentException naming {@code cursor} when it is not one {@link #encode()} wrote */
  static AttemptCursor decode(String cursor) {
    try {
      String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split(":");
      if (parts.length != 3 || !parts[0].equals(VERSION)) {
        throw new IllegalArgumentException("unknown form");
      }
      int remaining = Integer.parseInt(parts[2]);
      if (remaining < 0) {
        throw new IllegalArgumentException("negative position");
      }
      return new AttemptCursor(Long.parseLong(parts[1]), remaining);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cursor: '" + cursor + "' is not a cursor this API returned", e);
    }
  }
}
