#include "core/expression.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <limits>

#include "core/error.h"

namespace scaleplan {

ExpressionError::ExpressionError(const std::string& source, int line, int column, const std::string& message)
    : std::runtime_error(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message),
      line_(line),
      column_(column),
      message_(message) {}

namespace {

// Parser recursion deeper than this ("((((...") is refused rather than risking the call stack.
constexpr int kMaxNesting = 256;

struct FunctionInfo {
  const char* name;
  ExpressionOp op;
  int arity;
};

constexpr FunctionInfo kFunctions[] = {
    {"exp", ExpressionOp::EXP, 1}, {"log", ExpressionOp::LOG, 1}, {"sqrt", ExpressionOp::SQRT, 1},
    {"abs", ExpressionOp::ABS, 1}, {"min", ExpressionOp::MIN, 2}, {"max", ExpressionOp::MAX, 2},
};

bool IsUnary(ExpressionOp op) {
  switch (op) {
    case ExpressionOp::NEGATE:
    case ExpressionOp::EXP:
    case ExpressionOp::LOG:
    case ExpressionOp::SQRT:
    case ExpressionOp::ABS:
    case ExpressionOp::POWER_CONSTANT:
    case ExpressionOp::EXP_PRODUCT:
      return true;
    default:
      return false;
  }
}

bool IsLeaf(ExpressionOp op) {
  return op == ExpressionOp::CONSTANT || op == ExpressionOp::PARAMETER || op == ExpressionOp::COLUMN ||
         op == ExpressionOp::SYMBOL;
}

// Stack slots a postfix program needs.
int StackDepth(const std::vector<ExpressionInstruction>& code) {
  int depth = 0;
  int max_depth = 0;
  for (const ExpressionInstruction& ins : code) {
    if (IsLeaf(ins.op)) {
      max_depth = std::max(max_depth, ++depth);
    } else if (!IsUnary(ins.op)) {
      --depth;
    }
  }
  return max_depth;
}

double ApplyConstant(ExpressionOp op, double x, double y) {
  ExpressionProgram program;
  program.code = {{ExpressionOp::CONSTANT, 0, x}};
  if (!IsUnary(op)) program.code.push_back({ExpressionOp::CONSTANT, 0, y});
  program.code.push_back({op, 0, 0.0});
  return EvaluateProgram(program, nullptr, nullptr);
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  void Run(std::vector<ExpressionInstruction>* code, std::vector<ExpressionSymbol>* symbols) {
    code_ = code;
    symbols_ = symbols;
    SkipSpace();
    if (pos_ >= text_.size()) throw Error(pos_, "empty expression");
    ParseSum();
    SkipSpace();
    if (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == ')') throw Error(pos_, "unmatched ')'");
      if (!IsNameChar(c) && c != '.' && c != '(' && c != ',') {
        throw Error(pos_, "unexpected character " + Describe(pos_));
      }
      throw Error(pos_, "expected an operator, found " + Describe(pos_));
    }
  }

