package org.webhooks.data;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.errors.SerializationException;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhooksConfig;

/**
 * Encrypts signing secrets for storage on {@code webhook-subscriptions} and decrypts them again, with
 * AES-256-GCM (the JDK's {@code javax.crypto}). A stored secret reads
 * {@code enc:v1:<key id>:<base64 of 12-byte nonce + ciphertext + 16-byte tag>}; the key id is the first
 * 4 bytes of the key's SHA-256 in hex, so a reader knows which key to use and can say which is missing.
 * The subscription id is bound in as associated data: a secret copied into another subscription's
 * record does not decrypt.
 *
 * <p>Keys form an ordered list: the first encrypts, every one decrypts, which is how the key is
 * rotated (a new key first, the old one after it, until every record is written again). Records from
 * before encryption hold {@code whsec_...} in plain text: they are read as they are and reported as
 * not {@linkplain #isCurrent current}, so that they get rewritten. Thread-safe.
 */
public final class SecretsCipher {

  /** Prefix of every encrypted secret, version included. */
  public static final String PREFIX = "enc:v1:";

  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Key(String id, SecretKeySpec spec) {}

  private final List<Key> keys;
  private final String source;

  /**
   * @param keys AES-256 keys, 32 bytes each, in order: the first encrypts, all decrypt
   * @param source where the keys came from, for error messages (never the keys themselves)
   * @throws IllegalArgumentException when there is no key or one is not 32 bytes
   */
  public SecretsCipher(List<byte[]> keys, String source) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("at least one secrets key is needed");
    }
    List<Key> out = new ArrayList<>();
    for (byte[] k : keys) {
      if (k.length != WebhooksConfig.SECRETS_KEY_BYTES) {
        throw new IllegalArgumentException("a secrets key holds " + WebhooksConfig.SECRETS_KEY_BYTES + " bytes");
      }
      out.add(new Key(keyId(k), new SecretKeySpec(k.clone(), "AES")));
    }
    this.keys = List.copyOf(out);
    this.source = source;
  }

  /**
   * The keys of a configuration: {@code WEBHOOKS_SECRETS_KEY} when set, else the embedded default's key
   * file {@code <data dir>/secrets.key}, created on first use.
   *
   * @throws WebhooksConfig.SettingException when {@code WEBHOOKS_SECRETS_KEY} is malformed
   * @throws IllegalStateException when the key file exists but holds no key
   * @throws java.io.UncheckedIOException when the key file cannot be read or created
   */
  public static SecretsCipher of(WebhooksConfig config) {
    List<byte[]> configured = config.secretsKeys();
    if (!configured.isEmpty()) {
      return new SecretsCipher(configured, Setting.SECRETS_KEY.envName());
    }
    Path dir = config.dataDir();
    return new SecretsCipher(List.of(SecretsKeyFile.readOrCreate(dir)),
        dir.resolve(SecretsKeyFile.FILE_NAME).toAbsolutePath().toString());
  }

  /** @return the id of the key that encrypts, 8 hex digits */
  public String currentKeyId() {
    return keys.get(0).id();
  }

  /**
   * @param secret a signing secret, {@code whsec_...}
   * @param subscriptionId the id of the subscription it belongs to (bound in, see the class comment)
   * @return the form stored on the topic, encrypted with the first key
   */
  public String encrypt(String secret, String subscriptionId) {
    Key key = keys.get(0);
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(aad(subscriptionId));
      byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
      byte[] out = ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array();
      return PREFIX + key.id() + ":" + Base64.getEncoder().encodeToString(out);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available: " + e, e);
    }
  }

  /**
   * @param stored a secret as the topic holds it: encrypted, or {@code whsec_...} from before encryption
   * @param subscriptionId the id of the subscription whose record holds it
   * @return the signing secret
   * @throws SerializationException saying why it cannot be decrypted: its key is not among the keys
   *     configured (naming the key ids, never the keys), it was altered or copied from another
   *     subscription, or it is not a stored secret at all
   */
  public String decrypt(String stored, String subscriptionId) {
    if (stored.startsWith(WebhookSecret.PREFIX)) {
      return stored;
    }
    if (!stored.startsWith(PREFIX)) {
      throw new SerializationException("a secret of subscription " + subscriptionId
          + " is neither encrypted (" + PREFIX + "...) nor a " + WebhookSecret.PREFIX + " secret");
    }
    int colon = stored.indexOf(':', PREFIX.length());
    if (colon < 0) {
      throw new SerializationException("an encrypted secret of subscription " + subscriptionId + " is malformed");
    }
    String keyId = stored.substring(PREFIX.length(), colon);
    Key key = keys.stream().filter(k -> k.id().equals(keyId)).findFirst().orElseThrow(() ->
        new SerializationException("a secret of subscription " + subscriptionId + " is encrypted with key "
            + keyId + ", which is not among the secrets keys of " + source + " (" + keyIds()
            + "); configure the key it was written with (" + Setting.SECRETS_KEY.envName() + " may list several)"));
    byte[] sealed;
    try {
      sealed = Base64.getDecoder().decode(stored.substring(colon + 1));
    } catch (IllegalArgumentException e) {
      throw new SerializationException("an encrypted secret of subscription " + subscriptionId + " is malformed");
    }
    if (sealed.length <= NONCE_BYTES) {
      throw new SerializationException("an encrypted secret of subscription " + subscriptionId + " is malformed");
    }
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key.spec(), new GCMParameterSpec(TAG_BITS, sealed, 0, NONCE_BYTES));
      cipher.updateAAD(aad(subscriptionId));
      byte[] plain = cipher.doFinal(sealed, NONCE_BYTES, sealed.length - NONCE_BYTES);
      return new String(plain, StandardCharsets.UTF_8);
    } catch (AEADBadTagException e) {
      throw new SerializationException("a secret of subscription " + subscriptionId + " does not decrypt with key "
          + keyId + ": it was altered, or copied from another subscription's record");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available: " + e, e);
    }
  }

  /**
   * @param stored a secret as the topic holds it
   * @return true when it is encrypted with the key that encrypts now; false for a plain-text secret
   *     or one encrypted with an older key (the record is then due to be written again)
   */
  public boolean isCurrent(String stored) {
    return stored.startsWith(PREFIX + currentKeyId() + ":");
  }

  /** @return the ids of the keys, comma-separated, in order */
  public String keyIds() {
    return String.join(", ", keys.stream().map(Key::id).toList());
  }

  @Override
  public String toString() {
    return "SecretsCipher[keys " + keyIds() + " from " + source + "]";
  }

  private static byte[] aad(String subscriptionId) {
    return ("webhook-subscriptions/" + subscriptionId).getBytes(StandardCharsets.UTF_8);
  }

  private static String keyId(byte[] key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key);
      return HexFormat.of().formatHex(digest, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
