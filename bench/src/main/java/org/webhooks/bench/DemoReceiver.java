package org.webhooks.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.webhooks.schemas.WebhookSignature;

/**
 * A local webhook receiver for {@code demo}: verifies each request's Standard Webhooks signature
 * with the subscription's secret, answers 200, and records when each {@code webhook-id} arrived.
 */
public final class DemoReceiver implements AutoCloseable {

  /**
   * One request as received.
   *
   * @param receivedAtMs receipt time, epoch ms
   * @param signatureValid whether the signature verified with the secret
   * @param body the exact body bytes
   */
  public record Receipt(long receivedAtMs, boolean signatureValid, byte[] body) {}

  private final Vertx vertx;
  private final HttpServer server;
  private final Map<String, Receipt> receipts = new ConcurrentHashMap<>();
  private final Clock clock;
  private volatile String secret;

  private DemoReceiver(Vertx vertx, HttpServer server, Clock clock) {
    this.vertx = vertx;
    this.server = server;
    this.clock = clock;
  }

  /**
   * Starts listening on 127.0.0.1 on a free port.
   *
   * @param clock the clock receipt times are read from
   * @throws Exception when the server cannot bind within 30 s
   */
  public static DemoReceiver start(Clock clock) throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer();
    DemoReceiver receiver = new DemoReceiver(vertx, server, clock);
    server.requestHandler(receiver::handle);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return receiver;
  }

  /** @param secret the {@code whsec_...} secret the signatures are checked with */
  public void verifyWith(String secret) {
    this.secret = secret;
  }

  /** @return the URL to subscribe, e.g. {@code http://127.0.0.1:41234/webhooks} */
  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/webhooks";
  }

  /** @return receipts by webhook-id (the first receipt of each id; retries do not overwrite it) */
  public Map<String, Receipt> receipts() {
    return Map.copyOf(receipts);
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(buffer -> {
      long now = clock.millis();
      byte[] body = buffer.getBytes();
      String id = request.getHeader(WebhookSignature.ID_HEADER);
      boolean valid = secret != null && WebhookSignature.verify(secret, id,
          request.getHeader(WebhookSignature.TIMESTAMP_HEADER), body,
          request.getHeader(WebhookSignature.SIGNATURE_HEADER));
      if (id != null) {
        receipts.putIfAbsent(id, new Receipt(now, valid, body));
      }
      request.response().setStatusCode(valid ? 200 : 401).end();
    });
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
