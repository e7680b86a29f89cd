package org.webhooks.fanout;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.avro.Subscription;

/**
 * Keeps the global subscription store in step with the compacted subscriptions topic (key =
 * subscription id, value = Subscription in the Confluent wire format, null = deleted). Kafka Streams
 * runs every record through here both while running and while restoring the store (KAFKA-7663), so
 * the store's layout ({@link SubscriptionStoreKeys}) is the same after a restart.
 *
 * <p>Runs on the global stream thread, which has no producer and so cannot dead-letter: a value that
 * cannot be decoded is logged and treated as a delete (a subscription whose terms cannot be read, such
 * as whether it is still enabled, receives nothing). A registry that cannot be reached is thrown, which
 * stops the instance rather than silently emptying the store.
 */
final class SubscriptionStoreUpdater implements Processor<String, byte[], Void, Void> {

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionStoreUpdater.class);

  private final String topic;
  private final Deserializer<Subscription> deserializer;
  private final FanoutMetrics metrics;
  private KeyValueStore<String, byte[]> store;

  SubscriptionStoreUpdater(String topic, Deserializer<Subscription> deserializer, FanoutMetrics metrics) {
    this.topic = topic;
    this.deserializer = deserializer;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(FanoutTopology.SUBSCRIPTION_STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String subscriptionId = record.key();
    if (subscriptionId == null || subscriptionId.isEmpty()) {
      LOG.warn("ignoring a record without a subscription id on {}", topic);
      return;
    }
    apply(subscriptionId, record);
    // counted once applied, so that a reader of the counter finds the store already changed
    metrics.subscriptionUpdate();
  }

  private void apply(String subscriptionId, Record<String, byte[]> record) {
    if (record.value() == null) {
      if (remove(subscriptionId)) {
        LOG.info("subscription {} deleted", subscriptionId);
      }
      return;
    }
    Subscription subscription;
    try {
      subscription = deserializer.deserialize(topic, record.value());
      if (subscription.getAccountId().isEmpty()) {
        throw new SerializationException("account_id is empty");
      }
    } catch (RuntimeException e) {
      if (SchemaRegistryClient.isUnreachable(e)) {
        throw e;
      }
      metrics.undecodableSubscription();
      remove(subscriptionId);
      LOG.error("subscription {} cannot be read and receives nothing until it is saved again: {}",
          subscriptionId, e.getMessage());
      return;
    }
    if (!subscriptionId.equals(subscription.getId())) {
      // The key is what compaction and tombstones act on, so it stays the identity of the entry.
      LOG.warn("subscription record keyed {} carries id {}; using the key", subscriptionId, subscription.getId());
    }
    String accountId = subscription.getAccountId();
    String previousAccount = accountOf(subscriptionId);
    if (previousAccount != null && !previousAccount.equals(accountId)) {
      store.delete(SubscriptionStoreKeys.subscription(previousAccount, subscriptionId));
    }
    store.put(SubscriptionStoreKeys.subscription(accountId, subscriptionId), record.value());
    store.put(SubscriptionStoreKeys.index(subscriptionId), accountId.getBytes(StandardCharsets.UTF_8));
    LOG.debug("subscription {} of account {} stored (enabled={})", subscriptionId, accountId,
        subscription.getEnabled());
  }

  /** @return true when there was an entry to remove. */
  private boolean remove(String subscriptionId) {
    String accountId = accountOf(subscriptionId);
    if (accountId == null) {
      return false;
    }
    store.delete(SubscriptionStoreKeys.subscription(accountId, subscriptionId));
    store.delete(SubscriptionStoreKeys.index(subscriptionId));
    return true;
  }

  private String accountOf(String subscriptionId) {
    byte[] account = store.get(SubscriptionStoreKeys.index(subscriptionId));
    return account == null ? null : new String(account, StandardCharsets.UTF_8);
  }
}
