package org.webhooks.data;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelErrorCode;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.Locale;

/**
 * A subscription's attribute filter: a CEL expression (Common Expression Language, cel.dev) over
 * {@code event_type} (string) and {@code data} (the outbound {@code data} object, see {@link FilterInput}),
 * compiled and type-checked once when the subscription is saved and evaluated per event in the fanout.
 * Instances are immutable and thread-safe; compile once per subscription version and keep the result.
 *
 * <p>Semantics (CEL's, with the options set here):
 *
 * <ul>
 *   <li>integers and doubles compare with each other ({@code data.duration_seconds > 100.5},
 *       {@code data.sentiment_score < -1}, {@code 247 == 247.0});
 *   <li>strings compare exactly (case and spaces count);
 *   <li>{@code has(data.customer)} tests presence; reading an absent field is an evaluation error, which
 *       {@link #evaluate} reports as {@link Outcome#MISSING_FIELD}: the event is not delivered;
 *   <li>lists work with {@code in}, {@code exists}, {@code all}, {@code size} (booleans and numbers too:
 *       {@code true in data.flags});
 *   <li>a filter whose result is not a boolean, or that fails at run time (an operator applied to values
 *       of the wrong type, too many iterations), does not match.
 * </ul>
 *
 * <p>Limits, checked at compile time: at most {@link #MAX_LENGTH} characters, nesting at most
 * {@link #MAX_DEPTH} deep, and an estimated cost ({@link FilterCost}) of at most {@link #MAX_COST}. At run
 * time a comprehension stops after {@link #MAX_ITERATIONS} iterations (a failure, not a match).
 */
public final class SubscriptionFilter {

  /** Longest filter accepted, in characters (Unicode code points). */
  public static final int MAX_LENGTH = 1024;
  /** Deepest nesting of the parsed expression accepted. */
  public static final int MAX_DEPTH = 32;
  /** Largest estimated cost accepted (see {@link FilterCost}); a few hundred comparisons, or one list scan. */
  public static final long MAX_COST = 5_000;
  /** Iterations of comprehensions ({@code exists}, {@code all}, ...) allowed in one evaluation. */
  public static final int MAX_ITERATIONS = 10_000;

  /** What one evaluation came to. */
  public enum Outcome {
    /** The filter returned true: the event is delivered. */
    MATCHED(null),
    /** The filter returned false. */
    NOT_MATCHED(null),
    /** The filter read a field the event does not have (unguarded by {@code has()}): not delivered. */
    MISSING_FIELD("missing_field"),
    /** An operator or function got values of types it does not take: not delivered. */
    NO_MATCHING_OVERLOAD("no_matching_overload"),
    /** The filter returned something other than a boolean: not delivered. */
    NOT_BOOLEAN("not_boolean"),
    /** Any other evaluation error (division by zero, iteration limit, ...): not delivered. */
    FAILED("other");

    private final String reason;

    Outcome(String reason) {
      this.reason = reason;
    }

    /** @return true only for {@link #MATCHED}. */
    public boolean matched() {
      return this == MATCHED;
    }

    /** @return the metric label of an error ({@code missing_field}, ...), or null when it is no error. */
    public String errorReason() {
      return reason;
    }
  }

  private static final CelOptions OPTIONS = CelOptions.current()
      .maxExpressionCodePointSize(MAX_LENGTH)
      .maxParseRecursionDepth(MAX_DEPTH)
      .enableHeterogeneousNumericComparisons(true)
      .comprehensionMaxIterations(MAX_ITERATIONS)
      .build();

  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .setOptions(OPTIONS)
      .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
      .addVar(FilterInput.EVENT_TYPE, SimpleType.STRING)
      .addVar(FilterInput.DATA, MapType.create(SimpleType.STRING, SimpleType.DYN))
      .setResultType(SimpleType.BOOL)
      .build();

  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .setOptions(OPTIONS)
      .build();

  private static final FilterPatterns PATTERNS = new FilterPatterns(OPTIONS);

  private final String expression;
  private final long cost;
  private final CelRuntime.Program program;

  private SubscriptionFilter(String expression, long cost, CelRuntime.Program program) {
    this.expression = expression;
    this.cost = cost;
    this.program = program;
  }

