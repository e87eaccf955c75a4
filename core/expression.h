// Loss laws of the user's own form (`fit --law-expr`): an arithmetic expression over run columns and named
// parameters, parsed once into a flat postfix program that evaluates on doubles and, through the template
// EvaluateProgram, on any number type with the usual operators and exp/log/sqrt/pow (Ceres Jets in fitting/).
//
// Grammar (whitespace ignored; names are [A-Za-z_][A-Za-z0-9_]*; numbers are plain decimals, 1.5, 2e-3, .25, with no
// SI suffix, since `2B` would read as a name):
//   expression := sum
//   sum        := product (('+' | '-') product)*
//   product    := unary (('*' | '/') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := primary (('^' | '**') unary)?         right-associative: 2^3^2 = 2^9; -x^2 = -(x^2); x^-1 allowed
//   primary    := number | name | name '(' arguments ')' | '(' sum ')'
// Functions: exp(x), log(x) (natural), sqrt(x), abs(x), min(x, y), max(x, y).
//
// Errors are ExpressionErrors that point at the character: "--law-expr:1:14: unknown name 'alpah'" (line 1, column
// 14, 1-based), for an unexpected character, a malformed number, a missing operand ("expected a number, a name or
// '(' after '+'"), an unmatched parenthesis (at the '(' or the ')'), an unknown function, a wrong argument count,
// and, when names are bound to parameters and columns (Expression::Bind), a name that is neither.
#ifndef SCALEPLAN_CORE_EXPRESSION_H_
#define SCALEPLAN_CORE_EXPRESSION_H_

#include <array>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace scaleplan {

// The most operands an expression may hold pending at once (a stack depth); deeper expressions are refused when
// parsed, so that evaluation needs no allocation.
inline constexpr int kMaxExpressionDepth = 64;

// A malformed expression, located at a character: what() is "<source>:<line>:<column>: <message>".
class ExpressionError : public std::runtime_error {
 public:
  ExpressionError(const std::string& source, int line, int column, const std::string& message);
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  int line_;
  int column_;
  std::string message_;
};

enum class ExpressionOp : std::uint8_t {
  CONSTANT,   // push value
  PARAMETER,  // push params[index]
  COLUMN,     // push row[index]
  ADD,
  SUBTRACT,
  MULTIPLY,
  DIVIDE,
  POWER,           // x^y
  POWER_CONSTANT,  // x^value (the exponent a constant: no log of x in the derivative)
  EXP_PRODUCT,     // exp(x * row[index]): x^y with a positive column base y, row[index] holding log y
  NEGATE,
  EXP,
  LOG,
  SQRT,
  ABS,
  MIN,
  MAX,
  SYMBOL,  // an unbound name (Expression only): index into Symbols()
};

struct ExpressionInstruction {
  ExpressionOp op = ExpressionOp::CONSTANT;
  int index = 0;
  double value = 0.0;
};

// A bound program: every name is a parameter or a column of a row.
struct ExpressionProgram {
  std::vector<ExpressionInstruction> code;  // postfix
  int max_depth = 0;                        // stack slots evaluation needs (<= kMaxExpressionDepth)
  int num_params = 0;
  int num_columns = 0;  // a row holds this many values
};

// A name as the expression uses it, with its first use for messages.
struct ExpressionSymbol {
  std::string name;
  int line = 1;
  int column = 1;
};

// What a name stands for when the expression is bound.
struct ExpressionBinding {
  enum class Kind { PARAMETER, COLUMN };
  Kind kind = Kind::PARAMETER;
  int index = 0;
};

class Expression {
 public:
  // Parses `text`; `source` labels messages ("--law-expr"). Throws ExpressionError. Subexpressions of numbers alone
  // are folded into one constant.
  static Expression Parse(std::string_view text, const std::string& source = "--law-expr");

  const std::string& Text() const { return text_; }
  const std::string& Source() const { return source_; }
  // Each distinct name, in order of first appearance.
  const std::vector<ExpressionSymbol>& Symbols() const { return symbols_; }
  // An error located at the first use of Symbols()[symbol].
  ExpressionError ErrorAtSymbol(size_t symbol, const std::string& message) const;

  // The program with Symbols()[k] bound to bindings[k]. Indices must be below num_params / num_columns.
  ExpressionProgram Bind(const std::vector<ExpressionBinding>& bindings, int num_params, int num_columns) const;

  // The unbound postfix program (SYMBOL instructions), for tests and printing.
  const std::vector<ExpressionInstruction>& Code() const { return code_; }

 private:
  std::string text_;
  std::string source_;
  std::vector<ExpressionSymbol> symbols_;
  std::vector<ExpressionInstruction> code_;
  int max_depth_ = 0;
};

// Rows of column values, row-major: row i is values[i * num_columns ... + num_columns).
struct ExpressionRows {
  int num_rows = 0;
  int num_columns = 0;
  std::vector<double> values;
  const double* Row(int i) const { return values.data() + static_cast<size_t>(i) * num_columns; }
};

