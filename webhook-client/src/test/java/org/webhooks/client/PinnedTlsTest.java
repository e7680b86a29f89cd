package org.webhooks.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyStoreOptions;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * The connection goes to the address that was checked, while TLS still speaks to the host named in the
 * URL: the server name indication and the certificate check use the host name, the Host header too.
 * A real TLS server on 127.0.0.1 with a certificate for {@code hooks.customer.example} only; the name
 * resolves to it through the resolver given to the client, never through DNS.
 */
class PinnedTlsTest {

  private static final String HOST = "hooks.customer.example";
  private static final String PASSWORD = "changeit";

  @TempDir Path dir;

  private Vertx vertx;
  private HttpServer server;
  private KeyStoreOptions keys;
  private final Map<String, String> seen = new ConcurrentHashMap<>();

  @BeforeEach
  void startTlsServer() throws Exception {
    Path keystore = dir.resolve("endpoint.p12");
    // keytool ships with every JDK: a self-signed certificate for the host name, not for the address
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "endpoint", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=" + HOST, "-ext", "SAN=dns:" + HOST, "-storetype", "PKCS12",
        "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    keys = new KeyStoreOptions().setType("PKCS12").setPath(keystore.toString()).setPassword(PASSWORD);

    vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
    server = vertx.createHttpServer(new HttpServerOptions().setSsl(true).setSni(true).setKeyCertOptions(keys))
        .requestHandler(req -> {
          seen.put("sni", String.valueOf(req.connection().indicatedServerName()));
          seen.put("host", String.valueOf(req.headers().get("host")));
          seen.put("custom", String.valueOf(req.headers().get("x-team")));
          req.response().end("ok");
        });
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void httpsToTheCheckedAddressKeepsTheHostNameForSniTheCertificateAndTheHostHeader() throws Exception {
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse(HOST), Duration.ofSeconds(10), 4,
        host -> {
          assertThat(host).isEqualTo(HOST);
          return new InetAddress[] {InetAddress.getByName("127.0.0.1")};
        }, keys);
    DeliveryRequest request = DeliveryRequest.signed("https://" + HOST + ":" + server.actualPort() + "/in",
        List.of(WebhookSecret.generate()), "evt_1", Instant.now(), new byte[] {'{', '}'}, Map.of("X-Team", "calls"));

    AttemptResult result = client.deliver(request).get(30, TimeUnit.SECONDS);

    assertThat(result.outcome()).as(String.valueOf(result.error())).isEqualTo(AttemptOutcome.SUCCEEDED);
    assertThat(seen).containsEntry("sni", HOST)
        .containsEntry("host", HOST + ":" + server.actualPort())
        .containsEntry("custom", "calls");
  }

  @Test
  void aCertificateForAnotherNameIsRefusedEvenAtTheCheckedAddress() throws Exception {
    // the name the URL gives is what TLS verifies: a server whose certificate is for another name fails
    String other = "other.customer.example";
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse(other), Duration.ofSeconds(10), 4,
        host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")}, keys);
    DeliveryRequest request = DeliveryRequest.signed("https://" + other + ":" + server.actualPort() + "/in",
        List.of(WebhookSecret.generate()), "evt_1", Instant.now(), new byte[] {'{', '}'});

    AttemptResult result = client.deliver(request).get(30, TimeUnit.SECONDS);

    assertThat(result.outcome()).isEqualTo(AttemptOutcome.CONNECTION_ERROR);
    assertThat(seen).isEmpty();
  }
}
