package org.webhooks.worker;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server standing in for customer endpoints: records every request with a number from
 * a shared sequence (so that tests can order events causally), and answers per path as told:
 * a status, a redirect, or not at all (held until released).
 */
final class Receiver implements AutoCloseable {

  /** One request as received. */
  record Received(long seq, String path, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** What a path answers. */
  sealed interface Answer permits Status, Redirect, Hold {}

  /** Answer with a status and a body. */
  record Status(int code, String body) implements Answer {}

  /** Answer 302 to {@code location}. */
  record Redirect(String location) implements Answer {}

  /** Do not answer until {@link #releaseHeld} (or the client gives up). */
  record Hold() implements Answer {}

  private final Vertx vertx;
  private final HttpServer server;
  private final String host;
  private final AtomicLong sequence;
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<HttpServerRequest> held = new CopyOnWriteArrayList<>();
  private final List<Long> heldClosed = new CopyOnWriteArrayList<>();

  private Receiver(String host, AtomicLong sequence) throws Exception {
    this.host = host;
    this.sequence = sequence;
    this.vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
    this.server = vertx.createHttpServer().requestHandler(this::handle);
    server.listen(0, host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Starts a receiver on {@code 127.0.0.1} and a free port. */
  static Receiver start(AtomicLong sequence) throws Exception {
    return new Receiver("127.0.0.1", sequence);
  }

  /** Starts a receiver on the given local address and a free port. */
  static Receiver start(String host, AtomicLong sequence) throws Exception {
    return new Receiver(host, sequence);
  }

  String url(String path) {
    return "http://" + host + ":" + server.actualPort() + path;
  }

  int port() {
    return server.actualPort();
  }

  /** Sets what {@code path} answers; unknown paths answer 200 "ok". */
  Receiver answer(String path, Answer answer) {
    answers.put(path, answer);
    return this;
  }

  List<Received> received() {
    return new ArrayList<>(received);
  }

  List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** @return requests held and not answered yet. */
  int heldCount() {
    return held.size();
  }

  /** @return sequence numbers at which held requests were given up by the client (connection closed). */
  List<Long> heldClosedAt() {
    return new ArrayList<>(heldClosed);
  }

  /** Answers every held request that is still open with {@code status}. */
  void releaseHeld(int status) {
    List<HttpServerRequest> now = new ArrayList<>(held);
    held.removeAll(now);
    for (HttpServerRequest r : now) {
      vertx.runOnContext(v -> {
        if (!r.response().ended() && !r.response().closed()) {
          r.response().setStatusCode(status).end("released");
        }
      });
    }
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      Map<String, String> headers = new TreeMap<>();
      request.headers().forEach(e -> headers.putIfAbsent(e.getKey().toLowerCase(Locale.ROOT), e.getValue()));
      String path = request.path();
      received.add(new Received(sequence.incrementAndGet(), path, headers, body.getBytes()));
      Answer answer = answers.getOrDefault(path, new Status(200, "ok"));
      if (answer instanceof Status s) {
        request.response().setStatusCode(s.code()).end(s.body());
      } else if (answer instanceof Redirect r) {
        request.response().setStatusCode(302).putHeader("location", r.location()).end();
      } else {
        held.add(request);
        request.response().closeHandler(v -> {
          if (held.remove(request)) {
            heldClosed.add(sequence.incrementAndGet());
          }
        });
      }
    });
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
