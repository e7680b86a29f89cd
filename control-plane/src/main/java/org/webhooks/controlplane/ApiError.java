package org.webhooks.controlplane;

/**
 * A request the API refuses, answered as {@code {"error": message, "field": field}} with its status.
 * The message of a validation error starts with the field it is about.
 */
final class ApiError extends RuntimeException {

  private final int status;
  private final String field;

  ApiError(int status, String field, String message) {
    super(message, null, false, false);
    this.status = status;
    this.field = field;
  }

  /** @return a 400 naming {@code field}; {@code message} should start with {@code field + ": "}. */
  static ApiError invalid(String field, String message) {
    return new ApiError(400, field, message);
  }

  /**
   * @return the one 404 of a subscription, the same whether it does not exist or is another
   *     account's, so that nothing tells the two apart
   */
  static ApiError noSuchSubscription(String id) {
    return new ApiError(404, null, "no subscription " + id);
  }

  /** @return the one 401, the same for a missing, unknown, wrong or revoked key. */
  static ApiError unauthorized() {
    return new ApiError(401, null, "a valid API key is required: Authorization: Bearer <key>");
  }

  int status() {
    return status;
  }

  /** @return the field the error is about, or null when it is not about one. */
  String field() {
    return field;
  }
}
