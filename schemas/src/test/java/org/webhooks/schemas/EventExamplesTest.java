package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Every event type has an example body of its own type, which the envelope parser accepts, and a description. */
class EventExamplesTest {

  @Test
  void every_type_has_a_parsable_example_of_that_type_and_a_description() throws Exception {
    ObjectMapper json = new ObjectMapper();
    for (String type : EventTypes.ALL) {
      JsonNode body = json.readTree(EventExamples.body(type));
      assertThat(body.get("event_type").asText()).isEqualTo(type);
      assertThat(body.get("data").get("call_id").isTextual()).isTrue();
      assertThat(EventExamples.description(type)).isNotBlank();
    }
  }

  @Test
  void an_unknown_type_is_refused_naming_it() {
    assertThatThrownBy(() -> EventExamples.body("call.exploded")).hasMessageContaining("'call.exploded'");
  }
}
