package org.webhooks.stats;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.AttemptOutcomes;

/**
 * The internal routes delivery-stats instances ask each other on, mounted on the process's one HTTP
 * server. They answer any account, so they answer only a request that carries the shared
 * {@code WEBHOOKS_INTERNAL_TOKEN} in {@value #TOKEN_HEADER}; with no token set they refuse every
 * request (a single instance never needs them). Query parameters carry the arguments of
 * {@link DeliveryStatsQueries}; answers are {@link StatsJson}.
 *
 * <ul>
 *   <li>{@code GET /internal/delivery-stats/stats?account_id=&subscription_id=&window=1h|24h|7d}
 *   <li>{@code GET /internal/delivery-stats/attempts?account_id=&subscription_id=&outcome=a,b&event_type=&since=&until=&cursor=&limit=}
 *   <li>{@code GET /internal/delivery-stats/event-attempts?account_id=&event_id=}
 *   <li>{@code GET /internal/delivery-stats/event-verdicts?account_id=&event_id=}
 *   <li>{@code GET /internal/delivery-stats/attempt?account_id=&attempt_id=} (404 when none)
 *   <li>{@code GET /internal/delivery-stats/health?account_id=&subscription_id=} (404 when none)
 * </ul>
 *
 * <p>A request with {@value #FORWARDED_HEADER} is answered from this instance's stores only (503 when
 * the key moved away meanwhile), so a query is forwarded at most once.
 */
final class StatsRoutes {

  static final String BASE = "/internal/delivery-stats";
  static final String STATS = BASE + "/stats";
  static final String ATTEMPTS = BASE + "/attempts";
  static final String EVENT_ATTEMPTS = BASE + "/event-attempts";
  static final String EVENT_VERDICTS = BASE + "/event-verdicts";
  static final String ATTEMPT = BASE + "/attempt";
  static final String HEALTH = BASE + "/health";
  static final String TOKEN_HEADER = "webhooks-internal-token";
  static final String FORWARDED_HEADER = "webhooks-forwarded";

  private static final Logger LOG = LoggerFactory.getLogger(StatsRoutes.class);

  private StatsRoutes() {}

  /**
   * @param token {@code WEBHOOKS_INTERNAL_TOKEN} ("" = refuse every request)
   * @param routed the queries that forward to the instance holding a key
   * @param local the queries that answer from this instance's stores only
   */
  static void mount(Router router, String token, Supplier<DeliveryStatsQueries> routed,
      Supplier<DeliveryStatsQueries> local) {
    router.get(STATS).blockingHandler(ctx -> answer(ctx, token, routed, local, q -> Optional.of(q.stats(
        required(ctx, "account_id"), required(ctx, "subscription_id"),
        StatsWindow.parse(Optional.ofNullable(ctx.request().getParam("window")).orElse("24h"))))));
    router.get(ATTEMPTS).blockingHandler(ctx -> answer(ctx, token, routed, local, q -> Optional.of(q.attempts(
        required(ctx, "account_id"), required(ctx, "subscription_id"), AttemptQuery.parse(ctx.request()::getParam)))));
    router.get(EVENT_ATTEMPTS).blockingHandler(ctx -> answer(ctx, token, routed, local, q -> Optional.of(
        q.eventAttempts(required(ctx, "account_id"), required(ctx, "event_id")))));
    router.get(EVENT_VERDICTS).blockingHandler(ctx -> answer(ctx, token, routed, local, q -> Optional.of(
        q.eventVerdicts(required(ctx, "account_id"), required(ctx, "event_id")))));
    router.get(ATTEMPT).blockingHandler(ctx -> answer(ctx, token, routed, local, q -> q.attempt(
        required(ctx, "account_id"), required(ctx, "attempt_id"))));
    router.get(HEALTH).blockingHandler(ctx -> answer(ctx, token, routed, local, q -> q.health(
        required(ctx, "account_id"), required(ctx, "subscription_id"))));
  }

  /** @return the parameters of {@code q} as {@link #query} reads them (null = absent). */
  static Map<String, String> params(AttemptQuery q) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("outcome", q.outcomes().isEmpty() ? null
        : String.join(",", q.outcomes().stream().map(AttemptOutcomes::wireName).sorted().toList()));
    p.put("event_type", q.eventType());
    p.put("since", q.since() == null ? null : q.since().toString());
    p.put("until", q.until() == null ? null : q.until().toString());
    p.put("cursor", q.cursor());
    p.put("limit", Integer.toString(q.limit()));
    return p;
  }

  private static String required(RoutingContext ctx, String name) {
    String v = ctx.request().getParam(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException(name + ": required");
    }
    return v;
  }

  private static void answer(RoutingContext ctx, String token, Supplier<DeliveryStatsQueries> routed,
      Supplier<DeliveryStatsQueries> local, Function<DeliveryStatsQueries, Optional<?>> query) {
    if (token.isEmpty()) {
      reply(ctx, 403, error("the internal routes are off: set WEBHOOKS_INTERNAL_TOKEN on every delivery-stats instance"));
      return;
    }
    String given = ctx.request().getHeader(TOKEN_HEADER);
    if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
        token.getBytes(StandardCharsets.UTF_8))) {
      reply(ctx, 403, error("missing or wrong " + TOKEN_HEADER));
      return;
    }
    boolean forwarded = ctx.request().getHeader(FORWARDED_HEADER) != null;
    try {
      Optional<?> result = query.apply(forwarded ? local.get() : routed.get());
      if (result.isEmpty()) {
        reply(ctx, 404, error("not found"));
      } else {
        reply(ctx, 200, StatsJson.mapper().writeValueAsString(result.get()));
      }
    } catch (IllegalArgumentException e) {
      reply(ctx, 400, error(e.getMessage()));
    } catch (StatsUnavailableException e) {
      reply(ctx, 503, error(e.getMessage()));
    } catch (JsonProcessingException | RuntimeException e) {
      LOG.error("internal query {} failed: {}", ctx.request().uri(), e.toString(), e);
      reply(ctx, 500, error(e.toString()));
    }
  }

  private static String error(String message) {
    return StatsJson.mapper().createObjectNode().put("error", message).toString();
  }

  private static void reply(RoutingContext ctx, int status, String body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body);
  }
}
