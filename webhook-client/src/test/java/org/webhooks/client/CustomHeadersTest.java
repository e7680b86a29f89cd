package org.webhooks.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.ReservedHeaders;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.AttemptOutcome;
import org.webhooks.testing.Receiver;

/** A subscription's custom headers go out with the request; reserved and malformed ones never do. */
class CustomHeadersTest {

  private static final String SECRET = WebhookSecret.generate();

  private Vertx vertx;
  private Receiver receiver;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
    receiver = Receiver.start(new AtomicLong());
  }

  @AfterEach
  void tearDown() throws Exception {
    receiver.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void customHeadersAreSentAndNeverOverrideThePlatformsOwn() throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("X-Team", "calls");
    headers.put("Authorization", "Bearer t0k3n");
    // each of these would forge or break the request: all are left out
    headers.put("Webhook-Signature", "v1,forged");
    headers.put("webhook-id", "evt_forged");
    headers.put("WEBHOOK-TIMESTAMP", "1");
    headers.put("webhook-extra", "x");
    headers.put("Content-Type", "text/plain");
    headers.put("content-length", "1");
    headers.put("Host", "evil.example");
    headers.put("User-Agent", "forged");
    headers.put("Transfer-Encoding", "chunked");
    headers.put("Connection", "close");
    headers.put("Proxy-Authorization", "Basic x");
    headers.put("X-Split", "a\r\nX-Injected: b");
    headers.put("Bad Name", "x");
    byte[] body = "{\"event_id\":\"evt_1\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    DeliveryRequest request = DeliveryRequest.signed(receiver.url("/in"), List.of(SECRET), "evt_1", Instant.now(),
        body, headers);
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse("127.0.0.1"), Duration.ofSeconds(5), 4);

    AttemptResult result = client.deliver(request).get(30, TimeUnit.SECONDS);

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
    Receiver.Received r = receiver.received("/in").get(0);
    assertThat(r.header("x-team")).isEqualTo("calls");
    assertThat(r.header("authorization")).isEqualTo("Bearer t0k3n");
    assertThat(r.header("webhook-id")).isEqualTo("evt_1");
    assertThat(r.header("webhook-extra")).isNull();
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.header("content-length")).isEqualTo(Integer.toString(body.length));
    assertThat(r.header("host")).isEqualTo("127.0.0.1:" + receiver.port());
    assertThat(r.header("user-agent")).isEqualTo(EndpointClient.USER_AGENT);
    assertThat(r.header("transfer-encoding")).isNull();
    assertThat(r.header("proxy-authorization")).isNull();
    assertThat(r.header("x-split")).isNull();
    assertThat(r.header("x-injected")).isNull();
    assertThat(r.body()).isEqualTo(body);
    assertThat(r.header("webhook-signature")).doesNotContain("forged");
    assertThat(WebhookSignature.verify(SECRET, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
        r.header("webhook-signature"))).isTrue();
  }

  @Test
  void theReservedNamesAreTheSignatureContentHostAndConnectionHeadersInAnyCase() {
    for (String name : List.of("webhook-signature", "Webhook-Id", "WEBHOOK-TIMESTAMP", "content-type", "Content-Length",
        "content-encoding", "host", "HOST", "user-agent", "connection", "keep-alive", "te", "trailer",
        "transfer-encoding", "upgrade", "expect", "proxy-authorization")) {
      assertThat(ReservedHeaders.isReserved(name)).as(name).isTrue();
    }
    for (String name : List.of("authorization", "x-team", "x-webhook-source", "accept", "x-content")) {
      assertThat(ReservedHeaders.isReserved(name)).as(name).isFalse();
    }
    assertThat(ReservedHeaders.isWellFormed("X-Team", "a\tb")).isTrue();
    assertThat(ReservedHeaders.isWellFormed("X-Team", "a\nb")).isFalse();
    assertThat(ReservedHeaders.isWellFormed("X Team", "a")).isFalse();
    assertThat(ReservedHeaders.isWellFormed("X-Team", null)).isFalse();
  }

  @Test
  void aRequestKeepsItsBodyAndSignatureOutOfItsText() {
    DeliveryRequest request = DeliveryRequest.signed("https://hooks.example.com/in", List.of(SECRET), "evt_1",
        Instant.now(), "{\"secret\":\"body\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        Map.of("Authorization", "Bearer t0k3n"));

    assertThat(request.toString()).doesNotContain(request.signature()).doesNotContain("\"secret\"")
        .doesNotContain("t0k3n").contains("evt_1");
  }
}
