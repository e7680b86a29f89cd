package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.Receiver;

/** {@code WEBHOOKS_WORKER_LOOPS}: several owner loops in one worker, each a member of the group of its own. */
class WorkerLoopsTest {

  @Test
  void twoLoopsShareThePartitionsAsTwoStaticMembersAndDeliverEverythingOnce() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.WORKER_LOOPS, "2", Setting.PARTITIONS, "4"));
        Receiver receiver = Receiver.start(new AtomicLong())) {
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());
      assertThat(worker.metrics().loopCount()).isEqualTo(2);

      String group = f.config().topicPrefix() + DeliveryWorker.NAME;
      try (Admin admin = Admin.create(KafkaClients.common(f.config()))) {
        // the worker is ready once a loop has joined; the group settles when the second one has too,
        // so the assignment is read until it is that of both
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
          ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
          assertThat(description.members()).extracting(m -> m.groupInstanceId().orElse(""))
              .containsExactlyInAnyOrder("w1", "w1-1");
          // each loop holds partitions of its own: together all four, none twice
          List<Integer> partitions = description.members().stream()
              .flatMap(m -> m.assignment().topicPartitions().stream()).map(tp -> tp.partition()).toList();
          assertThat(partitions).containsExactlyInAnyOrder(0, 1, 2, 3);
          assertThat(description.members()).allMatch(m -> !m.assignment().topicPartitions().isEmpty());
        });
      }

      List<DeliveryTask> tasks = new ArrayList<>();
      for (int s = 0; s < 8; s++) {
        Subscription sub = f.subscribe(receiver.url("/loop/" + s));
        for (int i = 0; i < 5; i++) {
          tasks.add(f.deliver(sub));
        }
      }
      await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(f.attempts()).hasSize(tasks.size()));
      List<DeliveryAttempt> attempts = f.attempts();
      assertThat(attempts).allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED);
      assertThat(attempts).extracting(DeliveryAttempt::getDeliveryId)
          .containsExactlyInAnyOrderElementsOf(tasks.stream().map(DeliveryTask::getDeliveryId).toList());
      Set<String> received = receiver.received().stream()
          .map(r -> r.path() + " " + r.header("webhook-id")).collect(Collectors.toSet());
      assertThat(received).hasSize(tasks.size());
      assertThat(worker.metrics().attempts(AttemptOutcome.SUCCEEDED)).isEqualTo(tasks.size());
    }
  }
}
