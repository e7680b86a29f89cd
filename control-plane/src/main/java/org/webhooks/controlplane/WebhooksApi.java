package org.webhooks.controlplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.data.SubscriptionRepository;
import org.webhooks.data.SubscriptionRules.InvalidSubscriptionException;
import org.webhooks.data.SubscriptionView;
import org.webhooks.schemas.EventExamples;
import org.webhooks.schemas.EventTypes;
import org.webhooks.schemas.avro.SigningSecret;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.StatsUnavailableException;

/**
 * The {@code /v1} routes. Each request is authenticated first (401 before anything else), then acts
 * for one account: the key's own, or for an operator key the one {@code ?account_id=} names. A
 * subscription of another account is answered exactly as one that does not exist (404). A write
 * returns once this process's view has read it back from the topic, so that any read after the
 * answer sees it (read-your-writes). Handlers run on worker threads, as they wait for Kafka.
 */
final class WebhooksApi {

  private static final Logger LOG = LoggerFactory.getLogger(WebhooksApi.class);
  /** Largest request body, bytes. */
  static final int MAX_BODY_BYTES = 256 * 1024;
  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;

  /** The server named in {@code openapi.json} as shipped: the default port on this machine. */
  private static final String DEFAULT_SERVER = "\"url\": \"http://127.0.0.1:8080\"";
  /** A {@code Host} header that may be written into the document as it is: host name or address, port. */
  private static final Pattern PLAIN_HOST =
      Pattern.compile("[A-Za-z0-9.\\-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}\\](:[0-9]{1,5})?");

  private final SubscriptionView view;
  private final SubscriptionRepository repository;
  private final Authenticator authenticator;
  private final Idempotency idempotency;
  private final TestEvents testEvents;
  private final Duration testTimeout;
  private final ControlPlaneMetrics metrics;
  private final Duration writeWait;
  private final MonitoringRoutes monitoring;
  private final RecoveryRoutes recovery;
  private final AttemptRequests attemptRequests;

  /** One authenticated request. */
  private record Call(RoutingContext ctx, Caller caller) {}

  WebhooksApi(SubscriptionView view, SubscriptionRepository repository, Authenticator authenticator,
      Idempotency idempotency, TestEvents testEvents, Duration testTimeout, ControlPlaneMetrics metrics,
      Duration writeWait, MonitoringRoutes monitoring, RecoveryRoutes recovery, AttemptRequests attemptRequests) {
    this.view = view;
    this.repository = repository;
    this.authenticator = authenticator;
    this.idempotency = idempotency;
    this.testEvents = testEvents;
    this.testTimeout = testTimeout;
    this.metrics = metrics;
    this.writeWait = writeWait;
    this.monitoring = monitoring;
    this.recovery = recovery;
    this.attemptRequests = attemptRequests;
  }

