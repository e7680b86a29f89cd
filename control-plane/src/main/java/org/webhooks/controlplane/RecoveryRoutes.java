package org.webhooks.controlplane;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.webhooks.data.EventLog;
import org.webhooks.data.Redeliveries;
import org.webhooks.schemas.avro.DeliveryTask;
import org.webhooks.schemas.avro.Subscription;
import org.webhooks.stats.AttemptRecord;
import org.webhooks.stats.DeliveryStatsQueries;
import org.webhooks.stats.StatsJson;

/**
 * The recovery routes, thin over {@link Redeliveries}: {@code recover} and {@code replay} of the caller's
 * subscription, and {@code resend} of one of the caller's attempts (found through delivery-stats' index
 * of attempts by id). Deliveries are queued when the answer comes (202); a disabled subscription or an
 * event gone from its topic is a 409.
 */
final class RecoveryRoutes {

  private final Redeliveries redeliveries;
  private final Supplier<DeliveryStatsQueries> stats;
  private final Function<String, Optional<Subscription>> subscriptions;

  /**
   * @param redeliveries does the work
   * @param stats finds an attempt by id
   * @param subscriptions the current subscription by id
   */
  RecoveryRoutes(Redeliveries redeliveries, Supplier<DeliveryStatsQueries> stats,
      Function<String, Optional<Subscription>> subscriptions) {
    this.redeliveries = redeliveries;
    this.stats = stats;
    this.subscriptions = subscriptions;
  }

  /** {@code POST /v1/webhooks/{id}/recover?since=T}. */
  ApiResponse recover(RoutingContext ctx, Subscription s) {
    Instant since = Params.instant("since", ctx.request().getParam("since"), true);
    Redeliveries.Recovery r = redelivering(() -> Params.parse(() -> redeliveries.recover(s, since)));
    ObjectNode out = StatsJson.mapper().createObjectNode();
    out.put("subscription_id", s.getId());
    out.set("since", StatsJson.mapper().valueToTree(since));
    out.put("recovered", r.recovered().size());
    out.set("deliveries", StatsJson.mapper().valueToTree(r.recovered()));
    out.set("not_recovered", StatsJson.mapper().valueToTree(r.notRecovered()));
    return ApiResponse.of(202, out);
  }

  /** {@code POST /v1/webhooks/{id}/replay?since=T[&until=T2][&cursor=C][&limit=N]}. */
  ApiResponse replay(RoutingContext ctx, Subscription s) {
    Instant since = Params.instant("since", ctx.request().getParam("since"), true);
    Instant until = Params.instant("until", ctx.request().getParam("until"), false);
    String cursor = ctx.request().getParam("cursor");
    String limitText = ctx.request().getParam("limit");
    int limit = Params.parse(() -> {
      try {
        return limitText == null || limitText.isEmpty() ? Redeliveries.MAX_REPLAY_RECORDS : Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("limit: '" + limitText + "' is not a whole number");
      }
    });
    Redeliveries.Replay r = redelivering(() -> Params.parse(() -> redeliveries.replay(s, since, until,
        cursor == null || cursor.isEmpty() ? null : cursor, limit)));
    ObjectNode out = StatsJson.mapper().valueToTree(r);
    out.put("subscription_id", s.getId());
    return ApiResponse.of(202, out);
  }

  /** {@code POST /v1/attempts/{id}/resend}: the attempt's delivery, sent again now. */
  ApiResponse resend(String accountId, String attemptId) {
    AttemptRecord a = stats.get().attempt(accountId, attemptId)
        .orElseThrow(() -> new ApiError(404, null, "no attempt " + attemptId));
    Subscription s = subscriptions.apply(a.subscriptionId()).filter(x -> x.getAccountId().equals(accountId))
        .orElseThrow(() -> new ApiError(409, null, "the subscription of attempt " + attemptId + " ("
            + a.subscriptionId() + ") no longer exists"));
    DeliveryTask task = redelivering(() -> redeliveries.resend(s,
        new EventLog.EventRef(a.eventId(), a.eventType(), a.eventPublishedAt())));
    ObjectNode out = StatsJson.mapper().createObjectNode();
    out.put("attempt_id", attemptId);
    out.put("subscription_id", s.getId());
    out.put("delivery_id", task.getDeliveryId());
    out.put("event_id", task.getEventId());
    out.put("event_type", task.getEventType());
    return ApiResponse.of(202, out);
  }

  private static <T> T redelivering(Supplier<T> action) {
    try {
      return action.get();
    } catch (Redeliveries.CannotRedeliverException e) {
      throw new ApiError(409, null, e.getMessage());
    }
  }
}
