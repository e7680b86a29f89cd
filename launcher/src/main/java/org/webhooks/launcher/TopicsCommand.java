package org.webhooks.launcher;

import java.util.concurrent.Callable;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code topics}: creates every topic that does not exist yet ({@code --partitions} each, subscriptions
 * compacted, retry tiers from {@code --retry-schedule}) and lists them. Services do the same at start;
 * this is for deployments that create topics once, ahead of the services.
 */
@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "Create the platform's topics that do not exist yet, and list them.")
final class TopicsCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    WebhooksConfig config = StackConnection.resolveKafka(SettingsOptions.resolve(spec), spec.commandLine().getErr());
    KafkaClients.ensureTopics(config);
    config.topics().allNames().forEach(spec.commandLine().getOut()::println);
    return 0;
  }
}
