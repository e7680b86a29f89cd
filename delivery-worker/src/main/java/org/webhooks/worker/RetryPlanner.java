package org.webhooks.worker;

import org.webhooks.client.AttemptResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.RetrySchedule;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * Decides what follows a failed attempt, after the Standard Webhooks recommendations and DESIGN
 * "Retry schedule":
 *
 * <ul>
 *   <li>HTTP errors (3xx, 4xx, 5xx), timeouts and connection errors (name resolution, connect, TLS)
 *       are retried after the schedule's delay for the next attempt, while the schedule lasts;</li>
 *   <li>{@code 410 Gone} disables the subscription: the endpoint says it is gone for good;</li>
 *   <li>{@code 429} and {@code 503} with a {@code Retry-After} wait in the first tier at or beyond
 *       it (the longest tier if none is); it never shortens the schedule's own delay, and it still
 *       counts as one retry;</li>
 *   <li>a request refused by the target policy (BLOCKED) or that could not be built (OTHER) is not
 *       retried: the same request would be refused again, so it is dead-lettered at once.</li>
 * </ul>
 */
final class RetryPlanner {

  private final RetrySchedule schedule;

  RetryPlanner(RetrySchedule schedule) {
    this.schedule = schedule;
  }

  /**
   * @param task the task whose attempt failed ({@code attempt} is that attempt's number)
   * @param result the failed attempt's result
   * @param now when the result arrived
   * @return the next step
   */
  RetryPlan afterFailure(DeliveryTask task, AttemptResult result, Instant now) {
    Integer status = result.statusCode();
    if (status != null && status == 410) {
      return new RetryPlan.Disable("the endpoint answered 410 Gone");
    }
    if (result.outcome() == AttemptOutcome.BLOCKED || result.outcome() == AttemptOutcome.OTHER) {
      return new RetryPlan.Exhausted("not retried: " + result.outcome().name().toLowerCase(java.util.Locale.ROOT)
          + " requests would be refused again");
    }
    Optional<Duration> delay = schedule.delayBefore(task.getAttempt() + 1);
    if (delay.isEmpty()) {
      return new RetryPlan.Exhausted("no attempt left after attempt " + task.getAttempt() + " of "
          + schedule.maxAttempts());
    }
    Duration tier = delay.get();
    String reason = "schedule";
    if (status != null && (status == 429 || status == 503)) {
      Optional<Duration> asked = RetryAfter.parse(result.retryAfter(), now);
      if (asked.isPresent()) {
        Duration askedTier = schedule.tierAtOrBeyond(asked.get()).orElse(tier);
        if (askedTier.compareTo(tier) > 0) {
          tier = askedTier;
          reason = "Retry-After " + Durations.format(asked.get());
        }
      }
    }
    return new RetryPlan.Retry(tier, now.plus(tier), reason);
  }
}