  ExpressionError Error(size_t offset, const std::string& message) const {
    int line = 1;
    int column = 1;
    for (size_t i = 0; i < offset && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return ExpressionError(source_, line, column, message);
  }

 private:
  void SkipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  static bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // "'*'", "'alpha'", "'3.5'" or "the end": what stands at `offset`, for messages.
  std::string Describe(size_t offset) const {
    if (offset >= text_.size()) return "the end";
    size_t end = offset + 1;
    if (IsNameChar(text_[offset]) || text_[offset] == '.') {
      while (end < text_.size() && (IsNameChar(text_[end]) || text_[end] == '.')) ++end;
    } else if (text_.compare(offset, 2, "**") == 0) {
      end = offset + 2;
    }
    const unsigned char c = static_cast<unsigned char>(text_[offset]);
    if (c < 0x20 || c >= 0x7f) return "'" + AbbreviatedText(text_.substr(offset, 1)) + "'";
    return "'" + std::string(text_.substr(offset, end - offset)) + "'";
  }

  void Emit(ExpressionOp op, int index = 0, double value = 0.0) {
    std::vector<ExpressionInstruction>& code = *code_;
    // Fold operations on constants.
    if (op != ExpressionOp::CONSTANT && op != ExpressionOp::SYMBOL) {
      const size_t operands = IsUnary(op) ? 1 : 2;
      if (code.size() >= operands &&
          std::all_of(code.end() - static_cast<long>(operands), code.end(),
                      [](const ExpressionInstruction& ins) { return ins.op == ExpressionOp::CONSTANT; })) {
        const double x = code[code.size() - operands].value;
        const double y = operands == 2 ? code.back().value : 0.0;
        code.resize(code.size() - operands);
        code.push_back({ExpressionOp::CONSTANT, 0, ApplyConstant(op, x, y)});
        return;
      }
    }
    // x^c with a constant c: no log of x in the derivative.
    if (op == ExpressionOp::POWER && code.back().op == ExpressionOp::CONSTANT) {
      const double exponent = code.back().value;
      code.pop_back();
      code.push_back({ExpressionOp::POWER_CONSTANT, 0, exponent});
      return;
    }
    code.push_back({op, index, value});
  }

  void Enter(size_t at) {
    if (++nesting_ > kMaxNesting)
      throw Error(at, "the expression nests more than " + std::to_string(kMaxNesting) + " levels deep");
  }

  // sum := product (('+' | '-') product)*
  void ParseSum() {
    Enter(pos_);
    ParseProduct();
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size() || (text_[pos_] != '+' && text_[pos_] != '-')) break;
      const char op = text_[pos_];
      last_operator_ = pos_++;
      ParseProduct();
      Emit(op == '+' ? ExpressionOp::ADD : ExpressionOp::SUBTRACT);
    }
    --nesting_;
  }

  // product := unary (('*' | '/') unary)*
  void ParseProduct() {
    ParseUnary();
    for (;;) {
      SkipSpace();
      if (pos_ >= text_.size()) break;
      const char op = text_[pos_];
      if (op != '*' && op != '/') break;
      if (op == '*' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '*') break;  // '**' is a power
      last_operator_ = pos_++;
      ParseUnary();
      Emit(op == '*' ? ExpressionOp::MULTIPLY : ExpressionOp::DIVIDE);
    }
  }

  // unary := ('-' | '+') unary | power
  void ParseUnary() {
    SkipSpace();
    if (pos_ < text_.size() && (text_[pos_] == '-' || text_[pos_] == '+')) {
      const char op = text_[pos_];
      Enter(pos_);
      last_operator_ = pos_++;
      ParseUnary();
      if (op == '-') Emit(ExpressionOp::NEGATE);
      --nesting_;
      return;
    }
    ParsePower();
  }

  // power := primary (('^' | '**') unary)?
  void ParsePower() {
    ParsePrimary();
    SkipSpace();
    if (pos_ < text_.size() && (text_[pos_] == '^' || text_.compare(pos_, 2, "**") == 0)) {
      last_operator_ = pos_;
      pos_ += text_[pos_] == '^' ? 1 : 2;
      Enter(last_operator_);
      ParseUnary();
      --nesting_;
      Emit(ExpressionOp::POWER);
    }
  }

  std::string AfterOperator() const {
    if (last_operator_ == std::string_view::npos) return "";
    return " after " + Describe(last_operator_);
  }

