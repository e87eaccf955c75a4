#include "core/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

namespace scaleplan {
namespace {

// Binds names in order: those listed in `params` are parameters (in that order), every other name a column (in
// order of first appearance), and evaluates at `param_values` on one row of `column_values`.
double Eval(const std::string& text, const std::vector<std::string>& params, const std::vector<double>& param_values,
            const std::vector<double>& column_values = {}) {
  const Expression expression = Expression::Parse(text);
  std::vector<ExpressionBinding> bindings;
  int num_columns = 0;
  for (const ExpressionSymbol& symbol : expression.Symbols()) {
    int index = -1;
    for (size_t k = 0; k < params.size(); ++k) {
      if (params[k] == symbol.name) index = static_cast<int>(k);
    }
    if (index >= 0) {
      bindings.push_back({ExpressionBinding::Kind::PARAMETER, index});
    } else {
      bindings.push_back({ExpressionBinding::Kind::COLUMN, num_columns++});
    }
  }
  const ExpressionProgram program = expression.Bind(bindings, static_cast<int>(params.size()), num_columns);
  return EvaluateProgram(program, param_values.data(), column_values.data());
}

double Constant(const std::string& text) { return Eval(text, {}, {}); }

// The message of the ExpressionError that parsing `text` throws ("" when it parses).
std::string ParseError(const std::string& text) {
  try {
    Expression::Parse(text);
  } catch (const ExpressionError& error) {
    return error.what();
  }
  return "";
}

TEST(Expression, ArithmeticAgainstHandValues) {
  EXPECT_DOUBLE_EQ(Constant("1 + 2 * 3"), 7.0);
  EXPECT_DOUBLE_EQ(Constant("(1 + 2) * 3"), 9.0);
  EXPECT_DOUBLE_EQ(Constant("8 / 4 / 2"), 1.0);    // left-associative
  EXPECT_DOUBLE_EQ(Constant("10 - 4 - 3"), 3.0);   // left-associative
  EXPECT_DOUBLE_EQ(Constant("2 ^ 3 ^ 2"), 512.0);  // right-associative: 2^9
  EXPECT_DOUBLE_EQ(Constant("2 ** 3"), 8.0);
  EXPECT_DOUBLE_EQ(Constant("-2 ^ 2"), -4.0);  // the power binds tighter than unary minus
  EXPECT_DOUBLE_EQ(Constant("2 ^ -1"), 0.5);
  EXPECT_DOUBLE_EQ(Constant("-(-3)"), 3.0);
  EXPECT_DOUBLE_EQ(Constant("+3 - -2"), 5.0);
  EXPECT_DOUBLE_EQ(Constant(".25e1 + 1.5E-1"), 2.65);
  EXPECT_DOUBLE_EQ(Constant("exp(0) + log(exp(2)) + sqrt(16) + abs(-3)"), 1.0 + 2.0 + 4.0 + 3.0);
  EXPECT_DOUBLE_EQ(Constant("min(3, 2) + max(3, 2)"), 5.0);
  EXPECT_DOUBLE_EQ(Constant("min(1, max(2, 3)) * 2 ^ 2"), 4.0);
}

TEST(Expression, ChinchillaFormAtHoffmannsCoefficients) {
  // Hoffmann et al. 2022's Approach 3: E 1.69, A 406.4, B 410.7, alpha 0.34, beta 0.28; at N = 70e9, D = 1.4e12
  // the loss is 1.69 + 406.4 / 70e9^0.34 + 410.7 / 1.4e12^0.28 (written out by hand below).
  const double expected = 1.69 + 406.4 / std::pow(70e9, 0.34) + 410.7 / std::pow(1.4e12, 0.28);
  EXPECT_NEAR(expected, 1.9367, 1e-4);  // the Chinchilla model's predicted loss, as usually quoted
  const double value = Eval("E + A/N^alpha + B/D^beta", {"E", "A", "alpha", "B", "beta"},
                            {1.69, 406.4, 0.34, 410.7, 0.28}, {70e9, 1.4e12});
  EXPECT_DOUBLE_EQ(value, expected);
}

TEST(Expression, SymbolsInOrderOfFirstUseWithPositions) {
  const Expression expression = Expression::Parse("E + A/N^alpha + B/D^beta + A");
  ASSERT_EQ(expression.Symbols().size(), 7u);
  EXPECT_EQ(expression.Symbols()[0].name, "E");
  EXPECT_EQ(expression.Symbols()[3].name, "alpha");
  EXPECT_EQ(expression.Symbols()[3].column, 9);
  EXPECT_EQ(expression.ErrorAtSymbol(3, "unknown name 'alpha'").what(),
            std::string("--law-expr:1:9: unknown name 'alpha'"));
}

TEST(Expression, ConstantsFoldAndConstantPowersSpecialise) {
  // 2 * 3 folds into 6; x^2 becomes one POWER_CONSTANT instruction.
  const Expression expression = Expression::Parse("2 * 3 * x ^ 2");
  const auto& code = expression.Code();
  ASSERT_EQ(code.size(), 4u);
  EXPECT_EQ(code[0].op, ExpressionOp::CONSTANT);
  EXPECT_EQ(code[0].value, 6.0);
  EXPECT_EQ(code[2].op, ExpressionOp::POWER_CONSTANT);
  EXPECT_EQ(code[2].value, 2.0);
  EXPECT_DOUBLE_EQ(Eval("2 * 3 * x ^ 2", {"x"}, {1.5}), 13.5);
}

TEST(Expression, ErrorsPointAtTheCharacter) {
  EXPECT_EQ(ParseError("E + A/N^alpha +"),
            "--law-expr:1:16: expected a number, a name or '(' after '+' (the expression ends here)");
  EXPECT_EQ(ParseError("E + (A/N^alpha"), "--law-expr:1:5: unmatched '('");
  EXPECT_EQ(ParseError("E + A)/N"), "--law-expr:1:6: unmatched ')'");
  EXPECT_EQ(ParseError("E + lg(N)"),
            "--law-expr:1:5: unknown function 'lg' (the functions are exp, log, sqrt, abs, min and max)");
  EXPECT_EQ(ParseError("E + log(N, D)"), "--law-expr:1:5: log takes 1 argument, not 2");
  EXPECT_EQ(ParseError("min(N)"), "--law-expr:1:1: min takes 2 arguments, not 1");
  EXPECT_EQ(ParseError("E + * A"), "--law-expr:1:5: expected a number, a name or '(' after '+', found '*'");
  EXPECT_EQ(ParseError("E A"), "--law-expr:1:3: expected an operator, found 'A'");
  EXPECT_EQ(ParseError("E + 2B"),
            "--law-expr:1:5: malformed number '2B' (numbers take no SI suffix in an expression: write 2e9, not 2B)");
  EXPECT_EQ(ParseError("E # A"), "--law-expr:1:3: unexpected character '#'");
  EXPECT_EQ(ParseError("   "), "--law-expr:1:4: empty expression");
  EXPECT_EQ(ParseError("E +\n  $"), "--law-expr:2:3: unexpected character '$'");
  EXPECT_EQ(ParseError("(a b)"), "--law-expr:1:4: expected an operator or ')', found 'b'");
  EXPECT_EQ(ParseError("exp(1, )"), "--law-expr:1:8: expected a number, a name or '(', found ')'");
  EXPECT_EQ(ParseError(std::string(300, '(') + "1" + std::string(300, ')')).substr(0, 59),
            "--law-expr:1:257: the expression nests more than 256 levels");
  EXPECT_EQ(ParseError("E + A/N^alpha + B/D^beta"), "");
}

TEST(Expression, SpecialisedProgramEqualsTheOriginal) {
  // log(N) and 6*N*D are computed once per row; N^-alpha becomes exp(-alpha log N) with log N precomputed.
  const Expression expression = Expression::Parse("E + A / N^alpha + B * D^-beta + log(6 * N * D) * c");
  std::vector<ExpressionBinding> bindings;
  int num_params = 0;
  int num_columns = 0;
  for (const ExpressionSymbol& symbol : expression.Symbols()) {
    if (symbol.name == "N" || symbol.name == "D") {
      bindings.push_back({ExpressionBinding::Kind::COLUMN, num_columns++});
    } else {
      bindings.push_back({ExpressionBinding::Kind::PARAMETER, num_params++});
    }
  }
  const ExpressionProgram program = expression.Bind(bindings, num_params, num_columns);
  ExpressionRows rows;
  rows.num_rows = 3;
  rows.num_columns = 2;
  rows.values = {1e8, 2e9, 5e9, 1e11, 7e10, 1.4e12};
  const SpecialisedProgram special = SpecialiseToRows(program, rows);
  EXPECT_GT(special.rows.num_columns, 2);
  bool has_exp_product = false;
  for (const ExpressionInstruction& ins : special.program.code) {
    has_exp_product = has_exp_product || ins.op == ExpressionOp::EXP_PRODUCT;
    EXPECT_NE(ins.op, ExpressionOp::LOG);  // log(6 N D) reads no parameter: precomputed
  }
  EXPECT_TRUE(has_exp_product);
  const std::vector<double> params = {1.7, 400.0, 0.34, 410.0, 0.28, 1e-3};
  for (int r = 0; r < rows.num_rows; ++r) {
    const double original = EvaluateProgram(program, params.data(), rows.Row(r));
    const double special_value = EvaluateProgram(special.program, params.data(), special.rows.Row(r));
    EXPECT_NEAR(special_value, original, 1e-13 * std::fabs(original)) << "row " << r;
  }
}

TEST(Expression, NonFiniteValuesAreValuesNotCrashes) {
  EXPECT_TRUE(std::isinf(Constant("1 / 0")));
  EXPECT_TRUE(std::isnan(Constant("log(-1)")));
  EXPECT_TRUE(std::isnan(Eval("x ^ 0.5", {"x"}, {-4.0})));
}

}  // namespace
}  // namespace scaleplan
