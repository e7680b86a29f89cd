package org.webhooks.schemas;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
    workerLoops();
    circuitThreshold();
    circuitProbeDelay();
    maxEventBytes();
    kafkaPort();
    controllerPort();
    registryPort();
    targetPolicy();
    secretsKeys();
    attemptRetention();
    failingWindow();
    failingMinAttempts();
    failingSuccessRate();
    failingCircuitOpen();
    autoDisableAfter();
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

  /**
   * @return owner loops per delivery-worker process: the setting, or when it is empty one per two
   *     cores of this machine ({@link Runtime#availableProcessors()}), at least one
   * @throws SettingException naming the flag and variable when set to something else than 1-256
   */
  public int workerLoops() {
    if (get(Setting.WORKER_LOOPS).isBlank()) {
      return perTwoCores();
    }
    return intSetting(Setting.WORKER_LOOPS, 1, 256);
  }

  /**
   * @return Kafka Streams threads per fanout-stream process: the setting, or when it is empty one per
   *     two cores of this machine ({@link Runtime#availableProcessors()}), at least one
   * @throws SettingException naming the flag and variable when set to something else than 1-256
   */
  public int fanoutThreads() {
    if (get(Setting.FANOUT_THREADS).isBlank()) {
      return perTwoCores();
    }
    return intSetting(Setting.FANOUT_THREADS, 1, 256);
  }

  /** @return one per two cores of this machine, at least one */
  static int perTwoCores() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
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

  /** Bytes of one key of {@code WEBHOOKS_SECRETS_KEY} (AES-256). */
  public static final int SECRETS_KEY_BYTES = 32;

  /**
   * @return the keys of {@code WEBHOOKS_SECRETS_KEY} in the order given (the first encrypts, all
   *     decrypt), each {@link #SECRETS_KEY_BYTES} bytes; empty when the setting is empty (the embedded
   *     default: a key file in the data dir)
   * @throws SettingException naming the flag and variable when an entry is not base64 of 32 bytes
   */
  public List<byte[]> secretsKeys() {
    List<byte[]> keys = new java.util.ArrayList<>();
    String[] entries = get(Setting.SECRETS_KEY).split(",");
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      if (entry.isEmpty()) {
        continue;
      }
      byte[] key;
      try {
        key = java.util.Base64.getDecoder().decode(entry);
      } catch (IllegalArgumentException e) {
        // the value is a secret: the message says which entry, never what it holds
        throw new SettingException(Setting.SECRETS_KEY, "key " + (i + 1) + " is not base64 (make one with: "
            + "openssl rand -base64 32)");
      }
      if (key.length != SECRETS_KEY_BYTES) {
        throw new SettingException(Setting.SECRETS_KEY, "key " + (i + 1) + " holds " + key.length
            + " bytes, not " + SECRETS_KEY_BYTES + " (make one with: openssl rand -base64 32)");
      }
      keys.add(key);
    }
    return keys;
  }

  /** @return how long the attempt index keeps an attempt; at least 1 minute. */
  public Duration attemptRetention() {
    return durationSetting(Setting.ATTEMPT_RETENTION, Duration.ofMinutes(1));
  }

  /** @return the window of the success rate that makes an endpoint failing; at least 1 second. */
  public Duration failingWindow() {
    return durationSetting(Setting.FAILING_WINDOW, Duration.ofSeconds(1));
  }

  /** @return the fewest attempts in the window for a low success rate to count. */
  public int failingMinAttempts() {
    return intSetting(Setting.FAILING_MIN_ATTEMPTS, 1, 1_000_000);
  }

  /** @return the success rate (0..1) under which an endpoint with enough attempts is failing. */
  public double failingSuccessRate() {
    String raw = get(Setting.FAILING_SUCCESS_RATE).trim();
    try {
      double v = Double.parseDouble(raw);
      if (!(v >= 0 && v <= 1)) {
        throw new SettingException(Setting.FAILING_SUCCESS_RATE, "'" + raw + "' is out of range 0..1");
      }
      return v;
    } catch (NumberFormatException e) {
      throw new SettingException(Setting.FAILING_SUCCESS_RATE, "'" + raw + "' is not a number such as 0.5");
    }
  }

  /** @return how long an endpoint's circuit stays open before the endpoint counts as failing; at least 1 second. */
  public Duration failingCircuitOpen() {
    return durationSetting(Setting.FAILING_CIRCUIT_OPEN, Duration.ofSeconds(1));
  }

  /**
   * @return how long an endpoint may go without a successful attempt before it is disabled; zero =
   *     never disabled; otherwise at least 2 seconds (endpoint.failing warns at half of it)
   */
  public Duration autoDisableAfter() {
    Duration d = durationSetting(Setting.AUTO_DISABLE_AFTER, Duration.ZERO);
    if (!d.isZero() && d.compareTo(Duration.ofSeconds(2)) < 0) {
      throw new SettingException(Setting.AUTO_DISABLE_AFTER, "'" + get(Setting.AUTO_DISABLE_AFTER)
          + "' is shorter than 2s (write 0s to never disable)");
    }
    return d;
  }

  /** @return the host other processes reach this one at: the setting, else the host name. */
  public String advertisedHost() {
    String host = get(Setting.ADVERTISED_HOST).trim();
    if (!host.isEmpty()) {
      return host;
    }
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      return "localhost";
    }
  }

  /** @return the shared secret of the internal routes, "" when none is set. */
  public String internalToken() {
    return get(Setting.INTERNAL_TOKEN).trim();
  }

  /**
   * @return the base URLs of {@code WEBHOOKS_STATS_URL}, in the order given (empty when unset)
   * @throws SettingException when one is not an absolute http or https URL with a host
   */
  public List<URI> statsUrls() {
    List<URI> out = new ArrayList<>();
    for (String part : get(Setting.STATS_URL).split(",")) {
      String u = part.trim();
      if (u.isEmpty()) {
        continue;
      }
      URI uri;
      try {
        uri = new URI(u.endsWith("/") ? u.substring(0, u.length() - 1) : u);
      } catch (URISyntaxException e) {
        throw new SettingException(Setting.STATS_URL, "'" + u + "' is not a URL");
      }
      if (uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
        throw new SettingException(Setting.STATS_URL, "'" + u + "' is not an http(s)://host:port URL");
      }
      out.add(uri);
    }
    return out;
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

  private Duration durationSetting(Setting s, Duration min) {
    Duration d;
    try {
      d = Durations.parse(get(s));
    } catch (IllegalArgumentException e) {
      throw new SettingException(s, e.getMessage());
    }
    if (d.compareTo(min) < 0) {
      throw new SettingException(s, "'" + get(s) + "' is shorter than " + Durations.format(min));
    }
    return d;
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

  /**
   * @return the settings without what they must never show: {@code WEBHOOKS_SECRETS_KEY} and Kafka
   *     properties that may hold credentials appear as {@code (hidden)}
   */
  @Override
  public String toString() {
    Map<Setting, String> shown = new EnumMap<>(values);
    if (!shown.get(Setting.SECRETS_KEY).isEmpty()) {
      shown.put(Setting.SECRETS_KEY, "(hidden)");
    }
    Map<String, String> kafka = new TreeMap<>(kafkaProperties);
    kafka.replaceAll((k, v) -> k.contains("password") || k.contains("jaas") || k.contains("secret")
        || k.startsWith("ssl.keystore.key") ? "(hidden)" : v);
    return "WebhooksConfig[values=" + shown + ", kafkaProperties=" + kafka + "]";
  }

  /** A setting whose value cannot be used; the message names its flag and variable. */
  public static final class SettingException extends IllegalArgumentException {
    public SettingException(Setting s, String problem) {
      super(s.flag() + " / " + s.envName() + ": " + problem);
    }
  }
}
