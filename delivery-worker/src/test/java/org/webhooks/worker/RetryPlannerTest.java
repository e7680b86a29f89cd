package org.webhooks.worker;

import org.webhooks.client.AttemptResult;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.RetrySchedule;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryTask;

/** What follows each kind of failure, and how {@code Retry-After} is read. */
class RetryPlannerTest {

  private static final Instant NOW = Instant.parse("2026-01-01T10:00:00Z");
  private final RetryPlanner planner = new RetryPlanner(RetrySchedule.parse("0s,1m,5m,15m,1h,2h,4h,8h,8h"));

  @Test
  void eachAttemptWaitsTheScheduledDelayAndTheTenthIsTheLast() {
    assertThat(retry(1, http(500))).isEqualTo(Duration.ZERO);
    assertThat(retry(2, http(500))).isEqualTo(Duration.ofMinutes(1));
    assertThat(retry(9, http(500))).isEqualTo(Duration.ofHours(8));
    assertThat(planner.afterFailure(task(10), http(500), NOW)).isInstanceOf(RetryPlan.Exhausted.class);
  }

  @Test
  void everyKindOfTransportFailureIsRetried() {
    for (AttemptOutcome o : new AttemptOutcome[] {AttemptOutcome.TIMEOUT, AttemptOutcome.CONNECTION_ERROR}) {
      assertThat(planner.afterFailure(task(2), new AttemptResult(o, null, 5, "x", null), NOW))
          .as("%s", o).isInstanceOf(RetryPlan.Retry.class);
    }
    for (int status : new int[] {302, 400, 401, 404, 429, 500, 502, 503}) {
      assertThat(planner.afterFailure(task(2), http(status), NOW)).as("%s", status).isInstanceOf(RetryPlan.Retry.class);
    }
  }

  @Test
  void goneDisablesAndRefusedRequestsAreNotRetried() {
    assertThat(planner.afterFailure(task(1), http(410), NOW)).isInstanceOf(RetryPlan.Disable.class);
    assertThat(planner.afterFailure(task(1), AttemptResult.notSent(AttemptOutcome.BLOCKED, "private"), NOW))
        .isInstanceOf(RetryPlan.Exhausted.class);
    assertThat(planner.afterFailure(task(1), AttemptResult.notSent(AttemptOutcome.OTHER, "no secret"), NOW))
        .isInstanceOf(RetryPlan.Exhausted.class);
  }

  @Test
  void retryAfterMovesTheRetryToTheFirstTierAtOrBeyondItOnlyFor429And503() {
    assertThat(retry(2, withRetryAfter(429, "120"))).isEqualTo(Duration.ofMinutes(5));
    assertThat(retry(2, withRetryAfter(503, "300"))).isEqualTo(Duration.ofMinutes(5));
    String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.plus(Duration.ofMinutes(20)).atOffset(ZoneOffset.UTC));
    assertThat(retry(2, withRetryAfter(503, date))).isEqualTo(Duration.ofHours(1));
    // beyond every tier: the longest
    assertThat(retry(2, withRetryAfter(429, "999999"))).isEqualTo(Duration.ofHours(8));
    // shorter than the schedule's delay: the schedule stands
    assertThat(retry(5, withRetryAfter(429, "10"))).isEqualTo(Duration.ofHours(1));
    // another status, a date in the past, or garbage: the schedule stands
    assertThat(retry(2, withRetryAfter(500, "3600"))).isEqualTo(Duration.ofMinutes(1));
    String past = DateTimeFormatter.RFC_1123_DATE_TIME.format(NOW.minusSeconds(60).atOffset(ZoneOffset.UTC));
    assertThat(retry(2, withRetryAfter(429, past))).isEqualTo(Duration.ofMinutes(1));
    assertThat(retry(2, withRetryAfter(429, "soon"))).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void aRetryAfterRetryStillUsesOneAttempt() {
    RetryPlan.Retry r = (RetryPlan.Retry) planner.afterFailure(task(9), withRetryAfter(429, "99999"), NOW);
    assertThat(r.dueAt()).isEqualTo(NOW.plus(Duration.ofHours(8)));
    assertThat(planner.afterFailure(task(10), withRetryAfter(429, "1"), NOW)).isInstanceOf(RetryPlan.Exhausted.class);
  }

  private Duration retry(int attempt, AttemptResult result) {
    RetryPlan plan = planner.afterFailure(task(attempt), result, NOW);
    assertThat(plan).isInstanceOf(RetryPlan.Retry.class);
    RetryPlan.Retry r = (RetryPlan.Retry) plan;
    assertThat(r.dueAt()).isEqualTo(NOW.plus(r.tier()));
    return r.tier();
  }

  private static AttemptResult http(int status) {
    return new AttemptResult(AttemptOutcome.HTTP_ERROR, status, 3, "HTTP " + status, null);
  }

  private static AttemptResult withRetryAfter(int status, String header) {
    return new AttemptResult(AttemptOutcome.HTTP_ERROR, status, 3, "HTTP " + status, null, header);
  }

  private static DeliveryTask task(int attempt) {
    return DeliveryTask.newBuilder().setDeliveryId("d").setSubscriptionId("s").setAccountId("a").setEventId("e")
        .setEventType("call.completed").setCallId("c").setBody(ByteBuffer.wrap(new byte[] {'{', '}'}))
        .setAttempt(attempt).setEventPublishedAt(NOW).setCreatedAt(NOW).setDueAt(NOW).build();
  }
}
