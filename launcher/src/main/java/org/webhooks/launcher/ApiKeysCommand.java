package org.webhooks.launcher;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.webhooks.data.ApiKeys;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.ApiKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code api-keys create|list|revoke}: the control plane's API keys on {@code webhook-api-keys}. */
@Command(name = "api-keys", mixinStandardHelpOptions = true, description = "Manage the control plane's API keys.",
    subcommands = {ApiKeysCommand.Create.class, ApiKeysCommand.ListCmd.class, ApiKeysCommand.Revoke.class})
final class ApiKeysCommand {

  private ApiKeysCommand() {}

  /** {@code api-keys create}. */
  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create an API key; prints the key alone on one line (shown only now, stored hashed).")
  static final class Create implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--account", description = "The account the key acts for.")
    String account;

    @Option(names = "--operator", description = "An operator key, which names the account it acts on with "
        + "?account_id= on each request.")
    boolean operator;

    @Override
    public Integer call() {
      if ((account == null || account.isBlank()) == !operator) {
        throw new IllegalArgumentException("--account: give --account A, or --operator, not both");
      }
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      try (ApiKeys keys = new ApiKeys(config)) {
        spec.commandLine().getOut().println(keys.create(account, operator, Instant.now()).key());
      }
      return 0;
    }
  }

  /** {@code api-keys list}. */
  @Command(name = "list", mixinStandardHelpOptions = true, description = "List API keys (never the keys themselves).")
  static final class ListCmd implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--account", description = "Only this account's keys.")
    String account;

    @Override
    public Integer call() {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      List<ApiKey> all;
      try (ApiKeys keys = new ApiKeys(config)) {
        all = keys.list();
      }
      PrintWriter out = spec.commandLine().getOut();
      String format = "%-20s  %-24s  %-8s  %-24s  %s%n";
      out.printf(format, "ID", "ACCOUNT", "OPERATOR", "CREATED", "REVOKED");
      for (ApiKey k : all) {
        if (account != null && !account.equals(k.getAccountId())) {
          continue;
        }
        out.printf(format, k.getId(), k.getAccountId() == null ? "-" : k.getAccountId(), k.getOperator(),
            k.getCreatedAt(), k.getRevokedAt() == null ? "-" : k.getRevokedAt());
      }
      return 0;
    }
  }

  /** {@code api-keys revoke ID}. */
  @Command(name = "revoke", mixinStandardHelpOptions = true,
      description = "Revoke an API key: requests with it are refused (401) from then on.")
  static final class Revoke implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ID", description = "Key id, key_... (see api-keys list).")
    String id;

    @Override
    public Integer call() {
      WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
      Optional<ApiKey> revoked;
      try (ApiKeys keys = new ApiKeys(config)) {
        revoked = keys.revoke(id, Instant.now());
      }
      if (revoked.isEmpty()) {
        throw new IllegalArgumentException("ID: no API key " + id);
      }
      spec.commandLine().getOut().println("revoked " + id);
      return 0;
    }
  }
}
