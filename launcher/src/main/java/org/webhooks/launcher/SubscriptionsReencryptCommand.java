package org.webhooks.launcher;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.webhooks.data.SubscriptionStore;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code subscriptions reencrypt}: writes again every subscription record whose signing secrets are in
 * plain text (saved before secrets were encrypted) or encrypted with another key than the first of
 * {@code WEBHOOKS_SECRETS_KEY}, so that the topic holds no secret in clear and older keys can be
 * dropped. Exit 1 when a record could not be read (its key is not configured).
 */
@Command(name = "reencrypt", mixinStandardHelpOptions = true,
    description = "Rewrite subscription records so that every secret is encrypted with the current key "
        + "(after an upgrade, or a key rotation).")
final class SubscriptionsReencryptCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    WebhooksConfig config = StackConnection.resolve(SettingsOptions.resolve(spec), spec.commandLine().getErr());
    SubscriptionStore.Reencrypted done;
    try (SubscriptionStore store = new SubscriptionStore(config)) {
      done = store.reencrypt();
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    done.unreadable().forEach((id, reason) -> err.printf("subscription %s not rewritten: %s%n", id, reason));
    err.flush();
    out.printf("rewrote %d subscription record(s); %d already under the current key; %d unreadable%n",
        done.rewritten().size(), done.current(), done.unreadable().size());
    out.flush();
    if (!done.unreadable().isEmpty()) {
      err.println("error: add the keys those records were written with to " + Setting.SECRETS_KEY.envName()
          + " (after the current one) and run this again");
      return Webhooks.EXIT_FAILURE;
    }
    return 0;
  }
}
