package org.webhooks.schemas;

import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Optional;
import org.webhooks.schemas.avro.EventType;

/**
 * Maps between the Avro {@link EventType} symbols and the wire names customers see
 * ({@code call.completed}, {@code transcript.updated}, ...).
 */
public final class EventTypes {

  /** Wire names by type, worked out once: they are asked for per event and per subscription. */
  private static final Map<EventType, String> WIRE_NAMES = new EnumMap<>(EventType.class);
  /** Known types (not {@code UNKNOWN}) by wire name. */
  private static final Map<String, EventType> BY_WIRE_NAME = new HashMap<>();

  static {
    for (EventType t : EventType.values()) {
      String name = t.name().toLowerCase(Locale.ROOT).replaceFirst("_", ".");
      WIRE_NAMES.put(t, name);
      if (t != EventType.UNKNOWN) {
        BY_WIRE_NAME.put(name, t);
      }
    }
  }

  /** Wire names of every known event type, in declaration order (excludes {@code UNKNOWN}). */
  public static final List<String> ALL =
      Arrays.stream(EventType.values()).filter(t -> t != EventType.UNKNOWN).map(EventTypes::wireName).toList();

  private EventTypes() {}

  /** @return the wire name, e.g. {@code CALL_COMPLETED -> "call.completed"}. */
  public static String wireName(EventType type) {
    return WIRE_NAMES.get(type);
  }

  /** @return the type for a wire name such as {@code "call.completed"}, or empty when unknown. */
  public static Optional<EventType> fromWireName(String wireName) {
    return wireName == null ? Optional.empty() : Optional.ofNullable(BY_WIRE_NAME.get(wireName));
  }
}