  void ParsePrimary() {
    SkipSpace();
    if (pos_ >= text_.size()) {
      throw Error(pos_, "expected a number, a name or '('" + AfterOperator() + " (the expression ends here)");
    }
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      ParseNumber();
      return;
    }
    if (IsNameStart(c)) {
      ParseName();
      return;
    }
    if (c == '(') {
      const size_t open = pos_++;
      ParseSum();
      SkipSpace();
      if (pos_ >= text_.size()) throw Error(open, "unmatched '('");
      if (text_[pos_] != ')') throw Error(pos_, "expected an operator or ')', found " + Describe(pos_));
      ++pos_;
      return;
    }
    if (c == ')') {
      throw Error(pos_, "expected a number, a name or '('" + AfterOperator() + ", found ')'");
    }
    if (std::string_view("+-*/^,").find(c) != std::string_view::npos) {
      throw Error(pos_, "expected a number, a name or '('" + AfterOperator() + ", found " + Describe(pos_));
    }
    throw Error(pos_, "unexpected character " + Describe(pos_));
  }

  void ParseNumber() {
    const size_t start = pos_;
    size_t end = pos_;
    while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
    if (end < text_.size() && text_[end] == '.') {
      ++end;
      while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
    }
    const bool has_digits =
        std::any_of(text_.begin() + static_cast<long>(start), text_.begin() + static_cast<long>(end),
                    [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
    if (has_digits && end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
      size_t exponent = end + 1;
      if (exponent < text_.size() && (text_[exponent] == '+' || text_[exponent] == '-')) ++exponent;
      if (exponent < text_.size() && std::isdigit(static_cast<unsigned char>(text_[exponent]))) {
        end = exponent;
        while (end < text_.size() && std::isdigit(static_cast<unsigned char>(text_[end]))) ++end;
      }
    }
    if (!has_digits) throw Error(start, "malformed number " + Describe(start));
    if (end < text_.size() && (IsNameChar(text_[end]) || text_[end] == '.')) {
      size_t word_end = end;
      while (word_end < text_.size() && (IsNameChar(text_[word_end]) || text_[word_end] == '.')) ++word_end;
      throw Error(start, "malformed number '" + std::string(text_.substr(start, word_end - start)) +
                             "' (numbers take no SI suffix in an expression: write 2e9, not 2B)");
    }
    const std::string digits(text_.substr(start, end - start));
    const double value = std::strtod(digits.c_str(), nullptr);
    if (!std::isfinite(value)) throw Error(start, "number out of range '" + digits + "'");
    pos_ = end;
    Emit(ExpressionOp::CONSTANT, 0, value);
  }

  void ParseName() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    const std::string name(text_.substr(start, pos_ - start));
    size_t next = pos_;
    while (next < text_.size() && std::isspace(static_cast<unsigned char>(text_[next]))) ++next;
    if (next < text_.size() && text_[next] == '(') {
      ParseCall(name, start, next);
      return;
    }
    const auto it = std::find_if(symbols_->begin(), symbols_->end(),
                                 [&](const ExpressionSymbol& symbol) { return symbol.name == name; });
    int index = static_cast<int>(it - symbols_->begin());
    if (it == symbols_->end()) {
      const ExpressionError where = Error(start, "");
      symbols_->push_back({name, where.line(), where.column()});
    }
    Emit(ExpressionOp::SYMBOL, index);
  }

  void ParseCall(const std::string& name, size_t start, size_t open) {
    const FunctionInfo* function = nullptr;
    for (const FunctionInfo& f : kFunctions) {
      if (name == f.name) function = &f;
    }
    if (function == nullptr) {
      throw Error(start, "unknown function '" + name + "' (the functions are exp, log, sqrt, abs, min and max)");
    }
    pos_ = open + 1;
    int arguments = 0;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ')') {
      ++pos_;
    } else {
      for (;;) {
        ParseSum();
        ++arguments;
        SkipSpace();
        if (pos_ >= text_.size()) throw Error(open, "unmatched '('");
        if (text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (text_[pos_] != ')') throw Error(pos_, "expected ',' or ')', found " + Describe(pos_));
        ++pos_;
        break;
      }
    }
    if (arguments != function->arity) {
      throw Error(start, name + " takes " + std::to_string(function->arity) + " argument" +
                             (function->arity == 1 ? "" : "s") + ", not " + std::to_string(arguments));
    }
    Emit(function->op);
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  size_t last_operator_ = std::string_view::npos;
  int nesting_ = 0;
  std::vector<ExpressionInstruction>* code_ = nullptr;
  std::vector<ExpressionSymbol>* symbols_ = nullptr;
};

}  // namespace

