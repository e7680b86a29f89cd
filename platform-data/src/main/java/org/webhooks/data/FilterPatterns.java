package org.webhooks.data;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelOptions;
import dev.cel.common.CelSource;
import dev.cel.common.CelSourceLocation;
import dev.cel.common.CelValidationException;
import dev.cel.common.ast.CelConstant;
import dev.cel.common.ast.CelExpr;
import dev.cel.common.navigation.CelNavigableAst;
import dev.cel.common.navigation.CelNavigableExpr;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.Map;
import java.util.Optional;

/**
 * Refuses a filter whose {@code matches} is given a regular expression, written as a constant, that
 * cannot be compiled. The type checker accepts any string there, so without this such a filter would
 * be saved and then fail on every event (counted as {@code reason="other"}), delivering nothing. Each
 * constant pattern is run once through the same CEL runtime options as filters, so that what is refused
 * is exactly what would fail at run time (RE2 syntax, the program size limit). A pattern that is not a
 * constant can only be judged per event.
 */
final class FilterPatterns {

  private static final String TEXT = "text";
  private static final String PATTERN = "pattern";

  private final CelRuntime.Program matches;

  /**
   * @param options the options filters are compiled and run with
   * @throws IllegalStateException when the probe expression cannot be built (a programming error)
   */
  FilterPatterns(CelOptions options) {
    try {
      CelAbstractSyntaxTree probe = CelCompilerFactory.standardCelCompilerBuilder().setOptions(options)
          .addVar(TEXT, SimpleType.STRING).addVar(PATTERN, SimpleType.STRING).setResultType(SimpleType.BOOL)
          .build().compile(TEXT + ".matches(" + PATTERN + ")").getAst();
      this.matches = CelRuntimeFactory.standardCelRuntimeBuilder().setOptions(options).build().createProgram(probe);
    } catch (CelValidationException | CelEvaluationException e) {
      throw new IllegalStateException("cannot build the regular expression probe", e);
    }
  }

  /**
   * @param ast a checked filter
   * @throws SubscriptionFilter.InvalidFilterException naming the position of the first constant pattern
   *     that does not compile, and why
   */
  void check(CelAbstractSyntaxTree ast) {
    CelNavigableAst.fromAst(ast).getRoot().allNodes().forEach(node -> {
      CelExpr expr = node.expr();
      if (expr.getKind() != CelExpr.ExprKind.Kind.CALL || !expr.call().function().equals("matches")) {
        return;
      }
      // s.matches(p) has one argument; the global form matches(s, p), two
      var args = expr.call().args();
      CelExpr pattern = args.get(args.size() - 1);
      if (pattern.getKind() != CelExpr.ExprKind.Kind.CONSTANT
          || pattern.constant().getKind() != CelConstant.Kind.STRING_VALUE) {
        return;
      }
      String regex = pattern.constant().stringValue();
      try {
        matches.eval(Map.of(TEXT, "", PATTERN, regex));
      } catch (CelEvaluationException e) {
        throw refused(ast.getSource(), pattern, regex, e);
      }
    });
  }

  private static SubscriptionFilter.InvalidFilterException refused(CelSource source, CelExpr pattern, String regex,
      CelEvaluationException e) {
    Integer offset = source.getPositionsMap().get(pattern.id());
    Optional<CelSourceLocation> at = offset == null ? Optional.empty() : source.getOffsetLocation(offset);
    int line = at.map(CelSourceLocation::getLine).orElse(0);
    int column = at.map(l -> l.getColumn() + 1).orElse(0);
    String reason = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage()
        : e.getMessage();
    String where = line > 0 ? "at " + line + ":" + column + ": " : "";
    return new SubscriptionFilter.InvalidFilterException(where + "the regular expression " + quote(regex)
        + " is not valid: " + reason, line, column, e);
  }

  private static String quote(String regex) {
    return "'" + (regex.length() > 60 ? regex.substring(0, 60) + "..." : regex) + "'";
  }
}
