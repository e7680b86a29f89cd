package org.webhooks.controlplane;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Supplier;

/**
 * Request parameters of the monitoring and recovery routes, whose parsers throw
 * {@link IllegalArgumentException} with a message that starts with the parameter's name: such a refusal
 * becomes the API's 400 naming that field.
 */
final class Params {

  private Params() {}

  /**
   * @return what {@code parse} returns
   * @throws ApiError 400 naming the field its message starts with, when it throws IllegalArgumentException
   */
  static <T> T parse(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      String m = e.getMessage() == null ? "invalid" : e.getMessage();
      int colon = m.indexOf(':');
      throw ApiError.invalid(colon > 0 ? m.substring(0, colon) : null, m);
    }
  }

  /**
   * @param value the parameter, or null
   * @return the instant, or null when absent and not required
   * @throws ApiError 400 naming {@code name} when it is required and absent, or not an ISO-8601 instant
   */
  static Instant instant(String name, String value, boolean required) {
    if (value == null || value.isEmpty()) {
      if (required) {
        throw ApiError.invalid(name, name + ": required, an ISO-8601 instant such as 2025-01-15T00:00:00Z");
      }
      return null;
    }
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw ApiError.invalid(name, name + ": '" + value + "' is not an ISO-8601 instant such as 2025-01-15T00:00:00Z");
    }
  }
}
