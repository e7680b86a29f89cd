package org.webhooks.launcher;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Turns each {@link Setting} into a flag of a command, so that every setting is declared once (in
 * {@code Setting}) and is both a flag and a {@code WEBHOOKS_*} variable, the flag winning.
 */
final class SettingsOptions {

  static final String KAFKA_FLAG = "--kafka";

  private SettingsOptions() {}

  /**
   * Adds one option per setting in {@code settings}, plus the repeatable {@code --kafka key=value},
   * to {@code spec}.
   */
  static void addTo(CommandSpec spec, Set<Setting> settings) {
    for (Setting s : settings) {
      String def = s.defaultValue().isEmpty() ? "empty" : s.defaultValue();
      spec.addOption(OptionSpec.builder(s.flag())
          .paramLabel("<" + s.name().toLowerCase(java.util.Locale.ROOT) + ">")
          .type(String.class)
          .description(s.doc() + " Env: " + s.envName() + ". Default: " + def + ".")
          .build());
    }
    spec.addOption(OptionSpec.builder(KAFKA_FLAG)
        .paramLabel("<key=value>")
        .type(List.class)
        .auxiliaryTypes(String.class)
        .description("A Kafka client property passed to every client (repeatable). Env: WEBHOOKS_KAFKA_<KEY>, "
            + "dots written as underscores.")
        .build());
  }

  /**
   * @return the settings of the command that was run: its flags, else the environment, else defaults
   * @throws IllegalArgumentException naming the flag and variable of a malformed value
   */
  static WebhooksConfig resolve(CommandSpec spec) {
    ParseResult parsed = spec.commandLine().getParseResult();
    Map<Setting, String> flags = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      if (spec.findOption(s.flag()) != null && parsed.hasMatchedOption(s.flag())) {
        flags.put(s, parsed.matchedOptionValue(s.flag(), ""));
      }
    }
    List<String> kafka = parsed.matchedOptionValue(KAFKA_FLAG, List.of());
    return WebhooksConfig.resolve(flags, System.getenv(), kafka);
  }

  /**
   * @return the settings of the command that was run that were given as a flag or a {@code WEBHOOKS_*}
   *     variable, rather than left at their defaults
   */
  static Set<Setting> given(CommandSpec spec) {
    ParseResult parsed = spec.commandLine().getParseResult();
    Set<Setting> out = EnumSet.noneOf(Setting.class);
    for (Setting s : Setting.values()) {
      if (spec.findOption(s.flag()) != null && parsed.hasMatchedOption(s.flag()) || System.getenv(s.envName()) != null) {
        out.add(s);
      }
    }
    return out;
  }
}
