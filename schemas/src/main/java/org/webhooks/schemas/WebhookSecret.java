package org.webhooks.schemas;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Signing secrets in the Standard Webhooks form: {@code whsec_} followed by the base64 of 24 to 64
 * random bytes. The HMAC key is the decoded bytes (Standard Webhooks spec, "Signature scheme").
 */
public final class WebhookSecret {

  /** Prefix of every secret. */
  public static final String PREFIX = "whsec_";
  /** Key sizes allowed, in bytes. */
  public static final int MIN_BYTES = 24;
  public static final int MAX_BYTES = 64;

  private static final SecureRandom RANDOM = new SecureRandom();

  private WebhookSecret() {}

  /** @return a new secret of 32 random bytes. */
  public static String generate() {
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    return PREFIX + Base64.getEncoder().encodeToString(key);
  }

  /**
   * @return the HMAC key of a secret
   * @throws IllegalArgumentException saying what is wrong when the secret is not {@code whsec_} +
   *     base64 of 24-64 bytes
   */
  public static byte[] key(String secret) {
    if (secret == null || !secret.startsWith(PREFIX)) {
      throw new IllegalArgumentException("secret must start with " + PREFIX);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("secret must be " + PREFIX + " followed by base64");
    }
    if (key.length < MIN_BYTES || key.length > MAX_BYTES) {
      throw new IllegalArgumentException("secret must encode " + MIN_BYTES + " to " + MAX_BYTES
          + " bytes, it encodes " + key.length);
    }
    return key;
  }
}
