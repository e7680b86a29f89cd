package org.webhooks.client;

import io.netty.channel.ConnectTimeoutException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.webhooks.schemas.Durations;
import org.webhooks.schemas.ReservedHeaders;
import org.webhooks.schemas.TargetPolicy;
import org.webhooks.schemas.WebhookSignature;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * The only way out to customer endpoints: every delivery request of the platform goes through
 * {@link #deliver}, which applies the rules that keep it safe and bounded.
 *
 * <ul>
 *   <li>SSRF: the URL is checked with {@link TargetPolicy#checkUrl}, its host is resolved (a literal
 *       address is only parsed), and every address must pass {@link TargetPolicy#permits}; the
 *       connection then goes to the checked address, so a DNS answer that changes between the check
 *       and the connect cannot redirect it. A refusal is outcome BLOCKED and nothing is sent. Both
 *       checks depend on their input and the policy alone, so their answers are kept (up to
 *       {@value #MAX_CACHED} of each); name resolution is not, so DNS is asked for every request (the
 *       JVM's own cache aside).</li>
 *   <li>One deadline, the HTTP timeout, covers name resolution, connect, request and the whole
 *       response; when it passes the request is reset and the outcome is TIMEOUT.</li>
 *   <li>Redirects are never followed: a 3xx is an HTTP_ERROR (DESIGN "Success is 2xx only").</li>
 *   <li>At most {@link #MAX_READ_BYTES} of a response body are read; a longer body is cut off by
 *       closing the connection. {@link ResponseExcerpt#MAX_BYTES} of it are kept.</li>
 * </ul>
 *
 * <p>Thread-safe. The returned futures complete on Vert.x threads; callers hand results over to
 * their own thread rather than doing work there.
 */
public final class EndpointClient implements AutoCloseable {

  /** Bytes of a response body read at most; past this the connection is closed. */
  public static final int MAX_READ_BYTES = 64 * 1024;

  /** The {@code user-agent} header: {@code webhooks-delivery-worker/<version>}. */
  public static final String USER_AGENT = "webhooks-delivery-worker/" + version();

  /** URLs (and host-address pairs) whose check is kept at most; past this the cache starts afresh. */
  static final int MAX_CACHED = 10_000;

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final TargetPolicy policy;
  private final Duration timeout;
  private final HostResolver resolver;
  /**
   * Each URL as checked by the target policy, by URL text: the check and the parsing depend on the
   * text and the policy alone, so they are done once per URL (once per subscription version, in
   * effect) rather than for every request.
   */
  private final Map<String, Target> targets = new ConcurrentHashMap<>();
  /** Whether the policy permits an address for a host, by {@code host|address}. */
  private final Map<String, Boolean> permitted = new ConcurrentHashMap<>();
  /**
   * Event-loop contexts the requests run on, an endpoint's (by URL) always on the same one: its
   * timer, name resolution callback, connection and response all stay on one event loop, without
   * hops between threads, and its pooled connections are that loop's.
   */
  private final Context[] contexts;

  /**
   * @param vertx the Vert.x instance whose event loops run the requests (not closed by {@link #close})
   * @param policy the SSRF rules and their exceptions ({@code WEBHOOKS_ALLOWED_TARGETS})
   * @param timeout the deadline of one attempt, from the call to the end of the response
   * @param maxConnectionsPerServer pooled HTTP/1.1 connections per server address; callers bound the
   *     requests in flight themselves, so this only needs to be at least that bound
   */
  public EndpointClient(Vertx vertx, TargetPolicy policy, Duration timeout, int maxConnectionsPerServer) {
    this(vertx, policy, timeout, maxConnectionsPerServer, Runtime.getRuntime().availableProcessors());
  }

  /**
   * As above, running the requests on {@code eventLoops} event-loop contexts of {@code vertx}, an
   * endpoint's always on the same one.
   *
   * @param eventLoops contexts made, each on the next event loop of {@code vertx}, at least 1; one
   *     event loop takes thousands of requests per second
   */
  public EndpointClient(Vertx vertx, TargetPolicy policy, Duration timeout, int maxConnectionsPerServer,
      int eventLoops) {
    this(vertx, policy, timeout, maxConnectionsPerServer, InetAddress::getAllByName, null, eventLoops);
  }

  /** As above, with the name resolution given (the system resolver otherwise). */
  EndpointClient(Vertx vertx, TargetPolicy policy, Duration timeout, int maxConnectionsPerServer,
      HostResolver resolver) {
    this(vertx, policy, timeout, maxConnectionsPerServer, resolver, null);
  }

  /**
   * As above, trusting the given certificates instead of the JVM's (for tests against a local TLS
   * endpoint; host names are verified all the same).
   */
  EndpointClient(Vertx vertx, TargetPolicy policy, Duration timeout, int maxConnectionsPerServer,
      HostResolver resolver, TrustOptions trust) {
    this(vertx, policy, timeout, maxConnectionsPerServer, resolver, trust, Runtime.getRuntime().availableProcessors());
  }

  private EndpointClient(Vertx vertx, TargetPolicy policy, Duration timeout, int maxConnectionsPerServer,
      HostResolver resolver, TrustOptions trust, int eventLoops) {
    this.resolver = resolver;
    this.vertx = vertx;
    this.policy = policy;
    this.timeout = timeout;
    HttpClientOptions options = new HttpClientOptions()
        .setName("webhook-endpoints")
        .setKeepAlive(true)
        .setKeepAliveTimeout(30)
        .setDecompressionSupported(false)
        .setMaxRedirects(0)
        .setForceSni(true)
        .setVerifyHost(true)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    if (trust != null) {
      options.setTrustOptions(trust);
    }
    this.http = vertx.createHttpClient(options,
        new PoolOptions().setHttp1MaxSize(maxConnectionsPerServer).setMaxWaitQueueSize(-1));
    // called from a thread that is not Vert.x's, each call makes a context on the next event loop
    this.contexts = new Context[Math.max(1, eventLoops)];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = vertx.getOrCreateContext();
    }
  }

  /**
   * POSTs one signed delivery: {@code content-type: application/json}, {@link #USER_AGENT}, the
   * three Standard Webhooks headers, the custom headers that are not reserved
   * ({@link ReservedHeaders}: never the signature, content, host or connection headers) and the body
   * bytes exactly.
   *
   * @return a future that always completes normally, with the outcome of the attempt
   */
  public CompletableFuture<AttemptResult> deliver(DeliveryRequest request) {
    Attempt attempt = new Attempt(request);
    Context context = contexts[Math.floorMod(request.url().hashCode(), contexts.length)];
    if (Vertx.currentContext() == context) {
      attempt.start();
    } else {
      context.runOnContext(v -> attempt.start());
    }
    return attempt.result;
  }

  /** Closes the pooled connections; requests still in flight fail. Waits up to 5 s. */
  @Override
  public void close() {
    try {
      http.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      // closing is best effort; the Vert.x instance that owns the event loops is closed after this
    }
  }

  /**
   * A URL as checked: refused (with the reason), or its parts as a request needs them.
   *
   * @param refusal why the policy refuses the URL, or null when it does not
   * @param host the host as written (an IPv6 literal in brackets)
   * @param bareHost the host without brackets
   * @param literal the address of a literal host, or null for a host name (which must be resolved)
   */
  private record Target(String refusal, String host, String bareHost, boolean https, int port, String path,
      InetAddress literal) {

    static Target check(TargetPolicy policy, String url) {
      URI uri;
      try {
        uri = policy.checkUrl(url);
      } catch (IllegalArgumentException e) {
        return new Target(e.getMessage(), null, null, false, 0, null, null);
      }
      String host = uri.getHost();
      String bareHost = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
      boolean https = "https".equals(uri.getScheme().toLowerCase(Locale.ROOT));
      int port = uri.getPort() >= 0 ? uri.getPort() : (https ? 443 : 80);
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path = path + "?" + uri.getRawQuery();
      }
      return new Target(null, host, bareHost, https, port, path, TargetPolicy.literalAddress(bareHost).orElse(null));
    }
  }

  private Target target(String url) {
    Target t = targets.get(url);
    if (t == null) {
      if (targets.size() >= MAX_CACHED) {
        targets.clear();
      }
      t = Target.check(policy, url);
      targets.put(url, t);
    }
    return t;
  }

  private boolean permits(Target target, InetAddress address) {
    String key = target.host() + '|' + address.getHostAddress();
    Boolean ok = permitted.get(key);
    if (ok == null) {
      if (permitted.size() >= MAX_CACHED) {
        permitted.clear();
      }
      ok = policy.permits(target.host(), address);
      permitted.put(key, ok);
    }
    return ok;
  }

  /** One attempt: its deadline, the request once it exists, and the single result. */
  private final class Attempt {

    private final DeliveryRequest request;
    private final long startNanos = System.nanoTime();
    private final CompletableFuture<AttemptResult> result = new CompletableFuture<>();
    private final AtomicReference<HttpClientRequest> sent = new AtomicReference<>();
    private volatile long timerId = -1;

    Attempt(DeliveryRequest request) {
      this.request = request;
    }

    void start() {
      Target target = target(request.url());
      if (target.refusal() != null) {
        finish(AttemptOutcome.BLOCKED, null, target.refusal(), null);
        return;
      }
      timerId = vertx.setTimer(Math.max(1, timeout.toMillis()), id -> onDeadline());
      if (target.literal() != null) {
        // a literal address needs no name resolution: no hop through the blocking pool
        checkAndSend(target, new InetAddress[] {target.literal()});
        return;
      }
      // InetAddress resolution blocks, so it runs on a worker thread, never on an event loop.
      vertx.executeBlocking(() -> resolver.resolve(target.bareHost()), false).onComplete(ar -> {
        if (result.isDone()) {
          return;
        }
        if (ar.failed()) {
          finish(AttemptOutcome.CONNECTION_ERROR, null,
              "cannot resolve " + target.bareHost() + ": " + describe(ar.cause()), null);
          return;
        }
        checkAndSend(target, ar.result());
      });
    }

    /** Sends to the first address when the policy permits every one the host resolved to. */
    private void checkAndSend(Target target, InetAddress[] addresses) {
      for (InetAddress address : addresses) {
        if (!permits(target, address)) {
          finish(AttemptOutcome.BLOCKED, null, "host " + target.bareHost() + " resolves to "
              + address.getHostAddress() + ", which is not a permitted target", null);
          return;
        }
      }
      send(target, addresses[0]);
    }

    private void send(Target target, InetAddress address) {
      try {
        build(target, address);
      } catch (RuntimeException e) {
        // A request that cannot be built (bad port, bad header value) is never sent: say so at once
        // instead of letting the deadline report a timeout.
        finish(AttemptOutcome.OTHER, null, "request not sent: " + describe(e), null);
      }
    }

    private void build(Target target, InetAddress address) {
      int port = target.port();
      long ms = Math.max(1, timeout.toMillis());
      RequestOptions options = new RequestOptions()
          .setMethod(HttpMethod.POST)
          // connect to the address that was checked; host and port still name the Host header and TLS
          .setServer(SocketAddress.inetSocketAddress(new InetSocketAddress(address, port)))
          .setHost(target.bareHost())
          .setPort(port)
          .setURI(target.path())
          .setSsl(target.https())
          .setFollowRedirects(false)
          .setConnectTimeout(ms)
          .setIdleTimeout(ms);
      // custom headers first, and never one the platform sets itself or that could split the request
      request.headers().forEach((name, value) -> {
        if (!ReservedHeaders.isReserved(name) && ReservedHeaders.isWellFormed(name, value)) {
          options.putHeader(name, value);
        }
      });
      options
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .putHeader(HttpHeaders.USER_AGENT, USER_AGENT)
          .putHeader(WebhookSignature.ID_HEADER, request.webhookId())
          .putHeader(WebhookSignature.TIMESTAMP_HEADER, Long.toString(request.timestampSeconds()))
          .putHeader(WebhookSignature.SIGNATURE_HEADER, request.signature());
      http.request(options).onComplete(ar -> {
        if (ar.failed()) {
          fail(ar.cause());
          return;
        }
        HttpClientRequest req = ar.result();
        sent.set(req);
        if (result.isDone()) {
          req.reset();
          return;
        }
        req.send(Buffer.buffer(request.body())).onComplete(response -> {
          if (response.failed()) {
            fail(response.cause());
          } else {
            read(req, response.result());
          }
        });
      });
    }

    /** Reads the body up to {@link #MAX_READ_BYTES}, keeping its start for the excerpt. */
    private void read(HttpClientRequest req, HttpClientResponse response) {
      int status = response.statusCode();
      // one byte past the excerpt, so that the excerpt can tell whether its cut splits a character
      byte[] kept = new byte[ResponseExcerpt.MAX_BYTES + 1];
      int[] counts = new int[2]; // [0] bytes kept, [1] bytes read
      response.handler(chunk -> {
        int take = Math.min(chunk.length(), kept.length - counts[0]);
        if (take > 0) {
          chunk.getBytes(0, take, kept, counts[0]);
          counts[0] += take;
        }
        counts[1] += chunk.length();
        if (counts[1] > MAX_READ_BYTES) {
          completeResponse(status, response, kept, counts[0]);
          req.reset();
        }
      });
      response.endHandler(v -> completeResponse(status, response, kept, counts[0]));
      response.exceptionHandler(this::fail);
    }

    private void completeResponse(int status, HttpClientResponse response, byte[] kept, int keptBytes) {
      String excerpt = ResponseExcerpt.of(kept, keptBytes, ResponseExcerpt.MAX_BYTES);
      if (status >= 200 && status < 300) {
        finish(AttemptOutcome.SUCCEEDED, status, null, excerpt);
      } else if (status >= 300 && status < 400) {
        String location = response.getHeader(HttpHeaders.LOCATION);
        finish(AttemptOutcome.HTTP_ERROR, status, "HTTP " + status + ": redirect"
            + (location == null ? "" : " to " + location) + " not followed", excerpt);
      } else {
        finish(AttemptOutcome.HTTP_ERROR, status, "HTTP " + status, excerpt,
            response.getHeader("retry-after"));
      }
    }

    private void onDeadline() {
      if (finish(AttemptOutcome.TIMEOUT, null, "no complete response within " + Durations.format(timeout), null)) {
        HttpClientRequest req = sent.get();
        if (req != null) {
          req.reset();
        }
      }
    }

    private void fail(Throwable cause) {
      if (isTimeout(cause)) {
        finish(AttemptOutcome.TIMEOUT, null, describe(cause), null);
      } else {
        finish(AttemptOutcome.CONNECTION_ERROR, null, describe(cause), null);
      }
    }

    private boolean finish(AttemptOutcome outcome, Integer status, String error, String excerpt) {
      return finish(outcome, status, error, excerpt, null);
    }

    private boolean finish(AttemptOutcome outcome, Integer status, String error, String excerpt, String retryAfter) {
      long latencyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
      boolean first = result.complete(new AttemptResult(outcome, status, latencyMs, error, excerpt, retryAfter));
      if (first && timerId >= 0) {
        vertx.cancelTimer(timerId);
      }
      return first;
    }
  }

  /** Resolves a host name to its addresses; may block. */
  @FunctionalInterface
  interface HostResolver {
    /**
     * @return at least one address
     * @throws UnknownHostException when the name does not resolve
     */
    InetAddress[] resolve(String host) throws UnknownHostException;
  }

  private static boolean isTimeout(Throwable e) {
    return e instanceof TimeoutException || e instanceof ConnectTimeoutException;
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
  }

  private static String version() {
    Properties p = new Properties();
    try (InputStream in = EndpointClient.class.getResourceAsStream("webhook-client.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read webhook-client.properties", e);
    }
    String v = p.getProperty("version", "");
    return v.isEmpty() || v.startsWith("${") ? "dev" : v;
  }
}