  /**
   * Adds the {@code /v1} routes and {@code /openapi.json} to {@code router}. The document's server is
   * the address it was asked on (its {@code Host} or {@code :authority}, when that is a plain host and
   * port), so a client generated from it calls the port the process really listens on, 0 given or not.
   */
  void mount(Router router, String openApiDocument) {
    router.get("/openapi.json").handler(ctx -> {
      // HTTP/1.1's Host header or HTTP/2's :authority
      HostAndPort authority = ctx.request().authority();
      String host = authority == null ? null
          : authority.port() < 0 ? authority.host() : authority.host() + ":" + authority.port();
      String document = host != null && PLAIN_HOST.matcher(host).matches()
          ? openApiDocument.replace(DEFAULT_SERVER, "\"url\": \"http://" + host + "\"") : openApiDocument;
      ctx.response().putHeader("content-type", "application/json").end(document);
    });
    router.route("/v1/*").handler(BodyHandler.create().setBodyLimit(MAX_BODY_BYTES));
    // the body handler refuses a body over the limit before any route runs: answered as every error is,
    // after the key (checked in memory), so that a request without a valid key gets 401 on every route
    router.route("/v1/*").failureHandler(ctx -> {
      if (ctx.statusCode() != 413) {
        ctx.next();
        return;
      }
      answer(ctx, "other", () -> {
        authenticator.authenticate(ctx.request().getHeader("authorization"));
        throw new ApiError(413, "body", "the request body is larger than " + MAX_BODY_BYTES + " bytes");
      });
    });
    on(router, HttpMethod.GET, "/v1/event-types", false, this::eventTypes);
    on(router, HttpMethod.POST, "/v1/webhooks", true, this::create);
    on(router, HttpMethod.GET, "/v1/webhooks", true, this::list);
    on(router, HttpMethod.GET, "/v1/webhooks/:id", true, this::get);
    on(router, HttpMethod.PATCH, "/v1/webhooks/:id", true, this::update);
    on(router, HttpMethod.DELETE, "/v1/webhooks/:id", true, this::delete);
    on(router, HttpMethod.POST, "/v1/webhooks/:id/secret/rotate", true, this::rotate);
    on(router, HttpMethod.POST, "/v1/webhooks/:id/test", true, this::test);
    on(router, HttpMethod.GET, "/v1/webhooks/:id/stats", true, c -> monitoring.stats(c.ctx(), owned(c)));
    on(router, HttpMethod.GET, "/v1/webhooks/:id/attempts", true, c -> monitoring.attempts(c.ctx(), owned(c)));
    on(router, HttpMethod.GET, "/v1/webhooks/:id/health", true, c -> monitoring.health(owned(c)));
    on(router, HttpMethod.GET, "/v1/events/:event_id/attempts", true,
        c -> monitoring.eventAttempts(accountOf(c), c.ctx().pathParam("event_id")));
    on(router, HttpMethod.POST, "/v1/webhooks/:id/recover", true, c -> recovery.recover(c.ctx(), owned(c)));
    on(router, HttpMethod.POST, "/v1/webhooks/:id/replay", true, c -> recovery.replay(c.ctx(), owned(c)));
    on(router, HttpMethod.GET, "/v1/attempts/:id", true,
        c -> attemptRequests.attempt(accountOf(c), c.ctx().pathParam("id")));
    on(router, HttpMethod.POST, "/v1/attempts/:id/resend", true,
        c -> recovery.resend(accountOf(c), c.ctx().pathParam("id")));
    on(router, HttpMethod.POST, "/v1/filters/check", false, call -> ApiResponse.of(200, FilterCheck.check(body(call))));
    // anything else under /v1: still 401 without a valid key, then a JSON 404
    router.route("/v1/*").blockingHandler(ctx -> answer(ctx, "other", () -> {
      authenticator.authenticate(ctx.request().getHeader("authorization"));
      throw new ApiError(404, null, "no route " + ctx.request().method() + " " + ctx.request().path());
    }), false);
  }

  private void on(Router router, HttpMethod method, String path, boolean perAccount, Function<Call, ApiResponse> handler) {
    router.route(method, path).blockingHandler(ctx -> answer(ctx, path, () -> {
      Caller caller = authenticator.authenticate(ctx.request().getHeader("authorization"));
      Call call = new Call(ctx, caller);
      if (method != HttpMethod.POST) {
        return handler.apply(call);
      }
      String account = perAccount ? accountOf(call) : caller.keyId();
      Idempotency.Replayable r = idempotency.run(account, ctx.request().getHeader(Idempotency.HEADER),
          method.name(), ctx.request().path(), ctx.body().asString() == null ? "" : ctx.body().asString(),
          () -> handler.apply(call));
      if (r.replayed()) {
        ctx.response().putHeader("Idempotent-Replayed", "true");
      }
      return r.response();
    }), false);
  }

  private interface Action {
    ApiResponse run();
  }

