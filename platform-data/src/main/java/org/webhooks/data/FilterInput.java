package org.webhooks.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a filter sees of one event: {@code event_type} (the wire name, e.g. {@code call.completed}) and
 * {@code data}, the outbound {@code data} object exactly as a receiver gets it, free-form objects such as
 * {@code customer} and {@code metadata} included as objects. Built once per event and shared by every
 * filter evaluated for it.
 *
 * <p>JSON values become CEL values: objects maps with string keys, arrays lists, strings strings,
 * booleans booleans, integers {@code int} (a {@code long}; beyond its range a {@code double}), other numbers
 * {@code double}, and {@code null} CEL's {@code null}.
 *
 * @param eventType the event's wire type
 * @param data the {@code data} object as CEL values (unmodifiable)
 */
public record FilterInput(String eventType, Map<String, Object> data) {

  /** The name of the event type variable. */
  public static final String EVENT_TYPE = "event_type";
  /** The name of the data variable. */
  public static final String DATA = "data";

  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  /**
   * @param body the rendered body of an event (an object with {@code event_type} and {@code data})
   * @return the input of every filter evaluated for that event
   * @throws IllegalArgumentException when {@code body} has no {@code event_type} text or no {@code data} object
   */
  public static FilterInput of(JsonNode body) {
    JsonNode type = body.get(EVENT_TYPE);
    JsonNode data = body.get(DATA);
    if (type == null || !type.isTextual() || data == null || !data.isObject()) {
      throw new IllegalArgumentException("an event body needs event_type text and a data object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> map = (Map<String, Object>) toCel(data);
    return new FilterInput(type.asText(), map);
  }

  /** @return the variables of a CEL evaluation: {@code event_type} and {@code data}. */
  Map<String, Object> variables() {
    return Map.of(EVENT_TYPE, eventType, DATA, data);
  }

  private static Object toCel(JsonNode node) {
    switch (node.getNodeType()) {
      case OBJECT: {
        Map<String, Object> map = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
          Map.Entry<String, JsonNode> e = fields.next();
          map.put(e.getKey(), toCel(e.getValue()));
        }
        return Collections.unmodifiableMap(map);
      }
      case ARRAY: {
        List<Object> list = new ArrayList<>(node.size());
        node.forEach(element -> list.add(toCel(element)));
        return Collections.unmodifiableList(list);
      }
      case STRING:
        return node.asText();
      case BOOLEAN:
        return node.asBoolean();
      case NUMBER:
        if (node.isIntegralNumber()) {
          BigInteger big = node.bigIntegerValue();
          return big.compareTo(LONG_MIN) >= 0 && big.compareTo(LONG_MAX) <= 0 ? (Object) big.longValue()
              : (Object) big.doubleValue();
        }
        return node.doubleValue();
      case NULL:
        return dev.cel.common.values.NullValue.NULL_VALUE;
      default:
        // binary and POJO nodes never come out of a parsed JSON body
        return node.asText();
    }
  }
}
