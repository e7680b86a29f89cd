package org.webhooks.launcher;

import java.security.SecureRandom;
import java.util.Base64;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/**
 * A secrets key for a command whose stack lives in a temporary dir and goes with it ({@code demo},
 * {@code bench}): without {@code WEBHOOKS_SECRETS_KEY} a stack generates a key file into its data dir
 * with a warning meant for stacks that last, which such a command would print for nothing.
 */
final class ThrowawaySecretsKey {

  private ThrowawaySecretsKey() {}

  /**
   * @param config the command's settings
   * @return {@code config} unchanged when it has a secrets key, else with a random 256-bit key
   *     (base64, the form {@code WEBHOOKS_SECRETS_KEY} takes)
   */
  static WebhooksConfig ifUnset(WebhooksConfig config) {
    if (!config.get(Setting.SECRETS_KEY).isBlank()) {
      return config;
    }
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return config.with(Setting.SECRETS_KEY, Base64.getEncoder().encodeToString(key));
  }
}
