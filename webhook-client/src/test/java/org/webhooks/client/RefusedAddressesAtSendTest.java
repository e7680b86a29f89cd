package org.webhooks.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSecret;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * At send time a public-looking name that resolves to an address of a refused class (DNS rebinding, or
 * a record pointing inside) is BLOCKED before any connection: each class, through the resolver given
 * to the client, never through DNS.
 */
class RefusedAddressesAtSendTest {

  private static Vertx vertx;

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', value = {
      "loopback                  | 127.0.0.1",
      "loopback                  | ::1",
      "private                   | 10.1.2.3",
      "private                   | 172.20.0.1",
      "private                   | 192.168.0.1",
      "link-local                | fe80::1",
      "metadata                  | 169.254.169.254",
      "metadata over IPv6        | fd00:ec2::254",
      "metadata, IPv4-mapped     | ::ffff:169.254.169.254",
      "metadata, IPv4-translated | ::ffff:0:a9fe:a9fe",
      "metadata, NAT64           | 64:ff9b::a9fe:a9fe",
      "metadata, 6to4            | 2002:a9fe:a9fe::1",
      "CGNAT                     | 100.64.0.1",
      "unspecified               | 0.0.0.0",
      "multicast                 | 224.0.0.251",
      "unique-local              | fd12:3456::1",
      "loopback, IPv4-mapped     | ::ffff:127.0.0.1",
      "private, 6to4             | 2002:a00:1::1",
      "documentation             | 192.0.2.1"})
  void aNameResolvingToARefusedAddressIsBlockedBeforeAnyConnection(String addressClass, String resolved)
      throws Exception {
    EndpointClient client = new EndpointClient(vertx, TargetPolicy.parse(""), Duration.ofSeconds(5), 4,
        host -> new InetAddress[] {InetAddress.getByName("93.184.216.34"), InetAddress.getByName(resolved)});
    DeliveryRequest request = DeliveryRequest.signed("https://hooks.customer.example/in",
        List.of(WebhookSecret.generate()), "evt_1", Instant.now(), new byte[] {'{', '}'});

    AttemptResult result = client.deliver(request).get(30, TimeUnit.SECONDS);

    assertThat(result.outcome()).as(addressClass).isEqualTo(AttemptOutcome.BLOCKED);
    assertThat(result.error()).as(addressClass).contains("not a permitted target");
    assertThat(result.statusCode()).isNull();
  }
}
