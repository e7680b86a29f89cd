package org.webhooks.schemas;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.webhooks.schemas.avro.OperationalEventType;

/**
 * Maps between the Avro {@link OperationalEventType} symbols and the wire names customers see
 * ({@code endpoint.failing}, {@code message.attempt.exhausted}, ...): the symbol lower-cased with
 * every underscore turned into a dot.
 */
public final class OperationalEventTypes {

  /** Wire names of every known operational event type, in declaration order (excludes {@code UNKNOWN}). */
  public static final List<String> ALL = Arrays.stream(OperationalEventType.values())
      .filter(t -> t != OperationalEventType.UNKNOWN).map(OperationalEventTypes::wireName).toList();

  private OperationalEventTypes() {}

  /** @return the wire name, e.g. {@code MESSAGE_ATTEMPT_EXHAUSTED -> "message.attempt.exhausted"}. */
  public static String wireName(OperationalEventType type) {
    return type.name().toLowerCase(Locale.ROOT).replace('_', '.');
  }

  /** @return the type of a wire name such as {@code "endpoint.failing"}, or empty when unknown. */
  public static Optional<OperationalEventType> fromWireName(String wireName) {
    return Arrays.stream(OperationalEventType.values())
        .filter(t -> t != OperationalEventType.UNKNOWN && wireName(t).equals(wireName))
        .findFirst();
  }
}