  /**
   * Parses, type-checks and plans a filter.
   *
   * @param expression the filter text
   * @return the compiled filter
   * @throws InvalidFilterException saying why it cannot be used: too long, a syntax or type error with
   *     its position ({@code at 1:12: ...}, line and column counted from 1, also given by
   *     {@link InvalidFilterException#line()} and {@link InvalidFilterException#column()}), a result
   *     that is not a boolean, a constant regular expression that does not compile (see
   *     {@link FilterPatterns}), or an estimated cost above {@link #MAX_COST}
   */
  public static SubscriptionFilter compile(String expression) {
    if (expression == null || expression.isBlank()) {
      throw new InvalidFilterException("is empty", 0, 0, null);
    }
    int length = expression.codePointCount(0, expression.length());
    if (length > MAX_LENGTH) {
      throw new InvalidFilterException("is " + length + " characters long, more than " + MAX_LENGTH, 0, 0, null);
    }
    CelAbstractSyntaxTree ast;
    try {
      ast = COMPILER.compile(expression).getAst();
    } catch (CelValidationException e) {
      throw invalid(e);
    }
    PATTERNS.check(ast);
    long cost = FilterCost.estimate(ast.getExpr());
    if (cost > MAX_COST) {
      throw new InvalidFilterException("is too expensive to run on every event: estimated cost " + cost
          + ", at most " + MAX_COST + " (each list scan counts as " + FilterCost.ASSUMED_LIST_SIZE
          + " elements; avoid nesting them)", 0, 0, null);
    }
    try {
      return new SubscriptionFilter(expression, cost, RUNTIME.createProgram(ast));
    } catch (CelEvaluationException e) {
      throw new InvalidFilterException("cannot be planned: " + e.getMessage(), 0, 0, e);
    }
  }

  /** @return the filter as written */
  public String expression() {
    return expression;
  }

  /** @return its estimated cost (see {@link FilterCost}) */
  public long cost() {
    return cost;
  }

  /**
   * Evaluates the filter on one event. Never throws for anything the event holds.
   *
   * @param input the event as filters see it
   * @return whether the event is delivered, and if not because of an error, which kind
   */
  public Outcome evaluate(FilterInput input) {
    Object result;
    try {
      result = program.eval(input.variables());
    } catch (CelEvaluationException e) {
      return outcomeOf(e);
    } catch (RuntimeException e) {
      return Outcome.FAILED;
    }
    if (result instanceof Boolean b) {
      return b ? Outcome.MATCHED : Outcome.NOT_MATCHED;
    }
    return Outcome.NOT_BOOLEAN;
  }

  private static Outcome outcomeOf(CelEvaluationException e) {
    CelErrorCode code = e.getErrorCode();
    if (code == CelErrorCode.ATTRIBUTE_NOT_FOUND) {
      return Outcome.MISSING_FIELD;
    }
    if (code == CelErrorCode.OVERLOAD_NOT_FOUND) {
      return Outcome.NO_MATCHING_OVERLOAD;
    }
    // older runtimes tag a missing map key as INTERNAL_ERROR; its message says what it was
    String message = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
    if (message.contains("no such key") || message.contains("no such field")) {
      return Outcome.MISSING_FIELD;
    }
    if (message.contains("no matching overload")) {
      return Outcome.NO_MATCHING_OVERLOAD;
    }
    return Outcome.FAILED;
  }

  /** @return the first issue with its position, e.g. {@code at 1:7: undeclared reference to 'x'}. */
  private static InvalidFilterException invalid(CelValidationException e) {
    if (e.getErrors().isEmpty()) {
      return new InvalidFilterException(e.getMessage(), 0, 0, e);
    }
    CelIssue issue = e.getErrors().get(0);
    int line = Math.max(issue.getSourceLocation().getLine(), 0);
    int column = line > 0 ? issue.getSourceLocation().getColumn() + 1 : 0;
    String where = line > 0 ? "at " + line + ":" + column + ": " : "";
    String more = e.getErrors().size() > 1 ? " (and " + (e.getErrors().size() - 1) + " more)" : "";
    return new InvalidFilterException(where + issue.getMessage() + more, line, column, e);
  }

  /**
   * A filter that cannot be used, with the position of the problem in it when it has one. The
   * message starts with the position ({@code at 1:12: ...}) when there is one; callers put the field
   * name before it ({@code filter: at 1:12: ...}).
   */
  public static final class InvalidFilterException extends IllegalArgumentException {

    private final int line;
    private final int column;

    InvalidFilterException(String message, int line, int column, Throwable cause) {
      super(message, cause);
      this.line = line;
      this.column = column;
    }

    /** @return the line of the problem, counted from 1; 0 when it is about the whole filter (length, cost) */
    public int line() {
      return line;
    }

    /**
     * @return the column of the problem in its line, in characters (code points) counted from 1; 0 when
     *     it is about the whole filter
     */
    public int column() {
      return column;
    }
  }

  @Override
  public String toString() {
    return "SubscriptionFilter[" + expression + "]";
  }
}
