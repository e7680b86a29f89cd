package org.webhooks.schemas;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures (standardwebhooks.com, spec section "Signature scheme"): the signed
 * content is {@code webhook-id + "." + webhook-timestamp + "." + body}, signed with HMAC-SHA256 under
 * the decoded secret, and sent as {@code v1,<base64>}; several signatures (secret rotation) are
 * space-separated in one {@code webhook-signature} header.
 */
public final class WebhookSignature {

  /** Header names, as the spec writes them. */
  public static final String ID_HEADER = "webhook-id";
  public static final String TIMESTAMP_HEADER = "webhook-timestamp";
  public static final String SIGNATURE_HEADER = "webhook-signature";

  private WebhookSignature() {}

  /**
   * @param secrets the secrets in force ({@code whsec_...}); each adds one signature
   * @param webhookId the {@code webhook-id} (the event id)
   * @param timestampSeconds the {@code webhook-timestamp}, unix seconds
   * @param body the exact request body bytes
   * @return the {@code webhook-signature} header value
   * @throws IllegalArgumentException when a secret is malformed
   */
  public static String sign(List<String> secrets, String webhookId, long timestampSeconds, byte[] body) {
    StringBuilder header = new StringBuilder();
    for (String secret : secrets) {
      if (header.length() > 0) {
        header.append(' ');
      }
      header.append("v1,").append(Base64.getEncoder().encodeToString(
          hmac(WebhookSecret.key(secret), webhookId, timestampSeconds, body)));
    }
    return header.toString();
  }

  /**
   * Verifies as a receiver would: any {@code v1} signature in the header that matches counts.
   * Comparison is constant-time. The caller checks the timestamp tolerance.
   *
   * @return true when one signature was made with {@code secret} over exactly these id, time and body
   */
  public static boolean verify(String secret, String webhookId, String timestamp, byte[] body, String signatureHeader) {
    if (webhookId == null || timestamp == null || signatureHeader == null) {
      return false;
    }
    long ts;
    try {
      ts = Long.parseLong(timestamp);
    } catch (NumberFormatException e) {
      return false;
    }
    byte[] expected = hmac(WebhookSecret.key(secret), webhookId, ts, body);
    for (String part : signatureHeader.trim().split(" +")) {
      if (!part.startsWith("v1,")) {
        continue;
      }
      try {
        byte[] given = Base64.getDecoder().decode(part.substring(3));
        if (MessageDigest.isEqual(expected, given)) {
          return true;
        }
      } catch (IllegalArgumentException e) {
        // a malformed signature is simply not a match
      }
    }
    return false;
  }

  private static byte[] hmac(byte[] key, String webhookId, long timestampSeconds, byte[] body) {
    return hmac(newMac(key), webhookId, timestampSeconds, body);
  }

  private static byte[] hmac(Mac mac, String webhookId, long timestampSeconds, byte[] body) {
    mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
    // doFinal also resets the Mac to its key, ready for the next message
    return mac.doFinal(body);
  }

  private static Mac newMac(byte[] key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac;
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * Signs like {@link WebhookSignature#sign}, keeping an initialised {@link Mac} per secret, so that a
   * secret is decoded and its key set up once rather than for every request. Not thread-safe (a
   * {@code Mac} is not): one per thread. Holds at most {@value #MAX_KEYS} secrets, the least recently
   * used leaving first.
   */
  public static final class Signer {

    /** Secrets kept at most, each with its {@code Mac}. */
    public static final int MAX_KEYS = 10_000;

    private final Map<String, Mac> macs = new LinkedHashMap<>(64, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Mac> eldest) {
        return size() > MAX_KEYS;
      }
    };

    /**
     * @return the {@code webhook-signature} header value, as {@link WebhookSignature#sign} gives it
     * @throws IllegalArgumentException when a secret is malformed
     */
    public String sign(List<String> secrets, String webhookId, long timestampSeconds, byte[] body) {
      StringBuilder header = new StringBuilder(secrets.size() * 48);
      for (String secret : secrets) {
        if (header.length() > 0) {
          header.append(' ');
        }
        Mac mac = macs.get(secret);
        if (mac == null) {
          mac = newMac(WebhookSecret.key(secret));
          macs.put(secret, mac);
        }
        header.append("v1,").append(Base64.getEncoder().encodeToString(hmac(mac, webhookId, timestampSeconds, body)));
      }
      return header.toString();
    }
  }
}
