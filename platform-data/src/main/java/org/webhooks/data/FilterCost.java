package org.webhooks.data;

import dev.cel.common.ast.CelExpr;
import java.util.Set;

/**
 * A static estimate of what one evaluation of a checked filter costs, so that a filter too expensive to
 * run on every event is refused when it is saved. CEL for Java has no cost estimator of its own (unlike
 * cel-go's {@code checker.Cost}), so this follows the same idea on the checked syntax tree: every node
 * costs 1; a function call adds the cost of its work ({@link #REGEX_COST} for {@code matches}, a list's
 * size for {@code in}); a comprehension ({@code exists}, {@code all}, {@code map}, {@code filter}, ...)
 * costs its loop body {@link #ASSUMED_LIST_SIZE} times, so nested comprehensions multiply. The sizes of
 * event lists are unknown at save time, hence the assumed size; the iteration limit of
 * {@link SubscriptionFilter#MAX_ITERATIONS} bounds what really runs.
 */
final class FilterCost {

  /** Elements a list of the event is assumed to hold. */
  static final long ASSUMED_LIST_SIZE = 100;
  /** Cost of one regular expression match (RE2: linear in the text, whose size is unknown). */
  static final long REGEX_COST = 25;
  /** Functions that walk a string: cost a few units more than a comparison. */
  private static final Set<String> STRING_FUNCTIONS = Set.of("contains", "startsWith", "endsWith", "size");

  private FilterCost() {}

  /** @return the estimated cost of evaluating {@code expr} once, saturating at {@link Long#MAX_VALUE} */
  static long estimate(CelExpr expr) {
    switch (expr.getKind()) {
      case SELECT:
        return add(1, estimate(expr.select().operand()));
      case CALL: {
        CelExpr.CelCall call = expr.call();
        long cost = 1 + callCost(call.function());
        if (call.target().isPresent()) {
          cost = add(cost, estimate(call.target().get()));
        }
        for (CelExpr arg : call.args()) {
          cost = add(cost, estimate(arg));
        }
        return cost;
      }
      case LIST: {
        long cost = 1;
        for (CelExpr element : expr.list().elements()) {
          cost = add(cost, estimate(element));
        }
        return cost;
      }
      case MAP: {
        long cost = 1;
        for (CelExpr.CelMap.Entry entry : expr.map().entries()) {
          cost = add(cost, add(estimate(entry.key()), estimate(entry.value())));
        }
        return cost;
      }
      case STRUCT: {
        long cost = 1;
        for (CelExpr.CelStruct.Entry entry : expr.struct().entries()) {
          cost = add(cost, estimate(entry.value()));
        }
        return cost;
      }
      case COMPREHENSION: {
        CelExpr.CelComprehension c = expr.comprehension();
        long perElement = add(estimate(c.loopCondition()), estimate(c.loopStep()));
        long cost = add(estimate(c.iterRange()), estimate(c.accuInit()));
        cost = add(cost, multiply(ASSUMED_LIST_SIZE, perElement));
        return add(cost, estimate(c.result()));
      }
      default:
        // constants, identifiers
        return 1;
    }
  }

  private static long callCost(String function) {
    if (function.equals("matches")) {
      return REGEX_COST;
    }
    if (function.equals("@in")) {
      return ASSUMED_LIST_SIZE;
    }
    return STRING_FUNCTIONS.contains(function) ? 2 : 0;
  }

  private static long add(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }

  private static long multiply(long a, long b) {
    try {
      return Math.multiplyExact(a, b);
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }
}
