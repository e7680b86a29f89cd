package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhooksConfig;

/** AES-GCM of signing secrets at rest: round trip, key ids, rotation, refusals, the key file. */
class SecretsCipherTest {

  private static final byte[] KEY_A = key(1);
  private static final byte[] KEY_B = key(2);

  @TempDir Path dir;

  @Test
  void aSecretRoundTripsAndIsStoredWithoutItsText() {
    SecretsCipher cipher = new SecretsCipher(List.of(KEY_A), "test");
    String secret = WebhookSecret.generate();

    String stored = cipher.encrypt(secret, "sub_1");

    assertThat(stored).startsWith(SecretsCipher.PREFIX + cipher.currentKeyId() + ":")
        .doesNotContain(secret).doesNotContain(secret.substring(WebhookSecret.PREFIX.length()));
    assertThat(cipher.decrypt(stored, "sub_1")).isEqualTo(secret);
    // a fresh nonce each time: the same secret never reads the same twice
    assertThat(cipher.encrypt(secret, "sub_1")).isNotEqualTo(stored);
    assertThat(cipher.isCurrent(stored)).isTrue();
  }

  @Test
  void aSecretCopiedIntoAnotherSubscriptionDoesNotDecrypt() {
    SecretsCipher cipher = new SecretsCipher(List.of(KEY_A), "test");
    String stored = cipher.encrypt(WebhookSecret.generate(), "sub_1");

    assertThatThrownBy(() -> cipher.decrypt(stored, "sub_2"))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("subscription sub_2 does not decrypt with key " + cipher.currentKeyId())
        .hasMessageContaining("copied from another subscription");
  }

  @Test
  void aWrongKeyIsAClearErrorNamingTheKeyIdsNeverTheKeys() {
    SecretsCipher a = new SecretsCipher(List.of(KEY_A), "WEBHOOKS_SECRETS_KEY");
    SecretsCipher b = new SecretsCipher(List.of(KEY_B), "WEBHOOKS_SECRETS_KEY");
    String stored = a.encrypt(WebhookSecret.generate(), "sub_1");

    assertThatThrownBy(() -> b.decrypt(stored, "sub_1"))
        .isInstanceOf(SerializationException.class)
        .hasMessage("a secret of subscription sub_1 is encrypted with key " + a.currentKeyId()
            + ", which is not among the secrets keys of WEBHOOKS_SECRETS_KEY (" + b.currentKeyId()
            + "); configure the key it was written with (WEBHOOKS_SECRETS_KEY may list several)")
        .hasMessageNotContaining(Base64.getEncoder().encodeToString(KEY_B));
  }

  @Test
  void duringRotationTheFirstKeyEncryptsAndEveryKeyDecrypts() {
    SecretsCipher old = new SecretsCipher(List.of(KEY_A), "test");
    SecretsCipher rotating = new SecretsCipher(List.of(KEY_B, KEY_A), "test");
    String secret = WebhookSecret.generate();
    String underOld = old.encrypt(secret, "sub_1");

    assertThat(rotating.decrypt(underOld, "sub_1")).isEqualTo(secret);
    assertThat(rotating.isCurrent(underOld)).isFalse();
    String underNew = rotating.encrypt(secret, "sub_1");
    assertThat(rotating.isCurrent(underNew)).isTrue();
    assertThat(new SecretsCipher(List.of(KEY_B), "test").decrypt(underNew, "sub_1")).isEqualTo(secret);
    assertThat(rotating.keyIds()).isEqualTo(rotating.currentKeyId() + ", " + old.currentKeyId());
  }

  @Test
  void aPlainSecretFromBeforeEncryptionIsReadAndIsNotCurrent() {
    SecretsCipher cipher = new SecretsCipher(List.of(KEY_A), "test");
    String secret = WebhookSecret.generate();

    assertThat(cipher.decrypt(secret, "sub_1")).isEqualTo(secret);
    assertThat(cipher.isCurrent(secret)).isFalse();
  }

  @Test
  void somethingElseIsRefused() {
    SecretsCipher cipher = new SecretsCipher(List.of(KEY_A), "test");
    String good = cipher.encrypt(WebhookSecret.generate(), "sub_1");
    for (String stored : List.of("hunter2", SecretsCipher.PREFIX + "nocolon", good.substring(0, good.length() - 8) + "*",
        SecretsCipher.PREFIX + cipher.currentKeyId() + ":AAAA", good.substring(0, good.length() - 6) + "AAAAAA")) {
      assertThatThrownBy(() -> cipher.decrypt(stored, "sub_1")).as(stored)
          .isInstanceOf(SerializationException.class)
          .hasMessageContaining("subscription sub_1");
    }
  }

  @Test
  void withoutAConfiguredKeyTheKeyFileOfTheDataDirIsCreatedOnceAndSharedByEveryReader() throws Exception {
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.DATA_DIR, dir.resolve("data").toString());
    // several processes starting at once: one creates the file, every one ends with its key
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<String>> ids = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        Callable<String> read = () -> SecretsCipher.of(config).currentKeyId();
        ids.add(pool.submit(read));
      }
      List<String> seen = new ArrayList<>();
      for (Future<String> f : ids) {
        seen.add(f.get());
      }
      assertThat(seen).containsOnly(seen.get(0));
    } finally {
      pool.shutdownNow();
    }
    Path file = dir.resolve("data").resolve(SecretsKeyFile.FILE_NAME);
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    try (var listing = Files.list(dir.resolve("data"))) {
      assertThat(listing.map(p -> p.getFileName().toString())).containsExactly(SecretsKeyFile.FILE_NAME);
    }
    // the file holds what WEBHOOKS_SECRETS_KEY would: setting it to the file's content gives the same key
    String content = Files.readString(file).trim();
    SecretsCipher configured = SecretsCipher.of(config.with(Setting.SECRETS_KEY, content));
    assertThat(configured.currentKeyId()).isEqualTo(SecretsCipher.of(config).currentKeyId());
  }

  @Test
  void aConfiguredKeyWinsAndNoFileIsWritten() {
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.DATA_DIR, dir.resolve("data").toString())
        .with(Setting.SECRETS_KEY, Base64.getEncoder().encodeToString(KEY_B) + "," + Base64.getEncoder().encodeToString(KEY_A));

    SecretsCipher cipher = SecretsCipher.of(config);

    assertThat(cipher.currentKeyId()).isEqualTo(new SecretsCipher(List.of(KEY_B), "x").currentKeyId());
    assertThat(dir.resolve("data")).doesNotExist();
    assertThat(cipher.toString()).doesNotContain(Base64.getEncoder().encodeToString(KEY_B));
  }

  @Test
  void aKeyFileThatHoldsNoKeyIsAClearError() throws Exception {
    Files.writeString(dir.resolve(SecretsKeyFile.FILE_NAME), "c2hv\n");
    WebhooksConfig config = WebhooksConfig.defaults().with(Setting.DATA_DIR, dir.toString());

    assertThatThrownBy(() -> SecretsCipher.of(config))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(SecretsKeyFile.FILE_NAME)
        .hasMessageContaining("holds 3 bytes, not 32");
  }

  private static byte[] key(int fill) {
    byte[] k = new byte[32];
    Arrays.fill(k, (byte) fill);
    return k;
  }
}
