package org.webhooks.worker;

import java.time.Duration;
import java.time.Instant;

/** What follows a failed attempt, as {@link RetryPlanner} decides it. */
sealed interface RetryPlan {

  /**
   * Another attempt, {@code tier} from now.
   *
   * @param tier the retry tier whose topic the task waits in (zero: straight back to deliveries)
   * @param dueAt when the next attempt is due
   * @param reason why this tier, for the log: the schedule's delay, or a {@code Retry-After}
   */
  record Retry(Duration tier, Instant dueAt, String reason) implements RetryPlan {}

  /** No attempt is left: dead-letter the task. */
  record Exhausted(String reason) implements RetryPlan {}

  /** The endpoint asked to be removed (410 Gone): disable the subscription, end the task. */
  record Disable(String reason) implements RetryPlan {}
}
