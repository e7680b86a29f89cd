package org.webhooks.worker;

import org.webhooks.client.AttemptResult;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.UndecodableRecords;

/** Builds the records the worker writes: attempts, retried tasks and dead letters. */
final class AttemptRecords {

  private AttemptRecords() {}

  /**
   * @param task the task attempted
   * @param url the URL requested, or "" when the subscription was not found
   * @param startedAt when the attempt started
   * @param result how it went
   * @param isFinal true when no further attempt follows
   * @return the {@code webhook-attempts} record of a final attempt
   */
  static DeliveryAttempt attempt(
      DeliveryTask task, String url, Instant startedAt, AttemptResult result, boolean isFinal) {
    return attempt(task, url, startedAt, result, isFinal, null, null);
  }

  /**
   * @param nextAttemptAt when the next attempt is due, or null when none follows
   * @param retryTopic where the next attempt waits, or null when none follows
   * @return the {@code webhook-attempts} record
   */
  static DeliveryAttempt attempt(DeliveryTask task, String url, Instant startedAt, AttemptResult result,
      boolean isFinal, Instant nextAttemptAt, String retryTopic) {
    return attempt(task, url, startedAt, result, isFinal, nextAttemptAt, retryTopic, null);
  }

  /**
   * @param signature the {@code webhook-signature} header of the request sent, or null when none was built
   * @return the {@code webhook-attempts} record of an attempt whose request was signed
   */
  static DeliveryAttempt attempt(DeliveryTask task, String url, Instant startedAt, AttemptResult result,
      boolean isFinal, Instant nextAttemptAt, String retryTopic, String signature) {
    return DeliveryAttempt.newBuilder()
        .setAttemptId(newAttemptId())
        .setDeliveryId(task.getDeliveryId())
        .setSubscriptionId(task.getSubscriptionId())
        .setAccountId(task.getAccountId())
        .setEventId(task.getEventId())
        .setEventType(task.getEventType())
        .setUrl(url)
        .setAttempt(task.getAttempt())
        .setStartedAt(startedAt)
        .setLatencyMs(result.latencyMs())
        .setEventPublishedAt(task.getEventPublishedAt())
        .setOutcome(result.outcome())
        .setStatusCode(result.statusCode())
        .setError(result.error())
        .setResponseExcerpt(result.responseExcerpt())
        .setFinal$(isFinal)
        .setNextAttemptAt(nextAttemptAt)
        .setRetryTopic(retryTopic)
        .setWebhookSignature(signature)
        .build();
  }

  /**
   * @return a random (version 4) UUID. Attempt ids need to be unique, not unguessable, so they come
   *     from {@link ThreadLocalRandom} rather than {@link UUID#randomUUID()}, whose secure random
   *     source is shared by every thread behind a lock and costs a system call's worth per id.
   */
  static String newAttemptId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long msb = random.nextLong() & ~0xF000L | 0x4000L;
    long lsb = random.nextLong() & 0x3FFFFFFFFFFFFFFFL | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  /**
   * @return the task of the attempt after {@code task}'s: the same delivery id, event id and body
   *     bytes, the attempt number one up, due at {@code dueAt}, with the failure it follows
   */
  static DeliveryTask retry(DeliveryTask task, Instant startedAt, AttemptResult result, Instant dueAt) {
    return DeliveryTask.newBuilder(task)
        .setAttempt(task.getAttempt() + 1)
        .setDueAt(dueAt)
        .setFirstAttemptAt(task.getFirstAttemptAt() != null ? task.getFirstAttemptAt() : startedAt)
        .setLastStatus(result.statusCode())
        .setLastError(result.error())
        .build();
  }

  /** @return {@code task} unchanged but for its due time: parked, its attempt not made. */
  static DeliveryTask parked(DeliveryTask task, Instant dueAt) {
    return DeliveryTask.newBuilder(task).setDueAt(dueAt).build();
  }

  /**
   * @return the {@code webhook-dead-letters} record of a task that has no attempt left: kind
   *     EXHAUSTED, the task as received, the attempts made so far (this one included)
   */
  static DeadLetter exhausted(DeliveryTask task, Instant startedAt, AttemptResult result, String reason,
      Instant now) {
    return DeadLetter.newBuilder()
        .setKind(DeadLetterKind.EXHAUSTED)
        .setReason(reason + ": " + result.outcome()
            + (result.error() == null ? "" : " (" + result.error() + ")"))
        .setDeadLetteredAt(now)
        .setTask(task)
        .setAttempts(task.getAttempt())
        .setFirstAttemptAt(task.getFirstAttemptAt() != null ? task.getFirstAttemptAt() : startedAt)
        .setLastAttemptAt(startedAt)
        .setLastStatus(result.statusCode())
        .setLastError(result.error())
        .build();
  }

  /**
   * @return the {@code webhook-dead-letters} record of a task parked by an open circuit for longer
   *     than it may wait: kind EXHAUSTED, the task as received, the attempts made before it was
   *     parked ({@code attempt} names the one it was still to make), with their status and error
   */
  static DeadLetter expired(DeliveryTask task, String reason, Instant now) {
    return DeadLetter.newBuilder()
        .setKind(DeadLetterKind.EXHAUSTED)
        .setReason(reason)
        .setDeadLetteredAt(now)
        .setTask(task)
        .setAttempts(task.getAttempt() - 1)
        .setFirstAttemptAt(task.getFirstAttemptAt())
        .setLastAttemptAt(null)
        .setLastStatus(task.getLastStatus())
        .setLastError(task.getLastError())
        .build();
  }

  /**
   * @return the {@code webhook-dead-letters} record of a delivery record that cannot be read: kind
   *     UNDECODABLE, its raw bytes and where it was
   */
  static DeadLetter undecodable(
      String topic, int partition, long offset, byte[] key, byte[] value, String reason, Instant now) {
    return UndecodableRecords.deadLetter(topic, partition, offset, key, value, reason, now);
  }
}
