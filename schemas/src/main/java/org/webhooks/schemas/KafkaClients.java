package org.webhooks.schemas;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kafka client properties and topic creation shared by every service. */
public final class KafkaClients {

  private static final Logger LOG = LoggerFactory.getLogger(KafkaClients.class);
  /** Dead letters are kept 90 days: long enough to notice, fix and redeliver. */
  private static final long DEAD_LETTER_RETENTION_MS = 90L * 24 * 3600 * 1000;

  private KafkaClients() {}

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
   * {@link WebhooksConfig#partitions()} partitions: subscriptions compacted, dead letters with long
   * retention, the rest with the broker's defaults. Existing topics are left as they are.
   *
   * @throws IllegalStateException when the broker refuses or cannot be reached
   */
  public static void ensureTopics(WebhooksConfig config) {
    Topics topics = config.topics();
    Properties props = common(config);
    try (Admin admin = Admin.create(props)) {
      Set<String> existing = admin.listTopics().names().get();
      short replication = (short) Math.min(3, admin.describeCluster().nodes().get().size());
      List<NewTopic> missing = new ArrayList<>();
      for (String name : topics.allNames()) {
        if (existing.contains(name)) {
          continue;
        }
        Map<String, String> cfg = new HashMap<>();
        if (name.equals(topics.subscriptions().name())) {
          cfg.put(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
        } else if (name.equals(topics.deadLetters().name())) {
          cfg.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(DEAD_LETTER_RETENTION_MS));
        }
        missing.add(new NewTopic(name, config.partitions(), replication).configs(cfg));
      }
      if (!missing.isEmpty()) {
        admin.createTopics(missing).all().get();
        LOG.info("created {} topics with {} partitions", missing.size(), config.partitions());
      }
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
}
