package org.webhooks.launcher;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.webhooks.client.EndpointClient;
import org.webhooks.controlplane.TestEvents;
import org.webhooks.data.SubscriptionDraft;
import org.webhooks.data.SubscriptionPatch;
import org.webhooks.data.SubscriptionRepository;
import org.webhooks.data.SubscriptionRepresentation;
import org.webhooks.data.SubscriptionRules;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code subscriptions add|list|update|rotate-secret|test|delete|reencrypt}: manage webhook endpoints on
 * the compacted topic, through the same operations and rules as the control plane
 * ({@link SubscriptionRepository}).
 */
@Command(name = "subscriptions", mixinStandardHelpOptions = true, description = "Manage webhook subscriptions.",
    subcommands = {SubscriptionsCommand.Add.class, SubscriptionsCommand.ListCmd.class, SubscriptionsCommand.Update.class,
        SubscriptionsCommand.RotateSecret.class, SubscriptionsCommand.Test.class, SubscriptionsCommand.Delete.class,
        SubscriptionsReencryptCommand.class, RedeliveryCommands.Recover.class, RedeliveryCommands.Replay.class})
final class SubscriptionsCommand {

  private static final ObjectMapper JSON = new ObjectMapper();

  private SubscriptionsCommand() {}

  /** @return the operations over {@code store}, looking subscriptions up by reading the topic. */
  static SubscriptionRepository repository(SubscriptionStore store, WebhooksConfig config) {
    return new SubscriptionRepository(store, store::find, config.targetPolicy(), config.secretRotationGrace(),
        Clock.systemUTC());
  }

  /** @return the subscription, or a usage error naming the ID. */
  static Subscription existing(SubscriptionRepository repository, String id) {
    return repository.find(id).orElseThrow(() -> new IllegalArgumentException("ID: no subscription " + id));
  }