  private void answer(RoutingContext ctx, String route, Action action) {
    ApiResponse response;
    try {
      response = action.run();
    } catch (ApiError e) {
      response = error(e.status(), e.field(), e.getMessage());
    } catch (InvalidSubscriptionException e) {
      response = error(400, e.field(), e.getMessage());
    } catch (StatsUnavailableException e) {
      response = error(503, null, e.getMessage());
    } catch (RuntimeException e) {
      LOG.error("{} {} failed: {}", ctx.request().method(), ctx.request().path(), e.toString(), e);
      response = error(500, null, "internal error; the request may or may not have been carried out");
    }
    metrics.request(ctx.request().method().name(), route, response.status());
    ctx.response().setStatusCode(response.status());
    if (response.body() == null) {
      ctx.response().end();
    } else {
      ctx.response().putHeader("content-type", "application/json").end(response.body().toString());
    }
  }

  private static ApiResponse error(int status, String field, String message) {
    ObjectNode body = SubscriptionJson.JSON.createObjectNode();
    body.put("error", message);
    body.put("field", field);
    return ApiResponse.of(status, body);
  }

  // ---- routes

  private ApiResponse eventTypes(Call call) {
    ObjectNode out = SubscriptionJson.JSON.createObjectNode();
    ArrayNode data = out.putArray("data");
    for (String type : EventExamples.TYPES) {
      ObjectNode t = data.addObject();
      t.put("event_type", type);
      t.put("kind", EventTypes.ALL.contains(type) ? "call" : "operational");
      t.put("description", EventExamples.description(type));
      t.set("example", parse(EventExamples.body(type), "example"));
    }
    return ApiResponse.of(200, out);
  }

  private ApiResponse create(Call call) {
    String account = accountOf(call);
    SubscriptionRepository.Written w = repository.create(SubscriptionJson.draft(body(call), account));
    awaitRead(w.position());
    Subscription s = w.subscription();
    SigningSecret secret = s.getSecrets().get(0);
    ObjectNode out = SubscriptionJson.render(s);
    out.put("secret", secret.getSecret());
    LOG.info("subscription {} of account {} created by key {}", s.getId(), account, call.caller().keyId());
    return new ApiResponse(201, out, new ApiResponse.SecretRef(s.getId(), secret.getCreatedAt()));
  }

  private ApiResponse get(Call call) {
    return ApiResponse.of(200, SubscriptionJson.render(owned(call)));
  }

  private ApiResponse list(Call call) {
    String account = accountOf(call);
    int limit = limit(call.ctx().request().getParam("limit"));
    String cursorText = call.ctx().request().getParam("cursor");
    Cursor cursor = cursorText == null || cursorText.isEmpty() ? null : Cursor.parse(cursorText);
    List<Subscription> page = view.values().stream()
        .filter(s -> s.getAccountId().equals(account))
        .filter(s -> cursor == null || cursor.isBefore(s))
        .sorted(Cursor.ORDER)
        .limit(limit + 1L)
        .toList();
    ObjectNode out = SubscriptionJson.JSON.createObjectNode();
    ArrayNode data = out.putArray("data");
    page.stream().limit(limit).forEach(s -> data.add(SubscriptionJson.render(s)));
    out.put("next_cursor", page.size() > limit ? Cursor.after(page.get(limit - 1)).encode() : null);
    return ApiResponse.of(200, out);
  }

  private ApiResponse update(Call call) {
    Subscription current = owned(call);
    SubscriptionRepository.Written w = repository.update(current, SubscriptionJson.patch(body(call)));
    awaitRead(w.position());
    LOG.info("subscription {} of account {} updated by key {}", current.getId(), current.getAccountId(),
        call.caller().keyId());
    return ApiResponse.of(200, SubscriptionJson.render(w.subscription()));
  }

  private ApiResponse delete(Call call) {
    Subscription current = owned(call);
    awaitRead(repository.delete(current.getId()));
    LOG.info("subscription {} of account {} deleted by key {}", current.getId(), current.getAccountId(),
        call.caller().keyId());
    return ApiResponse.of(204, null);
  }

