package org.webhooks.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka client properties, record size limits and topic creation shared by every service.
 *
 * <p>Record limits follow from {@link WebhooksConfig#maxEventBytes()} (E): a {@code call-events}
 * record holds an event (its Avro form is smaller than its JSON body) and its account id, at most
 * {@link #maxCallEventRecordBytes} = E + 64 KiB; a delivery task holds the body and, again, the
 * event's call and account ids, and a dead letter a call-events record or a task, so every other
 * topic allows {@link #maxRecordBytes} = 2 x (E + 64 KiB). Topics get these as
 * {@code max.message.bytes} and producers as {@code max.request.size}.
 */
public final class KafkaClients {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaClients.class);
  /** Dead letters are kept 90 days: long enough to notice, fix and redeliver. */
  private static final long DEAD_LETTER_RETENTION_MS = 90L * 24 * 3600 * 1000;
  /** Longest wait for the leaders of topics just created. */
  private static final Duration LEADER_WAIT = Duration.ofSeconds(30);
  private static final long LEADER_POLL_MS = 50;
  /** Idempotency keys are honoured 24 hours (as Stripe's), ms: their topic deletes older records. */
  public static final long IDEMPOTENCY_RETENTION_MS = 24L * 3600 * 1000;
  /**
   * Room a record needs beyond the event it carries, bytes: ids, timestamps, the reason of a dead
   * letter, record and batch headers.
   */
  public static final int RECORD_OVERHEAD_BYTES = 64 * 1024;
  /** Largest {@code WEBHOOKS_MAX_EVENT_BYTES}, 64 MiB: the record limits derived from it stay an int. */
  public static final int MAX_EVENT_BYTES_LIMIT = 64 * 1024 * 1024;

  private KafkaClients() {}

  /**
   * @param maxEventBytes the largest rendered event body, bytes
   * @return the largest {@code call-events} record, bytes: {@code maxEventBytes} + 64 KiB
   */
  public static int maxCallEventRecordBytes(int maxEventBytes) {
    return maxEventBytes + RECORD_OVERHEAD_BYTES;
  }

  /**
   * @param maxEventBytes the largest rendered event body, bytes
   * @return the largest record of every topic but {@code call-events}, bytes: twice
   *     {@link #maxCallEventRecordBytes}
   */
  public static int maxRecordBytes(int maxEventBytes) {
    return 2 * maxCallEventRecordBytes(maxEventBytes);
  }

  /**
   * @return {@code bootstrap.servers} plus every pass-through Kafka property of {@code config}
   * @throws IllegalStateException when no bootstrap servers are configured
   */
  public static Properties common(WebhooksConfig config) {
    if (config.bootstrapServers().isEmpty()) {
      throw new IllegalStateException("no Kafka bootstrap servers configured: set --bootstrap-servers / "
          + "WEBHOOKS_BOOTSTRAP_SERVERS, or start the embedded stack with ./webhooks up");
    }
    Properties p = new Properties();
    p.putAll(config.kafkaProperties());
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    return p;
  }

  /**
   * Creates every topic of {@link Topics#allNames()} that does not exist yet, with
   * {@link WebhooksConfig#partitions()} partitions and the record limit of
   * {@link WebhooksConfig#maxEventBytes()} ({@code max.message.bytes}): subscriptions and API keys
   * compacted, idempotency keys compacted and deleted after 24 h, dead letters with long retention,
   * call events stamped by the broker ({@code message.timestamp.type=LogAppendTime}: a record's
   * timestamp is its publish time, the time every rule about "published" reads), the rest with the
   * broker's defaults. Of an existing topic only a
   * record limit below that is raised (a larger {@code WEBHOOKS_MAX_EVENT_BYTES} then takes effect
   * without recreating topics); a limit that cannot be raised is logged and left.
   *
   * @throws IllegalStateException when the broker refuses to create a topic or cannot be reached
   */
  public static void ensureTopics(WebhooksConfig config) {
    Topics topics = config.topics();
    Properties props = common(config);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get();
      short replication = (short) Math.min(3, admin.describeCluster().nodes().get().size());
      List<NewTopic> missing = new ArrayList<>();
      List<String> present = new ArrayList<>();
      for (String name : topics.allNames()) {
        if (existing.contains(name)) {
          present.add(name);
          continue;
        }
        Map<String, String> cfg = new HashMap<>();
        if (name.equals(topics.subscriptions().name()) || name.equals(topics.apiKeys().name())) {
          cfg.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        } else if (name.equals(topics.idempotencyKeys().name())) {
          cfg.put(TopicConfig.CLEANUP_POLICY_CONFIG,
              TopicConfig.CLEANUP_POLICY_COMPACT + "," + TopicConfig.CLEANUP_POLICY_DELETE);
          cfg.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(IDEMPOTENCY_RETENTION_MS));
        } else if (name.equals(topics.deadLetters().name())) {
          cfg.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(DEAD_LETTER_RETENTION_MS));
        } else if (name.equals(topics.callEvents().name())) {
          // publish time is the broker's, whatever a producer's clock says or a producer sets
          cfg.put(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG, "LogAppendTime");
        }
        cfg.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(recordLimit(config, name)));
        missing.add(new NewTopic(name, config.partitions(), replication).configs(cfg));
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get();
        awaitLeaders(admin, missing);
        LOG.info("created {} topics with {} partitions", missing.size(), config.partitions());
      }
      raiseRecordLimits(admin, config, present);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof org.apache.kafka.common.errors.TopicExistsException) {
        return; // another process created them at the same time
      }
      throw new IllegalStateException("cannot create topics: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  /**
   * Waits until every partition of the topics just created has a leader that takes requests. A
   * broker answers metadata with the new leader a moment before that leader accepts writes; an
   * idempotent producer whose first request to a partition is refused then (NOT_LEADER_OR_FOLLOWER)
   * while a later one is accepted retries the first forever with OUT_OF_ORDER_SEQUENCE_NUMBER and
   * loses it (KAFKA-15591). Listing offsets needs the leader itself; while the topic is not known yet
   * or its leader not ready, that is a retriable error, and it is asked again.
   */
  private static void awaitLeaders(Admin admin, List<NewTopic> created)
      throws InterruptedException, ExecutionException {
    Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
    for (NewTopic t : created) {
      for (int p = 0; p < t.numPartitions(); p++) {
        partitions.put(new TopicPartition(t.name(), p), OffsetSpec.latest());
      }
    }
    long deadline = System.nanoTime() + LEADER_WAIT.toNanos();
    while (true) {
      try {
        admin.listOffsets(partitions).all().get();
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(LEADER_POLL_MS);
      }
    }
  }

  /** @return the {@code max.message.bytes} topic {@code name} needs */
  private static int recordLimit(WebhooksConfig config, String name) {
    return name.equals(config.topics().callEvents().name()) ? maxCallEventRecordBytes(config.maxEventBytes())
        : maxRecordBytes(config.maxEventBytes());
  }

  private static void raiseRecordLimits(Admin admin, WebhooksConfig config, List<String> names)
      throws InterruptedException {
    if (names.isEmpty()) {
      return;
    }
    List<ConfigResource> resources = names.stream()
        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
    Map<ConfigResource, Config> current;
    try {
      current = admin.describeConfigs(resources).all().get();
    } catch (ExecutionException e) {
      LOG.warn("cannot read the record limits of the topics, so they are left as they are: {}", e.getCause().toString());
      return;
    }
    Map<ConfigResource, Collection<AlterConfigOp>> raises = new HashMap<>();
    for (ConfigResource topic : resources) {
      ConfigEntry entry = current.get(topic).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
      int needed = recordLimit(config, topic.name());
      if (entry != null && entry.value() != null && Long.parseLong(entry.value()) < needed) {
        raises.put(topic, List.of(new AlterConfigOp(
            new ConfigEntry(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(needed)), AlterConfigOp.OpType.SET)));
      }
    }
    for (Map.Entry<ConfigResource, Collection<AlterConfigOp>> raise : raises.entrySet()) {
      String topic = raise.getKey().name();
      String from = current.get(raise.getKey()).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value();
      String to = raise.getValue().iterator().next().configEntry().value();
      try {
        admin.incrementalAlterConfigs(Map.of(raise.getKey(), raise.getValue())).all().get();
        LOG.info("raised max.message.bytes of topic {} from {} to {} ({} {})", topic, from, to,
            Setting.MAX_EVENT_BYTES.envName(), config.maxEventBytes());
      } catch (ExecutionException e) {
        LOG.warn("topic {} takes records of at most {} bytes and cannot be raised to {} ({}): larger events may be "
            + "refused", topic, from, to, e.getCause().toString());
      }
    }
  }
}
