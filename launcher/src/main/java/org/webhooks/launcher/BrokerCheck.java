package org.webhooks.launcher;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.webhooks.schemas.KafkaClients;
import org.webhooks.schemas.WebhooksConfig;

/**
 * Whether the Kafka cluster answers, for {@code /health}. A consumer keeps its assignment while the
 * broker is unreachable (it cannot even learn that it lost it), so a service's own readiness stays
 * true through an outage; asking the cluster for its nodes tells the operator what is wrong.
 */
final class BrokerCheck implements AutoCloseable {

  /** Longest wait for the cluster's answer, ms. */
  static final int TIMEOUT_MS = 2000;

  private final Admin admin;

  /** @param config bootstrap servers and pass-through {@code kafka.*} client properties */
  BrokerCheck(WebhooksConfig config) {
    Properties p = KafkaClients.common(config);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, config.topicPrefix() + "health-" + config.instanceId());
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, TIMEOUT_MS);
    this.admin = Admin.create(p);
  }

  /** @return true when the cluster named its nodes within {@link #TIMEOUT_MS}; blocks up to that long */
  boolean answers() {
    try {
      return !admin.describeCluster(new DescribeClusterOptions().timeoutMs(TIMEOUT_MS)).nodes()
          .get(TIMEOUT_MS + 500L, TimeUnit.MILLISECONDS).isEmpty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
      return false;
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
