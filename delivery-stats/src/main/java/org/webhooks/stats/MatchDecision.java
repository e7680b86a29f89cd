package org.webhooks.stats;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.webhooks.schemas.avro.MatchVerdicts;
import org.webhooks.schemas.avro.SubscriptionVerdict;

/**
 * What was decided about one event for each subscription of its account considered: a
 * {@code webhook-match-verdicts} record as queries return it, verdicts by their wire names.
 *
 * @param source {@code fanout} (when the event was published) or {@code replay} (a replay for one endpoint)
 * @param eventType the event's wire type
 * @param publishedAt the Kafka time of the event's record
 * @param decidedAt when the decision was made
 * @param verdicts one per subscription considered, in the order considered
 * @param unlisted subscriptions considered beyond those listed (the list is capped)
 */
public record MatchDecision(String source, String eventType, Instant publishedAt, Instant decidedAt,
    List<Verdict> verdicts, int unlisted) {

  /**
   * @param subscriptionId the subscription
   * @param verdict {@code matched}, {@code disabled}, {@code event_type_not_selected},
   *     {@code created_after_event}, {@code filter_false} or {@code filter_error}
   * @param detail for {@code filter_error}, the reason ({@code missing_field}, {@code no_matching_overload},
   *     {@code not_boolean}, {@code other}, {@code invalid_filter}); else null
   */
  public record Verdict(String subscriptionId, String verdict, String detail) {}

  static MatchDecision of(MatchVerdicts v) {
    List<Verdict> verdicts = v.getVerdicts().stream().map(MatchDecision::verdict).toList();
    return new MatchDecision(v.getSource().name().toLowerCase(Locale.ROOT), v.getEventType(), v.getPublishedAt(),
        v.getDecidedAt(), verdicts, v.getUnlisted());
  }

  private static Verdict verdict(SubscriptionVerdict s) {
    return new Verdict(s.getSubscriptionId(), s.getVerdict().name().toLowerCase(Locale.ROOT), s.getDetail());
  }
}
