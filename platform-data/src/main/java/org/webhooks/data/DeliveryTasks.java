package org.webhooks.data;

import java.nio.ByteBuffer;
import java.time.Instant;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * The first task of a delivery: what the fanout writes for each match, and what a replay, a recovery or
 * a resend writes again. Its delivery id is {@link DeliveryIds#of} the subscription and the event, and
 * its event id is the {@code webhook-id}, so a delivery made again is the same delivery to the receiver.
 */
public final class DeliveryTasks {

  private DeliveryTasks() {}

  /**
   * @param subscriptionId the endpoint
   * @param accountId the event's account
   * @param eventId the event's id (its {@code webhook-id})
   * @param eventType its wire type
   * @param callId its call ("" for an operational event)
   * @param body the rendered body; wrapped, not copied (tasks of one event share the array)
   * @param publishedAt the Kafka timestamp of the event's record
   * @param now when the task is made; it is due then
   * @return attempt 1, due at {@code now}
   */
  public static DeliveryTask first(String subscriptionId, String accountId, String eventId, String eventType,
      String callId, byte[] body, Instant publishedAt, Instant now) {
    return DeliveryTask.newBuilder()
        .setDeliveryId(DeliveryIds.of(subscriptionId, eventId))
        .setSubscriptionId(subscriptionId)
        .setAccountId(accountId)
        .setEventId(eventId)
        .setEventType(eventType)
        .setCallId(callId)
        .setBody(ByteBuffer.wrap(body))
        .setAttempt(1)
        .setEventPublishedAt(publishedAt)
        .setCreatedAt(now)
        .setDueAt(now)
        .setTest(false)
        .build();
  }
}
