package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.webhooks.data.SubscriptionFilter.Outcome;

/** The filter semantics the README promises, each on an event body as a receiver gets it. */
class SubscriptionFilterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static final String STARTED = """
      {"event_id": "evt_1", "event_type": "call.started", "timestamp": "2025-01-15T15:41:25Z",
       "data": {"call_id": "call_1", "agent_id": "agent_123", "direction": "inbound",
                "customer": {"id": "cust_42", "tier": "gold", "tags": ["vip", "returning"],
                             "flags": [true, false], "scores": [3, 4.5], "note": null},
                "metadata": {}}}""";
  private static final String SENTIMENT = """
      {"event_id": "evt_2", "event_type": "sentiment.changed", "timestamp": "2025-01-15T15:43:40Z",
       "data": {"call_id": "call_1", "agent_id": "agent_123", "sentiment": "negative",
                "sentiment_score": -0.62, "metadata": {}}}""";
  private static final String COMPLETED = """
      {"event_id": "evt_3", "event_type": "call.completed", "timestamp": "2025-01-15T15:45:32Z",
       "data": {"call_id": "call_1", "agent_id": "agent_123", "duration_seconds": 247,
                "outcome": "appointment_booked", "metadata": {"appointment_time": "2025-01-20T14:00:00Z"}}}""";

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // integers and doubles compare with each other, both ways
      "data.sentiment_score < -0.5                    | SENTIMENT | MATCHED",
      "data.sentiment_score < -1                      | SENTIMENT | NOT_MATCHED",
      "data.sentiment_score > -1                      | SENTIMENT | MATCHED",
      "data.duration_seconds > 100.5                  | COMPLETED | MATCHED",
      "data.duration_seconds > 247.5                  | COMPLETED | NOT_MATCHED",
      "data.duration_seconds == 247.0                 | COMPLETED | MATCHED",
      "data.duration_seconds >= 247                   | COMPLETED | MATCHED",
      // strings compare exactly
      "data.outcome == 'appointment_booked'           | COMPLETED | MATCHED",
      "data.outcome == 'Appointment_booked'           | COMPLETED | NOT_MATCHED",
      "data.outcome == 'appointment_booked '          | COMPLETED | NOT_MATCHED",
      "data.agent_id == 'agent_123'                   | COMPLETED | MATCHED",
      "event_type == 'call.completed'                 | COMPLETED | MATCHED",
      "event_type.startsWith('call.')                 | SENTIMENT | NOT_MATCHED",
      // free-form objects are objects
      "data.customer.tier == 'gold'                   | STARTED   | MATCHED",
      "data.metadata.appointment_time.startsWith('2025-01') | COMPLETED | MATCHED",
      // lists: strings, booleans and numbers
      "'vip' in data.customer.tags                    | STARTED   | MATCHED",
      "'VIP' in data.customer.tags                    | STARTED   | NOT_MATCHED",
      "true in data.customer.flags                    | STARTED   | MATCHED",
      "4.5 in data.customer.scores                    | STARTED   | MATCHED",
      "3 in data.customer.scores                      | STARTED   | MATCHED",
      "3.0 in data.customer.scores                    | STARTED   | MATCHED",
      "5 in data.customer.scores                      | STARTED   | NOT_MATCHED",
      "false in data.customer.flags && !('x' in data.customer.tags) | STARTED | MATCHED",
      "data.customer.scores.exists(s, s > 4)          | STARTED   | MATCHED",
      "data.customer.tags.all(t, t.size() > 3)        | STARTED   | NOT_MATCHED",
      "size(data.customer.tags) == 2                  | STARTED   | MATCHED",
      "data.customer.note == null                     | STARTED   | MATCHED",
      // has() guards a missing field: no error
      "has(data.customer) && data.customer.tier == 'gold' | COMPLETED | NOT_MATCHED",
      "!has(data.customer)                            | COMPLETED | MATCHED",
      "has(data.customer.tier)                        | STARTED   | MATCHED",
      // an unguarded missing field is no match, reported as such
      "data.customer.tier == 'gold'                   | COMPLETED | MISSING_FIELD",
      "data.sentiment_score < -0.5                    | COMPLETED | MISSING_FIELD",
      // a value of another type than the operator takes
      "data.outcome > 3                               | COMPLETED | NO_MATCHING_OVERLOAD",
      "data.duration_seconds / 0 == 1                 | COMPLETED | FAILED",
      // a dyn result that turns out not to be a boolean
      "data.outcome                                   | COMPLETED | NOT_BOOLEAN"})
  void semantics(String expression, String event, Outcome expected) throws Exception {
    String body = switch (event) {
      case "STARTED" -> STARTED;
      case "SENTIMENT" -> SENTIMENT;
      default -> COMPLETED;
    };
    SubscriptionFilter filter = SubscriptionFilter.compile(expression);

    assertThat(filter.evaluate(FilterInput.of(JSON.readTree(body)))).as(expression).isEqualTo(expected);
  }

  @Test
  void anErrorIsNoMatchAndHasAReasonLabel() {
    assertThat(Outcome.MISSING_FIELD.matched()).isFalse();
    assertThat(Outcome.MISSING_FIELD.errorReason()).isEqualTo("missing_field");
    assertThat(Outcome.NOT_MATCHED.errorReason()).isNull();
    assertThat(Outcome.MATCHED.matched()).isTrue();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "data.agent_id == 'agent_123' &&         | at 1:32: mismatched input '<EOF>'",
      "data.agent_id = 'agent_123'             | at 1:15: ",
      "agent_id == 'agent_123'                 | at 1:1: undeclared reference to 'agent_id'",
      "event_type == 3                         | at 1:12: found no matching overload for '_==_' applied to '(string, int)'",
      "event_type                              | at 1:1: expected type 'bool' but found 'string'",
      "data.tags.exists(t, t == 1 &&)          | at 1:30: "})
  void syntaxAndTypeErrorsAreRefusedWithTheirPosition(String expression, String start) {
    assertThatThrownBy(() -> SubscriptionFilter.compile(expression))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(start.strip());
    // the same position, as numbers, for an editor that points at it
    String[] at = start.strip().replaceFirst("^at (\\d+):(\\d+):.*$", "$1 $2").split(" ");
    assertThatThrownBy(() -> SubscriptionFilter.compile(expression))
        .isInstanceOfSatisfying(SubscriptionFilter.InvalidFilterException.class, e -> {
          assertThat(e.line()).isEqualTo(Integer.parseInt(at[0]));
          assertThat(e.column()).isEqualTo(Integer.parseInt(at[1]));
        });
  }

  @Test
  void theLineAndColumnOfAnErrorOnALaterLineAreThoseOfThatLine() {
    assertThatThrownBy(() -> SubscriptionFilter.compile("data.agent_id == 'agent_123'\n  && agnt == 1"))
        .isInstanceOfSatisfying(SubscriptionFilter.InvalidFilterException.class, e -> {
          assertThat(e).hasMessageStartingWith("at 2:6: undeclared reference to 'agnt'");
          assertThat(e.line()).isEqualTo(2);
          assertThat(e.column()).isEqualTo(6);
        });
  }

  @Test
  void aProblemOfTheWholeFilterHasNoPosition() {
    assertThatThrownBy(() -> SubscriptionFilter.compile(" "))
        .isInstanceOfSatisfying(SubscriptionFilter.InvalidFilterException.class, e -> {
          assertThat(e.line()).isZero();
          assertThat(e.column()).isZero();
        });
  }

  @Test
  void aFilterTooExpensiveToRunPerEventIsRefused() {
    // one scan of a list is fine; a scan inside a scan is assumed to cost ASSUMED_LIST_SIZE squared
    assertThat(SubscriptionFilter.compile("data.customer.tags.exists(t, t == 'vip')").cost())
        .isLessThan(SubscriptionFilter.MAX_COST);
    assertThatThrownBy(() -> SubscriptionFilter.compile(
        "data.customer.tags.exists(t, data.customer.tags.exists(u, u == t + 'x'))"))
        .hasMessageStartingWith("is too expensive to run on every event: estimated cost ");
    // each lookup in a list scans it
    String manyLookups = String.join(" || ", java.util.Collections.nCopies(60, "'a' in data.t"));
    assertThat(manyLookups.length()).isLessThan(SubscriptionFilter.MAX_LENGTH);
    assertThatThrownBy(() -> SubscriptionFilter.compile(manyLookups)).hasMessageContaining("too expensive");
  }

  @Test
  void aFilterLongerThanTheLimitIsRefused() {
    String longest = "event_type == '" + "x".repeat(SubscriptionFilter.MAX_LENGTH - 16) + "'";
    assertThat(longest).hasSize(SubscriptionFilter.MAX_LENGTH);
    assertThat(SubscriptionFilter.compile(longest).expression()).isEqualTo(longest);
    String tooLong = "event_type == '" + "x".repeat(SubscriptionFilter.MAX_LENGTH) + "'";
    assertThatThrownBy(() -> SubscriptionFilter.compile(tooLong))
        .hasMessage("is " + (SubscriptionFilter.MAX_LENGTH + 16) + " characters long, more than "
            + SubscriptionFilter.MAX_LENGTH);
  }

  @ParameterizedTest
  @ValueSource(strings = {"((((((((((((((((((((((((((((((((((true))))))))))))))))))))))))))))))))))"})
  void aFilterNestedTooDeeplyIsRefused(String expression) {
    assertThatThrownBy(() -> SubscriptionFilter.compile(expression)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aComprehensionOverAHugeListStopsAtTheIterationLimitAndIsNoMatch() throws Exception {
    StringBuilder items = new StringBuilder();
    for (int i = 0; i < SubscriptionFilter.MAX_ITERATIONS + 1; i++) {
      items.append(i == 0 ? "" : ",").append(i);
    }
    JsonNode body = JSON.readTree("{\"event_type\": \"call.started\", \"data\": {\"n\": [" + items + "]}}");
    SubscriptionFilter filter = SubscriptionFilter.compile("data.n.exists(x, x < 0)");

    assertThat(filter.evaluate(FilterInput.of(body))).isEqualTo(Outcome.FAILED);
  }

  @Test
  void blankIsRefused() {
    assertThatThrownBy(() -> SubscriptionFilter.compile(" ")).hasMessage("is empty");
  }

  @Test
  void aConstantRegularExpressionThatDoesNotCompileIsRefusedWithItsPosition() {
    assertThatThrownBy(() -> SubscriptionFilter.compile("event_type == 'call.completed'\n  && data.outcome.matches('(')"))
        .isInstanceOfSatisfying(SubscriptionFilter.InvalidFilterException.class, e -> {
          assertThat(e).hasMessageStartingWith("at 2:27: the regular expression '(' is not valid: ");
          assertThat(e.line()).isEqualTo(2);
          assertThat(e.column()).isEqualTo(27);
        });
    assertThatThrownBy(() -> SubscriptionFilter.compile("matches(data.outcome, '[a-')"))
        .hasMessageContaining("the regular expression '[a-' is not valid");
  }

  @Test
  void validAndNonConstantRegularExpressionsAreAccepted() {
    assertThat(SubscriptionFilter.compile("data.outcome.matches('^(resolved|escalated)$')")).isNotNull();
    // a pattern read from the event can only be judged per event
    assertThat(SubscriptionFilter.compile("data.outcome.matches(data.agent_id)")).isNotNull();
  }
}