Expression Expression::Parse(std::string_view text, const std::string& source) {
  Expression expression;
  expression.text_ = std::string(text);
  expression.source_ = source;
  Parser parser(expression.text_, expression.source_);
  parser.Run(&expression.code_, &expression.symbols_);
  expression.max_depth_ = StackDepth(expression.code_);
  if (expression.max_depth_ > kMaxExpressionDepth) {
    throw parser.Error(0, "the expression holds more than " + std::to_string(kMaxExpressionDepth) +
                              " operands pending at once; parenthesise sums differently");
  }
  return expression;
}

ExpressionError Expression::ErrorAtSymbol(size_t symbol, const std::string& message) const {
  SCALEPLAN_CHECK(symbol < symbols_.size(), "no such symbol");
  return ExpressionError(source_, symbols_[symbol].line, symbols_[symbol].column, message);
}

ExpressionProgram Expression::Bind(const std::vector<ExpressionBinding>& bindings, int num_params,
                                   int num_columns) const {
  SCALEPLAN_CHECK(bindings.size() == symbols_.size(), "one binding per symbol");
  ExpressionProgram program;
  program.num_params = num_params;
  program.num_columns = num_columns;
  program.max_depth = max_depth_;
  program.code = code_;
  for (ExpressionInstruction& ins : program.code) {
    if (ins.op != ExpressionOp::SYMBOL) continue;
    const ExpressionBinding& binding = bindings[static_cast<size_t>(ins.index)];
    const bool parameter = binding.kind == ExpressionBinding::Kind::PARAMETER;
    SCALEPLAN_CHECK(binding.index >= 0 && binding.index < (parameter ? num_params : num_columns),
                    "binding index out of range");
    ins.op = parameter ? ExpressionOp::PARAMETER : ExpressionOp::COLUMN;
    ins.index = binding.index;
  }
  return program;
}

