package org.webhooks.controlplane;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.webhooks.data.FilterInput;
import org.webhooks.data.SubscriptionFilter;
import org.webhooks.schemas.EventExamples;
import org.webhooks.schemas.EventTypes;

/**
 * {@code POST /v1/filters/check}: what a filter would do before it is saved. It is compiled by
 * {@link SubscriptionFilter#compile} and evaluated by {@link SubscriptionFilter#evaluate} on the
 * example of each of the eight event types ({@link EventExamples}) turned into {@link FilterInput} as
 * the fanout turns an event, so the answer is what the fanout would decide for those events. An
 * invalid filter is an answer ({@code valid: false} with the error and its position), not a refused
 * request, since checking half-written filters is what the route is for.
 *
 * <p>Request: {@code {"filter": "...", "event_types": [...]}}; {@code filter} null or blank means no
 * filter; {@code event_types} (the types the endpoint would subscribe to) absent means all eight, and
 * may be empty. Answer: {@code valid}, {@code error} (as saving would refuse it, {@code filter: at
 * L:C: ...}), {@code position} ({@code {"line", "column"}} counted from 1, or null), and
 * {@code examples}: per event type, in the order of {@link EventTypes#ALL}, its example's
 * {@code event_id}, {@code subscribed}, {@code filter_result} (null without a valid filter, else
 * {@code matched}, {@code not_matched} or the error reason the fanout counts: {@code missing_field},
 * {@code no_matching_overload}, {@code not_boolean}, {@code other}) and {@code delivered}.
 */
final class FilterCheck {

  private static final List<Example> EXAMPLES = loadExamples();

  /** One example event as filters see it. */
  private record Example(String eventType, String eventId, FilterInput input) {}

  private FilterCheck() {}

  /**
   * @param body the request body
   * @return the answer described above
   * @throws ApiError 400 naming {@code body}, {@code filter} or {@code event_types} when the request
   *     is not an object, a field has the wrong JSON type, or an event type is unknown
   */
  static ObjectNode check(JsonNode body) {
    ObjectNode request = SubscriptionJson.optionalObject(body, Set.of("filter", "event_types"));
    String expression = SubscriptionJson.string(request, "filter");
    Set<String> subscribed = eventTypes(request);

    ObjectNode out = SubscriptionJson.JSON.createObjectNode();
    SubscriptionFilter filter = null;
    boolean valid = true;
    if (expression != null && !expression.isBlank()) {
      try {
        filter = SubscriptionFilter.compile(expression);
      } catch (SubscriptionFilter.InvalidFilterException e) {
        valid = false;
        out.put("valid", false);
        out.put("error", "filter: " + e.getMessage());
        if (e.line() > 0) {
          ObjectNode position = out.putObject("position");
          position.put("line", e.line());
          position.put("column", e.column());
        } else {
          out.putNull("position");
        }
      }
    }
    if (valid) {
      out.put("valid", true);
      out.putNull("error");
      out.putNull("position");
    }
    ArrayNode examples = out.putArray("examples");
    for (Example example : EXAMPLES) {
      ObjectNode e = examples.addObject();
      e.put("event_type", example.eventType());
      e.put("event_id", example.eventId());
      boolean isSubscribed = subscribed.contains(example.eventType());
      e.put("subscribed", isSubscribed);
      if (filter == null) {
        e.putNull("filter_result");
        e.put("delivered", valid && isSubscribed);
      } else {
        SubscriptionFilter.Outcome outcome = filter.evaluate(example.input());
        e.put("filter_result", resultName(outcome));
        e.put("delivered", isSubscribed && outcome.matched());
      }
    }
    return out;
  }

  private static String resultName(SubscriptionFilter.Outcome outcome) {
    return switch (outcome) {
      case MATCHED -> "matched";
      case NOT_MATCHED -> "not_matched";
      default -> outcome.errorReason();
    };
  }

  private static Set<String> eventTypes(ObjectNode request) {
    JsonNode v = request.get("event_types");
    if (v == null || v.isNull()) {
      return new LinkedHashSet<>(EventTypes.ALL);
    }
    if (!v.isArray()) {
      throw ApiError.invalid("event_types", "event_types: must be a list of strings");
    }
    Set<String> out = new LinkedHashSet<>();
    for (JsonNode item : v) {
      if (!item.isTextual()) {
        throw ApiError.invalid("event_types", "event_types: must be a list of strings");
      }
      if (EventTypes.fromWireName(item.asText()).isEmpty()) {
        throw ApiError.invalid("event_types", "event_types: '" + item.asText() + "' is unknown (known: "
            + String.join(", ", EventTypes.ALL) + ")");
      }
      out.add(item.asText());
    }
    return out;
  }

  private static List<Example> loadExamples() {
    List<Example> out = new ArrayList<>();
    for (String type : EventTypes.ALL) {
      try {
        JsonNode body = SubscriptionJson.JSON.readTree(EventExamples.body(type));
        out.add(new Example(type, body.get("event_id").asText(), FilterInput.of(body)));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("the example of " + type + " is not JSON", e);
      }
    }
    return List.copyOf(out);
  }
}
