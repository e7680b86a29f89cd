package org.webhooks.schemas;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.webhooks.schemas.avro.EventType;

/**
 * Maps between the Avro {@link EventType} symbols and the wire names customers see
 * ({@code call.completed}, {@code transcript.updated}, ...).
 */
public final class EventTypes {

  /** Wire names of every known event type, in declaration order (excludes {@code UNKNOWN}). */
  public static final List<String> ALL =
      Arrays.stream(EventType.values()).filter(t -> t != EventType.UNKNOWN).map(EventTypes::wireName).toList();

  private EventTypes() {}

  /** @return the wire name, e.g. {@code CALL_COMPLETED -> "call.completed"}. */
  public static String wireName(EventType type) {
    return type.name().toLowerCase(Locale.ROOT).replaceFirst("_", ".");
  }

  /** @return the type for a wire name such as {@code "call.completed"}, or empty when unknown. */
  public static Optional<EventType> fromWireName(String wireName) {
    if (wireName == null) {
      return Optional.empty();
    }
    return Arrays.stream(EventType.values())
        .filter(t -> t != EventType.UNKNOWN && wireName(t).equals(wireName))
        .findFirst();
  }
}
