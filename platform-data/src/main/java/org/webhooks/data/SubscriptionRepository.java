package org.webhooks.data;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.avro.Subscription;

/**
 * The operations on subscriptions that the CLI and the control plane share: create, update, rotate
 * the secret, remove expired secrets and delete, each applying {@link SubscriptionRules} and writing
 * through {@link SubscriptionStore}. Callers look a subscription up (and check that it is the
 * caller's) before they change it; every write says where it went, so that a caller holding a view
 * can wait until it has read it. It logs nothing: the CLI prints its own result and the control
 * plane logs each request.
 */
public final class SubscriptionRepository {

  /**
   * A version written to the topic.
   *
   * @param subscription what was written
   * @param position where it was written
   */
  public record Written(Subscription subscription, RecordMetadata position) {}

  private final SubscriptionStore store;
  private final Function<String, Optional<Subscription>> lookup;
  private final TargetPolicy policy;
  private final Duration rotationGrace;
  private final Clock clock;

  /**
   * @param store where subscriptions are written
   * @param lookup the current version of a subscription by id (a view, or a read of the topic)
   * @param policy the address rules a URL must pass ({@code WEBHOOKS_ALLOWED_TARGETS})
   * @param rotationGrace how long a rotated-out secret keeps signing ({@code WEBHOOKS_SECRET_ROTATION_GRACE})
   * @param clock the time of each change
   */
  public SubscriptionRepository(SubscriptionStore store, Function<String, Optional<Subscription>> lookup,
      TargetPolicy policy, Duration rotationGrace, Clock clock) {
    this.store = store;
    this.lookup = lookup;
    this.policy = policy;
    this.rotationGrace = rotationGrace;
    this.clock = clock;
  }

  /** @return the current version of a subscription, or empty when there is none. */
  public Optional<Subscription> find(String id) {
    return lookup.apply(id);
  }

  /**
   * @throws SubscriptionRules.InvalidSubscriptionException naming the field that is wrong
   * @throws IllegalStateException when the write fails
   */
  public Written create(SubscriptionDraft draft) {
    Subscription s = SubscriptionRules.newSubscription(draft, policy, clock.instant());
    return new Written(s, store.save(s));
  }

  /**
   * @param current the stored version
   * @throws SubscriptionRules.InvalidSubscriptionException naming the field that is wrong
   * @throws IllegalStateException when the write fails
   */
  public Written update(Subscription current, SubscriptionPatch patch) {
    Subscription s = SubscriptionRules.applyPatch(current, patch, policy, clock.instant());
    return new Written(s, store.save(s));
  }

  /**
   * Rotates the secret; the secrets in force keep signing for the grace period.
   *
   * @param current the stored version
   * @param secret the new secret, or null to generate one
   * @return the new version, whose last secret is the new one
   * @throws SubscriptionRules.InvalidSubscriptionException ("secret: ...") when it cannot be used
   * @throws IllegalStateException when the write fails
   */
  public Written rotateSecret(Subscription current, String secret) {
    Subscription s = SubscriptionRules.rotateSecret(current, secret, rotationGrace, clock.instant());
    return new Written(s, store.save(s));
  }

  /**
   * Rewrites a subscription without its expired secrets, if it has any.
   *
   * @return the new version, or empty when nothing had expired (nothing written)
   * @throws IllegalStateException when the write fails
   */
  public Optional<Written> removeExpiredSecrets(Subscription current) {
    Optional<Subscription> trimmed = SubscriptionRules.withoutExpiredSecrets(current, clock.instant());
    if (trimmed.isEmpty()) {
      return Optional.empty();
    }
    Subscription s = trimmed.get();
    return Optional.of(new Written(s, store.save(s)));
  }

  /**
   * Deletes a subscription (a tombstone): no more deliveries, pending ones end as cancelled. It also
   * clears a record that cannot be read.
   *
   * @param id the subscription id, checked to exist by the caller
   * @return where the tombstone was written
   * @throws IllegalStateException when the write fails
   */
  public RecordMetadata delete(String id) {
    return store.delete(id);
  }
}
