package org.webhooks.bench;

import com.carrotsearch.hppc.LongLongHashMap;
import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.Set;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.webhooks.schemas.WebhookSignature;

/**
 * The fast local endpoint of {@code bench}: a Vert.x HTTP server on 127.0.0.1 that answers 204 as soon
 * as a request's body has arrived and does nothing else, so that the figures measure the platform and
 * not the receiver. It does not verify signatures ({@code demo} does).
 *
 * <p>Requests to {@code /hooks/<n>} are deliveries to subscription number {@code n}: the first receipt
 * of each ({@code webhook-id}, path) is kept with its time; later ones count as duplicates. Requests to
 * {@link #BASELINE_PATH} only count, with the time of the first and last, for the HTTP ceiling.
 *
 * <p>For the retry scenario some paths can be made to fail for a while ({@link #failUntil}): until
 * then they answer 500, counted as failed requests and not as receipts, and afterwards 204 like the rest.
 */
final class BenchReceiver implements AutoCloseable {

  /** Path prefix of delivery requests; subscription {@code n} is sent to {@code /hooks/n}. */
  static final String HOOKS_PATH = "/hooks/";
  /** Path of the plain HTTP client's requests that measure the ceiling. */
  static final String BASELINE_PATH = "/baseline";

  private static final HashFunction KEY_HASH = Hashing.murmur3_128();

  private final Vertx vertx;
  private final HttpServer server;
  /**
   * Receipt time, epoch ms, by a 64-bit hash of path + '|' + webhook-id; guarded by itself. Hashes
   * rather than strings keep a million receipts within a few MiB of the JVM whose memory the bench
   * reports; two of a million keys share a hash with a probability of about 3e-8, which would show
   * as one duplicate and one missing delivery.
   */
  private final LongLongHashMap receipts = new LongLongHashMap();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong failedRequests = new AtomicLong();
  private volatile Set<String> failingPaths = Set.of();
  private volatile long failingUntilMs = Long.MIN_VALUE;
  private final AtomicLong firstReceiptMs = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastReceiptMs = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong baselineCount = new AtomicLong();
  private final AtomicLong baselineFirstNanos = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong baselineLastNanos = new AtomicLong(Long.MIN_VALUE);
  /** Ids of the threads that handled requests, so that their CPU time is counted as the receiver's. */
  private final Set<Long> threadIds = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<Boolean> threadKnown = ThreadLocal.withInitial(() -> false);

  private BenchReceiver(Vertx vertx, HttpServer server) {
    this.vertx = vertx;
    this.server = server;
  }

  /**
   * Starts listening on 127.0.0.1 on a free port.
   *
   * @throws Exception when the server cannot bind within 30 s
   */
  static BenchReceiver start() throws Exception {
    Vertx vertx = Vertx.vertx();
    HttpServer server = vertx.createHttpServer();
    BenchReceiver receiver = new BenchReceiver(vertx, server);
    server.requestHandler(receiver::handle);
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return receiver;
  }

  /** @return the URL of subscription number {@code n}, e.g. {@code http://127.0.0.1:41234/hooks/3} */
  String hookUrl(int n) {
    return "http://127.0.0.1:" + server.actualPort() + HOOKS_PATH + n;
  }

  /**
   * Makes the endpoints of {@code paths} answer 500 until {@code untilMs}, then 204 again.
   *
   * @param paths {@code /hooks/<n>} paths
   * @param untilMs the end of the failure, epoch ms
   */
  void failUntil(Set<String> paths, long untilMs) {
    failingUntilMs = untilMs;
    failingPaths = Set.copyOf(paths);
  }

  /** @return requests answered 500 by a failing endpoint */
  long failedRequests() {
    return failedRequests.get();
  }

  /** @return the port listened on */
  int port() {
    return server.actualPort();
  }

  /** @return distinct (webhook-id, path) pairs received on {@code /hooks/*} */
  int deliveries() {
    synchronized (receipts) {
      return receipts.size();
    }
  }

  /** @return repeated successful (webhook-id, path) receipts, which at-least-once delivery allows */
  long duplicates() {
    return duplicates.get();
  }

  /**
   * @param path {@code /hooks/<n>}
   * @param webhookId the event id
   * @return when that delivery first arrived, epoch ms, or null if it never did
   */
  Long receivedAtMs(String path, String webhookId) {
    long key = key(path, webhookId);
    synchronized (receipts) {
      return receipts.containsKey(key) ? receipts.get(key) : null;
    }
  }

  /** @return epoch ms of the earliest first-receipt on {@code /hooks/*} */
  long firstReceiptMs() {
    return firstReceiptMs.get();
  }

  /** @return epoch ms of the last first-receipt on {@code /hooks/*} */
  long lastReceiptMs() {
    return lastReceiptMs.get();
  }

  /** @return requests received on {@link #BASELINE_PATH} */
  long baselineCount() {
    return baselineCount.get();
  }

  /** @return ns between the first and the last request received on {@link #BASELINE_PATH} */
  long baselineSpanNanos() {
    return baselineLastNanos.get() - baselineFirstNanos.get();
  }

  /**
   * Forgets every receipt and count (after a warm-up), so that the figures that follow are of the
   * requests to come. Failing paths stay as they are.
   */
  void reset() {
    synchronized (receipts) {
      receipts.clear();
    }
    duplicates.set(0);
    failedRequests.set(0);
    firstReceiptMs.set(Long.MAX_VALUE);
    lastReceiptMs.set(Long.MIN_VALUE);
  }

  /** @return ids of the threads that have handled requests so far (a live view) */
  Set<Long> threadIds() {
    return threadIds;
  }

  private void handle(HttpServerRequest request) {
    if (!threadKnown.get()) {
      threadKnown.set(true);
      threadIds.add(Thread.currentThread().getId());
    }
    // Answer once the whole body has arrived: the connection is then ready for the next request.
    request.end().onComplete(ar -> {
      String path = request.path();
      if (path.startsWith(HOOKS_PATH)) {
        long now = System.currentTimeMillis();
        if (now < failingUntilMs && failingPaths.contains(path)) {
          failedRequests.incrementAndGet();
          request.response().setStatusCode(500).end();
          return;
        }
        String id = request.getHeader(WebhookSignature.ID_HEADER);
        boolean first;
        if (id == null) {
          first = false;
        } else {
          long key = key(path, id);
          synchronized (receipts) {
            first = receipts.putIfAbsent(key, now);
          }
        }
        if (first) {
          firstReceiptMs.accumulateAndGet(now, Math::min);
          lastReceiptMs.accumulateAndGet(now, Math::max);
        } else {
          duplicates.incrementAndGet();
        }
      } else if (path.equals(BASELINE_PATH)) {
        long now = System.nanoTime();
        baselineCount.incrementAndGet();
        baselineFirstNanos.accumulateAndGet(now, Math::min);
        baselineLastNanos.accumulateAndGet(now, Math::max);
      }
      request.response().setStatusCode(204).end();
    });
  }

  private static long key(String path, String webhookId) {
    return KEY_HASH.hashString(path + '|' + webhookId, StandardCharsets.UTF_8).asLong();
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
