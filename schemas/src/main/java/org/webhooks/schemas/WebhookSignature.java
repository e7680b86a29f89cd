package org.webhooks.schemas;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.List;
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
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((webhookId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
