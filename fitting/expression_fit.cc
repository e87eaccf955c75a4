#include "fitting/expression_fit.h"

#include <ceres/jet.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <set>
#include <sstream>

#include "core/csv.h"
#include "core/error.h"
#include "core/hash.h"
#include "core/json_input.h"
#include "core/statistics.h"
#include "core/units.h"
#include "fitting/fit_json.h"
#include "fitting/identifiability.h"

namespace scaleplan {

namespace {

constexpr const char* kReservedColumns[] = {"N", "D", "C", "U", "S"};

bool IsReserved(const std::string& name) {
  return std::any_of(std::begin(kReservedColumns), std::end(kReservedColumns),
                     [&](const char* reserved) { return name == reserved; });
}

bool IsName(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::string Trimmed(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

// Levenshtein distance, for "did you mean" hints.
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// " (did you mean 'alpha'?)" when one of `candidates` is within 2 edits of `name` (and closer than its length).
std::string DidYouMean(const std::string& name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(name, candidate);
    if (distance < best_distance && distance < std::max(name.size(), candidate.size())) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

}  // namespace

ExpressionParam ParseExpressionParam(std::string_view text) {
  const InputLocation where{"--param", 0, 0, "", std::string(text)};
  const size_t eq = text.find('=');
  if (eq == std::string_view::npos) throw InputError("expected NAME=LO:HI:STEP or NAME=VALUE", where);
  ExpressionParam param;
  param.name = Trimmed(text.substr(0, eq));
  if (!IsName(param.name)) {
    throw InputError("'" + param.name + "' is not a name (letters, digits and _, not starting with a digit)", where);
  }
  std::vector<std::string> fields;
  std::stringstream range{std::string(text.substr(eq + 1))};
  std::string field;
  while (std::getline(range, field, ':')) fields.push_back(Trimmed(field));
  if (!text.empty() && text.back() == ':') fields.push_back("");
  const auto number = [&](const std::string& value) {
    std::string why;
    const std::optional<double> parsed = TryParseQuantity(value, &why);
    if (!parsed || !std::isfinite(*parsed)) {
      throw InputError("'" + value + "' is not a number" + (why.empty() ? "" : " (" + why + ")"), where);
    }
    return *parsed;
  };
  if (fields.size() == 1) {
    param.starts.push_back(number(fields[0]));
  } else if (fields.size() == 3) {
    const double lo = number(fields[0]);
    const double hi = number(fields[1]);
    const double step = number(fields[2]);
    if (!(step > 0) || hi < lo) throw InputError("a range LO:HI:STEP needs LO <= HI and STEP > 0", where);
    const double count = std::floor((hi - lo) / step + 1e-9) + 1;
    if (count > 1000) throw InputError("more than 1000 start values for one parameter", where);
    for (int i = 0; i < static_cast<int>(count); ++i) param.starts.push_back(lo + i * step);
  } else {
    throw InputError("expected NAME=LO:HI:STEP or NAME=VALUE", where);
  }
  return param;
}

std::vector<std::string> ExpressionLawSpec::ParamNames() const {
  std::vector<std::string> names;
  for (const ExpressionParam& param : params) names.push_back(param.name);
  return names;
}

InitGrid ExpressionLawSpec::Grid() const {
  InitGrid grid;
  for (const ExpressionParam& param : params) {
    grid.names.push_back(param.name);
    grid.axes.push_back(param.starts);
  }
  return grid;
}

ExpressionLawSpec MakeExpressionLawSpec(const std::string& text, const std::vector<ExpressionParam>& params) {
  ExpressionLawSpec spec{Expression::Parse(text, "--law-expr"), params};
  std::set<std::string> seen;
  std::string names;
  for (const ExpressionSymbol& symbol : spec.expression.Symbols()) names += (names.empty() ? "" : ", ") + symbol.name;
  for (const ExpressionParam& param : params) {
    const InputLocation where{"--param", 0, 0, "", param.name};
    if (!seen.insert(param.name).second) throw InputError("parameter '" + param.name + "' is given twice", where);
    if (IsReserved(param.name)) {
      throw InputError("'" + param.name + "' is a run column (N, D, C, U and S are); name the parameter otherwise",
                       where);
    }
    const auto& symbols = spec.expression.Symbols();
    if (std::none_of(symbols.begin(), symbols.end(),
                     [&](const ExpressionSymbol& symbol) { return symbol.name == param.name; })) {
      // A misspelt name in the expression is the likelier mistake: point at it.
      for (size_t k = 0; k < symbols.size(); ++k) {
        const bool is_param = std::any_of(params.begin(), params.end(),
                                          [&](const ExpressionParam& p) { return p.name == symbols[k].name; });
        if (is_param || IsReserved(symbols[k].name)) continue;
        const std::string hint = DidYouMean(symbols[k].name, {param.name});
        if (!hint.empty()) throw spec.expression.ErrorAtSymbol(k, "unknown name '" + symbols[k].name + "'" + hint);
      }
      throw InputError("parameter '" + param.name + "' does not appear in the expression (its names: " + names + ")",
                       where);
    }
  }
  if (params.empty()) throw InputError("the expression needs at least one --param NAME=LO:HI:STEP", {"--param"});
  if (static_cast<int>(params.size()) > kMaxExpressionParams) {
    throw InputError("at most " + std::to_string(kMaxExpressionParams) + " parameters", {"--param"});
  }
  std::string why;
  if (!spec.Grid().Check(&why)) throw InputError(why, {"--param"});
  return spec;
}

ExpressionRuns BindExpressionLaw(const ExpressionLawSpec& spec, const RunsTable& table, std::string_view csv_text) {
  const std::vector<std::string> param_names = spec.ParamNames();
  ExpressionRuns out;
  out.table = table;
  std::vector<ExpressionBinding> bindings;
  std::vector<std::vector<double>> columns;
  std::optional<CsvTable> csv;
  std::vector<const CsvRow*> rows;  // the CSV row of each run
  const auto read_csv = [&]() -> const CsvTable* {
    if (csv_text.empty()) return nullptr;
    if (!csv) {
      csv = ParseCsv(csv_text, table.source);
      size_t next = 0;
      for (const TrainingRun& run : table.runs) {
        while (next < csv->rows.size() && csv->rows[next].line != run.line) ++next;
        SCALEPLAN_CHECK(next < csv->rows.size(), "the two parses of one CSV disagree on its rows");
        rows.push_back(&csv->rows[next]);
      }
    }
    return &*csv;
  };
  const Expression& expression = spec.expression;
  for (size_t s = 0; s < expression.Symbols().size(); ++s) {
    const std::string& name = expression.Symbols()[s].name;
    const auto param = std::find(param_names.begin(), param_names.end(), name);
    if (param != param_names.end()) {
      bindings.push_back({ExpressionBinding::Kind::PARAMETER, static_cast<int>(param - param_names.begin())});
      continue;
    }
    std::vector<double> values;
    std::string header;
    if (name == "N" || name == "D" || name == "C") {
      for (const TrainingRun& run : table.runs) {
        values.push_back(name == "N" ? run.num_params : name == "D" ? run.num_tokens : run.compute_flops);
      }
      header = name == "N" ? table.params_column : name == "D" ? table.tokens_column : table.compute_column;
      if (header.empty()) header = name == "D" ? "C / (6 N)" : name == "C" ? "6 N D" : name;
    } else {
      CsvColumnRule rule{name, {}, "", ""};
      if (name == "U") {
        rule = {"U (unique tokens)", {"u", "unique_tokens", "u_unique_tokens", "num_unique_tokens", "u_d"}, "", ""};
      } else if (name == "S") {
        rule = {"S (sparsity)", {"s", "sparsity"}, "", ""};
      } else {
        std::string lower = name;
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
        rule.aliases = {lower};
      }
      const CsvTable* file = read_csv();
      std::optional<size_t> column;
      if (file) column = FindCsvColumn(*file, rule);
      if (!column) {
        if (name == "U" || name == "S") {
          if (!file) {
            throw InputError(
                "the expression reads " + rule.what + ", which " + table.source + " does not have (it has N, D and C)",
                {table.source});
          }
          throw MissingCsvColumnError(*file, rule);
        }
        std::string known = "N, D, C";
        if (file) known = QuotedCsvHeader(*file);
        std::vector<std::string> candidates = param_names;
        for (const char* reserved : kReservedColumns) candidates.push_back(reserved);
        if (file) candidates.insert(candidates.end(), file->header.begin(), file->header.end());
        throw expression.ErrorAtSymbol(s, "unknown name '" + name + "'" + DidYouMean(name, candidates) +
                                              ": not a --param, nor a column of " + table.source + " (" + known + ")");
      }
      header = file->header[*column];
      for (const CsvRow* row : rows) {
        const std::string& cell = row->fields[*column];
        const std::optional<double> value = TryParseQuantity(cell);
        if (!value || !std::isfinite(*value)) {
          InputLocation where = CsvCellLocation(*file, *row, *column);
          where.text = cell;
          throw InputError("not a finite number", where);
        }
        values.push_back(*value);
      }
    }
    bindings.push_back({ExpressionBinding::Kind::COLUMN, static_cast<int>(columns.size())});
    out.column_names.push_back(name);
    out.column_headers.push_back(header);
    columns.push_back(std::move(values));
  }
  out.program = expression.Bind(bindings, static_cast<int>(param_names.size()), static_cast<int>(columns.size()));
  out.rows.num_rows = static_cast<int>(table.runs.size());
  out.rows.num_columns = static_cast<int>(columns.size());
  out.rows.values.resize(table.runs.size() * columns.size());
  for (size_t r = 0; r < table.runs.size(); ++r) {
    for (size_t c = 0; c < columns.size(); ++c) out.rows.values[r * columns.size() + c] = columns[c][r];
  }
  return out;
}

std::vector<std::string> RequireExpressionIdentifiable(const ExpressionRuns& runs, int num_params) {
  const RunsTable& table = runs.table;
  const int num_runs = static_cast<int>(table.runs.size());
  const InputLocation where{table.source};
  const std::string law =
      "the expression has " + std::to_string(num_params) + " parameter" + (num_params == 1 ? "" : "s");
  if (num_runs < num_params + 1) {
    throw InputError("not identifiable: " + law + " and " + std::to_string(num_runs) + " runs cannot determine " +
                         (num_params == 1 ? "it" : "them") + " (at least " + std::to_string(num_params + 1) +
                         " needed)",
                     where);
  }
  const int num_columns = runs.rows.num_columns;
  std::set<std::vector<double>> distinct;
  for (int r = 0; r < num_runs; ++r) distinct.emplace(runs.rows.Row(r), runs.rows.Row(r) + num_columns);
  if (num_columns > 0 && static_cast<int>(distinct.size()) < num_params + 1) {
    throw InputError("not identifiable: " + law + " and the runs hold " + std::to_string(distinct.size()) +
                         " distinct points of its columns (at least " + std::to_string(num_params + 1) + " needed)",
                     where);
  }
  const auto column = [&](int c) {
    std::vector<double> values;
    for (int r = 0; r < num_runs; ++r) values.push_back(runs.rows.Row(r)[c]);
    return values;
  };
  std::vector<std::string> warnings;
  for (int c = 0; c < num_columns; ++c) {
    const std::vector<double> values = column(c);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    if (*hi - *lo <= kDistinctRelativeTolerance * std::max(std::fabs(*lo), std::fabs(*hi))) {
      throw InputError("not identifiable: every run has " + runs.column_names[static_cast<size_t>(c)] + " = " +
                           FormatSignificant(*lo, 6) +
                           ", so the expression's terms in it cannot be told from its "
                           "parameters",
                       where);
    }
  }
  for (int c = 0; c < num_columns; ++c) {
    for (int d = c + 1; d < num_columns; ++d) {
      std::vector<double> x = column(c);
      std::vector<double> y = column(d);
      const auto positive = [](const std::vector<double>& v) {
        return std::all_of(v.begin(), v.end(), [](double value) { return value > 0; });
      };
      if (!positive(x) || !positive(y)) continue;
      for (double& value : x) value = std::log(value);
      for (double& value : y) value = std::log(value);
      const double mean_x = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
      const double mean_y = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(y.size());
      double sxx = 0, syy = 0, sxy = 0;
      for (size_t i = 0; i < x.size(); ++i) {
        sxx += (x[i] - mean_x) * (x[i] - mean_x);
        syy += (y[i] - mean_y) * (y[i] - mean_y);
        sxy += (x[i] - mean_x) * (y[i] - mean_y);
      }
      const double correlation = sxy / std::sqrt(sxx * syy);
      const std::string pair =
          "log " + runs.column_names[static_cast<size_t>(c)] + " and log " + runs.column_names[static_cast<size_t>(d)];
      if (std::fabs(correlation) >= kCollinearCorrelation) {
        throw InputError("not identifiable: " + pair + " are collinear (correlation " +
                             FormatSignificant(correlation, 6) + "): the data cannot say which term explains what",
                         where);
      }
      if (std::fabs(correlation) >= kStrongCorrelation) {
        warnings.push_back(pair + " correlate strongly (" + FormatSignificant(correlation, 4) +
                           "): the terms in them are told apart only by how far the runs leave that line");
      }
    }
  }
  if (num_runs < kRunsPerParameter * num_params) {
    warnings.push_back("only " + std::to_string(num_runs) + " runs for " + std::to_string(num_params) +
                       " parameters: the fit can follow the noise");
  }
  return warnings;
}

namespace {

// The runs in the form the objective reads them: the program specialised to the rows (core/expression.h) over the
// runs a resample keeps, the log of each run's loss, and its multiplicity. When the law's outermost operation is exp,
// log L_hat is its argument. The objective and its gradient are evaluated on all runs at once (ExpressionBatch: one
// pass forward, one reverse); the per-run evaluation with ceres::Jet is kept as the reference the tests check the
// batch gradient against.
class ExpressionModel {
 public:
  ExpressionModel(const ExpressionRuns& runs, const std::vector<int>& counts)
      : id_(next_id_.fetch_add(1) + 1), batch_(Prepare(runs, counts)) {}

  int NumParams() const { return program_.num_params; }
  const ExpressionBatch& Batch() const { return batch_; }

  // The objective at `params`, and with `gradient` not null its gradient (the reverse pass), using `scratch` and
  // `seeds` (NumRows() values; only with a gradient).
  double Objective(const double* params, double delta, double* gradient, ExpressionBatch::Scratch* scratch,
                   double* seeds) const {
    const int n = batch_.NumRows();
    const double* values = batch_.Forward(params, scratch);
    double sum = 0.0;
    if (gradient == nullptr) seeds = nullptr;
    for (int k = 0; k < n; ++k) {
      const double log_value = log_of_root_ ? std::log(values[k]) : values[k];
      const double r = log_value - log_loss_[static_cast<size_t>(k)];
      if (!std::isfinite(r)) return std::numeric_limits<double>::infinity();
      const double w = weight_[static_cast<size_t>(k)];
      sum += w * Huber(r, delta);
      if (seeds != nullptr) {
        const double slope = std::fabs(r) <= delta ? r : (r > 0 ? delta : -delta);
        seeds[k] = w * slope * (log_of_root_ ? 1.0 / values[k] : 1.0);
      }
    }
    if (!std::isfinite(sum)) return std::numeric_limits<double>::infinity();
    if (gradient != nullptr) batch_.Backward(seeds, scratch, gradient);
    return sum;
  }

  // The objective alone, safe to call from many threads at once (each keeps its own scratch).
  double Objective(const double* params, double delta) const {
    thread_local std::uint64_t owner = 0;
    thread_local ExpressionBatch::Scratch scratch;
    if (owner != id_) {
      scratch = batch_.NewScratch();
      owner = id_;
    }
    return Objective(params, delta, nullptr, &scratch, nullptr);
  }

  // The reference: the objective and gradient by automatic differentiation, run by run with ceres::Jet.
  template <int N>
  double JetObjectiveAndGradient(const double* params, double delta, double* gradient) const {
    using Jet = ceres::Jet<double, N>;
    std::vector<Jet> stack(static_cast<size_t>(std::max(1, program_.max_depth)));
    Jet p[N];
    for (int k = 0; k < N; ++k) p[k] = Jet(params[k], k);
    Jet sum(0.0);
    for (int k = 0; k < rows_.num_rows; ++k) {
      const Jet value = EvaluateProgram<Jet>(program_, p, rows_.Row(k), stack.data());
      const Jet r = (log_of_root_ ? log(value) : value) - log_loss_[static_cast<size_t>(k)];
      if (!std::isfinite(r.a)) return std::numeric_limits<double>::infinity();
      sum += Huber(r, delta) * weight_[static_cast<size_t>(k)];
    }
    for (int k = 0; k < N; ++k) gradient[k] = sum.v[k];
    return std::isfinite(sum.a) ? sum.a : std::numeric_limits<double>::infinity();
  }

 private:
  // Specialises the program, keeps the runs with a non-zero count, and returns the batch over them.
  ExpressionBatch Prepare(const ExpressionRuns& runs, const std::vector<int>& counts) {
    SpecialisedProgram special = SpecialiseToRows(runs.program, runs.rows);
    program_ = std::move(special.program);
    if (!program_.code.empty() && program_.code.back().op == ExpressionOp::EXP) {
      program_.code.pop_back();
      log_of_root_ = false;
    }
    rows_.num_columns = special.rows.num_columns;
    for (size_t i = 0; i < runs.table.runs.size(); ++i) {
      const int count = counts.empty() ? 1 : counts[i];
      if (count == 0) continue;
      const double* row = special.rows.Row(static_cast<int>(i));
      rows_.values.insert(rows_.values.end(), row, row + rows_.num_columns);
      ++rows_.num_rows;
      log_loss_.push_back(std::log(runs.table.runs[i].loss_nats));
      weight_.push_back(count);
    }
    return ExpressionBatch(program_, rows_);
  }

  static inline std::atomic<std::uint64_t> next_id_{0};
  std::uint64_t id_;
  ExpressionProgram program_;
  ExpressionRows rows_;
  bool log_of_root_ = true;
  std::vector<double> log_loss_;
  std::vector<double> weight_;
  ExpressionBatch batch_;
};

// Ceres' view of the objective: the batch's reverse pass for the gradient.
class ExpressionHuberFunction final : public ceres::FirstOrderFunction {
 public:
  ExpressionHuberFunction(const ExpressionModel& model, double delta)
      : model_(model),
        delta_(delta),
        scratch_(model.Batch().NewScratch()),
        seeds_(static_cast<size_t>(model.Batch().NumRows())) {}

  bool Evaluate(const double* params, double* cost, double* gradient) const override {
    *cost = model_.Objective(params, delta_, gradient, &scratch_, seeds_.data());
    if (gradient != nullptr) {
      for (int k = 0; k < model_.NumParams(); ++k) {
        if (!std::isfinite(gradient[k])) return false;
      }
    }
    return std::isfinite(*cost);
  }
  int NumParameters() const override { return model_.NumParams(); }

 private:
  const ExpressionModel& model_;
  double delta_;
  // One function per L-BFGS run: never shared between threads.
  mutable ExpressionBatch::Scratch scratch_;
  mutable std::vector<double> seeds_;
};

// The reference gradient by ceres::Jet with N partials (N = the parameter count, chosen at run time).
template <int N>
double JetObjectiveAndGradient(const ExpressionModel& model, const double* params, double delta, double* gradient) {
  if (model.NumParams() == N) return model.JetObjectiveAndGradient<N>(params, delta, gradient);
  if constexpr (N < kMaxExpressionParams) {
    return JetObjectiveAndGradient<N + 1>(model, params, delta, gradient);
  } else {
    SCALEPLAN_CHECK(false, "too many parameters for an expression law");
    return 0.0;
  }
}

MultiStartResult FitModel(const ExpressionModel& model, const StartSet& starts, const MultiStartOptions& options,
                          const ProgressCallback& progress) {
  const double delta = options.huber_delta;
  return RunMultiStart(
      model.NumParams(), [&model, delta](const double* x) { return model.Objective(x, delta); },
      [&model, delta]() { return new ExpressionHuberFunction(model, delta); }, starts, options, progress);
}
}  // namespace

ExpressionFit FitExpressionLaw(const ExpressionRuns& runs, const ExpressionLawSpec& spec,
                               const MultiStartOptions& options, const ProgressCallback& progress) {
  ExpressionFit fit;
  fit.warnings = RequireExpressionIdentifiable(runs, static_cast<int>(spec.params.size()));
  fit.expression = spec.expression.Text();
  fit.param_names = spec.ParamNames();
  fit.options = options;
  fit.grid = spec.Grid();
  const ExpressionModel model(runs, {});
  fit.search = FitModel(model, StartSet::FromGrid(fit.grid), options, progress);
  if (fit.search.usable) {
    fit.params = fit.search.params;
    const std::vector<double> predictions = PredictExpression(runs, fit.params);
    size_t i = 0;
    fit.residuals = ComputeResiduals(
        runs.table, [&](const TrainingRun&) { return predictions[i++]; }, options.huber_delta);
  }
  return fit;
}

std::vector<double> PredictExpression(const ExpressionRuns& runs, const std::vector<double>& params) {
  SCALEPLAN_CHECK(static_cast<int>(params.size()) == runs.program.num_params, "one value per parameter");
  std::vector<double> out;
  for (int r = 0; r < runs.rows.num_rows; ++r) {
    const double value = EvaluateProgram(runs.program, params.data(), runs.rows.Row(r));
    out.push_back(std::isfinite(value) ? value : std::nan(""));
  }
  return out;
}

double ExpressionObjective(const ExpressionRuns& runs, const std::vector<double>& params, double huber_delta,
                           const std::vector<int>& counts) {
  SCALEPLAN_CHECK(static_cast<int>(params.size()) == runs.program.num_params, "one value per parameter");
  return ExpressionModel(runs, counts).Objective(params.data(), huber_delta);
}

double ExpressionObjectiveAndGradient(const ExpressionRuns& runs, const std::vector<double>& params, double huber_delta,
                                      std::vector<double>* gradient) {
  SCALEPLAN_CHECK(static_cast<int>(params.size()) == runs.program.num_params, "one value per parameter");
  const ExpressionModel model(runs, {});
  ExpressionHuberFunction function(model, huber_delta);
  gradient->assign(params.size(), 0.0);
  double cost = 0.0;
  if (!function.Evaluate(params.data(), &cost, gradient->data())) return std::numeric_limits<double>::infinity();
  return cost;
}

double ExpressionObjectiveAndJetGradient(const ExpressionRuns& runs, const std::vector<double>& params,
                                         double huber_delta, std::vector<double>* gradient) {
  SCALEPLAN_CHECK(static_cast<int>(params.size()) == runs.program.num_params, "one value per parameter");
  const ExpressionModel model(runs, {});
  gradient->assign(params.size(), 0.0);
  return JetObjectiveAndGradient<1>(model, params.data(), huber_delta, gradient->data());
}

ExpressionBootstrap BootstrapExpressionLaw(const ExpressionRuns& runs, const ExpressionFit& fit,
                                           const BootstrapOptions& options, const ProgressCallback& progress) {
  // The bootstrap of fitting/bootstrap.h, with this law's own search for a parameter count known at run time.
  ExpressionBootstrap out;
  out.options = options;
  out.samples = BootstrapRefits(
      runs.table.runs.size(),
      [&runs](const std::vector<int>& counts, const StartSet& starts, const MultiStartOptions& refit) {
        const ExpressionModel model(runs, counts);
        return FitModel(model, starts, refit, nullptr);
      },
      fit.search, fit.options, options, progress);
  if (!out.samples.params.empty()) {
    for (size_t k = 0; k < fit.param_names.size(); ++k) {
      std::vector<double> values;
      for (const std::vector<double>& p : out.samples.params) values.push_back(p[k]);
      const auto [lower, upper] = PercentileInterval(std::move(values), options.confidence);
      out.intervals.emplace_back(fit.param_names[k], Interval{lower, upper});
    }
  }
  return out;
}

std::vector<int> ExpressionParamTerms(const ExpressionLawSpec& spec) {
  // Each pending operand: the symbols beneath it, and its additive terms (the symbols of each).
  struct Node {
    std::set<int> symbols;
    std::vector<std::set<int>> terms;
  };
  std::vector<Node> stack;
  const auto pop = [&stack]() {
    SCALEPLAN_CHECK(!stack.empty(), "a malformed expression program");
    Node node = std::move(stack.back());
    stack.pop_back();
    return node;
  };
  const auto whole = [](Node node) {
    node.terms = {node.symbols};
    return node;
  };
  for (const ExpressionInstruction& ins : spec.expression.Code()) {
    switch (ins.op) {
      case ExpressionOp::CONSTANT:
      case ExpressionOp::PARAMETER:
      case ExpressionOp::COLUMN:
        stack.push_back(Node{{}, {{}}});
        break;
      case ExpressionOp::SYMBOL:
        stack.push_back(Node{{ins.index}, {{ins.index}}});
        break;
      case ExpressionOp::NEGATE:
        break;  // -x has x's terms
      case ExpressionOp::POWER_CONSTANT:
      case ExpressionOp::EXP_PRODUCT:
      case ExpressionOp::EXP:
      case ExpressionOp::LOG:
      case ExpressionOp::SQRT:
      case ExpressionOp::ABS:
        stack.push_back(whole(pop()));
        break;
      case ExpressionOp::ADD:
      case ExpressionOp::SUBTRACT:
      case ExpressionOp::MULTIPLY:
      case ExpressionOp::DIVIDE:
      case ExpressionOp::POWER:
      case ExpressionOp::MIN:
      case ExpressionOp::MAX: {
        Node right = pop();
        Node left = pop();
        left.symbols.insert(right.symbols.begin(), right.symbols.end());
        if (ins.op == ExpressionOp::ADD || ins.op == ExpressionOp::SUBTRACT) {
          left.terms.insert(left.terms.end(), right.terms.begin(), right.terms.end());
          stack.push_back(std::move(left));
        } else {
          stack.push_back(whole(std::move(left)));
        }
        break;
      }
    }
  }
  SCALEPLAN_CHECK(stack.size() == 1, "a malformed expression program");
  const std::vector<ExpressionSymbol>& symbols = spec.expression.Symbols();
  std::vector<int> out;
  for (const ExpressionParam& param : spec.params) {
    int term = 0;
    for (size_t t = 0; t < stack.front().terms.size(); ++t) {
      const std::set<int>& members = stack.front().terms[t];
      if (std::any_of(members.begin(), members.end(),
                      [&](int symbol) { return symbols[static_cast<size_t>(symbol)].name == param.name; })) {
        term = static_cast<int>(t);
        break;
      }
    }
    out.push_back(term);
  }
  return out;
}

namespace {

// The Jacobian with N partials (N = the parameter count, chosen at run time as for the reference gradient).
template <int N>
Eigen::MatrixXd LogJacobian(const ExpressionRuns& runs, const std::vector<double>& params) {
  if (static_cast<int>(params.size()) != N) {
    if constexpr (N < kMaxExpressionParams) {
      return LogJacobian<N + 1>(runs, params);
    } else {
      SCALEPLAN_CHECK(false, "too many parameters for an expression law");
      return {};
    }
  } else {
    using Jet = ceres::Jet<double, N>;
    std::vector<Jet> stack(static_cast<size_t>(std::max(1, runs.program.max_depth)));
    Jet p[N];
    for (int k = 0; k < N; ++k) p[k] = Jet(params[static_cast<size_t>(k)], k);
    Eigen::MatrixXd jacobian(runs.rows.num_rows, N);
    for (int r = 0; r < runs.rows.num_rows; ++r) {
      const Jet log_value = log(EvaluateProgram<Jet>(runs.program, p, runs.rows.Row(r), stack.data()));
      for (int k = 0; k < N; ++k) jacobian(r, k) = log_value.v[k];
    }
    return jacobian;
  }
}

}  // namespace

Eigen::MatrixXd ExpressionLogJacobian(const ExpressionRuns& runs, const std::vector<double>& params) {
  SCALEPLAN_CHECK(static_cast<int>(params.size()) == runs.program.num_params, "one value per parameter");
  return LogJacobian<1>(runs, params);
}

FitDiagnostics DiagnoseExpressionFit(const ExpressionRuns& runs, const ExpressionLawSpec& spec,
                                     const ExpressionFit& fit, const ExpressionBootstrap* bootstrap) {
  SCALEPLAN_CHECK(fit.search.usable, "diagnostics need a usable fit");
  const std::vector<int> terms = ExpressionParamTerms(spec);
  std::vector<ReportedParameter> reported;
  for (size_t k = 0; k < fit.param_names.size(); ++k) {
    reported.push_back({fit.param_names[k], static_cast<int>(k), false, terms[k]});
  }
  const std::vector<double> predictions = PredictExpression(runs, fit.params);
  const int n = static_cast<int>(predictions.size());
  Eigen::VectorXd residuals(n);
  std::vector<double> residual_list(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    residuals[i] =
        std::log(predictions[static_cast<size_t>(i)]) - std::log(runs.table.runs[static_cast<size_t>(i)].loss_nats);
    residual_list[static_cast<size_t>(i)] = residuals[i];
  }
  FitDiagnostics diagnostics =
      DiagnoseFromJacobian(ExpressionLogJacobian(runs, fit.params), residuals, Eigen::VectorXd::Ones(n), fit.params,
                           reported, fit.options.huber_delta);
  if (bootstrap != nullptr && !bootstrap->intervals.empty()) {
    std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
    for (const auto& [name, interval] : bootstrap->intervals)
      intervals.push_back({name, {interval.lower, interval.upper}});
    AddIntervalRule(intervals, &diagnostics);
  }
  FinishDiagnostics(runs.table, residual_list, &diagnostics);
  return diagnostics;
}

nlohmann::ordered_json ExpressionFitToJson(const ExpressionFit& fit, const ExpressionRuns& runs,
                                           const ExpressionBootstrap* bootstrap) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "expression";
  out["expression"] = fit.expression;
  out["parameters"] = nlohmann::ordered_json::object();
  for (size_t k = 0; k < fit.param_names.size(); ++k) {
    out["parameters"][fit.param_names[k]] =
        k < fit.params.size() ? nlohmann::ordered_json(fit.params[k]) : nlohmann::ordered_json(nullptr);
  }
  out["starts"] = nlohmann::ordered_json::object();
  for (size_t k = 0; k < fit.grid.names.size(); ++k) out["starts"][fit.grid.names[k]] = fit.grid.axes[k];
  out["columns"] = nlohmann::ordered_json::object();
  for (size_t c = 0; c < runs.column_names.size(); ++c) out["columns"][runs.column_names[c]] = runs.column_headers[c];
  out["objective"] = fit.search.usable ? nlohmann::ordered_json(fit.search.objective) : nullptr;
  out["usable"] = fit.search.usable;
  out["status"] = fit.search.status;
  out["warnings"] = fit.warnings;
  out["search"] = SearchToJson(fit.search, fit.options, FormatGrid(fit.grid));
  out["residuals"] = ResidualsToJson(fit.residuals);
  out["data"] = DataToJson(runs.table);  // with the runs' N, D and C ranges: plan --fit warns beyond them
  if (bootstrap != nullptr) {
    out["intervals"] = IntervalsToJson(bootstrap->intervals);
    out["bootstrap"] = {{"resamples", bootstrap->samples.num_resamples},
                        {"failed", bootstrap->samples.num_failed},
                        {"won_by_other_start", bootstrap->samples.num_won_by_other_start},
                        {"seed", bootstrap->options.seed},
                        {"confidence", bootstrap->options.confidence},
                        {"candidates", bootstrap->options.num_candidates},
                        {"refits", bootstrap->options.num_refits}};
  }
  return out;
}

LawFitter ExpressionFitter(const ExpressionLawSpec& spec, const ExpressionRuns& runs,
                           const MultiStartOptions& options) {
  LawFitter fitter;
  fitter.name = "expression";
  fitter.min_runs = static_cast<int>(spec.params.size()) + 1;
  // Each run's row of `runs`, by its file line (a fold's runs keep their lines).
  auto row_of_line = std::make_shared<std::map<int, int>>();
  for (size_t r = 0; r < runs.table.runs.size(); ++r) (*row_of_line)[runs.table.runs[r].line] = static_cast<int>(r);
  fitter.fit = [spec, runs, options, row_of_line](const RunsTable& train) {
    ExpressionRuns fold;
    fold.table = train;
    fold.column_names = runs.column_names;
    fold.column_headers = runs.column_headers;
    fold.program = runs.program;
    fold.rows.num_columns = runs.rows.num_columns;
    for (const TrainingRun& run : train.runs) {
      const auto it = row_of_line->find(run.line);
      SCALEPLAN_CHECK(it != row_of_line->end(), "a fold's run is not among the law's runs");
      const double* row = runs.rows.Row(it->second);
      fold.rows.values.insert(fold.rows.values.end(), row, row + runs.rows.num_columns);
      ++fold.rows.num_rows;
    }
    const ExpressionFit fit = FitExpressionLaw(fold, spec, options);
    FittedLaw law;
    law.usable = fit.search.usable;
    law.status = fit.search.status;
    if (law.usable) {
      law.predict_loss = [runs, row_of_line, params = fit.params](const TrainingRun& run) {
        const auto it = row_of_line->find(run.line);
        SCALEPLAN_CHECK(it != row_of_line->end(), "a held-out run is not among the law's runs");
        return EvaluateProgram(runs.program, params.data(), runs.rows.Row(it->second));
      };
    }
    return law;
  };
  return fitter;
}

SavedExpressionFit ParseSavedExpressionFit(std::string_view json_text, const std::string& source) {
  const nlohmann::ordered_json json = ParseJsonInput<nlohmann::ordered_json>(json_text, source);  // keeps the order
  const auto fail = [&](const std::string& key, const std::string& what) -> InputError {
    return InputError(key.empty() ? what : "key '" + key + "': " + what, InputLocation{source});
  };
  if (!json.is_object()) throw fail("", "not a JSON object (a saved fit from fit --out?)");
  if (json.contains("schema_version")) {  // the one check of every saved fit's version (fitting/fit_json.h)
    CheckSchemaVersion(nlohmann::json{{"schema_version", nlohmann::json(json["schema_version"])}}, source);
  }
  if (!json.contains("law") || json["law"] != "expression") {
    throw fail("law", "not an expression fit ('fit --law-expr ... --out' writes one)");
  }
  if (!json.contains("expression") || !json["expression"].is_string()) throw fail("expression", "missing or not text");
  if (json.contains("usable") && json["usable"] != true) throw fail("usable", "the saved fit is not usable");
  if (!json.contains("starts") || !json["starts"].is_object()) throw fail("starts", "missing or not an object");
  if (!json.contains("parameters") || !json["parameters"].is_object()) {
    throw fail("parameters", "missing or not an object");
  }
  SavedExpressionFit saved;
  std::vector<ExpressionParam> params;
  const nlohmann::ordered_json& starts = json["starts"];
  for (auto it = starts.begin(); it != starts.end(); ++it) {
    ExpressionParam param;
    param.name = it.key();
    const std::string key = "starts." + param.name;
    if (!it.value().is_array() || it.value().empty()) throw fail(key, "expected a list of numbers");
    for (const nlohmann::ordered_json& value : it.value()) {
      if (!value.is_number() || !std::isfinite(value.get<double>())) throw fail(key, "expected a list of numbers");
      param.starts.push_back(value.get<double>());
    }
    const nlohmann::ordered_json& fitted =
        json["parameters"].contains(param.name) ? json["parameters"][param.name] : nlohmann::ordered_json();
    if (!fitted.is_number()) throw fail("parameters." + param.name, "missing or not a number");
    saved.params.push_back(fitted.get<double>());
    params.push_back(std::move(param));
  }
  try {
    saved.spec = MakeExpressionLawSpec(json["expression"].get<std::string>(), params);
  } catch (const ExpressionError& error) {
    throw fail("expression", error.what());
  } catch (const InputError& error) {
    throw fail("starts", error.what());
  }
  if (json.contains("search") && json["search"].is_object() && json["search"].contains("huber_delta")) {
    const nlohmann::ordered_json& delta = json["search"]["huber_delta"];
    if (!delta.is_number() || !(delta.get<double>() > 0)) throw fail("search.huber_delta", "not a positive number");
    saved.huber_delta = delta.get<double>();
  }
  if (json.contains("data") && json["data"].is_object()) {
    const nlohmann::ordered_json& data = json["data"];
    if (data.contains("source") && data["source"].is_string()) saved.data_source = data["source"];
    if (data.contains("num_runs") && data["num_runs"].is_number_integer()) saved.data_num_runs = data["num_runs"];
    if (data.contains("hash") && data["hash"].is_string()) saved.data_hash = data["hash"];
  }
  return saved;
}

}  // namespace scaleplan
