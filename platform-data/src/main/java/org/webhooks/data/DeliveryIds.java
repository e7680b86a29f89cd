package org.webhooks.data;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Delivery ids: one stable id per (subscription, event) pair, computed rather than drawn at random so
 * that reprocessing an event after a crash or a replay yields the same id, and everything keyed by it
 * (attempt log, dedupe) stays consistent.
 */
public final class DeliveryIds {

  private DeliveryIds() {}

  /**
   * @return {@code dlv_} followed by the first 24 lowercase hex digits (96 bits) of
   *     SHA-256({@code subscriptionId + "/" + eventId}) over UTF-8
   */
  public static String of(String subscriptionId, String eventId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((subscriptionId + "/" + eventId).getBytes(StandardCharsets.UTF_8));
      return "dlv_" + HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java runtime", e);
    }
  }
}
