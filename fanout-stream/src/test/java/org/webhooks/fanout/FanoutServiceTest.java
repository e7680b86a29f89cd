package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DefaultProductionExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/** The settings FanoutService gives Kafka Streams, and its refusals before anything is contacted. */
class FanoutServiceTest {

  @TempDir Path stateDir;

  private final WebhooksConfig config = WebhooksConfig.defaults()
      .with(Setting.BOOTSTRAP_SERVERS, "127.0.0.1:1")
      .with(Setting.TOPIC_PREFIX, "staging-")
      .withKafkaProperties(Map.of("client.dns.lookup", "use_all_dns_ips"));

  @Test
  void streamsRunExactlyOnceUnderThePrefixedApplicationId() {
    Properties p = FanoutService.streamsProperties(config, stateDir);

    assertThat(p.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("staging-fanout-stream");
    assertThat(p.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)).isEqualTo("127.0.0.1:1");
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
    assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(100);
    assertThat(p.get(StreamsConfig.STATE_DIR_CONFIG)).isEqualTo(stateDir.toAbsolutePath().toString());
    assertThat(p.get("producer.transaction.timeout.ms")).isEqualTo(10_000);
    assertThat(p.get("client.dns.lookup")).isEqualTo("use_all_dns_ips");
    assertThat(p.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(LogAndFailExceptionHandler.class);
    assertThat(p.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(LogAndFailProcessingExceptionHandler.class);
    assertThat(p.get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(DefaultProductionExceptionHandler.class);
    assertThat(p.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(config.fanoutThreads());
    // Accepted by Kafka Streams as a whole.
    StreamsConfig parsed = new StreamsConfig(p);
    assertThat(parsed.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
    // WEBHOOKS_FANOUT_THREADS sets the stream threads of the process
    assertThat(new StreamsConfig(FanoutService.streamsProperties(config.with(Setting.FANOUT_THREADS, "3"), stateDir))
        .getInt(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(3);
  }

  @Test
  void startWithoutARegistryIsRefused() {
    try (FanoutService service = new FanoutService(config, stateDir)) {
      assertThatThrownBy(service::start).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("WEBHOOKS_REGISTRY_URL");
      assertThat(service.isReady()).isFalse();
      assertThat(service.name()).isEqualTo("fanout-stream");
    }
  }

  @Test
  void startWithAnUnreachableRegistryIsRefused() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    WebhooksConfig unreachable =
        config.with(Setting.REGISTRY_URL, "http://127.0.0.1:" + closedPort + "/apis/ccompat/v7");
    try (FanoutService service = new FanoutService(unreachable, stateDir)) {
      assertThatThrownBy(service::start).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot be reached");
    }
  }
}