SpecialisedProgram SpecialiseToRows(const ExpressionProgram& program, const ExpressionRows& rows) {
  SCALEPLAN_CHECK(rows.num_columns == program.num_columns, "rows and program disagree on the columns");
  const std::vector<ExpressionInstruction>& code = program.code;
  const size_t size = code.size();
  // Each instruction's subtree is code[start[i] .. i]; `variable` when it reads a parameter.
  std::vector<size_t> start(size);
  std::vector<char> variable(size);
  for (size_t i = 0; i < size; ++i) {
    const ExpressionOp op = code[i].op;
    SCALEPLAN_CHECK(op != ExpressionOp::SYMBOL && op != ExpressionOp::EXP_PRODUCT, "specialise a bound program once");
    if (IsLeaf(op)) {
      start[i] = i;
      variable[i] = op == ExpressionOp::PARAMETER;
    } else if (IsUnary(op)) {
      start[i] = start[i - 1];
      variable[i] = variable[i - 1];
    } else {
      const size_t left = start[i - 1] - 1;
      start[i] = start[left];
      variable[i] = variable[left] || variable[i - 1];
    }
  }

  SpecialisedProgram out;
  out.program.num_params = program.num_params;
  std::vector<std::vector<double>> derived;  // new columns, each one value per row
  // Values of the constant-in-parameters subtree ending at i, one per row.
  const auto values_of = [&](size_t i) {
    ExpressionProgram sub;
    sub.code.assign(code.begin() + static_cast<long>(start[i]), code.begin() + static_cast<long>(i) + 1);
    sub.max_depth = StackDepth(sub.code);
    sub.num_columns = program.num_columns;
    std::vector<double> values(static_cast<size_t>(rows.num_rows));
    for (int r = 0; r < rows.num_rows; ++r) values[static_cast<size_t>(r)] = EvaluateProgram(sub, nullptr, rows.Row(r));
    return values;
  };
  const auto add_column = [&](std::vector<double> values) {
    derived.push_back(std::move(values));
    return program.num_columns + static_cast<int>(derived.size()) - 1;
  };
  std::function<void(size_t)> emit = [&](size_t i) {
    const ExpressionInstruction& ins = code[i];
    if (IsLeaf(ins.op)) {
      out.program.code.push_back(ins);
      return;
    }
    if (!variable[i]) {
      out.program.code.push_back({ExpressionOp::COLUMN, add_column(values_of(i)), 0.0});
      return;
    }
    if (IsUnary(ins.op)) {
      emit(i - 1);
      out.program.code.push_back(ins);
      return;
    }
    const size_t left = start[i - 1] - 1;
    if (ins.op == ExpressionOp::POWER && !variable[left]) {
      std::vector<double> base = values_of(left);
      if (std::all_of(base.begin(), base.end(), [](double x) { return x > 0 && std::isfinite(x); })) {
        for (double& x : base) x = std::log(x);
        const int log_column = add_column(std::move(base));
        emit(i - 1);
        out.program.code.push_back({ExpressionOp::EXP_PRODUCT, log_column, 0.0});
        return;
      }
    }
    emit(left);
    emit(i - 1);
    out.program.code.push_back(ins);
  };
  if (size > 0) emit(size - 1);
  out.program.max_depth = StackDepth(out.program.code);
  out.program.num_columns = program.num_columns + static_cast<int>(derived.size());

  out.rows.num_rows = rows.num_rows;
  out.rows.num_columns = out.program.num_columns;
  out.rows.values.resize(static_cast<size_t>(out.rows.num_rows) * static_cast<size_t>(out.rows.num_columns));
  for (int r = 0; r < rows.num_rows; ++r) {
    double* row = out.rows.values.data() + static_cast<size_t>(r) * static_cast<size_t>(out.rows.num_columns);
    std::copy(rows.Row(r), rows.Row(r) + rows.num_columns, row);
    for (size_t k = 0; k < derived.size(); ++k)
      row[rows.num_columns + static_cast<long>(k)] = derived[k][static_cast<size_t>(r)];
  }
  return out;
}

ExpressionBatch::ExpressionBatch(const ExpressionProgram& program, const ExpressionRows& rows)
    : program_(program), num_rows_(rows.num_rows) {
  SCALEPLAN_CHECK(rows.num_columns == program.num_columns, "rows and program disagree on the columns");
  const size_t num_rows = static_cast<size_t>(num_rows_);
  columns_.resize(static_cast<size_t>(rows.num_columns) * num_rows);
  for (int r = 0; r < rows.num_rows; ++r) {
    for (int c = 0; c < rows.num_columns; ++c) columns_[static_cast<size_t>(c) * num_rows + r] = rows.Row(r)[c];
  }
  const size_t size = program_.code.size();
  left_.assign(size, -1);
  right_.assign(size, -1);
  variable_.assign(size, 0);
  std::vector<int> stack;
  for (size_t i = 0; i < size; ++i) {
    const ExpressionOp op = program_.code[i].op;
    SCALEPLAN_CHECK(op != ExpressionOp::SYMBOL, "bind the program first");
    if (IsLeaf(op)) {
      variable_[i] = op == ExpressionOp::PARAMETER;
    } else if (IsUnary(op)) {
      left_[i] = stack.back();
      stack.pop_back();
      variable_[i] = variable_[static_cast<size_t>(left_[i])];
    } else {
      right_[i] = stack.back();
      stack.pop_back();
      left_[i] = stack.back();
      stack.pop_back();
      variable_[i] = variable_[static_cast<size_t>(left_[i])] || variable_[static_cast<size_t>(right_[i])];
    }
    stack.push_back(static_cast<int>(i));
  }
}

