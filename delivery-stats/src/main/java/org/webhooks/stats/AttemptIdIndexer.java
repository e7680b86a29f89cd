package org.webhooks.stats;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.webhooks.schemas.avro.DeliveryAttempt;

/**
 * Records where each attempt is, by its id: {@code account|attempt_id} at the attempt's start -> its
 * subscription id, so that the attempt is found in the subscription index of the same task (which
 * holds the record itself) without keeping the record twice. Attempt ids are unique, so a put read
 * again after a restart writes the same entry.
 */
final class AttemptIdIndexer implements Processor<String, DecodedAttempt, Void, Void> {

  private WindowStore<String, byte[]> store;

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(StatsStores.ATTEMPTS_BY_ID);
  }

  @Override
  public void process(Record<String, DecodedAttempt> record) {
    DeliveryAttempt a = record.value().attempt();
    store.put(StatsKeys.of(a.getAccountId(), a.getAttemptId()), a.getSubscriptionId().getBytes(StandardCharsets.UTF_8),
        a.getStartedAt().toEpochMilli());
  }
}
