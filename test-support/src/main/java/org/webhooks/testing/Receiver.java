package org.webhooks.testing;

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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP server standing in for customer endpoints: records every request with a number from
 * a shared sequence (so that tests can order events causally), and answers per path as told:
 * a status, a redirect, not at all (held until released), any of these after a delay, or a sequence
 * of these in turn.
 */
public final class Receiver implements AutoCloseable {

  /**
   * One request as received.
   *
   * @param seq its number in the shared sequence
   * @param path the request path
   * @param headers request headers, names lower-cased (the first value of each)
   * @param body the body bytes
   * @param receivedAtMillis wall-clock time of receipt, epoch ms
   */
  public record Received(long seq, String path, Map<String, String> headers, byte[] body, long receivedAtMillis) {
    /** @return the first value of header {@code name} (any case), or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /** What a path answers. */
  public sealed interface Answer permits Status, Redirect, Hold, Sequence, Delayed {}

  /**
   * Answer with a status, a body and extra response headers.
   *
   * @param headers response headers to add (name to value)
   */
  public record Status(int code, String body, Map<String, String> headers) implements Answer {
    public Status(int code, String body) {
      this(code, body, Map.of());
    }
  }

  /** Answer 302 to {@code location}. */
  public record Redirect(String location) implements Answer {}

  /** Do not answer until {@link #releaseHeld} (or the client gives up). */
  public record Hold() implements Answer {}

  /** Answer {@code then} after {@code millis} ms (a slow endpoint of known latency). */
  public record Delayed(long millis, Answer then) implements Answer {}

  /** Answer the n-th request with the n-th answer; the last one answers every request after. */
  public record Sequence(List<Answer> answers, AtomicInteger next) implements Answer {
    public Sequence(Answer... answers) {
      this(List.of(answers), new AtomicInteger());
    }

    Answer take() {
      int i = next.getAndIncrement();
      return answers.get(Math.min(i, answers.size() - 1));
    }
  }

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
  public static Receiver start(AtomicLong sequence) throws Exception {
    return new Receiver("127.0.0.1", sequence);
  }

  /** Starts a receiver on the given local address and a free port. */
  public static Receiver start(String host, AtomicLong sequence) throws Exception {
    return new Receiver(host, sequence);
  }

  public String url(String path) {
    return "http://" + host + ":" + server.actualPort() + path;
  }

  public int port() {
    return server.actualPort();
  }

  /** Sets what {@code path} answers; unknown paths answer 200 "ok". */
  public Receiver answer(String path, Answer answer) {
    answers.put(path, answer);
    return this;
  }

  public List<Received> received() {
    return new ArrayList<>(received);
  }

  public List<Received> received(String path) {
    return received.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** @return requests held and not answered yet. */
  public int heldCount() {
    return held.size();
  }

  /** @return sequence numbers at which held requests were given up by the client (connection closed). */
  public List<Long> heldClosedAt() {
    return new ArrayList<>(heldClosed);
  }

  /** Answers every held request that is still open with {@code status}. */
  public void releaseHeld(int status) {
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
      received.add(new Received(sequence.incrementAndGet(), path, headers, body.getBytes(),
          System.currentTimeMillis()));
      respond(request, answers.getOrDefault(path, new Status(200, "ok")));
    });
  }

  private void respond(HttpServerRequest request, Answer answer) {
    if (answer instanceof Sequence seq) {
      respond(request, seq.take());
    } else if (answer instanceof Delayed d) {
      if (d.millis() <= 0) {
        respond(request, d.then());
      } else {
        vertx.setTimer(d.millis(), t -> respond(request, d.then()));
      }
    } else if (answer instanceof Status s) {
      s.headers().forEach(request.response()::putHeader);
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
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
