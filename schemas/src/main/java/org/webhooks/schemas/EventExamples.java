package org.webhooks.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The example body of each event type, as a receiver gets it ({@code /examples/<type>.json} on the
 * classpath, the same files as the shared fixtures), with one sentence saying when the event is
 * published. Used by the demo, the event-type catalogue of the control plane and its test events.
 */
public final class EventExamples {

  private static final Map<String, String> DESCRIPTIONS = Map.of(
      "call.started", "A call was answered or placed by an agent.",
      "call.completed", "A call ended normally; carries its duration, transcript, sentiment and outcome.",
      "call.failed", "A call could not be completed (no answer, busy, error); carries the reason.",
      "transcript.updated", "A new segment of a call's transcript is available, while the call goes on.",
      "sentiment.changed", "The caller's sentiment score moved during a call.",
      "keyword.detected", "A watched keyword or phrase was spoken during a call.",
      "appointment.booked", "The agent booked an appointment during a call.",
      "ticket.created", "The agent opened a support ticket during a call.");

  private EventExamples() {}

  /**
   * @param eventType a wire name of {@link EventTypes#ALL}
   * @return the example body, JSON text with {@code event_id}, {@code event_type}, {@code timestamp}
   *     and {@code data}
   * @throws IllegalArgumentException when the type is unknown
   */
  public static String body(String eventType) {
    checkKnown(eventType);
    try (InputStream in = EventExamples.class.getResourceAsStream("/examples/" + eventType + ".json")) {
      if (in == null) {
        throw new IllegalStateException("the example of " + eventType + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the example of " + eventType, e);
    }
  }

  /**
   * @param eventType a wire name of {@link EventTypes#ALL}
   * @return one sentence saying when an event of this type is published
   * @throws IllegalArgumentException when the type is unknown
   */
  public static String description(String eventType) {
    checkKnown(eventType);
    return DESCRIPTIONS.get(eventType);
  }

  private static void checkKnown(String eventType) {
    if (EventTypes.fromWireName(eventType).isEmpty()) {
      throw new IllegalArgumentException("event_type '" + eventType + "' is unknown (known: "
          + String.join(", ", EventTypes.ALL) + ")");
    }
  }
}
