package org.webhooks.stats;

import org.webhooks.schemas.avro.DeliveryAttempt;

/**
 * One {@code webhook-attempts} record, decoded, with the bytes it came in (which the attempt indexes
 * keep as they are).
 *
 * @param attempt the decoded attempt
 * @param raw the record value: Avro in the Confluent wire format
 */
record DecodedAttempt(DeliveryAttempt attempt, byte[] raw) {}
