package org.webhooks.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import org.webhooks.data.DeadLetters;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.DeadLetter;
import org.webhooks.schemas.avro.DeliveryTask;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code dead-letters list|redeliver}: what gave up, and sending it again once the endpoint is fixed. */
@Command(name = "dead-letters", mixinStandardHelpOptions = true,
    description = "List dead letters and redeliver exhausted deliveries.",
    subcommands = {DeadLettersCommand.ListCmd.class, DeadLettersCommand.Redeliver.class})
final class DeadLettersCommand {

  private static final ObjectMapper JSON = new ObjectMapper();

  private DeadLettersCommand() {}

  static ObjectNode toJson(DeadLetters.Entry e) {
    DeadLetter dl = e.letter();
    ObjectNode node = JSON.createObjectNode();
    node.put("id", e.id());
    node.put("kind", dl.getKind().name().toLowerCase(java.util.Locale.ROOT));
    node.put("dead_lettered_at", dl.getDeadLetteredAt().toString());
    node.put("reason", dl.getReason());
    DeliveryTask t = dl.getTask();
    if (t != null) {
      node.put("event_id", t.getEventId());
      node.put("event_type", t.getEventType());
      node.put("subscription_id", t.getSubscriptionId());
      node.put("account_id", t.getAccountId());
      node.put("delivery_id", t.getDeliveryId());
    }
    if (dl.getAttempts() != null) {
      node.put("attempts", dl.getAttempts());
    }
    if (dl.getFirstAttemptAt() != null) {
      node.put("first_attempt_at", dl.getFirstAttemptAt().toString());
    }
    if (dl.getLastAttemptAt() != null) {
      node.put("last_attempt_at", dl.getLastAttemptAt().toString());
    }
    if (dl.getLastStatus() != null) {
      node.put("last_status", dl.getLastStatus());
    }
    if (dl.getLastError() != null) {
      node.put("last_error", dl.getLastError());
    }
    if (dl.getSourceTopic() != null) {
      node.put("source", dl.getSourceTopic() + "-" + dl.getSourcePartition() + "@" + dl.getSourceOffset());
    }
    node.put("redelivered", e.redelivered());
    return node;
  }

  /**
   * @param subscription only this subscription's dead letters, or null for all
   * @param since only those written at or after this time (see {@link TimeArgument}), or null
   * @return the filter of the dead letters to act on
   */
  static Predicate<DeadLetters.Entry> selection(String subscription, String since, Clock clock) {
    Predicate<DeadLetters.Entry> f = e -> true;
    if (subscription != null) {
      f = f.and(DeadLetters.ofSubscription(subscription));
    }
    if (since != null) {
      f = f.and(DeadLetters.since(TimeArgument.parse("--since", since, clock)));
    }
    return f;
  }

  /** {@code dead-letters list}. */
  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "One line per dead letter: id, time, kind, event, subscription, attempts, last status and error.")
  static final class ListCmd implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--subscription", description = "Only this subscription's dead letters.")
    String subscription;

    @Option(names = "--since", description = "Only dead letters written at or after this time: an ISO-8601 "
        + "instant or a duration ago (24h).")
    String since;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Override
    public Integer call() {
      Predicate<DeadLetters.Entry> filter = selection(subscription, since, Clock.systemUTC());
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      List<DeadLetters.Entry> entries;
      try (DeadLetters dl = new DeadLetters(config, Clock.systemUTC())) {
        entries = dl.list(filter);
      }
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        entries.forEach(e -> out.println(toJson(e)));
        return 0;
      }
      String format = "%-14s  %-24s  %-11s  %-28s  %-24s  %-8s  %-6s  %s%n";
      out.printf(format, "ID", "DEAD-LETTERED", "KIND", "EVENT", "SUBSCRIPTION", "ATTEMPTS", "STATUS", "LAST ERROR");
      for (DeadLetters.Entry e : entries) {
        DeadLetter d = e.letter();
        DeliveryTask t = d.getTask();
        String kind = d.getKind().name().toLowerCase(java.util.Locale.ROOT) + (e.redelivered() ? "*" : "");
        out.printf(format, e.id(), d.getDeadLetteredAt(), kind, t == null ? "-" : t.getEventId(),
            t == null ? "-" : t.getSubscriptionId(), d.getAttempts() == null ? "-" : d.getAttempts(),
            d.getLastStatus() == null ? "-" : d.getLastStatus(),
            d.getLastError() != null ? d.getLastError() : d.getReason());
      }
      if (entries.stream().anyMatch(DeadLetters.Entry::redelivered)) {
        out.println("* redelivered already");
      }
      return 0;
    }
  }

  /** {@code dead-letters redeliver}. */
  @Command(name = "redeliver", mixinStandardHelpOptions = true,
      description = "Send exhausted deliveries again as fresh deliveries (same webhook-id, attempts from 1). "
          + "Each dead letter is redelivered once; undecodable records never.")
  static final class Redeliver implements Callable<Integer> {
    @Spec CommandSpec spec;

    /** Exactly one of: one dead letter, or a subscription's. */
    static final class Target {
      @Option(names = "--id", required = true, description = "The dead letter's id (dl-<partition>-<offset>).")
      String id;

      @Option(names = "--subscription", required = true, description = "Every dead letter of this subscription.")
      String subscription;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Option(names = "--since", description = "With --subscription: only dead letters written at or after this "
        + "time (ISO-8601 instant or a duration ago).")
    String since;

    @Override
    public Integer call() {
      if (since != null && target.id != null) {
        throw new IllegalArgumentException("--since: applies to --subscription, not to --id");
      }
      Clock clock = Clock.systemUTC();
      Predicate<DeadLetters.Entry> filter;
      if (target.id != null) {
        filter = e -> e.id().equals(target.id);
      } else {
        filter = selection(target.subscription, since, clock);
      }
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      PrintWriter out = spec.commandLine().getOut();
      try (DeadLetters dl = new DeadLetters(config, clock)) {
        List<DeadLetters.Entry> selected = dl.list(filter);
        if (target.id != null) {
          if (selected.isEmpty()) {
            throw new IllegalArgumentException("--id: no dead letter " + target.id);
          }
          DeadLetters.Entry e = selected.get(0);
          if (!e.redeliverable()) {
            String kind = e.letter().getKind().name().toLowerCase(java.util.Locale.ROOT);
            throw new IllegalArgumentException("--id: " + target.id + (e.redelivered() ? " was redelivered already"
                : " is " + ("aeiou".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind
                    + " record, which cannot be redelivered"));
          }
        }
        List<DeadLetters.Entry> done = dl.redeliver(selected);
        done.forEach(e -> out.println("redelivered " + e.id() + " (event " + e.letter().getTask().getEventId()
            + " to subscription " + e.letter().getTask().getSubscriptionId() + ")"));
        long skipped = selected.size() - done.size();
        out.println("redelivered " + done.size() + " dead letter(s)"
            + (skipped > 0 ? ", skipped " + skipped + " (redelivered already or undecodable)" : ""));
      }
      return 0;
    }
  }
}
