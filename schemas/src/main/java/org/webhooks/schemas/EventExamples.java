package org.webhooks.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The example body of each event type a subscription may select, as a receiver gets it
 * ({@code /examples/<type>.json} on the classpath; those of call events are the same files as the shared
 * fixtures), with one sentence saying when the event is published. Used by the demo, the event-type
 * catalogue of the control plane and its test events.
 */
public final class EventExamples {

  /**
   * Every event type a subscription may select: the call event types ({@link EventTypes#ALL}), then the
   * operational event types ({@link OperationalEventTypes#ALL}).
   */
  public static final List<String> TYPES;

  static {
    List<String> all = new ArrayList<>(EventTypes.ALL);
    all.addAll(OperationalEventTypes.ALL);
    TYPES = List.copyOf(all);
  }

  private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
      Map.entry("call.started", "A call was answered or placed by an agent."),
      Map.entry("call.completed", "A call ended normally; carries its duration, transcript, sentiment and outcome."),
      Map.entry("call.failed", "A call could not be completed (no answer, busy, error); carries the reason."),
      Map.entry("transcript.updated", "A new segment of a call's transcript is available, while the call goes on."),
      Map.entry("sentiment.changed", "The caller's sentiment score moved during a call."),
      Map.entry("keyword.detected", "A watched keyword or phrase was spoken during a call."),
      Map.entry("appointment.booked", "The agent booked an appointment during a call."),
      Map.entry("ticket.created", "The agent opened a support ticket during a call."),
      Map.entry("endpoint.failing", "One of the account's endpoints started failing: its success rate fell below the "
          + "threshold, its circuit stayed open, or it went half the auto-disable time without a success."),
      Map.entry("endpoint.recovered", "An endpoint that was failing succeeded again and no failing condition holds."),
      Map.entry("endpoint.disabled", "An endpoint was disabled: it answered 410 Gone, or it had no successful attempt "
          + "for the auto-disable time."),
      Map.entry("message.attempt.exhausted", "A delivery of a call event gave up: its last attempt failed and it "
          + "was dead-lettered."));

  private EventExamples() {}

  /**
   * @param eventType a wire name of {@link #TYPES}
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
   * @param eventType a wire name of {@link #TYPES}
   * @return one sentence saying when an event of this type is published
   * @throws IllegalArgumentException when the type is unknown
   */
  public static String description(String eventType) {
    checkKnown(eventType);
    return DESCRIPTIONS.get(eventType);
  }

  private static void checkKnown(String eventType) {
    if (!TYPES.contains(eventType)) {
      throw new IllegalArgumentException("event_type '" + eventType + "' is unknown (known: "
          + String.join(", ", TYPES) + ")");
    }
  }
}
