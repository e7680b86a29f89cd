package org.webhooks.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.webhooks.schemas.avro.ApiKey;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.MatchVerdicts;
import org.webhooks.schemas.avro.OperationalEvent;
import org.webhooks.schemas.avro.IdempotentResponse;
import org.webhooks.schemas.avro.Subscription;

/**
 * Every topic of the platform, with names built from {@code WEBHOOKS_TOPIC_PREFIX} and one retry
 * topic per distinct delay of the retry schedule. Services take their topics from here only.
 */
public final class Topics {

  static {
    AvroTrust.install();
  }

  private final String prefix;
  private final RetrySchedule schedule;

  /**
   * @param prefix put before every name ("" = none)
   * @param schedule the retry schedule whose tiers name the retry topics
   */
  public Topics(String prefix, RetrySchedule schedule) {
    this.prefix = prefix == null ? "" : prefix;
    this.schedule = schedule;
  }

  /** call-events: key call_id, delete cleanup. */
  public Topic<CallEvent> callEvents() {
    return new Topic<>(prefix + "call-events", CallEvent.getClassSchema());
  }

  /** webhook-subscriptions: key subscription id, compacted, tombstone = deleted. */
  public Topic<Subscription> subscriptions() {
    return new Topic<>(prefix + "webhook-subscriptions", Subscription.getClassSchema());
  }

  /** webhook-deliveries: key subscription id, tasks due now. */
  public Topic<DeliveryTask> deliveries() {
    return new Topic<>(prefix + "webhook-deliveries", DeliveryTask.getClassSchema());
  }

  /** webhook-attempts: key subscription id, one record per attempt. */
  public Topic<DeliveryAttempt> attempts() {
    return new Topic<>(prefix + "webhook-attempts", DeliveryAttempt.getClassSchema());
  }

  /** webhook-dead-letters: key subscription id (raw key for undecodable records), long retention. */
  public Topic<DeadLetter> deadLetters() {
    return new Topic<>(prefix + "webhook-dead-letters", DeadLetter.getClassSchema());
  }

  /**
   * webhook-operational-events: key subscription id; endpoint.failing, endpoint.recovered,
   * endpoint.disabled and message.attempt.exhausted, written by delivery-stats.
   */
  public Topic<OperationalEvent> operationalEvents() {
    return new Topic<>(prefix + "webhook-operational-events", OperationalEvent.getClassSchema());
  }

  /**
   * webhook-match-verdicts: key event id; one record per event and decision, saying for each subscription
   * of the event's account considered whether it received the event and why not. Written by the fanout
   * (and replays), indexed by delivery-stats for the event lookup.
   */
  public Topic<MatchVerdicts> matchVerdicts() {
    return new Topic<>(prefix + "webhook-match-verdicts", MatchVerdicts.getClassSchema());
  }

  /** webhook-api-keys: key = API key id, compacted; the control plane's keys, hashed. */
  public Topic<ApiKey> apiKeys() {
    return new Topic<>(prefix + "webhook-api-keys", ApiKey.getClassSchema());
  }

  /**
   * webhook-idempotency-keys: key = account id + {@code |} + Idempotency-Key, compacted and deleted
   * after {@link KafkaClients#IDEMPOTENCY_RETENTION_MS}; the first response of each keyed POST.
   */
  public Topic<IdempotentResponse> idempotencyKeys() {
    return new Topic<>(prefix + "webhook-idempotency-keys", IdempotentResponse.getClassSchema());
  }

  /** @return the retry topic of one tier, e.g. {@code webhook-retry-5m}. */
  public Topic<DeliveryTask> retry(Duration tier) {
    return new Topic<>(prefix + "webhook-retry-" + Durations.format(tier), DeliveryTask.getClassSchema());
  }

  /**
   * @param topicName any topic name
   * @return the tier of a retry topic of this prefix, whatever the schedule (a tier a former schedule
   *     had too), e.g. 5 minutes for {@code webhook-retry-5m}; empty for any other topic
   */
  public Optional<Duration> tierOf(String topicName) {
    String start = prefix + "webhook-retry-";
    if (!topicName.startsWith(start)) {
      return Optional.empty();
    }
    String suffix = topicName.substring(start.length());
    try {
      Duration tier = Durations.parse(suffix);
      return !tier.isZero() && Durations.format(tier).equals(suffix) ? Optional.of(tier) : Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * @return the retry topics, shortest delay first: one per distinct non-zero delay. A {@code 0s}
   *     retry needs no topic of its own: it is written straight back to {@link #deliveries()}.
   */
  public List<Topic<DeliveryTask>> retryTopics() {
    List<Topic<DeliveryTask>> out = new ArrayList<>();
    for (Duration tier : schedule.tiers()) {
      if (!tier.isZero()) {
        out.add(retry(tier));
      }
    }
    return out;
  }

  /**
   * @return where a task waiting {@code tier} goes: {@link #deliveries()} for zero (due at once),
   *     else {@link #retry(Duration)}
   */
  public Topic<DeliveryTask> tierTopic(Duration tier) {
    return tier.isZero() ? deliveries() : retry(tier);
  }

  /** @return the retry schedule these topics were named from. */
  public RetrySchedule schedule() {
    return schedule;
  }

  /** @return the names of every topic, for creation at start. */
  public List<String> allNames() {
    List<String> names = new ArrayList<>(List.of(
        callEvents().name(), subscriptions().name(), deliveries().name(), attempts().name(),
        deadLetters().name(), operationalEvents().name(), matchVerdicts().name(), apiKeys().name(),
        idempotencyKeys().name()));
    retryTopics().forEach(t -> names.add(t.name()));
    return names;
  }
}
