package org.webhooks.bench;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.webhooks.schemas.WebhookSignature;

/**
 * The ceiling of {@code bench}: a plain Vert.x HTTP client, with nothing of the platform around it,
 * POSTing the same bodies the same number of times to the same receiver with the same concurrency
 * as the worker. Headers have the names and about the sizes of a signed delivery's, with fixed values:
 * signing is the platform's work, not HTTP's.
 */
final class BenchBaseline {

  /** Outcome of a run: requests answered, failures, and the span measured at the receiver. */
  record Result(long requests, long failures, double requestsPerSecond) {}

  private BenchBaseline() {}

  /**
   * Sends {@code total} requests, {@code concurrency} at a time, and waits for the last answer.
   *
   * @param receiver where to send, on {@link BenchReceiver#BASELINE_PATH}; it times the first and last
   *     receipt, so the rate is measured as the platform's is
   * @param bodies the bodies, sent in turn ({@code bodies.get(i % size)} for request {@code i})
   * @param total requests to send
   * @param concurrency requests in flight at once, and pooled connections
   * @param timeout how long to wait for all of them
   * @return counts and requests per second (first to last receipt)
   * @throws IllegalStateException when they did not all complete within {@code timeout}
   */
  static Result run(BenchReceiver receiver, List<byte[]> bodies, long total, int concurrency, Duration timeout)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HttpClientAgent http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
          new PoolOptions().setHttp1MaxSize(concurrency).setMaxWaitQueueSize(-1));
      long countBefore = receiver.baselineCount();
      AtomicLong next = new AtomicLong();
      AtomicLong done = new AtomicLong();
      AtomicLong failures = new AtomicLong();
      CompletableFuture<Void> finished = new CompletableFuture<>();
      Runnable[] sendNext = new Runnable[1];
      sendNext[0] = () -> {
        long i = next.getAndIncrement();
        if (i >= total) {
          return;
        }
        byte[] body = bodies.get((int) (i % bodies.size()));
        RequestOptions options = new RequestOptions()
            .setMethod(HttpMethod.POST)
            .setHost("127.0.0.1")
            .setPort(receiver.port())
            .setURI(BenchReceiver.BASELINE_PATH)
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .putHeader(HttpHeaders.USER_AGENT, "webhooks-delivery-worker/dev")
            .putHeader(WebhookSignature.ID_HEADER, "evt_baseline_" + i)
            .putHeader(WebhookSignature.TIMESTAMP_HEADER, Long.toString(System.currentTimeMillis() / 1000))
            .putHeader(WebhookSignature.SIGNATURE_HEADER, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        http.request(options)
            .compose(request -> request.send(Buffer.buffer(body)))
            .compose(response -> response.end())
            .onComplete(ar -> {
              if (ar.failed()) {
                failures.incrementAndGet();
              }
              if (done.incrementAndGet() == total) {
                finished.complete(null);
              } else {
                sendNext[0].run();
              }
            });
      };
      if (total == 0) {
        finished.complete(null);
      }
      for (int c = 0; c < Math.min(concurrency, total); c++) {
        sendNext[0].run();
      }
      finished.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      long received = receiver.baselineCount() - countBefore;
      double seconds = Math.max(receiver.baselineSpanNanos(), 1_000_000L) / 1e9;
      await(http.close());
      return new Result(received, failures.get(), received <= 1 ? 0 : (received - 1) / seconds);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the baseline requests did not complete within " + timeout.toSeconds() + " s");
    } finally {
      await(vertx.close());
    }
  }

  private static void await(Future<Void> f) throws Exception {
    f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
