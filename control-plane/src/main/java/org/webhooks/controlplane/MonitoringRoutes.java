package org.webhooks.controlplane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.AttemptQuery;
import org.webhooks.stats.AttemptRecord;
import org.webhooks.stats.DeliveryStatsQueries;
import org.webhooks.stats.EndpointHealthReport;
import org.webhooks.stats.EventAttempts;
import org.webhooks.stats.EventVerdicts;
import org.webhooks.stats.MatchDecision;
import org.webhooks.stats.StatsJson;
import org.webhooks.stats.StatsWindow;

/**
 * The monitoring routes, thin over {@link DeliveryStatsQueries}: the caller's subscription is looked up
 * first (404 otherwise, by {@link WebhooksApi}), the query asked for the caller's account, and the
 * answer written with {@link StatsJson}. A query that cannot be answered now
 * ({@code StatsUnavailableException}) is a 503; a malformed parameter a 400 naming it.
 */
final class MonitoringRoutes {

  private final Supplier<DeliveryStatsQueries> stats;
  private final Duration failingWindow;

  /**
   * @param stats the queries, local to the process or asked of a delivery-stats process; it throws
   *     {@code StatsUnavailableException} when there are none
   * @param failingWindow {@code WEBHOOKS_FAILING_WINDOW}, shown in the health of an endpoint never attempted
   */
  MonitoringRoutes(Supplier<DeliveryStatsQueries> stats, Duration failingWindow) {
    this.stats = stats;
    this.failingWindow = failingWindow;
  }

  /** {@code GET /v1/webhooks/{id}/stats?window=1h|24h|7d} (default 24h). */
  ApiResponse stats(RoutingContext ctx, Subscription s) {
    String label = ctx.request().getParam("window");
    StatsWindow window = Params.parse(() -> StatsWindow.parse(label == null || label.isEmpty() ? "24h" : label));
    return ok(stats.get().stats(s.getAccountId(), s.getId(), window));
  }

  /** {@code GET /v1/webhooks/{id}/attempts?outcome=&event_type=&since=&until=&cursor=&limit=}. */
  ApiResponse attempts(RoutingContext ctx, Subscription s) {
    AttemptQuery query = Params.parse(() -> AttemptQuery.parse(ctx.request()::getParam));
    return ok(Params.parse(() -> stats.get().attempts(s.getAccountId(), s.getId(), query)));
  }

  /**
   * {@code GET /v1/webhooks/{id}/health}: the subscription's state ({@code enabled}, {@code disabled_reason}),
   * a {@code status} and the health delivery-stats keeps; an endpoint never attempted has status
   * {@code no_attempts}.
   */
  ApiResponse health(Subscription s) {
    Optional<EndpointHealthReport> report = stats.get().health(s.getAccountId(), s.getId());
    EndpointHealthReport h = report.orElseGet(() -> new EndpointHealthReport(s.getAccountId(), s.getId(), s.getUrl(),
        "closed", null, 0, null, null, null, null, false, null, null, failingWindow.toSeconds(), 0, 0, null));
    ObjectNode out = StatsJson.mapper().createObjectNode();
    out.put("subscription_id", s.getId());
    out.put("url", s.getUrl());
    out.put("enabled", s.getEnabled());
    out.put("disabled_reason", s.getDisabledReason());
    out.put("status", !s.getEnabled() ? "disabled" : report.isEmpty() ? "no_attempts" : h.failing() ? "failing"
        : "open".equals(h.circuit()) ? "circuit_open" : "healthy");
    ObjectNode figures = StatsJson.mapper().valueToTree(h);
    figures.remove(java.util.List.of("account_id", "subscription_id", "url"));
    out.setAll(figures);
    return ApiResponse.of(200, out);
  }

  /**
   * {@code GET /v1/events/{event_id}/attempts}: every attempt of the event to the account's endpoints, and
   * the verdicts that say why each endpoint of the account did or did not get it; 404 when the account
   * knows neither.
   */
  ApiResponse eventAttempts(String accountId, String eventId) {
    DeliveryStatsQueries q = stats.get();
    EventAttempts attempts = Params.parse(() -> q.eventAttempts(accountId, eventId));
    EventVerdicts verdicts = q.eventVerdicts(accountId, eventId);
    if (attempts.attempts().isEmpty() && verdicts.decisions().isEmpty()) {
      throw new ApiError(404, null, "no event " + eventId);
    }
    ObjectNode out = StatsJson.mapper().createObjectNode();
    out.put("event_id", eventId);
    MatchDecision first = verdicts.decisions().isEmpty() ? null : verdicts.decisions().get(0);
    AttemptRecord firstAttempt = attempts.attempts().isEmpty() ? null : attempts.attempts().get(0);
    out.put("event_type", first != null ? first.eventType() : firstAttempt.eventType());
    out.set("published_at", StatsJson.mapper().valueToTree(first != null ? first.publishedAt()
        : firstAttempt.eventPublishedAt()));
    out.set("attempts", StatsJson.mapper().valueToTree(attempts.attempts()));
    ArrayNode list = out.putArray("verdicts");
    int unlisted = 0;
    for (MatchDecision d : verdicts.decisions()) {
      unlisted += d.unlisted();
      for (MatchDecision.Verdict v : d.verdicts()) {
        ObjectNode n = list.addObject();
        n.put("subscription_id", v.subscriptionId());
        n.put("verdict", v.verdict());
        n.put("detail", v.detail());
        n.put("source", d.source());
        n.set("decided_at", StatsJson.mapper().valueToTree(d.decidedAt()));
      }
    }
    out.put("unlisted_verdicts", unlisted);
    return ApiResponse.of(200, out);
  }

  private static ApiResponse ok(Object result) {
    JsonNode body = StatsJson.mapper().valueToTree(result);
    return ApiResponse.of(200, body);
  }
}
