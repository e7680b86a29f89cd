package org.webhooks.schemas;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The resolved settings of one process: each {@link Setting} from its flag, else its
 * {@code WEBHOOKS_*} variable, else its default; plus Kafka client properties passed through
 * unchanged to every client (SASL/SSL and the like).
 *
 * @param values one value per setting (never null; "" = empty)
 * @param kafkaProperties extra Kafka client properties, e.g. {@code security.protocol -> SASL_SSL}
 */
public record WebhooksConfig(Map<Setting, String> values, Map<String, String> kafkaProperties) {

  private static final String KAFKA_ENV_PREFIX = "WEBHOOKS_KAFKA_";

  public WebhooksConfig {
    EnumMap<Setting, String> copy = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      String v = values.get(s);
      copy.put(s, v == null ? s.defaultValue() : v);
    }
    values = Map.copyOf(copy);
    kafkaProperties = Map.copyOf(kafkaProperties);
  }

  /** @return a configuration of only defaults and no Kafka properties. */
  public static WebhooksConfig defaults() {
    return new WebhooksConfig(Map.of(), Map.of());
  }

  /**
   * Resolves settings from flags and environment; a flag value wins over the variable. Each
   * variable {@code WEBHOOKS_KAFKA_<KEY>} that is not a setting's own variable becomes the Kafka
   * client property {@code <key>} lower-cased with {@code _} as {@code .} (e.g.
   * {@code WEBHOOKS_KAFKA_SASL_MECHANISM -> sasl.mechanism}); a {@code --kafka} flag wins over it.
   *
   * @param flags values given as flags (absent = not given)
   * @param env the environment, usually {@link System#getenv()}
   * @param kafkaFlags {@code key=value} strings from {@code --kafka} flags
   * @throws IllegalArgumentException naming the flag or variable when a value is malformed
   */
  public static WebhooksConfig resolve(
      Map<Setting, String> flags, Map<String, String> env, List<String> kafkaFlags) {
    EnumMap<Setting, String> values = new EnumMap<>(Setting.class);
    for (Setting s : Setting.values()) {
      if (flags.containsKey(s)) {
        values.put(s, flags.get(s));
      } else if (env.containsKey(s.envName())) {
        values.put(s, env.get(s.envName()));
      }
    }
    Map<String, String> kafka = new TreeMap<>();
    env.forEach((k, v) -> {
      // WEBHOOKS_KAFKA_PORT is a setting of its own, not a client property named "port".
      if (k.startsWith(KAFKA_ENV_PREFIX) && !isSettingVariable(k)) {
        kafka.put(k.substring(KAFKA_ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v);
      }
    });
    for (String kv : kafkaFlags) {
      int eq = kv.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--kafka expects key=value, got '" + kv + "'");
      }
      kafka.put(kv.substring(0, eq).trim(), kv.substring(eq + 1));
    }
    WebhooksConfig config = new WebhooksConfig(values, kafka);
    config.validate();
    return config;
  }

  private static boolean isSettingVariable(String envName) {
    for (Setting s : Setting.values()) {
      if (s.envName().equals(envName)) {
        return true;
      }
    }
    return false;
  }

  /** @return a copy with one setting replaced. */
  public WebhooksConfig with(Setting setting, String value) {
    EnumMap<Setting, String> copy = new EnumMap<>(values);
    copy.put(setting, value);
    return new WebhooksConfig(copy, kafkaProperties);
  }

  /** @return a copy with extra Kafka client properties (these win over existing ones). */
  public WebhooksConfig withKafkaProperties(Map<String, String> extra) {
    Map<String, String> merged = new TreeMap<>(kafkaProperties);
    merged.putAll(extra);
    return new WebhooksConfig(values, merged);
  }

  /**
   * Checks every typed setting parses.
   *
   * @throws IllegalArgumentException naming the flag and variable of the first bad value
   */
  public void validate() {
    httpTimeout();
    retrySchedule();
    httpPort();
    partitions();
    maxInFlight();
    maxInFlightPerEndpoint();
    circuitThreshold();
    circuitProbeDelay();
    maxEventBytes();
    kafkaPort();
    controllerPort();
    registryPort();
    targetPolicy();
    secretRotationGrace();
  }

  /** @return the raw value of a setting ("" = empty). */
  public String get(Setting s) {
    return values.get(s);
  }

  public Path dataDir() {
    return Path.of(get(Setting.DATA_DIR));
  }

  public String bootstrapServers() {
    return get(Setting.BOOTSTRAP_SERVERS).trim();
  }

  public String registryUrl() {
    return get(Setting.REGISTRY_URL).trim();
  }

  public String topicPrefix() {
    return get(Setting.TOPIC_PREFIX).trim();
  }

  public int httpPort() {
    return intSetting(Setting.HTTP_PORT, 0, 65535);
  }

  public int partitions() {
    return intSetting(Setting.PARTITIONS, 1, 10_000);
  }

  public int kafkaPort() {
    return intSetting(Setting.KAFKA_PORT, 0, 65535);
  }

  public int controllerPort() {
    return intSetting(Setting.CONTROLLER_PORT, 0, 65535);
  }

  public int registryPort() {
    return intSetting(Setting.REGISTRY_PORT, 0, 65535);
  }

  public int maxInFlight() {
    return intSetting(Setting.MAX_IN_FLIGHT, 1, 100_000);
  }

  public int maxInFlightPerEndpoint() {
    return intSetting(Setting.MAX_IN_FLIGHT_PER_ENDPOINT, 1, 100_000);
  }

  /** @return consecutive failures that open an endpoint's circuit; 0 = the circuit never opens. */
  public int circuitThreshold() {
    return intSetting(Setting.CIRCUIT_THRESHOLD, 0, 1_000_000);
  }

  /** @return how long an open circuit waits before a probe request. */
  public Duration circuitProbeDelay() {
    try {
      return Durations.parse(get(Setting.CIRCUIT_PROBE_DELAY));
    } catch (IllegalArgumentException e) {
      throw new SettingException(Setting.CIRCUIT_PROBE_DELAY, e.getMessage());
    }
  }

  /**
   * @return the largest event, in bytes of its rendered JSON body (what a receiver gets), 1 KiB to
   *     64 MiB; the Kafka record limits follow from it ({@link KafkaClients#maxRecordBytes})
   */
  public int maxEventBytes() {
    return intSetting(Setting.MAX_EVENT_BYTES, 1024, KafkaClients.MAX_EVENT_BYTES_LIMIT);
  }

  /**
   * @return how long a signing secret replaced by a rotation keeps signing beside the new one; zero
   *     ends it at once
   */
  public Duration secretRotationGrace() {
    try {
      return Durations.parse(get(Setting.SECRET_ROTATION_GRACE));
    } catch (IllegalArgumentException e) {
      throw new SettingException(Setting.SECRET_ROTATION_GRACE, e.getMessage());
    }
  }

  /** @return the timeout of one delivery request. */
  public Duration httpTimeout() {
    try {
      Duration d = Durations.parse(get(Setting.HTTP_TIMEOUT));
      if (d.isZero()) {
        throw new IllegalArgumentException("must be more than 0");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw new SettingException(Setting.HTTP_TIMEOUT, e.getMessage());
    }
  }

  /** @return the delay before each retry, in order; its size is the number of retries. */
  public RetrySchedule retrySchedule() {
    try {
      return RetrySchedule.parse(get(Setting.RETRY_SCHEDULE));
    } catch (IllegalArgumentException e) {
      throw new SettingException(Setting.RETRY_SCHEDULE, e.getMessage());
    }
  }

  /** @return the address exceptions of {@code WEBHOOKS_ALLOWED_TARGETS}. */
  public TargetPolicy targetPolicy() {
    try {
      return TargetPolicy.parse(get(Setting.ALLOWED_TARGETS));
    } catch (IllegalArgumentException e) {
      throw new SettingException(Setting.ALLOWED_TARGETS, e.getMessage());
    }
  }

  /** @return the instance id used in transactional ids: the setting, else the host name. */
  public String instanceId() {
    String id = get(Setting.INSTANCE_ID).trim();
    if (!id.isEmpty()) {
      return id;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "localhost";
    }
  }

  /** @return the topics of this configuration (names with the prefix). */
  public Topics topics() {
    return new Topics(topicPrefix(), retrySchedule());
  }

  private int intSetting(Setting s, int min, int max) {
    String raw = get(s).trim();
    try {
      int v = Integer.parseInt(raw);
      if (v < min || v > max) {
        throw new SettingException(s, "'" + raw + "' is out of range " + min + ".." + max);
      }
      return v;
    } catch (NumberFormatException e) {
      throw new SettingException(s, "'" + raw + "' is not a whole number");
    }
  }

  /** A setting whose value cannot be used; the message names its flag and variable. */
  public static final class SettingException extends IllegalArgumentException {
    public SettingException(Setting s, String problem) {
      super(s.flag() + " / " + s.envName() + ": " + problem);
    }
  }
}