  private ApiResponse rotate(Call call) {
    Subscription current = owned(call);
    ObjectNode body = SubscriptionJson.optionalObject(optionalBody(call), Set.of("secret"));
    SubscriptionRepository.Written w = repository.rotateSecret(current, SubscriptionJson.string(body, "secret"));
    awaitRead(w.position());
    List<SigningSecret> secrets = w.subscription().getSecrets();
    SigningSecret fresh = secrets.get(secrets.size() - 1);
    ObjectNode out = SubscriptionJson.JSON.createObjectNode();
    out.put("id", current.getId());
    out.put("secret", fresh.getSecret());
    out.put("previous_secrets_expire_at", secrets.stream().map(SigningSecret::getExpiresAt)
        .filter(java.util.Objects::nonNull).max(Comparator.naturalOrder()).map(Object::toString).orElse(null));
    LOG.info("subscription {} of account {}: secret rotated by key {}", current.getId(), current.getAccountId(),
        call.caller().keyId());
    return new ApiResponse(200, out, new ApiResponse.SecretRef(current.getId(), fresh.getCreatedAt()));
  }

  private ApiResponse test(Call call) {
    Subscription current = owned(call);
    ObjectNode body = SubscriptionJson.optionalObject(optionalBody(call), Set.of("event_type"));
    TestEvents.Outcome outcome;
    try {
      outcome = testEvents.send(current, SubscriptionJson.string(body, "event_type"))
          .get(testTimeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("event_type", e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending a test event", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the test event did not complete: " + e, e);
    }
    String result = outcome.result().outcome().name().toLowerCase(Locale.ROOT);
    metrics.testEvent(result);
    LOG.info("test event {} ({}) to subscription {}: {} status {} in {} ms", outcome.eventId(), outcome.eventType(),
        current.getId(), result, outcome.result().statusCode(), outcome.result().latencyMs());
    return ApiResponse.of(200, outcome.toJson());
  }

  // ---- helpers

  /**
   * @return the account the call acts for
   * @throws ApiError 400 ("account_id: ...") when an operator key names none, or an account key names one
   */
  private static String accountOf(Call call) {
    String named = call.ctx().request().getParam("account_id");
    if (call.caller().operator()) {
      if (named == null || named.isBlank()) {
        throw ApiError.invalid("account_id", "account_id: an operator key names the account it acts on with "
            + "?account_id=");
      }
      return named.trim();
    }
    if (named != null && !named.equals(call.caller().accountId())) {
      throw ApiError.invalid("account_id", "account_id: only an operator key names an account; this key acts "
          + "for its own");
    }
    return call.caller().accountId();
  }

  /** @return the caller's subscription named by the path, or a 404 that says nothing more. */
  private Subscription owned(Call call) {
    String account = accountOf(call);
    String id = call.ctx().pathParam("id");
    return view.find(id).filter(s -> s.getAccountId().equals(account))
        .orElseThrow(() -> ApiError.noSuchSubscription(id));
  }

  private void awaitRead(RecordMetadata written) {
    try {
      if (!view.awaitWritten(written, writeWait)) {
        LOG.warn("write at {}-{} offset {} not read back within {} ms; a read right after may not see it",
            written.topic(), written.partition(), written.offset(), writeWait.toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static int limit(String text) {
    if (text == null || text.isEmpty()) {
      return DEFAULT_LIMIT;
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 1 && n <= MAX_LIMIT) {
        return n;
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw ApiError.invalid("limit", "limit: must be a whole number 1.." + MAX_LIMIT);
  }

  private static JsonNode body(Call call) {
    JsonNode body = optionalBody(call);
    if (body == null) {
      throw ApiError.invalid("body", "body: a JSON object is required");
    }
    return body;
  }

  private static JsonNode optionalBody(Call call) {
    String text = call.ctx().body().asString();
    if (text == null || text.isBlank()) {
      return null;
    }
    return parse(text, "body");
  }

  private static JsonNode parse(String text, String field) {
    try {
      return SubscriptionJson.JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw ApiError.invalid(field, field + ": not valid JSON (" + e.getOriginalMessage() + ")");
    }
  }
}