ExpressionBatch::Scratch ExpressionBatch::NewScratch() const {
  Scratch scratch;
  const size_t num_rows = static_cast<size_t>(num_rows_);
  scratch.values.assign(program_.code.size() * num_rows, 0.0);
  scratch.adjoints.assign(program_.code.size() * num_rows, 0.0);
  for (size_t i = 0; i < program_.code.size(); ++i) {
    if (program_.code[i].op == ExpressionOp::CONSTANT) {
      std::fill_n(scratch.values.begin() + static_cast<long>(i * num_rows), num_rows, program_.code[i].value);
    }
  }
  return scratch;
}

const double* ExpressionBatch::Values(const Scratch& scratch, size_t i) const {
  const ExpressionInstruction& ins = program_.code[i];
  const size_t num_rows = static_cast<size_t>(num_rows_);
  if (ins.op == ExpressionOp::COLUMN) return columns_.data() + static_cast<size_t>(ins.index) * num_rows;
  return scratch.values.data() + i * num_rows;
}

const double* ExpressionBatch::Forward(const double* params, Scratch* scratch) const {
  const int n = num_rows_;
  const size_t num_rows = static_cast<size_t>(n);
  for (size_t i = 0; i < program_.code.size(); ++i) {
    const ExpressionInstruction& ins = program_.code[i];
    double* z = scratch->values.data() + i * num_rows;
    const double* x = left_[i] >= 0 ? Values(*scratch, static_cast<size_t>(left_[i])) : nullptr;
    const double* y = right_[i] >= 0 ? Values(*scratch, static_cast<size_t>(right_[i])) : nullptr;
    switch (ins.op) {
      case ExpressionOp::CONSTANT:
      case ExpressionOp::COLUMN:
      case ExpressionOp::SYMBOL:
        break;
      case ExpressionOp::PARAMETER:
        std::fill_n(z, n, params[ins.index]);
        break;
      case ExpressionOp::ADD:
        for (int r = 0; r < n; ++r) z[r] = x[r] + y[r];
        break;
      case ExpressionOp::SUBTRACT:
        for (int r = 0; r < n; ++r) z[r] = x[r] - y[r];
        break;
      case ExpressionOp::MULTIPLY:
        for (int r = 0; r < n; ++r) z[r] = x[r] * y[r];
        break;
      case ExpressionOp::DIVIDE:
        for (int r = 0; r < n; ++r) z[r] = x[r] / y[r];
        break;
      case ExpressionOp::POWER:
        for (int r = 0; r < n; ++r) z[r] = std::pow(x[r], y[r]);
        break;
      case ExpressionOp::POWER_CONSTANT:
        for (int r = 0; r < n; ++r) z[r] = std::pow(x[r], ins.value);
        break;
      case ExpressionOp::EXP_PRODUCT: {
        const double* column = columns_.data() + static_cast<size_t>(ins.index) * num_rows;
        for (int r = 0; r < n; ++r) z[r] = std::exp(x[r] * column[r]);
        break;
      }
      case ExpressionOp::NEGATE:
        for (int r = 0; r < n; ++r) z[r] = -x[r];
        break;
      case ExpressionOp::EXP:
        for (int r = 0; r < n; ++r) z[r] = std::exp(x[r]);
        break;
      case ExpressionOp::LOG:
        for (int r = 0; r < n; ++r) z[r] = std::log(x[r]);
        break;
      case ExpressionOp::SQRT:
        for (int r = 0; r < n; ++r) z[r] = std::sqrt(x[r]);
        break;
      case ExpressionOp::ABS:
        for (int r = 0; r < n; ++r) z[r] = std::fabs(x[r]);
        break;
      case ExpressionOp::MIN:
        for (int r = 0; r < n; ++r) z[r] = y[r] < x[r] ? y[r] : x[r];
        break;
      case ExpressionOp::MAX:
        for (int r = 0; r < n; ++r) z[r] = y[r] > x[r] ? y[r] : x[r];
        break;
    }
  }
  return Values(*scratch, program_.code.size() - 1);
}

