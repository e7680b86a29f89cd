package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.Subscription;

/**
 * A replay over {@code call-events} in pages, on the real broker and registry: each page's cursor goes
 * on with the range as the caller gives it again, and a cursor that names offsets the topic does not
 * have is refused rather than read for ever.
 */
class ReplayTest {

  private static final Instant T0 = Instant.now().minus(10, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.SECONDS);

  @Test
  void aRangeGivenInFinerUnitsThanMillisecondsGoesOnPageByPage() throws Exception {
    WebhooksConfig config = withFiveEvents();
    // as `--since 30m` resolves it: nanoseconds
    Instant since = T0.minusNanos(500_123);
    try (Redeliveries redeliveries = new Redeliveries(config, "replay-test", Clock.systemUTC())) {
      List<Redeliveries.Replay> pages = replayAll(redeliveries, since, null);
      assertThat(pages).hasSize(3);
      assertThat(pages.stream().mapToLong(Redeliveries.Replay::delivered).sum()).isEqualTo(5);
      assertThat(pages.get(0).since()).isEqualTo(since.truncatedTo(ChronoUnit.MILLIS));
      assertThat(pages.get(0).until()).isEqualTo(pages.get(2).until());
    }
  }

  @Test
  void anUntilInTheFutureGivenAgainGoesOnWithTheRangeTheFirstPageEnded() throws Exception {
    WebhooksConfig config = withFiveEvents();
    Instant until = Instant.now().plus(1, ChronoUnit.HOURS);
    try (Redeliveries redeliveries = new Redeliveries(config, "replay-test", Clock.systemUTC())) {
      List<Redeliveries.Replay> pages = replayAll(redeliveries, T0, until);
      assertThat(pages.stream().mapToLong(Redeliveries.Replay::delivered).sum()).isEqualTo(5);
      assertThat(pages.get(0).until()).isBefore(until);
    }
  }

  @Test
  void aCursorPastThePartitionsEndOrOfAnotherPartitionIsRefused() throws Exception {
    WebhooksConfig config = withFiveEvents();
    try (Redeliveries redeliveries = new Redeliveries(config, "replay-test", Clock.systemUTC())) {
      String pastTheEnd = cursor("0=0/999999999,");
      assertThatThrownBy(() -> redeliveries.replay(subscription(), T0, T0.plusSeconds(60), pastTheEnd, 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("cursor: ")
          .hasMessageContaining("partition 0 ends at offset 5");
      String otherPartition = cursor("0=0/5,7=0/3,");
      assertThatThrownBy(() -> redeliveries.replay(subscription(), T0, T0.plusSeconds(60), otherPartition, 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("it has no partition 7");
      String nextPastEnd = cursor("0=4/3,");
      assertThatThrownBy(() -> redeliveries.replay(subscription(), T0, T0.plusSeconds(60), nextPastEnd, 2))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("partition 0's next offset 4 is not within 0..3");
      // a cursor within the topic is read
      Redeliveries.Replay r = redeliveries.replay(subscription(), T0, T0.plusSeconds(60), cursor("0=3/5,"), 10);
      assertThat(r.delivered()).isEqualTo(2);
      assertThat(r.complete()).isTrue();
    }
  }

  // ---- helpers

  private static WebhooksConfig withFiveEvents() throws Exception {
    WebhooksConfig config = CallEventRecords.producerStampedTopics();
    List<ProducerRecord<String, CallEvent>> records = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      records.add(CallEventRecords.stamped("evt_" + i, T0.plusSeconds(i)));
    }
    CallEventRecords.publish(config, records);
    return config;
  }

  /** @return every page of the replay of [since, until], two records a page, the range given again on each */
  private static List<Redeliveries.Replay> replayAll(Redeliveries redeliveries, Instant since, Instant until) {
    Subscription s = subscription();
    List<Redeliveries.Replay> pages = new ArrayList<>();
    String cursor = null;
    do {
      Redeliveries.Replay page = redeliveries.replay(s, since, until, cursor, 2);
      pages.add(page);
      cursor = page.nextCursor();
    } while (cursor != null);
    return pages;
  }

  /** @return a cursor of the range [T0, T0 + 60 s] with these offsets ({@code partition=next/end,...}) */
  private static String cursor(String offsets) {
    String text = "r1:" + T0.toEpochMilli() + ":" + T0.plusSeconds(60).toEpochMilli() + ":" + offsets;
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static Subscription subscription() {
    return SubscriptionRules.newSubscription("acct_1", "https://hooks.example.com/in", List.of("call.completed"),
        WebhookSecret.generate(), null, TargetPolicy.parse(""), T0.plus(1, ChronoUnit.DAYS));
  }
}
