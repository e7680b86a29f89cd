package org.webhooks.client;

import org.webhooks.testing.Receiver;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.AttemptOutcome;

/** The door out, against real local HTTP servers; name resolution is given where DNS matters. */
class EndpointClientTest {

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
  void postsTheBodyBytesAndTheStandardWebhooksHeaders() throws Exception {
    byte[] body = body("evt_1");
    AttemptResult result = deliver(client("127.0.0.1", Duration.ofSeconds(5)), receiver.url("/in?x=1"), body);

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
    assertThat(result.statusCode()).isEqualTo(200);
    assertThat(result.responseExcerpt()).isEqualTo("ok");
    Receiver.Received r = receiver.received("/in").get(0);
    assertThat(r.body()).isEqualTo(body);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.header("user-agent")).isEqualTo(EndpointClient.USER_AGENT);
    assertThat(WebhookSignature.verify(SECRET, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
        r.header("webhook-signature"))).isTrue();
  }

  @Test
  void aLargeResponseIsCutOffAndTheExcerptEndsOnACharacterBoundary() throws Exception {
    // 'a' then two-byte characters: byte 1024 is the second half of one, so the cut moves back
    String big = "a" + "é".repeat(512 * 1024);
    receiver.answer("/big", new Receiver.Status(200, big));
    AttemptResult result = deliver(client("127.0.0.1", Duration.ofSeconds(5)), receiver.url("/big"),
        new byte[] {'{', '}'});

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
    byte[] excerpt = result.responseExcerpt().getBytes(StandardCharsets.UTF_8);
    assertThat(excerpt).hasSize(1023);
    assertThat(result.responseExcerpt()).isEqualTo("a" + "é".repeat(511));
  }

  @Test
  void aResponseThatNeverEndsTimesOutAtTheDeadlineEvenWhileBytesKeepComing() throws Exception {
    AtomicBoolean closed = new AtomicBoolean();
    HttpServer trickle = vertx.createHttpServer().requestHandler(req -> {
      req.response().setChunked(true).setStatusCode(200).write("x");
      long timer = vertx.setPeriodic(50, id -> req.response().write("x"));
      req.response().closeHandler(v -> {
        vertx.cancelTimer(timer);
        closed.set(true);
      });
    });
    trickle.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    AttemptResult result = deliver(client("127.0.0.1", Duration.ofMillis(500)),
        "http://127.0.0.1:" + trickle.actualPort() + "/slow", new byte[] {'{', '}'});

    // a byte every 50 ms never trips an idle timeout of 500 ms: only the whole-response deadline ends it
    assertThat(result.outcome()).isEqualTo(AttemptOutcome.TIMEOUT);
    assertThat(result.statusCode()).isNull();
    await().atMost(Duration.ofSeconds(10)).untilTrue(closed);
  }

  @Test
  void aHostThatResolvesToAPrivateAddressIsBlockedBeforeAnythingIsSent() throws Exception {
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse("127.0.0.1"), Duration.ofSeconds(5), 8,
        host -> new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName("10.1.2.3")});
    AttemptResult result = deliver(client, "https://hooks.customer.example/in", new byte[] {'{', '}'});

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.BLOCKED);
    assertThat(result.error()).contains("10.1.2.3");
    assertThat(result.statusCode()).isNull();
  }

  @Test
  void aHostThatResolvesToAnAddressCarryingANonPublicIpv4AddressIsBlocked() throws Exception {
    // NAT64, 6to4, Teredo and IPv4-compatible forms of the metadata and loopback addresses
    for (String resolved : List.of("64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2001:0:5db8:d822:0:0:80ff:fffe",
        "::127.0.0.1", "198.18.0.1")) {
      EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse(""), Duration.ofSeconds(5), 8,
          host -> new InetAddress[] {InetAddress.getByName(resolved)});
      AttemptResult result = deliver(client, "https://hooks.customer.example/in", new byte[] {'{', '}'});

      assertThat(result.outcome()).as(resolved).isEqualTo(AttemptOutcome.BLOCKED);
      assertThat(result.error()).as(resolved).contains("hooks.customer.example").contains("not a permitted target");
    }
  }

  @Test
  void aNonCanonicalIpv4HostIsBlockedNamingItsForm() throws Exception {
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse(""), Duration.ofSeconds(5), 8,
        host -> {
          throw new AssertionError("a refused URL is never resolved, but " + host + " was");
        });
    for (String url : List.of("https://127.1/", "https://0x7f.0.0.1/", "https://[64:ff9b::a9fe:a9fe]/")) {
      AttemptResult result = deliver(client, url, new byte[] {'{', '}'});

      assertThat(result.outcome()).as(url).isEqualTo(AttemptOutcome.BLOCKED);
      assertThat(result.error()).as(url).startsWith("url '" + url + "'").doesNotContain("has no host");
    }
    assertThat(deliver(client, "https://127.1/", new byte[0]).error()).contains("non-canonical IPv4 address");
  }

  @Test
  void theConnectionGoesToTheAddressThatWasChecked() throws Exception {
    // the name resolves only through the given resolver; Vert.x must not resolve it again
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse("hooks.customer.example"),
        Duration.ofSeconds(5), 8, host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")});
    AttemptResult result = deliver(client, "http://hooks.customer.example:" + receiver.port() + "/pinned",
        new byte[] {'{', '}'});

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.SUCCEEDED);
    assertThat(receiver.received("/pinned").get(0).header("host"))
        .isEqualTo("hooks.customer.example:" + receiver.port());
  }

  @Test
  void urlsThePolicyRefusesAreBlockedAndUnresolvableHostsAreConnectionErrors() throws Exception {
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse("127.0.0.1"), Duration.ofSeconds(5), 8,
        host -> {
          throw new UnknownHostException(host);
        });
    for (String url : List.of("ftp://127.0.0.1/x", "http://hooks.customer.example/x", "https://10.0.0.1/x",
        "https://user:pw@hooks.customer.example/x")) {
      assertThat(deliver(client, url, new byte[0]).outcome()).as(url).isEqualTo(AttemptOutcome.BLOCKED);
    }
    AttemptResult unresolved = deliver(client, "https://nowhere.customer.example/x", new byte[0]);
    assertThat(unresolved.outcome()).isEqualTo(AttemptOutcome.CONNECTION_ERROR);
    assertThat(unresolved.error()).contains("nowhere.customer.example");
    assertThat(receiver.received()).isEmpty();
  }

  @Test
  void aLiteralAddressIsNeverResolvedAndAKeptCheckAnswersAsTheFirstDid() throws Exception {
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse("127.0.0.1"), Duration.ofSeconds(5), 8,
        host -> {
          throw new AssertionError("a literal address is never resolved, but " + host + " was");
        });
    for (int i = 0; i < 3; i++) {
      assertThat(deliver(client, receiver.url("/literal"), new byte[] {'{', '}'}).outcome())
          .isEqualTo(AttemptOutcome.SUCCEEDED);
      AttemptResult refused = deliver(client, "https://10.0.0.1/x", new byte[0]);
      assertThat(refused.outcome()).isEqualTo(AttemptOutcome.BLOCKED);
      assertThat(refused.error()).contains("10.0.0.1");
      AttemptResult refusedIpv6 = deliver(client, "https://[fd00::1]/x", new byte[0]);
      assertThat(refusedIpv6.outcome()).isEqualTo(AttemptOutcome.BLOCKED);
    }
    assertThat(receiver.received("/literal")).hasSize(3);
  }

  @Test
  void aRequestThatCannotBeBuiltFailsAtOnceInsteadOfTimingOut() throws Exception {
    // A raw producer can put a line break in an event id; it may never reach a header.
    DeliveryRequest request = DeliveryRequest.signed(receiver.url("/in"), List.of(SECRET), "evt_1\r\nX-Injected: y",
        Instant.now(), body("evt_1"));
    AttemptResult result = client("127.0.0.1", Duration.ofHours(1)).deliver(request).get(30, TimeUnit.SECONDS);

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.OTHER);
    assertThat(result.error()).startsWith("request not sent");
    assertThat(receiver.received("/in")).isEmpty();
  }

  private EndpointClient client(String allowed, Duration timeout) {
    return new EndpointClient(vertx, TargetPolicy.parse(allowed), timeout, 8);
  }

  private static AttemptResult deliver(EndpointClient client, String url, byte[] body) throws Exception {
    DeliveryRequest request = DeliveryRequest.signed(url, List.of(SECRET), "evt_1", Instant.now(), body);
    return client.deliver(request).get(30, TimeUnit.SECONDS);
  }

  private static byte[] body(String eventId) {
    return ("{\"event_id\":\"" + eventId + "\",\"event_type\":\"call.completed\",\"data\":{\"call_id\":\"c\"}}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
