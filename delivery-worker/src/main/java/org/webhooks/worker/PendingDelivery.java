package org.webhooks.worker;

import java.nio.ByteBuffer;
import org.apache.kafka.common.TopicPartition;
import org.webhooks.schemas.avro.DeliveryTask;

/**
 * A task received from {@code webhook-deliveries} whose outcome is not written yet, with where it
 * came from. Touched by the worker's owner thread only.
 */
final class PendingDelivery {

  final TopicPartition partition;
  final long offset;
  final DeliveryTask task;
  final byte[] body;
  /** The subscription was missing and the view has since caught up past this task's arrival. */
  boolean viewCaughtUp;
  /** Its partition went to another instance (or was rewound): its outcome must not be written. */
  boolean abandoned;
  /** It was sent as its endpoint's circuit probe. */
  boolean probe;
  /** The {@code webhook-signature} header of the request sent, kept on its attempt record; null until signed. */
  String signature;

  PendingDelivery(TopicPartition partition, long offset, DeliveryTask task) {
    this.partition = partition;
    this.offset = offset;
    this.task = task;
    ByteBuffer b = task.getBody().duplicate();
    this.body = new byte[b.remaining()];
    b.get(body);
  }

  String subscriptionId() {
    return task.getSubscriptionId();
  }
}
