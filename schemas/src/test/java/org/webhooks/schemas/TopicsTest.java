package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.avro.CallEvent;
import org.webhooks.schemas.avro.DeliveryTask;

/** Topic names: the prefix, one retry topic per distinct delay, the value subject. */
class TopicsTest {

  @Test
  void names_carry_the_prefix_and_one_retry_topic_per_tier() {
    Topics topics = WebhooksConfig.defaults().with(Setting.TOPIC_PREFIX, "t1-").topics();

    assertThat(topics.callEvents().name()).isEqualTo("t1-call-events");
    assertThat(topics.callEvents().valueSubject()).isEqualTo("t1-call-events-value");
    assertThat(topics.callEvents().valueSchema()).isEqualTo(CallEvent.getClassSchema());
    assertThat(topics.retry(Duration.ofMinutes(5)).name()).isEqualTo("t1-webhook-retry-5m");
    assertThat(topics.retry(Duration.ofMinutes(5)).valueSchema()).isEqualTo(DeliveryTask.getClassSchema());
    assertThat(topics.retryTopics()).extracting(Topic::name).containsExactly(
        "t1-webhook-retry-1m", "t1-webhook-retry-5m", "t1-webhook-retry-15m",
        "t1-webhook-retry-1h", "t1-webhook-retry-2h", "t1-webhook-retry-4h", "t1-webhook-retry-8h");
    assertThat(topics.allNames()).hasSize(16).doesNotHaveDuplicates()
        .contains("t1-call-events", "t1-webhook-subscriptions", "t1-webhook-deliveries", "t1-webhook-attempts",
            "t1-webhook-dead-letters", "t1-webhook-operational-events", "t1-webhook-match-verdicts", "t1-webhook-api-keys",
            "t1-webhook-idempotency-keys");
  }

  @Test
  void a_retry_topic_of_the_prefix_names_its_tier_whatever_the_schedule() {
    Topics topics = WebhooksConfig.defaults().with(Setting.TOPIC_PREFIX, "t1-").with(Setting.RETRY_SCHEDULE, "1m")
        .topics();

    assertThat(topics.tierOf("t1-webhook-retry-1m")).contains(Duration.ofMinutes(1));
    assertThat(topics.tierOf("t1-webhook-retry-2h")).contains(Duration.ofHours(2));
    assertThat(topics.tierOf("t1-webhook-retry-1500ms")).contains(Duration.ofMillis(1500));
    assertThat(topics.tierOf("t2-webhook-retry-1m")).as("another prefix").isEmpty();
    assertThat(topics.tierOf("webhook-retry-1m")).as("no prefix").isEmpty();
    assertThat(topics.tierOf("t1-webhook-retry-60m")).as("not as the platform names it").isEmpty();
    assertThat(topics.tierOf("t1-webhook-retry-0s")).isEmpty();
    assertThat(topics.tierOf("t1-webhook-retry-soon")).isEmpty();
    assertThat(topics.tierOf("t1-webhook-deliveries")).isEmpty();
  }

  @Test
  void a_zero_delay_retry_goes_back_to_the_deliveries_topic() {
    Topics topics = WebhooksConfig.defaults().topics();

    assertThat(topics.tierTopic(Duration.ZERO)).isEqualTo(topics.deliveries());
    assertThat(topics.tierTopic(Duration.ofMinutes(1)).name()).isEqualTo("webhook-retry-1m");
  }

  @Test
  void second_scale_schedules_name_their_own_topics() {
    Topics topics = WebhooksConfig.defaults().with(Setting.RETRY_SCHEDULE, "1s,2s,2s,1500ms").topics();

    assertThat(topics.retryTopics()).extracting(Topic::name)
        .containsExactly("webhook-retry-1s", "webhook-retry-1500ms", "webhook-retry-2s");
  }
}
