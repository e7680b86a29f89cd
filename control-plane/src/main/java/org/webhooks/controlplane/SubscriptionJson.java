package org.webhooks.controlplane;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.webhooks.data.SubscriptionDraft;
import org.webhooks.data.SubscriptionPatch;
import org.webhooks.data.SubscriptionRepresentation;
import org.webhooks.schemas.avro.Subscription;

/**
 * Subscriptions as the API shows and takes them. Shown: {@code id}, {@code account_id}, {@code url},
 * {@code description}, {@code event_types}, {@code filter}, {@code enabled}, {@code disabled_reason},
 * {@code rate_limit}, {@code headers}, {@code metadata}, {@code created_at}, {@code updated_at}
 * (ISO-8601), never a secret. Taken: the writable ones, each checked for its JSON type here (400
 * naming the field) and for its value by {@code SubscriptionRules}; an unknown or read-only field is
 * refused rather than ignored, so that a typo never passes silently.
 */
final class SubscriptionJson {

  /** Refuses a repeated key, as {@code publish} does: which of two values was meant cannot be known. */
  static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** Fields a PATCH may give. */
  private static final Set<String> WRITABLE = Set.of("url", "description", "event_types", "filter", "enabled",
      "rate_limit", "headers", "metadata");
  /** Fields shown but never written by the customer. */
  private static final Set<String> READ_ONLY = Set.of("id", "account_id", "disabled_reason", "created_at",
      "updated_at");

  private SubscriptionJson() {}

  /** @return the subscription as the API shows it, without any secret ({@link SubscriptionRepresentation}). */
  static ObjectNode render(Subscription s) {
    return SubscriptionRepresentation.of(s);
  }

  /**
   * @param body the request body of a POST
   * @param accountId the account the subscription is for
   * @return the draft, its values not yet checked
   * @throws ApiError 400 naming the field that is missing, unknown or of the wrong JSON type
   */
  static SubscriptionDraft draft(JsonNode body, String accountId) {
    ObjectNode o = object(body);
    checkFields(o, true);
    if (!o.hasNonNull("url")) {
      throw ApiError.invalid("url", "url: is required");
    }
    if (!o.hasNonNull("event_types")) {
      throw ApiError.invalid("event_types", "event_types: is required (a non-empty list of event types)");
    }
    return new SubscriptionDraft(accountId, string(o, "url"), strings(o, "event_types"), string(o, "secret"),
        string(o, "filter"), string(o, "description"), bool(o, "enabled"), integer(o, "rate_limit"),
        map(o, "headers"), map(o, "metadata"));
  }

  /**
   * @param body the request body of a PATCH
   * @return the patch: each field present in the body, null ones included
   * @throws ApiError 400 naming the field that is unknown or of the wrong JSON type
   */
  static SubscriptionPatch patch(JsonNode body) {
    ObjectNode o = object(body);
    checkFields(o, false);
    SubscriptionPatch p = SubscriptionPatch.none();
    if (o.has("url")) {
      p = p.withUrl(string(o, "url"));
    }
    if (o.has("event_types")) {
      p = p.withEventTypes(strings(o, "event_types"));
    }
    if (o.has("filter")) {
      p = p.withFilter(string(o, "filter"));
    }
    if (o.has("description")) {
      p = p.withDescription(string(o, "description"));
    }
    if (o.has("enabled")) {
      p = p.withEnabled(bool(o, "enabled"));
    }
    if (o.has("rate_limit")) {
      p = p.withRateLimit(integer(o, "rate_limit"));
    }
    if (o.has("headers")) {
      p = p.withHeaders(map(o, "headers"));
    }
    if (o.has("metadata")) {
      p = p.withMetadata(map(o, "metadata"));
    }
    return p;
  }

  /**
   * @param body a request body that may be absent
   * @param allowed the only fields it may hold
   * @return the body as an object (empty when absent)
   * @throws ApiError 400 when it is not an object or holds another field
   */
  static ObjectNode optionalObject(JsonNode body, Set<String> allowed) {
    if (body == null || body.isNull() || body.isMissingNode()) {
      return JSON.createObjectNode();
    }
    ObjectNode o = object(body);
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw ApiError.invalid(f, f + ": unknown field (known: " + String.join(", ", allowed) + ")");
      }
    }
    return o;
  }

  /** @return the text of a field, or null when absent or null. */
  static String string(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw ApiError.invalid(field, field + ": must be a string");
    }
    return v.asText();
  }

  private static ObjectNode object(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw ApiError.invalid("body", "body: must be a JSON object");
    }
    return (ObjectNode) body;
  }

  private static void checkFields(ObjectNode o, boolean creating) {
    for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (WRITABLE.contains(f) || creating && f.equals("secret")) {
        continue;
      }
      if (f.equals("secret")) {
        throw ApiError.invalid(f, "secret: is changed by POST /v1/webhooks/{id}/secret/rotate, not by PATCH");
      }
      if (READ_ONLY.contains(f)) {
        throw ApiError.invalid(f, f + ": is read-only");
      }
      throw ApiError.invalid(f, f + ": unknown field");
    }
  }

  private static List<String> strings(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isArray()) {
      throw ApiError.invalid(field, field + ": must be a list of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : v) {
      if (!item.isTextual()) {
        throw ApiError.invalid(field, field + ": must be a list of strings");
      }
      out.add(item.asText());
    }
    return out;
  }

  private static Boolean bool(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isBoolean()) {
      throw ApiError.invalid(field, field + ": must be true or false");
    }
    return v.asBoolean();
  }

  private static Integer integer(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw ApiError.invalid(field, field + ": must be a whole number");
    }
    return v.asInt();
  }

  private static Map<String, String> map(ObjectNode o, String field) {
    JsonNode v = o.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isObject()) {
      throw ApiError.invalid(field, field + ": must be an object of string values");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw ApiError.invalid(field, field + ": the value of '" + e.getKey() + "' must be a string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }
}