  /**
   * @return what {@code subscriptions add} prints: {@code id}, {@code account_id}, {@code url},
   *     {@code event_types} and the {@code secret}, shown only now
   */
  static ObjectNode created(Subscription s) {
    ObjectNode node = JSON.createObjectNode();
    node.put("id", s.getId());
    node.put("account_id", s.getAccountId());
    node.put("url", s.getUrl());
    node.putPOJO("event_types", s.getEventTypes());
    node.put("secret", s.getSecrets().get(0).getSecret());
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
      SubscriptionDraft draft = SubscriptionDraft.of(account, url, events, secret, filter);
      // checked before looking for a stack, so that a bad subscription is refused even without one
      SubscriptionRules.newSubscription(draft, config.targetPolicy(), Instant.now());
      Subscription s;
      try (SubscriptionStore store = new SubscriptionStore(StackConnection.resolve(config, spec.commandLine().getErr()))) {
        s = repository(store, config).create(draft).subscription();
      }
      spec.commandLine().getOut().println(created(s));
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
        // every field the API shows, so that a script may use either
        shown.forEach(s -> out.println(SubscriptionRepresentation.of(s)));
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
        // an unreadable record exists too, and deleting it is how it is cleared
        if (!store.exists(id)) {
          throw new IllegalArgumentException("ID: no subscription " + id);
        }
        repository(store, config).delete(id);
      }
      spec.commandLine().getOut().println("deleted " + id);
      return 0;
    }
  }

  /** {@code subscriptions update ID}. */
  @Command(name = "update", mixinStandardHelpOptions = true,
      description = "Change a subscription: each option given replaces the stored value; prints it as JSON (without "
          + "its secret).")
  static final class Update implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Subscription id.")
    String id;

    @Option(names = "--url", description = "Endpoint URL.")
    String url;

    @Option(names = "--events", split = ",", description = "Event types, comma-separated.")
    List<String> events;

    @Option(names = "--filter", description = "Attribute filter expression; an empty one removes the filter.")
    String filter;

    @Option(names = "--description", description = "Free text; an empty one removes it.")
    String description;

    @Option(names = "--enabled", arity = "1", description = "true or false; enabling clears the reason of a disable.")
    Boolean enabled;

    @Option(names = "--rate-limit", description = "Requests per second at most, or none.")
    String rateLimit;

    @Option(names = "--header", description = "A custom request header NAME=VALUE (repeatable; replaces them all).")
    Map<String, String> headers;

    @Option(names = "--metadata", description = "A metadata pair KEY=VALUE (repeatable; replaces them all).")
    Map<String, String> metadata;

    @Override
    public Integer call() {
      SubscriptionPatch patch = SubscriptionPatch.none();
      if (url != null) {
        patch = patch.withUrl(url);
      }
      if (events != null) {
        patch = patch.withEventTypes(events);
      }
      if (filter != null) {
        patch = patch.withFilter(filter);
      }
      if (description != null) {
        patch = patch.withDescription(description);
      }
      if (enabled != null) {
        patch = patch.withEnabled(enabled);
      }
      if (rateLimit != null) {
        patch = patch.withRateLimit(rateLimit(rateLimit));
      }
      if (headers != null) {
        patch = patch.withHeaders(headers);
      }
      if (metadata != null) {
        patch = patch.withMetadata(metadata);
      }
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Subscription s;
      try (SubscriptionStore store = new SubscriptionStore(config)) {
        SubscriptionRepository repository = repository(store, config);
        s = repository.update(existing(repository, id), patch).subscription();
      }
      spec.commandLine().getOut().println(SubscriptionRepresentation.of(s));
      return 0;
    }

    private static Integer rateLimit(String text) {
      if (text.equals("none")) {
        return null;
      }
      try {
        return Integer.valueOf(text);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("rate_limit: '" + text + "' is not a whole number or none");
      }
    }
  }

  /** {@code subscriptions rotate-secret ID}. */
  @Command(name = "rotate-secret", mixinStandardHelpOptions = true,
      description = "Rotate the signing secret; the previous one keeps signing for --secret-rotation-grace. Prints "
          + "{\"id\", \"secret\", \"previous_secrets_expire_at\"} (the secret only here).")
  static final class RotateSecret implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Subscription id.")
    String id;

    @Option(names = "--secret", description = "The new secret, whsec_ + base64 of 24-64 bytes; generated when absent.")
    String secret;

    @Override
    public Integer call() {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Subscription s;
      try (SubscriptionStore store = new SubscriptionStore(config)) {
        SubscriptionRepository repository = repository(store, config);
        s = repository.rotateSecret(existing(repository, id), secret).subscription();
      }
      List<SigningSecret> secrets = s.getSecrets();
      ObjectNode node = JSON.createObjectNode();
      node.put("id", s.getId());
      node.put("secret", secrets.get(secrets.size() - 1).getSecret());
      node.put("previous_secrets_expire_at", secrets.stream().map(SigningSecret::getExpiresAt)
          .filter(java.util.Objects::nonNull).max(java.util.Comparator.naturalOrder()).map(Object::toString)
          .orElse(null));
      spec.commandLine().getOut().println(node);
      return 0;
    }
  }

  /** {@code subscriptions test ID}. */
  @Command(name = "test", mixinStandardHelpOptions = true,
      description = "Send the example event of a type to the endpoint now, signed like a real delivery; prints the "
          + "outcome as JSON. Exit 0 when the endpoint answered 2xx, 1 otherwise.")
  static final class Test implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Subscription id.")
    String id;

    @Option(names = "--event-type", description = "The example to send; default: the subscription's first event type.")
    String eventType;

    @Override
    public Integer call() throws Exception {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Subscription s;
      try (SubscriptionStore store = new SubscriptionStore(config)) {
        s = existing(repository(store, config), id);
      }
      Vertx vertx = Vertx.vertx();
      TestEvents.Outcome outcome;
      try (EndpointClient client = new EndpointClient(vertx, config.targetPolicy(), config.httpTimeout(), 1)) {
        outcome = new TestEvents(client, Clock.systemUTC()).send(s, eventType)
            .get(config.httpTimeout().toMillis() + 5_000, TimeUnit.MILLISECONDS);
      } finally {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      }
      spec.commandLine().getOut().println(outcome.toJson());
      return outcome.result().succeeded() ? 0 : Webhooks.EXIT_FAILURE;
    }
  }

}