// The program specialised to `rows`: every largest subexpression of columns and constants alone (log(N), 6*N*D) is
// computed once per row into a new column, and x^p with a column x positive on every row becomes exp(p log x) with
// log x precomputed. Evaluating the result on the new rows gives the original's values (to rounding).
struct SpecialisedProgram {
  ExpressionProgram program;
  ExpressionRows rows;
};
SpecialisedProgram SpecialiseToRows(const ExpressionProgram& program, const ExpressionRows& rows);

// The program evaluated on every row at once, one instruction at a time over all rows (loops the compiler
// vectorises, one dispatch per instruction instead of per row), and its reverse pass: given a seed per row
// (d objective / d value), the gradient with respect to the parameters. This is what fits evaluate; EvaluateProgram
// with ceres::Jet gives the same gradient (tests/fitting/expression_fit_test.cc checks it).
class ExpressionBatch {
 public:
  ExpressionBatch(const ExpressionProgram& program, const ExpressionRows& rows);

  // Per-caller working memory (one per thread): every instruction's values and adjoints on every row, with the
  // columns and constants filled in once.
  struct Scratch {
    std::vector<double> values;
    std::vector<double> adjoints;
  };
  Scratch NewScratch() const;

  int NumRows() const { return num_rows_; }

  // The program's value on each row (NumRows() values, inside `scratch`).
  const double* Forward(const double* params, Scratch* scratch) const;

  // After Forward with the same scratch and params: gradient[k] = SUM over rows seeds[r] d value_r / d params[k].
  void Backward(const double* seeds, Scratch* scratch, double* gradient) const;

 private:
  const double* Values(const Scratch& scratch, size_t i) const;
  ExpressionProgram program_;
  int num_rows_ = 0;
  std::vector<double> columns_;    // column-major: column c is columns_[c * num_rows_ ...]
  std::vector<int> left_, right_;  // operand instructions (-1: none); a unary operation's operand is left_
  std::vector<char> variable_;     // the instruction's value depends on a parameter
};

// Evaluates `program` at `params` on one row, with `stack` scratch space of program.max_depth values. T is double
// or any type with +, -, *, /, unary -, comparison and exp, log, sqrt, abs, pow found by argument-dependent lookup
// (ceres::Jet). A division by zero, a log of a negative number and the like give inf or NaN, not an exception.
template <typename T>
T EvaluateProgram(const ExpressionProgram& program, const T* params, const double* row, T* stack) {
  using std::abs;
  using std::exp;
  using std::log;
  using std::pow;
  using std::sqrt;
  int top = 0;
  for (const ExpressionInstruction& ins : program.code) {
    switch (ins.op) {
      case ExpressionOp::CONSTANT:
        stack[top++] = T(ins.value);
        break;
      case ExpressionOp::PARAMETER:
        stack[top++] = params[ins.index];
        break;
      case ExpressionOp::COLUMN:
        stack[top++] = T(row[ins.index]);
        break;
      case ExpressionOp::ADD:
        --top;
        stack[top - 1] += stack[top];
        break;
      case ExpressionOp::SUBTRACT:
        --top;
        stack[top - 1] -= stack[top];
        break;
      case ExpressionOp::MULTIPLY:
        --top;
        stack[top - 1] *= stack[top];
        break;
      case ExpressionOp::DIVIDE:
        --top;
        stack[top - 1] /= stack[top];
        break;
      case ExpressionOp::POWER:
        --top;
        stack[top - 1] = pow(stack[top - 1], stack[top]);
        break;
      case ExpressionOp::POWER_CONSTANT:
        stack[top - 1] = pow(stack[top - 1], ins.value);
        break;
      case ExpressionOp::EXP_PRODUCT:
        stack[top - 1] = exp(stack[top - 1] * row[ins.index]);
        break;
      case ExpressionOp::NEGATE:
        stack[top - 1] = -stack[top - 1];
        break;
      case ExpressionOp::EXP:
        stack[top - 1] = exp(stack[top - 1]);
        break;
      case ExpressionOp::LOG:
        stack[top - 1] = log(stack[top - 1]);
        break;
      case ExpressionOp::SQRT:
        stack[top - 1] = sqrt(stack[top - 1]);
        break;
      case ExpressionOp::ABS:
        stack[top - 1] = abs(stack[top - 1]);
        break;
      case ExpressionOp::MIN:
        --top;
        if (stack[top] < stack[top - 1]) stack[top - 1] = stack[top];
        break;
      case ExpressionOp::MAX:
        --top;
        if (stack[top] > stack[top - 1]) stack[top - 1] = stack[top];
        break;
      case ExpressionOp::SYMBOL:
        return T(std::nan(""));  // unbound: Expression::Bind replaces every SYMBOL
    }
  }
  return stack[0];
}

// The double evaluation, with its scratch on the stack.
inline double EvaluateProgram(const ExpressionProgram& program, const double* params, const double* row) {
  std::array<double, kMaxExpressionDepth> stack;
  return EvaluateProgram<double>(program, params, row, stack.data());
}

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_EXPRESSION_H_
