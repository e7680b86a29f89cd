package org.webhooks.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.WebhooksConfig;

/**
 * The secrets key of the embedded default: {@code <data dir>/secrets.key}, one line of base64 of
 * {@link WebhooksConfig#SECRETS_KEY_BYTES} random bytes (the form {@code WEBHOOKS_SECRETS_KEY} takes),
 * readable by its owner only. The first process that needs it creates it; every command and service
 * on the same data dir then reads the same key. Creation is atomic: a file appears whole or not at
 * all, and of processes racing to create it, one wins and the others read its key.
 */
final class SecretsKeyFile {

  /** The file name inside the data dir. */
  static final String FILE_NAME = "secrets.key";

  private static final Logger LOG = LoggerFactory.getLogger(SecretsKeyFile.class);
  private static final SecureRandom RANDOM = new SecureRandom();

  private SecretsKeyFile() {}

  /**
   * @param dataDir the data dir (created when missing)
   * @return the key held in {@code <dataDir>/secrets.key}, created first if the file does not exist
   * @throws IllegalStateException when the file exists but does not hold a key
   * @throws UncheckedIOException when the file cannot be read or written
   */
  static byte[] readOrCreate(Path dataDir) {
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      return read(file);
    }
    try {
      Files.createDirectories(dataDir);
      Path temp = Files.createTempFile(dataDir, FILE_NAME, ".tmp");
      try {
        restrict(temp);
        byte[] key = new byte[WebhooksConfig.SECRETS_KEY_BYTES];
        RANDOM.nextBytes(key);
        Files.writeString(temp, Base64.getEncoder().encodeToString(key) + "\n", StandardCharsets.US_ASCII);
        if (publish(temp, file)) {
          LOG.warn("WEBHOOKS_SECRETS_KEY is not set: generated the key that encrypts signing secrets in {}. Every "
              + "process that reads or writes subscriptions must use this key: set WEBHOOKS_SECRETS_KEY where "
              + "processes do not share this data dir", file.toAbsolutePath());
          return key;
        }
        return read(file);
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the secrets key " + file.toAbsolutePath() + ": " + e, e);
    }
  }

  /** @return true when {@code temp} became {@code file}, false when another process made it first */
  private static boolean publish(Path temp, Path file) throws IOException {
    try {
      // a hard link fails when the name exists, so no key is ever replaced
      Files.createLink(file, temp);
      return true;
    } catch (FileAlreadyExistsException e) {
      return false;
    } catch (UnsupportedOperationException e) {
      try {
        Files.move(temp, file);
        return true;
      } catch (FileAlreadyExistsException again) {
        return false;
      }
    }
  }

  private static void restrict(Path path) throws IOException {
    try {
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // not a POSIX file system: the data dir's own permissions protect it
    }
  }

  private static byte[] read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the secrets key " + file.toAbsolutePath() + ": " + e, e);
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("the secrets key " + file.toAbsolutePath() + " is not base64");
    }
    if (key.length != WebhooksConfig.SECRETS_KEY_BYTES) {
      throw new IllegalStateException("the secrets key " + file.toAbsolutePath() + " holds " + key.length
          + " bytes, not " + WebhooksConfig.SECRETS_KEY_BYTES);
    }
    return key;
  }
}
