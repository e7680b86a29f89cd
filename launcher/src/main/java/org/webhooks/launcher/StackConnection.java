package org.webhooks.launcher;

import java.util.Optional;
import org.webhooks.embedded.StackProperties;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/**
 * Finds the Kafka cluster and registry a command talks to: the configured ones, else the running
 * stack named by {@code <data dir>/stack.properties}. Only {@code up} and {@code demo} start a broker.
 */
final class StackConnection {

  private StackConnection() {}

  /**
   * @return {@code config} with bootstrap servers filled in (the registry is not needed)
   * @throws IllegalStateException when none are configured and no stack runs on the data dir
   */
  static WebhooksConfig resolveKafka(WebhooksConfig config) {
    if (!config.bootstrapServers().isEmpty()) {
      return config;
    }
    StackProperties stack = StackProperties.read(config.dataDir()).orElseThrow(() -> noStack(config));
    return config.with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers());
  }

  /**
   * @return {@code config} with bootstrap servers and registry URL filled in
   * @throws IllegalStateException when neither is configured and no stack runs on the data dir
   */
  static WebhooksConfig resolve(WebhooksConfig config) {
    if (!config.bootstrapServers().isEmpty() && !config.registryUrl().isEmpty()) {
      return config;
    }
    Optional<StackProperties> stack = StackProperties.read(config.dataDir());
    if (stack.isEmpty()) {
      if (!config.bootstrapServers().isEmpty()) {
        throw new IllegalStateException("no schema registry configured: set --registry-url / WEBHOOKS_REGISTRY_URL");
      }
      throw noStack(config);
    }
    WebhooksConfig out = config;
    if (out.bootstrapServers().isEmpty()) {
      out = out.with(Setting.BOOTSTRAP_SERVERS, stack.get().bootstrapServers());
    }
    if (out.registryUrl().isEmpty()) {
      out = out.with(Setting.REGISTRY_URL, stack.get().registryUrl());
    }
    return out;
  }

  private static IllegalStateException noStack(WebhooksConfig config) {
    return new IllegalStateException("no stack is running on data dir " + config.dataDir().toAbsolutePath()
        + ": start one with ./webhooks up, or set --bootstrap-servers and --registry-url");
  }
}
