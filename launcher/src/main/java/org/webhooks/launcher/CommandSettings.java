package org.webhooks.launcher;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.webhooks.schemas.Setting;

/**
 * Which settings each command accepts as flags: only those it uses, so that a flag a command would
 * ignore ({@code subscriptions list --max-in-flight 3}) is refused as an unknown option instead of
 * silently doing nothing. The environment variables of every setting are read by every command, as
 * an environment is shared by every command run in it. One table, so that a new command cannot
 * forget to say what it takes ({@link #of} refuses a command it does not know).
 */
final class CommandSettings {

  /** Where the stack is: what every command that talks to Kafka needs (plus {@code --kafka}). */
  private static final Set<Setting> CONNECT = EnumSet.of(
      Setting.DATA_DIR, Setting.BOOTSTRAP_SERVERS, Setting.REGISTRY_URL, Setting.TOPIC_PREFIX);
  /** What names and shapes the topics: for commands that create them. */
  private static final Set<Setting> TOPICS = EnumSet.of(
      Setting.TOPIC_PREFIX, Setting.PARTITIONS, Setting.RETRY_SCHEDULE, Setting.MAX_EVENT_BYTES);
  /** What a service process takes besides its own settings. */
  private static final Set<Setting> SERVICE = EnumSet.of(Setting.HTTP_PORT, Setting.INSTANCE_ID);
  private static final Set<Setting> WORKER = EnumSet.of(Setting.HTTP_TIMEOUT, Setting.ALLOWED_TARGETS,
      Setting.MAX_IN_FLIGHT, Setting.MAX_IN_FLIGHT_PER_ENDPOINT, Setting.WORKER_LOOPS, Setting.CIRCUIT_THRESHOLD,
      Setting.CIRCUIT_PROBE_DELAY, Setting.SECRETS_KEY);
  /** What reads or writes signing secrets needs: the keys they are encrypted with. */
  private static final Set<Setting> SECRETS = EnumSet.of(Setting.SECRETS_KEY);
  private static final Set<Setting> STATS = EnumSet.of(Setting.ATTEMPT_RETENTION, Setting.FAILING_WINDOW,
      Setting.FAILING_MIN_ATTEMPTS, Setting.FAILING_SUCCESS_RATE, Setting.FAILING_CIRCUIT_OPEN,
      Setting.AUTO_DISABLE_AFTER, Setting.ADVERTISED_HOST, Setting.INTERNAL_TOKEN);

  private static final Map<String, Set<Setting>> BY_COMMAND = Map.ofEntries(
      Map.entry("up", EnumSet.allOf(Setting.class)),
      Map.entry("demo", EnumSet.allOf(Setting.class)),
      Map.entry("bench", EnumSet.allOf(Setting.class)),
      Map.entry("fanout-stream", union(CONNECT, TOPICS, SERVICE, EnumSet.of(Setting.FANOUT_THREADS))),
      Map.entry("delivery-worker", union(CONNECT, TOPICS, SERVICE, WORKER)),
      Map.entry("retry-scheduler", union(CONNECT, TOPICS, SERVICE)),
      Map.entry("delivery-stats", union(CONNECT, TOPICS, SERVICE, STATS, SECRETS)),
      Map.entry("control-plane", union(CONNECT, TOPICS, SERVICE, SECRETS, EnumSet.of(Setting.ALLOWED_TARGETS,
          Setting.HTTP_TIMEOUT, Setting.SECRET_ROTATION_GRACE, Setting.STATS_URL, Setting.INTERNAL_TOKEN,
          Setting.FAILING_WINDOW))),
      Map.entry("attempts tail", CONNECT),
      Map.entry("topics", union(CONNECT, TOPICS)),
      Map.entry("publish", union(CONNECT, EnumSet.of(Setting.MAX_EVENT_BYTES))),
      Map.entry("simulate", union(CONNECT, EnumSet.of(Setting.MAX_EVENT_BYTES))),
      Map.entry("subscriptions add", union(CONNECT, SECRETS, EnumSet.of(Setting.ALLOWED_TARGETS))),
      Map.entry("subscriptions update", union(CONNECT, SECRETS, EnumSet.of(Setting.ALLOWED_TARGETS))),
      Map.entry("subscriptions rotate-secret", union(CONNECT, SECRETS, EnumSet.of(Setting.SECRET_ROTATION_GRACE))),
      Map.entry("subscriptions test", union(CONNECT, SECRETS, EnumSet.of(Setting.ALLOWED_TARGETS, Setting.HTTP_TIMEOUT))),
      Map.entry("subscriptions list", union(CONNECT, SECRETS)),
      Map.entry("subscriptions delete", union(CONNECT, SECRETS)),
      Map.entry("subscriptions reencrypt", union(CONNECT, SECRETS)),
      Map.entry("api-keys create", CONNECT),
      Map.entry("api-keys list", CONNECT),
      Map.entry("api-keys revoke", CONNECT),
      Map.entry("dead-letters list", CONNECT),
      Map.entry("dead-letters redeliver", union(CONNECT, EnumSet.of(Setting.INSTANCE_ID))),
      Map.entry("subscriptions recover", union(CONNECT, SECRETS, EnumSet.of(Setting.INSTANCE_ID, Setting.MAX_EVENT_BYTES))),
      Map.entry("subscriptions replay", union(CONNECT, SECRETS, EnumSet.of(Setting.INSTANCE_ID, Setting.MAX_EVENT_BYTES))),
      Map.entry("attempts resend", union(CONNECT, SECRETS, EnumSet.of(Setting.INSTANCE_ID, Setting.MAX_EVENT_BYTES))));

  private CommandSettings() {}

  /**
   * @param command the command as typed after {@code ./webhooks}, e.g. {@code subscriptions add}
   * @return the settings it accepts as flags
   * @throws IllegalStateException for a command the table does not list
   */
  static Set<Setting> of(String command) {
    Set<Setting> s = BY_COMMAND.get(command);
    if (s == null) {
      throw new IllegalStateException("no settings declared for command '" + command + "' in CommandSettings");
    }
    return s;
  }

  @SafeVarargs
  private static Set<Setting> union(Set<Setting>... sets) {
    EnumSet<Setting> out = EnumSet.noneOf(Setting.class);
    for (Set<Setting> s : sets) {
      out.addAll(s);
    }
    return out;
  }
}
