package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.webhooks.data.SubscriptionCodec;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.testing.MutableClock;
import org.webhooks.testing.Receiver;

/**
 * The secrets a worker signs with: every secret in force at the worker's clock signs (Standard
 * Webhooks: space-separated {@code v1,} signatures), an expired one never; and a subscription whose
 * secrets this worker cannot decrypt is not sent.
 */
class SigningSecretsTest {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Test
  void twoSecretsInForceBothSignAndAfterTheOldOneExpiresOnlyTheNewOneDoes() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(new AtomicLong())) {
      // the clock the worker signs by; tasks are due at the wall-clock time they are written, before it
      MutableClock clock = new MutableClock(Instant.now().plusSeconds(60));
      Instant expiry = clock.instant().plus(Duration.ofHours(24));
      f.startWorker(clock);
      String oldSecret = WebhookSecret.generate();
      String newSecret = WebhookSecret.generate();
      Subscription sub = f.newSubscription(receiver.url("/hook"));
      sub.setSecrets(new ArrayList<>(List.of(
          new SigningSecret(oldSecret, clock.instant().minusSeconds(3600), expiry),
          new SigningSecret(newSecret, clock.instant(), null))));
      f.publish(sub);

      DeliveryTask during = f.deliver(sub);
      await().atMost(WAIT).until(() -> receiver.received("/hook").size() == 1);
      Receiver.Received first = receiver.received("/hook").get(0);
      assertThat(first.header("webhook-timestamp")).isEqualTo(Long.toString(clock.instant().getEpochSecond()));
      assertThat(first.header("webhook-signature").split(" ")).hasSize(2).allMatch(s -> s.startsWith("v1,"));
      assertThat(verifies(oldSecret, first)).isTrue();
      assertThat(verifies(newSecret, first)).isTrue();

      clock.advance(Duration.ofHours(24));
      DeliveryTask after = f.deliver(sub);
      await().atMost(WAIT).until(() -> receiver.received("/hook").size() == 2);
      Receiver.Received second = receiver.received("/hook").get(1);
      assertThat(second.header("webhook-id")).isEqualTo(after.getEventId());
      assertThat(second.header("webhook-timestamp")).isEqualTo(Long.toString(expiry.getEpochSecond()));
      assertThat(second.header("webhook-signature").split(" ")).hasSize(1);
      assertThat(verifies(newSecret, second)).isTrue();
      assertThat(verifies(oldSecret, second)).isFalse();

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attempts()).hasSize(2)
          .allMatch(a -> a.getOutcome() == AttemptOutcome.SUCCEEDED));
      assertThat(f.attemptsOf(during)).hasSize(1);
      // each attempt keeps the signature header it sent: both secrets' during the rotation, then one
      assertThat(f.attemptsOf(during).get(0).getWebhookSignature()).isEqualTo(first.header("webhook-signature"));
      assertThat(f.attemptsOf(after).get(0).getWebhookSignature()).isEqualTo(second.header("webhook-signature"));
    }
  }

  @Test
  void aSubscriptionEncryptedWithAKeyTheWorkerLacksIsDeadLetteredWithTheReasonAndNothingIsSent() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of()); Receiver receiver = Receiver.start(new AtomicLong())) {
      f.startWorker(java.time.Clock.systemUTC());
      byte[] other = new byte[32];
      Arrays.fill(other, (byte) 42);
      SubscriptionCodec foreign = new SubscriptionCodec(
          f.config().with(Setting.SECRETS_KEY, Base64.getEncoder().encodeToString(other)));
      Subscription sub = f.newSubscription(receiver.url("/hook"));
      String topic = f.topics().subscriptions().name();
      try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(KafkaClients.common(f.config()),
          new StringSerializer(), new ByteArraySerializer())) {
        producer.send(new ProducerRecord<>(topic, sub.getId(), foreign.encode(topic, sub))).get();
      }
      DeliveryTask task = f.deliver(sub);

      await().atMost(WAIT).untilAsserted(() -> assertThat(f.deadLettersOf(task)).hasSize(1));
      DeadLetter letter = f.deadLettersOf(task).get(0);
      assertThat(letter.getLastError()).contains("the record of subscription " + sub.getId() + " cannot be read")
          .contains("is encrypted with key " + foreign.cipher().currentKeyId());
      DeliveryAttempt attempt = f.attemptsOf(task).get(0);
      assertThat(attempt.getOutcome()).isEqualTo(AttemptOutcome.OTHER);
      assertThat(attempt.getFinal$()).isTrue();
      assertThat(attempt.getWebhookSignature()).isNull();
      assertThat(receiver.received()).isEmpty();
    }
  }

  @Test
  void theSubscriptionAWorkerWritesBackAfterA410HoldsNoSecretInClear() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of(Setting.PARTITIONS, "1"));
        Receiver receiver = Receiver.start(new AtomicLong())) {
      receiver.answer("/gone", new Receiver.Status(410, "gone"));
      f.startWorker(java.time.Clock.systemUTC());
      Subscription sub = f.subscribe(receiver.url("/gone"));
      String secret = sub.getSecrets().get(0).getSecret();
      DeliveryTask task = f.deliver(sub);
      await().atMost(WAIT).untilAsserted(() -> assertThat(f.attemptsOf(task)).hasSize(1));

      String topic = f.topics().subscriptions().name();
      List<String> raw = new ArrayList<>();
      try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(KafkaClients.common(f.config()),
          new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        await().atMost(WAIT).until(() -> {
          consumer.poll(Duration.ofMillis(100)).forEach(r -> raw.add(new String(r.value(), StandardCharsets.ISO_8859_1)));
          return raw.size() == 2;
        });
      }
      // the saved version and the disabled one the worker wrote
      assertThat(raw).allMatch(v -> v.contains("enc:v1:") && !v.contains(secret));
      Subscription latest = f.read(f.topics().subscriptions()).get(1);
      assertThat(latest.getEnabled()).isFalse();
      assertThat(latest.getSecrets().get(0).getSecret()).isEqualTo(secret);
    }
  }

  private static boolean verifies(String secret, Receiver.Received r) {
    return WebhookSignature.verify(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
        r.header("webhook-signature"));
  }
}
