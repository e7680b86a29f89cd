package org.webhooks.stats;

import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.data.SubscriptionView;
import org.webhooks.schemas.avro.Subscription;

/**
 * Disables subscriptions the way the worker does after a 410 Gone: the current version, read from the
 * process's {@link SubscriptionView}, written back to the compacted {@code webhook-subscriptions} topic
 * through platform-data's {@link SubscriptionStore} with {@code enabled: false} and a
 * {@code disabled_reason}; workers then cancel the endpoint's pending deliveries and the fanout stops
 * matching it. The write is not part of the stream's transaction, so a disable whose transaction aborts
 * is found again in the view: a reason starting with {@link #AUTO_DISABLE_REASON} marks it as ours.
 */
final class SubscriptionDisabler implements EndpointDisabler {

  /** How every auto-disable reason starts. */
  static final String AUTO_DISABLE_REASON = "no successful attempt for ";

  private static final Logger LOG = LoggerFactory.getLogger(SubscriptionDisabler.class);

  private final SubscriptionView view;
  private final SubscriptionStore store;

  SubscriptionDisabler(SubscriptionView view, SubscriptionStore store) {
    this.view = view;
    this.store = store;
  }

  @Override
  public Result disable(String accountId, String subscriptionId, String reason, Instant now) {
    if (!view.isCaughtUp()) {
      return Result.NOT_READY;
    }
    Optional<Subscription> found = view.find(subscriptionId);
    if (found.isEmpty() || !found.get().getAccountId().equals(accountId)) {
      return Result.NOT_FOUND;
    }
    Subscription current = found.get();
    if (!current.getEnabled()) {
      String existing = current.getDisabledReason();
      return existing != null && existing.startsWith(AUTO_DISABLE_REASON) ? Result.DISABLED : Result.DISABLED_BEFORE;
    }
    Subscription disabled = Subscription.newBuilder(current)
        .setEnabled(false)
        .setDisabledReason(reason + " at " + now)
        .setUpdatedAt(now.isAfter(current.getUpdatedAt()) ? now : current.getUpdatedAt().plusMillis(1))
        .build();
    store.save(disabled);
    view.wrote(disabled);
    LOG.warn("subscription {} of account {} disabled: {}", subscriptionId, accountId, reason);
    return Result.DISABLED;
  }

  @Override
  public boolean isDeleted(String accountId, String subscriptionId) {
    return view.isCaughtUp() && view.find(subscriptionId).filter(s -> s.getAccountId().equals(accountId)).isEmpty();
  }
}