void ExpressionBatch::Backward(const double* seeds, Scratch* scratch, double* gradient) const {
  const int n = num_rows_;
  const size_t num_rows = static_cast<size_t>(n);
  const size_t size = program_.code.size();
  for (int k = 0; k < program_.num_params; ++k) gradient[k] = 0.0;
  if (size == 0 || !variable_[size - 1]) return;
  for (size_t i = 0; i < size; ++i) {
    if (variable_[i]) std::fill_n(scratch->adjoints.begin() + static_cast<long>(i * num_rows), num_rows, 0.0);
  }
  std::copy(seeds, seeds + n, scratch->adjoints.begin() + static_cast<long>((size - 1) * num_rows));
  for (size_t i = size; i-- > 0;) {
    if (!variable_[i]) continue;
    const ExpressionInstruction& ins = program_.code[i];
    const double* dz = scratch->adjoints.data() + i * num_rows;
    const double* z = Values(*scratch, i);
    const int left = left_[i];
    const int right = right_[i];
    const double* x = left >= 0 ? Values(*scratch, static_cast<size_t>(left)) : nullptr;
    const double* y = right >= 0 ? Values(*scratch, static_cast<size_t>(right)) : nullptr;
    // Adjoints of the operands, or null when an operand reads no parameter (nothing to propagate).
    double* dx = left >= 0 && variable_[static_cast<size_t>(left)]
                     ? scratch->adjoints.data() + static_cast<size_t>(left) * num_rows
                     : nullptr;
    double* dy = right >= 0 && variable_[static_cast<size_t>(right)]
                     ? scratch->adjoints.data() + static_cast<size_t>(right) * num_rows
                     : nullptr;
    switch (ins.op) {
      case ExpressionOp::CONSTANT:
      case ExpressionOp::COLUMN:
      case ExpressionOp::SYMBOL:
        break;
      case ExpressionOp::PARAMETER: {
        double sum = 0.0;
        for (int r = 0; r < n; ++r) sum += dz[r];
        gradient[ins.index] += sum;
        break;
      }
      case ExpressionOp::ADD:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r];
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] += dz[r];
        break;
      case ExpressionOp::SUBTRACT:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r];
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] -= dz[r];
        break;
      case ExpressionOp::MULTIPLY:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] * y[r];
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] += dz[r] * x[r];
        break;
      case ExpressionOp::DIVIDE:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] / y[r];
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] -= dz[r] * z[r] / y[r];
        break;
      case ExpressionOp::POWER:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] * y[r] * std::pow(x[r], y[r] - 1.0);
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] += z[r] == 0.0 ? 0.0 : dz[r] * z[r] * std::log(x[r]);
        break;
      case ExpressionOp::POWER_CONSTANT:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] * ins.value * std::pow(x[r], ins.value - 1.0);
        break;
      case ExpressionOp::EXP_PRODUCT: {
        const double* column = columns_.data() + static_cast<size_t>(ins.index) * num_rows;
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] * z[r] * column[r];
        break;
      }
      case ExpressionOp::NEGATE:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] -= dz[r];
        break;
      case ExpressionOp::EXP:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] * z[r];
        break;
      case ExpressionOp::LOG:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] / x[r];
        break;
      case ExpressionOp::SQRT:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += dz[r] * 0.5 / z[r];
        break;
      case ExpressionOp::ABS:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += x[r] < 0 ? -dz[r] : dz[r];
        break;
      case ExpressionOp::MIN:  // the value is y where y < x, else x (ties go to x, as EvaluateProgram's)
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += y[r] < x[r] ? 0.0 : dz[r];
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] += y[r] < x[r] ? dz[r] : 0.0;
        break;
      case ExpressionOp::MAX:
        if (dx)
          for (int r = 0; r < n; ++r) dx[r] += y[r] > x[r] ? 0.0 : dz[r];
        if (dy)
          for (int r = 0; r < n; ++r) dy[r] += y[r] > x[r] ? dz[r] : 0.0;
        break;
    }
  }
}

}  // namespace scaleplan
