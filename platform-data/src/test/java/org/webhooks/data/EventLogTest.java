package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;

/**
 * Reading {@code call-events} back by publish time, on the real broker and registry: on a topic whose
 * records keep their producers' timestamps, a record stamped ahead must not hide the records after it;
 * on the topic the platform creates, the broker stamps every record.
 */
class EventLogTest {

  // in the past, so that a record stamped 30 minutes later is still within what the broker accepts
  private static final Instant T0 = Instant.now().minus(20, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);

  @Test
  void anEventAfterARecordStampedAheadIsFoundByItsPublishTime() throws Exception {
    WebhooksConfig config = CallEventRecords.producerStampedTopics();
    CallEventRecords.publish(config, List.of(
        CallEventRecords.stamped("evt_1", T0),
        CallEventRecords.stamped("evt_ahead", T0.plus(30, ChronoUnit.MINUTES)),
        CallEventRecords.stamped("evt_2", T0.plusSeconds(1))));

    EventLog.EventRef ref = new EventLog.EventRef("evt_2", "call.completed", T0.plusSeconds(1));
    try (EventLog log = new EventLog(config)) {
      Map<EventLog.EventRef, EventLog.LoggedEvent> found = log.find(List.of(ref));
      assertThat(found).containsKey(ref);
      assertThat(found.get(ref).publishedAt()).isEqualTo(T0.plusSeconds(1));
    }
  }

  @Test
  void onTheTopicThePlatformCreatesARecordIsStampedWithItsPublishTimeAndFoundByIt() throws Exception {
    WebhooksConfig config = CallEventRecords.platformTopics();
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    // a producer whose clock is a day behind, or that sets the event's own time
    RecordMetadata sent = CallEventRecords.publish(config,
        List.of(CallEventRecords.stamped("evt_late_clock", before.minus(1, ChronoUnit.DAYS)))).get(0);
    Instant publishedAt = Instant.ofEpochMilli(sent.timestamp());
    assertThat(publishedAt).isAfterOrEqualTo(before);

    EventLog.EventRef ref = new EventLog.EventRef("evt_late_clock", "call.completed", publishedAt);
    try (EventLog log = new EventLog(config)) {
      assertThat(log.find(List.of(ref))).containsKey(ref);
      List<String> read = new ArrayList<>();
      log.scanCallEvents(before, Instant.now(), null, log.endOffsets(), 100, e -> read.add(e.eventId()));
      assertThat(read).containsExactly("evt_late_clock");
    }
  }

  @Test
  void aRangeReadGoesOnPastARecordStampedAheadAndLeavesItOut() throws Exception {
    WebhooksConfig config = CallEventRecords.producerStampedTopics();
    CallEventRecords.publish(config, List.of(
        CallEventRecords.stamped("evt_1", T0),
        CallEventRecords.stamped("evt_ahead", T0.plus(30, ChronoUnit.MINUTES)),
        CallEventRecords.stamped("evt_2", T0.plusSeconds(1)),
        CallEventRecords.stamped("evt_3", T0.plusSeconds(2)),
        CallEventRecords.stamped("evt_after_range", T0.plusSeconds(60))));

    try (EventLog log = new EventLog(config)) {
      List<String> read = new ArrayList<>();
      EventLog.ScanResult scan = log.scanCallEvents(T0, T0.plusSeconds(5), null, log.endOffsets(), 100,
          e -> read.add(e.eventId()));
      assertThat(read).containsExactly("evt_1", "evt_2", "evt_3");
      assertThat(scan.complete()).isTrue();
      assertThat(scan.recordsRead()).isEqualTo(5);
    }
  }

  @Test
  void aRangeReadLeavesAPartitionAfterARunOfLaterRecords() throws Exception {
    WebhooksConfig config = CallEventRecords.producerStampedTopics();
    List<ProducerRecord<String, CallEvent>> records = new ArrayList<>();
    records.add(CallEventRecords.stamped("evt_1", T0));
    Instant later = T0.plusSeconds(5).plus(EventLog.LOOKUP_SLACK).plusSeconds(1);
    for (int i = 0; i < EventLog.LATER_RUN; i++) {
      records.add(CallEventRecords.stamped("evt_later_" + i, later));
    }
    records.add(CallEventRecords.stamped("evt_in_range_but_past_the_run", T0.plusSeconds(2)));
    CallEventRecords.publish(config, records);

    try (EventLog log = new EventLog(config)) {
      Map<Integer, Long> ends = log.endOffsets();
      List<String> read = new ArrayList<>();
      EventLog.ScanResult scan = log.scanCallEvents(T0, T0.plusSeconds(5), null, ends, 10_000,
          e -> read.add(e.eventId()));
      assertThat(read).containsExactly("evt_1");
      // the first record and the run, not the record after it
      assertThat(scan.recordsRead()).isEqualTo(1 + EventLog.LATER_RUN);
      assertThat(scan.complete()).isTrue();
      assertThat(scan.next()).isEqualTo(ends);
    }
  }
}
