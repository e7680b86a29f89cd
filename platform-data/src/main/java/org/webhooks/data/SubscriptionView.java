package org.webhooks.data;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;

/**
 * A process's own copy of {@code webhook-subscriptions}, so that URL, secrets and enabled flag are
 * looked up where they are used (the worker at send time) and never travel in task records (DESIGN
 * "Secrets stay out of task records"). A process may also put in force a version it is writing
 * itself in a transaction ({@link #wrote}), before it reads it back.
 */
public final class SubscriptionView extends CompactedTopicView<Subscription> {

  /** Versions this process wrote itself, in force until the topic's copy is read. */
  private final Map<String, Subscription> ownWrites = new ConcurrentHashMap<>();

  /**
   * A view reading records with the codec of {@code config} (its registry and secrets keys).
   *
   * @param config where the topic and the registry are, the instance id and the secrets keys
   * @param clientName names the consumer, with the topic prefix and instance id, e.g. {@code delivery-worker}
   * @throws WebhooksConfig.SettingException when {@code WEBHOOKS_SECRETS_KEY} is malformed
   */
  public SubscriptionView(WebhooksConfig config, String clientName) {
    this(config, new SubscriptionCodec(config), clientName);
  }

  /**
   * @param config where the topic is and the instance id
   * @param codec how records are read
   * @param clientName names the consumer, with the topic prefix and instance id, e.g. {@code delivery-worker}
   */
  public SubscriptionView(WebhooksConfig config, SubscriptionCodec codec, String clientName) {
    this(config, codec, clientName, config.topics().subscriptions().name());
  }

  private SubscriptionView(WebhooksConfig config, SubscriptionCodec codec, String clientName, String topic) {
    super(config, topic, config.topicPrefix() + clientName + "-subscriptions-" + config.instanceId(),
        value -> codec.decode(topic, value));
  }

  /**
   * @return the subscription as last read, or as this process last wrote it when it has not read
   *     that write back yet; empty when it was never read or was deleted
   */
  public Optional<Subscription> find(String subscriptionId) {
    Subscription own = ownWrites.get(subscriptionId);
    return own != null ? Optional.of(own) : get(subscriptionId);
  }

  /**
   * A version this process is writing to the topic itself: in force here at once. It gives way as
   * soon as the view reads a version at least as new ({@code updated_at}), or a deletion.
   */
  public void wrote(Subscription subscription) {
    ownWrites.put(subscription.getId(), subscription);
  }

  @Override
  protected void applied(String key, Subscription value) {
    if (value == null) {
      ownWrites.remove(key);
    } else {
      ownWrites.computeIfPresent(key, (k, own) -> value.getUpdatedAt().isBefore(own.getUpdatedAt()) ? own : null);
    }
  }
}
