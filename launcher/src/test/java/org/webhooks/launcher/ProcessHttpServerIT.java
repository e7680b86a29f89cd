package org.webhooks.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.webhooks.embedded.EmbeddedStack;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

/** {@code /health} names the part that is down: here the Kafka cluster, with the registry still up. */
class ProcessHttpServerIT {

  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void healthIsUpWithTheClusterAndDownWithTheClusterNamedWhenItCannotBeReached() throws Exception {
    EmbeddedStack stack = TestStack.shared();
    WebhooksConfig reachable = WebhooksConfig.defaults()
        .with(Setting.BOOTSTRAP_SERVERS, stack.bootstrapServers())
        .with(Setting.REGISTRY_URL, stack.registryUrl())
        .with(Setting.HTTP_PORT, "0");
    try (ProcessHttpServer ops = ProcessHttpServer.start(List.of(), reachable)) {
      HttpResponse<String> health = health(ops);
      assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
      JsonNode body = JSON.readTree(health.body());
      assertThat(body.get("kafka").asText()).isEqualTo("UP");
      assertThat(body.get("registry").asText()).isEqualTo("UP");
      assertThat(body.get("status").asText()).isEqualTo("UP");
    }

    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    WebhooksConfig unreachable = reachable.with(Setting.BOOTSTRAP_SERVERS, "127.0.0.1:" + closedPort);
    try (ProcessHttpServer ops = ProcessHttpServer.start(List.of(), unreachable)) {
      HttpResponse<String> health = health(ops);
      assertThat(health.statusCode()).as(health.body()).isEqualTo(503);
      JsonNode body = JSON.readTree(health.body());
      assertThat(body.get("kafka").asText()).isEqualTo("DOWN");
      assertThat(body.get("registry").asText()).isEqualTo("UP");
      assertThat(body.get("status").asText()).isEqualTo("DOWN");
    }
  }

  private static HttpResponse<String> health(ProcessHttpServer ops) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ops.port() + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
