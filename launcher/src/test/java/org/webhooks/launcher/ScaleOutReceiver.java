package org.webhooks.launcher;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.webhooks.schemas.WebhookSignature;

/**
 * A real HTTP endpoint standing in for many customer endpoints, one per path: checks each request's
 * signature with the secret of its path, counts requests per {@code (webhook-id, path)} so that
 * repeats show up as duplicates, and answers 200 after a fixed delay, so that a worker always has
 * requests in flight while it works. Paths can be held: their requests stay unanswered until
 * {@link #release()}. Paths can fail: the first requests of each delivery on them are answered 500
 * ({@link #failFirst}).
 */
final class ScaleOutReceiver implements AutoCloseable {

  /** One delivery as the receiver sees it: an event to an endpoint. */
  record Delivery(String webhookId, String path) {}

  private final Vertx vertx;
  private final HttpServer server;
  private final long delayMs;
  private final Map<String, String> secrets = new ConcurrentHashMap<>();
  private final Map<Delivery, Integer> counts = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> byPath = new ConcurrentHashMap<>();
  private final AtomicInteger total = new AtomicInteger();
  private final AtomicInteger badSignatures = new AtomicInteger();
  private final Set<String> heldPaths = ConcurrentHashMap.newKeySet();
  /** A request held unanswered, with the answer it is to get. */
  private record Held(HttpServerRequest request, Delivery delivery, int status) {}

  private final Queue<Held> unanswered = new ConcurrentLinkedQueue<>();
  private final AtomicInteger heldCount = new AtomicInteger();
  private final Set<Delivery> heldDeliveries = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failFirst = new ConcurrentHashMap<>();
  private final Set<Delivery> answered200 = ConcurrentHashMap.newKeySet();

  private ScaleOutReceiver(Duration delay) throws Exception {
    this.delayMs = Math.max(1, delay.toMillis());
    this.vertx = Vertx.vertx(new VertxOptions().setFileSystemOptions(
        new FileSystemOptions().setFileCachingEnabled(false).setClassPathResolvingEnabled(false)));
    this.server = vertx.createHttpServer().requestHandler(this::handle);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /**
   * Starts a receiver on 127.0.0.1 and a free port.
   *
   * @param delay how long each request waits before its 200 (at least 1 ms)
   */
  static ScaleOutReceiver start(Duration delay) throws Exception {
    return new ScaleOutReceiver(delay);
  }

  /** @return the URL of {@code path}, e.g. {@code http://127.0.0.1:41234/s3} */
  String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  /** Checks the signatures of {@code path}'s requests with {@code secret} from now on. */
  void expectSecret(String path, String secret) {
    secrets.put(path, secret);
  }

  /** @return requests received, repeats included */
  int total() {
    return total.get();
  }

  /** @return distinct (webhook-id, path) pairs received */
  int distinct() {
    return counts.size();
  }

  /** @return requests received on {@code path}, repeats included */
  int onPath(String path) {
    AtomicInteger n = byPath.get(path);
    return n == null ? 0 : n.get();
  }

  /** @return requests whose signature did not verify with their path's secret, or that had none */
  int badSignatures() {
    return badSignatures.get();
  }

  /** @return how many times each pair was received */
  Map<Delivery, Integer> counts() {
    return new HashMap<>(counts);
  }

  /**
   * From now on, the first {@code requests} requests of each delivery on {@code paths} are answered 500
   * (after the usual delay), the later ones 200.
   */
  void failFirst(Set<String> paths, int requests) {
    paths.forEach(p -> failFirst.put(p, requests));
  }

  /** @return the pairs answered 200 so far (an answer to a client that was gone included) */
  Set<Delivery> answered200() {
    return Set.copyOf(answered200);
  }

  /** From now on, requests on {@code paths} are not answered until {@link #release()}. */
  void hold(Set<String> paths) {
    heldPaths.addAll(paths);
  }

  /** @return requests held so far (answered or not) */
  int heldCount() {
    return heldCount.get();
  }

  /** @return the pairs of the requests held so far */
  Set<Delivery> heldDeliveries() {
    return Set.copyOf(heldDeliveries);
  }

  /** Stops holding and answers every held request whose client is still there. */
  void release() {
    synchronized (heldPaths) {
      heldPaths.clear();
    }
    for (Held h; (h = unanswered.poll()) != null; ) {
      Held held = h;
      vertx.runOnContext(v -> answer(held.request(), held.delivery(), held.status()));
    }
  }

  private void handle(HttpServerRequest request) {
    request.body().onComplete(ar -> {
      if (ar.failed()) {
        return;
      }
      byte[] body = ar.result().getBytes();
      String path = request.path();
      String id = request.getHeader(WebhookSignature.ID_HEADER);
      String secret = secrets.get(path);
      boolean valid = id != null && secret != null && WebhookSignature.verify(secret, id,
          request.getHeader(WebhookSignature.TIMESTAMP_HEADER), body,
          request.getHeader(WebhookSignature.SIGNATURE_HEADER));
      if (!valid) {
        badSignatures.incrementAndGet();
      }
      Delivery d = new Delivery(id, path);
      int n = counts.merge(d, 1, Integer::sum);
      int status = n <= failFirst.getOrDefault(path, 0) ? 500 : 200;
      byPath.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
      total.incrementAndGet();
      synchronized (heldPaths) {
        // under the lock, so that release() cannot miss a request held at the same moment
        if (heldPaths.contains(path)) {
          heldDeliveries.add(d);
          heldCount.incrementAndGet();
          unanswered.add(new Held(request, d, status));
          return;
        }
      }
      vertx.setTimer(delayMs, t -> answer(request, d, status));
    });
  }

  private void answer(HttpServerRequest request, Delivery d, int status) {
    if (!request.response().ended() && !request.response().closed()) {
      if (status == 200) {
        answered200.add(d);
      }
      request.response().setStatusCode(status).end();
    }
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
