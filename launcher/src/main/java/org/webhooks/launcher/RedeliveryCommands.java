package org.webhooks.launcher;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import org.webhooks.data.EventLog;
import org.webhooks.data.Redeliveries;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.data.TopicSnapshot;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeliveryAttempt;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.StatsJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * The command forms of the recovery routes ({@code subscriptions recover|replay}, {@code attempts
 * resend}), through the same {@link Redeliveries} as the control plane; each prints what the API answers,
 * as JSON. They read Kafka directly, so they need no control plane and no delivery-stats.
 */
final class RedeliveryCommands {

  /** Names the transactional writer of commands, apart from the control plane's. */
  static final String ROLE = "cli-redeliveries";

  private RedeliveryCommands() {}

  private static Subscription subscription(WebhooksConfig config, String id) {
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      return SubscriptionsCommand.existing(SubscriptionsCommand.repository(store, config), id);
    }
  }

  private static <T> T redelivering(java.util.function.Supplier<T> action) {
    try {
      return action.get();
    } catch (Redeliveries.CannotRedeliverException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /** {@code subscriptions recover ID --since T}. */
  @Command(name = "recover", mixinStandardHelpOptions = true,
      description = "Send again, each once, the endpoint's failed deliveries since a time: those given up on "
          + "(dead-lettered), answered 410 Gone, or cancelled while it was disabled; not those waiting for a retry. "
          + "Prints what was sent again as JSON.")
  static final class Recover implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Subscription id.")
    String id;

    @Option(names = "--since", required = true,
        description = "Failed deliveries whose last attempt started at or after this time: an ISO-8601 instant or a "
            + "duration ago (24h).")
    String since;

    @Override
    public Integer call() {
      Instant from = TimeArgument.parse("--since", since, Clock.systemUTC());
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Subscription s = subscription(config, id);
      Redeliveries.Recovery r;
      try (Redeliveries redeliveries = new Redeliveries(config, ROLE, Clock.systemUTC())) {
        r = redelivering(() -> redeliveries.recover(s, from));
      }
      ObjectNode out = StatsJson.mapper().createObjectNode();
      out.put("subscription_id", id);
      out.set("since", StatsJson.mapper().valueToTree(from));
      out.put("recovered", r.recovered().size());
      out.set("deliveries", StatsJson.mapper().valueToTree(r.recovered()));
      out.set("not_recovered", StatsJson.mapper().valueToTree(r.notRecovered()));
      spec.commandLine().getOut().println(out);
      return 0;
    }
  }

  /** {@code subscriptions replay ID --since T [--until T2]}. */
  @Command(name = "replay", mixinStandardHelpOptions = true,
      description = "Run matching again for the endpoint over the call events published in a time range and "
          + "deliver each one it matches (with its own webhook-id). Prints one JSON line per "
          + Redeliveries.MAX_REPLAY_RECORDS + " records read, until the range is done.")
  static final class Replay implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Subscription id.")
    String id;

    @Option(names = "--since", required = true,
        description = "Events published at or after this time: an ISO-8601 instant or a duration ago (24h).")
    String since;

    @Option(names = "--until", description = "Events published at or before this time (default: now).")
    String until;

    @Override
    public Integer call() {
      Clock clock = Clock.systemUTC();
      Instant from = TimeArgument.parse("--since", since, clock);
      Instant to = until == null ? null : TimeArgument.parse("--until", until, clock);
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Subscription s = subscription(config, id);
      PrintWriter out = spec.commandLine().getOut();
      try (Redeliveries redeliveries = new Redeliveries(config, ROLE, clock)) {
        String cursor = null;
        do {
          String at = cursor;
          Redeliveries.Replay r;
          try {
            r = redelivering(() -> redeliveries.replay(s, from, to, at, Redeliveries.MAX_REPLAY_RECORDS));
          } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw new IllegalArgumentException(m.startsWith("since:") ? "--" + m : m.startsWith("until:") ? "--" + m : m);
          }
          ObjectNode line = StatsJson.mapper().valueToTree(r);
          line.put("subscription_id", id);
          out.println(line);
          out.flush();
          cursor = r.nextCursor();
        } while (cursor != null);
      }
      return 0;
    }
  }

  /** {@code attempts resend ATTEMPT_ID --subscription S [--since T]}. */
  @Command(name = "resend", mixinStandardHelpOptions = true,
      description = "Send an attempt's delivery again now (its event read back from the event log, same webhook-id "
          + "and body, attempts counted from 1). Prints the delivery queued as JSON.")
  static final class Resend implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ATTEMPT_ID", description = "The attempt id (attempt_id).")
    String attemptId;

    @Option(names = "--subscription", required = true,
        description = "The attempt's subscription: only its partition of webhook-attempts is read.")
    String subscription;

    @Option(names = "--since", description = "The attempt started at or after this time (ISO-8601 instant or a "
        + "duration ago, 24h): reading starts there (default: the oldest attempt kept).")
    String since;

    @Override
    public Integer call() {
      Instant from = since == null ? Instant.EPOCH : TimeArgument.parse("--since", since, Clock.systemUTC());
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Subscription s = subscription(config, subscription);
      String topic = config.topics().attempts().name();
      AvroSerde<DeliveryAttempt> serde = new AvroSerde<>(new SchemaRegistryClient(config.registryUrl()),
          DeliveryAttempt.getClassSchema());
      AtomicReference<DeliveryAttempt> found = new AtomicReference<>();
      TopicSnapshot.readKeySince(config, topic, subscription, from, r -> {
        DeliveryAttempt a;
        try {
          a = serde.deserialize(topic, r.value());
        } catch (RuntimeException e) {
          return true;
        }
        if (a != null && a.getAttemptId().equals(attemptId) && a.getSubscriptionId().equals(subscription)) {
          found.set(a);
          return false;
        }
        return true;
      });
      DeliveryAttempt a = found.get();
      if (a == null) {
        throw new IllegalArgumentException("ATTEMPT_ID: no attempt " + attemptId + " of subscription " + subscription
            + (since == null ? "" : " since " + from) + " in " + topic);
      }
      DeliveryTask task;
      try (Redeliveries redeliveries = new Redeliveries(config, ROLE, Clock.systemUTC())) {
        task = redelivering(() -> redeliveries.resend(s,
            new EventLog.EventRef(a.getEventId(), a.getEventType(), a.getEventPublishedAt())));
      }
      ObjectNode out = StatsJson.mapper().createObjectNode();
      out.put("attempt_id", attemptId);
      out.put("subscription_id", s.getId());
      out.put("delivery_id", task.getDeliveryId());
      out.put("event_id", task.getEventId());
      out.put("event_type", task.getEventType());
      spec.commandLine().getOut().println(out);
      return 0;
    }
  }
}
