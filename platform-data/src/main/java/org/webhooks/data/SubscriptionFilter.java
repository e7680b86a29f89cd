package org.webhooks.data;

/**
 * A subscription's attribute filter, compiled once when the subscription is saved and evaluated per
 * event in the fanout. This version knows no expression language yet: every non-empty filter is
 * refused, so that a subscription never receives more than it asked for.
 *
 * @param expression the filter as written
 */
public record SubscriptionFilter(String expression) {

  /**
   * @param expression the filter text
   * @return the compiled filter
   * @throws IllegalArgumentException saying why it cannot be used
   */
  public static SubscriptionFilter compile(String expression) {
    throw new IllegalArgumentException("attribute filters are not supported by this version");
  }
}
