package org.webhooks.controlplane;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Comparator;
import org.webhooks.schemas.avro.Subscription;

/**
 * A position in an account's list of subscriptions, which is ordered by creation time, then id. The
 * cursor names the last subscription of a page by both, so that the next page starts right after it
 * even when that subscription was deleted meanwhile. Opaque to clients: base64url of
 * {@code <created_at ms>:<id>}.
 *
 * @param createdAtMillis creation time of the last subscription shown, epoch ms
 * @param id its id
 */
record Cursor(long createdAtMillis, String id) {

  /** The order of a list: creation time, then id. */
  static final Comparator<Subscription> ORDER = Comparator.<Subscription>comparingLong(s -> s.getCreatedAt().toEpochMilli())
      .thenComparing(Subscription::getId);

  /** @return the cursor just after {@code s}. */
  static Cursor after(Subscription s) {
    return new Cursor(s.getCreatedAt().toEpochMilli(), s.getId());
  }

  /**
   * @throws ApiError 400 ("cursor: ...") when the text is not a cursor this API gave
   */
  static Cursor parse(String text) {
    try {
      String raw = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int colon = raw.indexOf(':');
      return new Cursor(Long.parseLong(raw.substring(0, colon)), raw.substring(colon + 1));
    } catch (RuntimeException e) {
      throw ApiError.invalid("cursor", "cursor: is not a cursor given by this API");
    }
  }

  /** @return true when {@code s} comes after this position. */
  boolean isBefore(Subscription s) {
    long t = s.getCreatedAt().toEpochMilli();
    return t > createdAtMillis || t == createdAtMillis && s.getId().compareTo(id) > 0;
  }

  String encode() {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((createdAtMillis + ":" + id).getBytes(StandardCharsets.UTF_8));
  }
}
