package org.webhooks.worker;

import org.webhooks.testing.Receiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeadLetterKind;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;

/** One task in, one attempt record out: each outcome against a real receiver and a real broker. */
class DeliveryOutcomesTest {

  private static final Duration WAIT = Duration.ofSeconds(30);
  private final AtomicLong sequence = new AtomicLong();

  @Test
  void successfulDeliveryPostsTheExactBodySignedAndRecordsTheAttempt() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());
      Subscription sub = f.subscribe(receiver.url("/hook"));
      long before = Instant.now().getEpochSecond();
      DeliveryTask task = f.deliver(sub);

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
      DeliveryAttempt attempt = f.attemptsOf(task).get(0);
      assertThat(attempt.getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      assertThat(attempt.getStatusCode()).isEqualTo(200);
      assertThat(attempt.getFinal$()).isTrue();
      assertThat(attempt.getUrl()).isEqualTo(receiver.url("/hook"));
      assertThat(attempt.getAttempt()).isEqualTo(1);
      assertThat(attempt.getEventId()).isEqualTo(task.getEventId());
      assertThat(attempt.getResponseExcerpt()).isEqualTo("ok");
      assertThat(attempt.getError()).isNull();

      List<Receiver.Received> got = receiver.received("/hook");
      assertThat(got).hasSize(1);
      Receiver.Received request = got.get(0);
      assertThat(request.body()).isEqualTo(WorkerFixture.bytes(task));
      assertThat(request.header("content-type")).isEqualTo("application/json");
      assertThat(request.header("user-agent")).startsWith("webhooks-delivery-worker/");
      assertThat(request.header("webhook-id")).isEqualTo(task.getEventId());
      long timestamp = Long.parseLong(request.header("webhook-timestamp"));
      assertThat(timestamp).isBetween(before, Instant.now().getEpochSecond());
      String secret = sub.getSecrets().get(0).getSecret();
      assertThat(WebhookSignature.verify(secret, request.header("webhook-id"), request.header("webhook-timestamp"),
          request.body(), request.header("webhook-signature"))).isTrue();

      assertThat(f.deadLettersOf(task)).isEmpty();
      assertThat(worker.metrics().attempts(AttemptOutcome.SUCCEEDED)).isEqualTo(1);
      assertThat(worker.metrics().attemptLatencyCount()).isEqualTo(1);
    }
  }

  @Test
  void serverErrorIsAFailedAttemptAndADeadLetter() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/fail", new Receiver.Status(500, "boom"));
      f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/fail")));

      DeliveryAttempt attempt = awaitFailure(f, task, AttemptOutcome.HTTP_ERROR);
      assertThat(attempt.getStatusCode()).isEqualTo(500);
      assertThat(attempt.getResponseExcerpt()).isEqualTo("boom");
      DeadLetter dl = f.deadLettersOf(task).get(0);
      assertThat(dl.getLastStatus()).isEqualTo(500);
      assertThat(dl.getLastError()).isEqualTo("HTTP 500");
      assertThat(receiver.received("/fail")).hasSize(1);
    }
  }

  @Test
  void redirectIsNotFollowed() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/moved", new Receiver.Redirect(receiver.url("/target")));
      f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/moved")));

      DeliveryAttempt attempt = awaitFailure(f, task, AttemptOutcome.HTTP_ERROR);
      assertThat(attempt.getStatusCode()).isEqualTo(302);
      assertThat(attempt.getError()).contains("not followed");
      // the outcome is written after the response, so a followed redirect would have arrived by now
      assertThat(receiver.received("/moved")).hasSize(1);
      assertThat(receiver.received("/target")).isEmpty();
    }
  }

  @Test
  void refusedConnectionIsAConnectionError() throws Exception {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      deadPort = s.getLocalPort();
    }
    try (WorkerFixture f = WorkerFixture.create(Map.of())) {
      f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe("http://127.0.0.1:" + deadPort + "/hook"));

      DeliveryAttempt attempt = awaitFailure(f, task, AttemptOutcome.CONNECTION_ERROR);
      assertThat(attempt.getStatusCode()).isNull();
      assertThat(attempt.getError()).containsIgnoringCase("refused");
    }
  }

  @Test
  void hungEndpointTimesOut() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.HTTP_TIMEOUT, "500ms"));
        Receiver receiver = Receiver.start(sequence)) {
      receiver.answer("/hang", new Receiver.Hold());
      f.startWorker(Clock.systemUTC());
      DeliveryTask task = f.deliver(f.subscribe(receiver.url("/hang")));

      DeliveryAttempt attempt = awaitFailure(f, task, AttemptOutcome.TIMEOUT);
      assertThat(attempt.getStatusCode()).isNull();
      assertThat(attempt.getError()).contains("500ms");
      assertThat(receiver.received("/hang")).hasSize(1);
      // the worker gave the request up: the receiver saw its connection close
      await().atMost(WAIT).until(() -> receiver.heldClosedAt().size() == 1);
    }
  }

  @Test
  void deletedOrDisabledSubscriptionIsCancelledWithoutARequest() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      Subscription deleted = f.subscribe(receiver.url("/deleted"));
      f.delete(deleted.getId());
      Subscription disabled = f.newSubscription(receiver.url("/disabled"));
      disabled.setEnabled(false);
      disabled.setDisabledReason("410 Gone");
      f.publish(disabled);
      DeliveryTask toDeleted = f.deliver(deleted);
      DeliveryTask toDisabled = f.deliver(disabled);
      // started after the writes: nothing is sent before the view has read what was there at start
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());

      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(f.attemptsOf(toDeleted)).hasSize(1);
        assertThat(f.attemptsOf(toDisabled)).hasSize(1);
      });
      DeliveryAttempt a1 = f.attemptsOf(toDeleted).get(0);
      assertThat(a1.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED);
      assertThat(a1.getFinal$()).isTrue();
      assertThat(a1.getError()).contains("does not exist");
      DeliveryAttempt a2 = f.attemptsOf(toDisabled).get(0);
      assertThat(a2.getOutcome()).isEqualTo(AttemptOutcome.CANCELLED);
      assertThat(a2.getFinal$()).isTrue();
      assertThat(a2.getError()).contains("disabled").contains("410 Gone");
      // dead letters would have been in the same transactions as the attempts
      assertThat(f.deadLetters()).isEmpty();
      assertThat(receiver.received()).isEmpty();
      assertThat(worker.metrics().attempts(AttemptOutcome.CANCELLED)).isEqualTo(2);
    }
  }

  @Test
  void privateAddressIsBlockedAndNothingIsSent() throws Exception {
    // 127.0.0.2 is loopback like 127.0.0.1 but not in WEBHOOKS_ALLOWED_TARGETS
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start("127.0.0.2", sequence)) {
      f.startWorker(Clock.systemUTC());
      // checked at save as a permitted URL; at send time it points at an address the policy refuses
      Subscription sub = f.newSubscription(receiver.url("/hook").replace("127.0.0.2", "127.0.0.1"));
      sub.setUrl(receiver.url("/hook"));
      f.publish(sub);
      DeliveryTask task = f.deliver(sub);

      DeliveryAttempt attempt = awaitFailure(f, task, AttemptOutcome.BLOCKED);
      assertThat(attempt.getStatusCode()).isNull();
      assertThat(attempt.getError()).contains("127.0.0.2");
      assertThat(receiver.received()).isEmpty();
    }
  }

  @Test
  void duringRotationBothSecretsSignAndAnExpiredOneDoesNot() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      f.startWorker(Clock.systemUTC());
      Instant now = Instant.now();
      String oldSecret = WebhookSecret.generate();
      String newSecret = WebhookSecret.generate();
      String expiredSecret = WebhookSecret.generate();
      Subscription sub = f.newSubscription(receiver.url("/hook"));
      sub.setSecrets(new ArrayList<>(List.of(
          new SigningSecret(expiredSecret, now.minusSeconds(7200), now.minusSeconds(3600)),
          new SigningSecret(oldSecret, now.minusSeconds(3600), now.plusSeconds(3600)),
          new SigningSecret(newSecret, now, null))));
      f.publish(sub);
      DeliveryTask task = f.deliver(sub);

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
      Receiver.Received request = receiver.received("/hook").get(0);
      String header = request.header("webhook-signature");
      assertThat(header.split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
      for (String secret : List.of(oldSecret, newSecret)) {
        assertThat(WebhookSignature.verify(secret, request.header("webhook-id"), request.header("webhook-timestamp"),
            request.body(), header)).isTrue();
      }
      assertThat(WebhookSignature.verify(expiredSecret, request.header("webhook-id"),
          request.header("webhook-timestamp"), request.body(), header)).isFalse();
    }
  }

  @Test
  void undecodableRecordIsDeadLetteredAndThePartitionMovesOn() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(sequence)) {
      DeliveryWorker worker = f.startWorker(Clock.systemUTC());
      Subscription sub = f.subscribe(receiver.url("/hook"));
      byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
      Properties p = KafkaClients.common(f.config());
      p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
      p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
      try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(p)) {
        raw.send(new ProducerRecord<>(f.config().topics().deliveries().name(), sub.getId(), garbage)).get();
      }
      DeliveryTask task = f.deliver(sub);

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
      assertThat(f.attemptsOf(task).get(0).getOutcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
      List<DeadLetter> dls = f.deadLetters();
      assertThat(dls).hasSize(1);
      DeadLetter dl = dls.get(0);
      assertThat(dl.getKind()).isEqualTo(DeadLetterKind.UNDECODABLE);
      assertThat(dl.getSourceTopic()).isEqualTo(f.config().topics().deliveries().name());
      assertThat(dl.getRawValue()).isEqualTo(ByteBuffer.wrap(garbage));
      assertThat(dl.getRawKey()).isEqualTo(ByteBuffer.wrap(sub.getId().getBytes(StandardCharsets.UTF_8)));
      assertThat(dl.getReason()).contains("magic byte");
      assertThat(worker.metrics().undecodableRecords()).isEqualTo(1);
    }
  }

  /** Waits for the one attempt of {@code task}, checks it failed as expected and was dead-lettered. */
  private static DeliveryAttempt awaitFailure(WorkerFixture f, DeliveryTask task, AttemptOutcome outcome) {
    await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));
    DeliveryAttempt attempt = f.attemptsOf(task).get(0);
    assertThat(attempt.getOutcome()).isEqualTo(outcome);
    assertThat(attempt.getFinal$()).isTrue();
    assertThat(attempt.getError()).isNotBlank();
    List<DeadLetter> dls = f.deadLettersOf(task);
    assertThat(dls).hasSize(1);
    DeadLetter dl = dls.get(0);
    assertThat(dl.getKind()).isEqualTo(DeadLetterKind.EXHAUSTED);
    assertThat(dl.getAttempts()).isEqualTo(1);
    assertThat(dl.getFirstAttemptAt()).isEqualTo(attempt.getStartedAt());
    assertThat(dl.getLastAttemptAt()).isEqualTo(attempt.getStartedAt());
    assertThat(dl.getLastStatus()).isEqualTo(attempt.getStatusCode());
    assertThat(dl.getLastError()).isEqualTo(attempt.getError());
    assertThat(dl.getTask().getDeliveryId()).isEqualTo(task.getDeliveryId());
    return attempt;
  }
}
