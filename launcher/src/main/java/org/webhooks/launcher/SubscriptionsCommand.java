package org.webhooks.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code subscriptions add|list|delete|reencrypt}: manage webhook endpoints on the compacted topic. */
@Command(name = "subscriptions", mixinStandardHelpOptions = true, description = "Manage webhook subscriptions.",
    subcommands = {SubscriptionsCommand.Add.class, SubscriptionsCommand.ListCmd.class, SubscriptionsCommand.Delete.class,
        SubscriptionsReencryptCommand.class})
final class SubscriptionsCommand {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SubscriptionsCommand() {}

  /** JSON of a subscription as the CLI prints it; the secret only when asked (at creation). */
  static ObjectNode toJson(Subscription s, boolean withSecret) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", s.getId());
    node.put("account_id", s.getAccountId());
    node.put("url", s.getUrl());
    node.putPOJO("event_types", s.getEventTypes());
    if (withSecret) {
      node.put("secret", s.getSecrets().get(0).getSecret());
    }
    if (!withSecret) {
      node.put("enabled", s.getEnabled());
      node.put("created_at", s.getCreatedAt().toString());
      if (s.getFilter() != null) {
        node.put("filter", s.getFilter());
      }
    }
    return node;
  }

  /** {@code subscriptions add}. */
  @Command(name = "add", mixinStandardHelpOptions = true,
      description = "Create a subscription; prints it as JSON, with its secret (shown only now).")
  static final class Add implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--account", required = true, description = "Account (tenant) id.")
    String account;

    @Option(names = "--url", required = true, description = "Endpoint URL (https, or http for allowed targets).")
    String url;

    @Option(names = "--events", required = true, split = ",", description = "Event types, comma-separated.")
    List<String> events;

    @Option(names = "--secret", description = "whsec_ + base64 of 24-64 bytes; generated when absent.")
    String secret;

    @Option(names = "--filter", description = "Attribute filter expression.")
    String filter;

    @Override
    public Integer call() {
      WebhooksConfig config = SettingsOptions.resolve(spec);
      Subscription s = SubscriptionRules.newSubscription(account, url, events, secret, filter,
          config.targetPolicy(), Instant.now());
      try (SubscriptionStore store = new SubscriptionStore(StackConnection.resolve(config, spec.commandLine().getErr()))) {
        store.save(s);
      }
      spec.commandLine().getOut().println(toJson(s, true));
      return 0;
    }
  }

  /** {@code subscriptions list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List subscriptions (never their secrets).")
  static final class ListCmd implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--account", description = "Only this account's subscriptions.")
    String account;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Override
    public Integer call() {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      SubscriptionStore.Current current;
      try (SubscriptionStore store = new SubscriptionStore(config)) {
        current = store.readAll();
      }
      Map<String, Subscription> all = current.subscriptions();
      PrintWriter err = spec.commandLine().getErr();
      current.unreadable().forEach((id, reason) -> err.printf(
          "warning: the record of subscription %s cannot be read and receives nothing (%s); "
              + "save it again or delete it%n", id, reason));
      err.flush();
      PrintWriter out = spec.commandLine().getOut();
      List<Subscription> shown = all.values().stream()
          .filter(s -> account == null || s.getAccountId().equals(account)).toList();
      if (json) {
        shown.forEach(s -> out.println(toJson(s, false)));
        return 0;
      }
      String format = "%-24s  %-16s  %-7s  %-40s  %s%n";
      out.printf(format, "ID", "ACCOUNT", "ENABLED", "URL", "EVENT TYPES");
      for (Subscription s : shown) {
        out.printf(format, s.getId(), s.getAccountId(), s.getEnabled(), s.getUrl(),
            String.join(",", s.getEventTypes()));
      }
      return 0;
    }
  }

  /** {@code subscriptions delete ID}. */
  @Command(name = "delete", mixinStandardHelpOptions = true,
      description = "Delete a subscription: no more deliveries, pending ones are skipped.")
  static final class Delete implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Subscription id.")
    String id;

    @Override
    public Integer call() {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      try (SubscriptionStore store = new SubscriptionStore(config)) {
        if (!store.exists(id)) {
          throw new IllegalArgumentException("ID: no subscription " + id);
        }
        store.delete(id);
      }
      spec.commandLine().getOut().println("deleted " + id);
      return 0;
    }
  }

}
