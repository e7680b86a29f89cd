package org.webhooks.data;

import java.util.ArrayList;
import java.util.List;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/**
 * Subscription records as they are stored on {@code webhook-subscriptions}: Avro in the Confluent
 * wire format, with every signing secret encrypted ({@link SecretsCipher}). Every reader and writer of
 * the topic that needs the secrets goes through this class, so that what is stored, and how, is
 * decided in one place: a {@link Subscription} in memory holds its secrets in clear
 * ({@code whsec_...}), the topic never does. (The fanout reads subscriptions without this class and
 * without the key: it never needs a secret.)
 */
public class SubscriptionCodec {

  private final AvroSerde<Subscription> serde;
  private final SecretsCipher cipher;

  /**
   * @param registry where the schema is registered and writer schemas are looked up
   * @param cipher the secrets keys
   */
  public SubscriptionCodec(SchemaRegistryClient registry, SecretsCipher cipher) {
    this.serde = new AvroSerde<>(registry, Subscription.getClassSchema());
    this.cipher = cipher;
  }

  /**
   * The codec of a configuration: its registry and its secrets keys ({@link SecretsCipher#of}).
   *
   * @throws WebhooksConfig.SettingException when {@code WEBHOOKS_SECRETS_KEY} is malformed
   * @throws IllegalStateException or {@link java.io.UncheckedIOException} when the embedded default's key
   *     file cannot be read or created
   */
  public SubscriptionCodec(WebhooksConfig config) {
    this(new SchemaRegistryClient(config.registryUrl()), SecretsCipher.of(config));
  }

  /**
   * @return the record value of {@code s} for {@code topic}, its secrets encrypted with the current key
   *     ({@code s} itself is not changed)
   * @throws org.apache.kafka.common.errors.SerializationException when it cannot be written
   */
  public byte[] encode(String topic, Subscription s) {
    List<SigningSecret> sealed = new ArrayList<>(s.getSecrets().size());
    for (SigningSecret secret : s.getSecrets()) {
      sealed.add(new SigningSecret(cipher.encrypt(secret.getSecret(), s.getId()), secret.getCreatedAt(),
          secret.getExpiresAt()));
    }
    Subscription stored = Subscription.newBuilder(s).setSecrets(sealed).build();
    return serde.serialize(topic, stored);
  }

  /**
   * @return the subscription a record value holds, its secrets decrypted ({@code whsec_...})
   * @throws org.apache.kafka.common.errors.SerializationException when the bytes cannot be read, or a
   *     secret cannot be decrypted (the message names the key id it needs and the ones configured)
   */
  public Subscription decode(String topic, byte[] value) {
    Subscription s = serde.deserialize(topic, value);
    List<SigningSecret> open = new ArrayList<>(s.getSecrets().size());
    for (SigningSecret secret : s.getSecrets()) {
      open.add(new SigningSecret(cipher.decrypt(secret.getSecret(), s.getId()), secret.getCreatedAt(),
          secret.getExpiresAt()));
    }
    s.setSecrets(open);
    return s;
  }

  /**
   * @return true when every secret of the record is encrypted with the current key; false when one is
   *     in plain text (written before encryption) or under an older key: the record is due to be
   *     written again ({@link SubscriptionStore#reencrypt})
   * @throws org.apache.kafka.common.errors.SerializationException when the bytes cannot be read
   */
  public boolean isCurrent(String topic, byte[] value) {
    Subscription s = serde.deserialize(topic, value);
    return s.getSecrets().stream().allMatch(secret -> cipher.isCurrent(secret.getSecret()));
  }

  /** @return the keys this codec encrypts and decrypts with */
  public SecretsCipher cipher() {
    return cipher;
  }
}
