package org.webhooks.launcher;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeliveryAttempt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code attempts tail}: delivery attempts as they happen, in the terminal. */
@Command(name = "attempts", mixinStandardHelpOptions = true, description = "Follow delivery attempts; send one again.",
    subcommands = {AttemptsCommand.Tail.class, RedeliveryCommands.Resend.class})
final class AttemptsCommand {

  private AttemptsCommand() {}

  /**
   * @return one line: start time, event id, event type, subscription id and URL, outcome, status
   *     ({@code -} without a response), latency in ms, and the error of a failure
   */
  static String line(DeliveryAttempt a) {
    return a.getStartedAt() + "  " + a.getEventId() + "  " + a.getEventType() + "  " + a.getSubscriptionId() + " "
        + (a.getUrl().isEmpty() ? "-" : a.getUrl()) + "  " + AttemptOutcomes.wireName(a.getOutcome()) + "  "
        + (a.getStatusCode() == null ? "-" : a.getStatusCode()) + "  " + a.getLatencyMs() + " ms"
        + (a.getError() == null ? "" : "  " + a.getError());
  }

  /** {@code attempts tail}. */
  @Command(name = "tail", mixinStandardHelpOptions = true,
      description = "Follow attempts live, one line each: time, event id, event type, endpoint (subscription id and "
          + "URL), outcome, status, latency. Runs until Ctrl-C.")
  static final class Tail implements java.util.concurrent.Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--subscription", description = "Only this subscription's attempts.")
    String subscription;

    @Option(names = "--failed", description = "Only failed attempts: http_error, timeout, connection_error, blocked, other.")
    boolean failed;

    @Override
    public Integer call() {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Predicate<DeliveryAttempt> filter = a -> (subscription == null || subscription.equals(a.getSubscriptionId()))
          && (!failed || AttemptOutcomes.isFailure(a.getOutcome()));
      follow(config, filter, spec.commandLine().getOut(), spec.commandLine().getErr());
      return 0;
    }
  }

  /**
   * Prints every attempt committed from now on that passes {@code filter}, until the JVM is asked to stop
   * or the calling thread is interrupted. Reads every partition without a consumer group, from its end.
   */
  static void follow(WebhooksConfig config, Predicate<DeliveryAttempt> filter, PrintWriter out, PrintWriter err) {
    String topic = config.topics().attempts().name();
    Deserializer<DeliveryAttempt> attempts =
        config.topics().attempts().valueSerde(new SchemaRegistryClient(config.registryUrl())).deserializer();
    Properties props = KafkaClients.common(config);
    props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    boolean interrupted = false;
    try (KafkaConsumer<byte[], byte[]> consumer =
        new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      Thread stop = new Thread(consumer::wakeup, "attempts-tail-stop");
      Runtime.getRuntime().addShutdownHook(stop);
      try {
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(30))
            .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        err.println("following " + topic + " (Ctrl-C to stop)");
        err.flush();
        while (true) { // poll throws InterruptException when the thread is interrupted
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            DeliveryAttempt a;
            try {
              a = attempts.deserialize(topic, r.value());
            } catch (RuntimeException e) {
              err.println("partition " + r.partition() + " offset " + r.offset() + " cannot be decoded: "
                  + e.getMessage());
              continue;
            }
            if (filter.test(a)) {
              out.println(line(a));
            }
          }
          out.flush();
        }
      } catch (WakeupException | InterruptException e) {
        // Ctrl-C, or the caller's interrupt: a normal end; the flag is cleared so the consumer closes cleanly
        interrupted = Thread.interrupted() || e instanceof InterruptException;
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(stop);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running: that is how we got here
        }
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
