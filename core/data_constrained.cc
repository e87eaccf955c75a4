#include "core/data_constrained.h"

#include <algorithm>
#include <cmath>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"

namespace scaleplan {

namespace embedded {
extern const std::string_view kMuennighoffRunsCsv;
}  // namespace embedded

namespace {

// 1 - exp(-x), accurate for small x.
double OneMinusExpNeg(double x) { return -std::expm1(-x); }

// Chinchilla's compute-optimal N for the budget whose compute-optimal D is `num_tokens`:
//   D_opt(C) = (C/6)^b / G  =>  C/6 = (G D)^(1/b),  N_opt = G (C/6)^a = G (G D)^(a/b).
double ComputeOptimalParamsForTokens(const ChinchillaLaw& law, double num_tokens) {
  const double scale = law.AllocationScale();
  return scale * std::pow(scale * num_tokens, law.ExponentParams() / law.ExponentTokens());
}

}  // namespace

ChinchillaLaw MuennighoffC4BaseLaw() {
  return ChinchillaLaw{std::exp(kMuennighoffLogE), std::exp(kMuennighoffLogA), std::exp(kMuennighoffLogB),
                       kMuennighoffAlpha, kMuennighoffAlpha};
}

DataConstrainedLaw MuennighoffC4Law() {
  return DataConstrainedLaw{MuennighoffC4BaseLaw(), kMuennighoffRdStar, kMuennighoffRnStar};
}

bool DataConstrainedLaw::Check(std::string* why) const {
  if (!base.Check(why)) return false;
  for (const auto& [name, value] : {std::pair<const char*, double>{"R_D*", R_D_star}, {"R_N*", R_N_star}}) {
    if (!std::isfinite(value) || value <= 0.0) {
      if (why != nullptr) *why = std::string(name) + " must be finite and positive, got " + std::to_string(value);
      return false;
    }
  }
  return true;
}

double DataConstrainedLaw::UniqueTokensSeen(double num_tokens, double unique_tokens) const {
  return unique_tokens > 0.0 ? std::min(unique_tokens, num_tokens) : num_tokens;
}

double DataConstrainedLaw::UniqueParams(double num_params, double num_tokens, double unique_tokens) const {
  if (!(unique_tokens > 0.0)) return num_params;
  return std::min(num_params, ComputeOptimalParamsForTokens(base, UniqueTokensSeen(num_tokens, unique_tokens)));
}

double DataConstrainedLaw::EffectiveTokens(double num_tokens, double unique_tokens) const {
  const double seen = UniqueTokensSeen(num_tokens, unique_tokens);
  const double repetitions = std::max(0.0, num_tokens / seen - 1.0);
  return seen + seen * R_D_star * OneMinusExpNeg(repetitions / R_D_star);
}

double DataConstrainedLaw::EffectiveParams(double num_params, double num_tokens, double unique_tokens) const {
  const double unique_params = UniqueParams(num_params, num_tokens, unique_tokens);
  const double excess = std::max(0.0, num_params / unique_params - 1.0);
  return unique_params + unique_params * R_N_star * OneMinusExpNeg(excess / R_N_star);
}

double DataConstrainedLaw::Loss(double num_params, double num_tokens, double unique_tokens) const {
  return base.E + base.A / std::pow(EffectiveParams(num_params, num_tokens, unique_tokens), base.alpha) +
         base.B / std::pow(EffectiveTokens(num_tokens, unique_tokens), base.beta);
}

// ---------------------------------------------------------------------------------------------------------------
static DataConstrainedAllocation Describe(const DataConstrainedLaw& law, double num_params, double num_tokens,
                                          double compute_flops, double unique_tokens) {
  DataConstrainedAllocation out;
  out.allocation.num_params = num_params;
  out.allocation.num_tokens = num_tokens;
  out.allocation.compute_flops = compute_flops;
  out.allocation.tokens_per_param = num_tokens / num_params;
  out.allocation.loss_nats = law.Loss(num_params, num_tokens, unique_tokens);
  out.unique_tokens = unique_tokens > 0.0 ? unique_tokens : 0.0;
  out.epochs = unique_tokens > 0.0 ? num_tokens / unique_tokens : 0.0;
  out.effective_tokens = law.EffectiveTokens(num_tokens, unique_tokens);
  out.effective_params = law.EffectiveParams(num_params, num_tokens, unique_tokens);
  return out;
}

DataConstrainedAllocation PlanDataConstrained(const DataConstrainedLaw& law, double compute_flops,
                                              double unique_tokens) {
  std::string why;
  SCALEPLAN_CHECK(law.Check(&why), "invalid data-constrained law: " + why);
  SCALEPLAN_CHECK(compute_flops > 0.0 && std::isfinite(compute_flops), "compute must be finite and positive");
  const Allocation chinchilla = law.base.ComputeOptimal(compute_flops);
  if (!(unique_tokens > 0.0) || chinchilla.num_tokens <= unique_tokens) {
    DataConstrainedAllocation out = Describe(law, chinchilla.num_params, chinchilla.num_tokens, compute_flops,
                                             unique_tokens);
    out.allocation = chinchilla;  // exactly the closed form (the loss is the same: D' = D, N' = N here)
    out.chinchilla = chinchilla;
    return out;
  }
  // U binds. Search log N along 6 N D = C, six decades either side of the Chinchilla size (the optimum lies within
  // about one: more epochs on a slightly different model).
  const double center = std::log(chinchilla.num_params);
  const double span = std::log(1e6);
  const auto loss_at = [&](double log_params) {
    const double num_params = std::exp(log_params);
    return law.Loss(num_params, compute_flops / (6.0 * num_params), unique_tokens);
  };
  const ScalarMinimum best = MinimizeScanGolden(loss_at, center - span, center + span, 241);
  const double num_params = std::exp(best.x);
  DataConstrainedAllocation out =
      Describe(law, num_params, compute_flops / (6.0 * num_params), compute_flops, unique_tokens);
  out.data_limited = true;
  out.chinchilla = chinchilla;
  return out;
}

DataConstrainedAllocation EvaluateDataConstrained(const DataConstrainedLaw& law, double num_params, double num_tokens,
                                                  double unique_tokens) {
  std::string why;
  SCALEPLAN_CHECK(law.Check(&why), "invalid data-constrained law: " + why);
  SCALEPLAN_CHECK(num_params > 0.0 && num_tokens > 0.0, "parameters and tokens must be positive");
  const double compute_flops = 6.0 * num_params * num_tokens;
  DataConstrainedAllocation out = Describe(law, num_params, num_tokens, compute_flops, unique_tokens);
  out.data_limited = unique_tokens > 0.0 && num_tokens > unique_tokens;
  out.chinchilla = law.base.ForParamsAndCompute(num_params, compute_flops);
  return out;
}

double DataConstrainedLossFloor(const DataConstrainedLaw& law, double unique_tokens) {
  if (!(unique_tokens > 0.0)) return law.base.E;
  const double unique_params = ComputeOptimalParamsForTokens(law.base, unique_tokens);
  return law.base.E + law.base.A / std::pow(unique_params * (1.0 + law.R_N_star), law.base.alpha) +
         law.base.B / std::pow(unique_tokens * (1.0 + law.R_D_star), law.base.beta);
}

double DataConstrainedSaturationFlops(const DataConstrainedLaw& law, double unique_tokens, double tolerance_nats) {
  if (!(unique_tokens > 0.0) || !(tolerance_nats > 0.0)) return 0.0;
  const std::optional<DataConstrainedAllocation> reached = LeastComputeForLossDataConstrained(
      law, DataConstrainedLossFloor(law, unique_tokens) + tolerance_nats, unique_tokens);
  return reached ? reached->allocation.compute_flops : 0.0;
}

std::optional<DataConstrainedAllocation> LeastComputeForLossDataConstrained(const DataConstrainedLaw& law,
                                                                            double loss_nats, double unique_tokens) {
  const std::optional<Allocation> unconstrained = law.base.LeastComputeForLoss(loss_nats);
  if (!unconstrained) return std::nullopt;
  if (!(unique_tokens > 0.0)) return PlanDataConstrained(law, unconstrained->compute_flops, 0.0);
  if (!(loss_nats > DataConstrainedLossFloor(law, unique_tokens))) return std::nullopt;
  // The data-constrained loss is never below Chinchilla's, so the Chinchilla budget is a lower bound. The optimal
  // loss falls monotonically with compute (a larger budget can always scale up N), so bisect on log C.
  double lo = unconstrained->compute_flops;
  DataConstrainedAllocation at_lo = PlanDataConstrained(law, lo, unique_tokens);
  if (at_lo.allocation.loss_nats <= loss_nats) return at_lo;
  double hi = lo;
  DataConstrainedAllocation at_hi = at_lo;
  while (at_hi.allocation.loss_nats > loss_nats) {
    lo = hi;
    hi *= 4.0;
    if (hi > 1e60) return std::nullopt;
    at_hi = PlanDataConstrained(law, hi, unique_tokens);
  }
  for (int i = 0; i < 200 && hi / lo - 1.0 > 1e-13; ++i) {
    const double mid = std::sqrt(lo * hi);
    DataConstrainedAllocation at_mid = PlanDataConstrained(law, mid, unique_tokens);
    if (at_mid.allocation.loss_nats > loss_nats) {
      lo = mid;
    } else {
      hi = mid;
      at_hi = std::move(at_mid);
    }
  }
  return at_hi;
}

// ---------------------------------------------------------------------------------------------------------------
DataConstrainedRunsTable ParseDataConstrainedRunsCsv(std::string_view text, const std::string& source,
                                                     const RunsColumns& columns,
                                                     const std::string& unique_tokens_column) {
  const RunsTable base = ParseRunsCsv(text, source, columns);  // N, D, loss, selection: located errors, aliases
  const CsvTable csv = ParseCsv(text, source, columns.selection.delimiter);
  // No option: U's messages name none ("choose one by name", "no column is named 'x'").
  const CsvColumnRule unique_rule{"U (unique tokens)",
                                  {"u", "unique_tokens", "u_unique_tokens", "num_unique_tokens", "u_d"},
                                  "",
                                  unique_tokens_column};
  const size_t unique = RequireCsvColumn(csv, unique_rule);
  // The runs the selection (columns.selection) kept, each found again by its line.
  std::vector<const CsvRow*> rows;
  size_t next = 0;
  for (const TrainingRun& kept : base.runs) {
    while (next < csv.rows.size() && csv.rows[next].line != kept.line) ++next;
    SCALEPLAN_CHECK(next < csv.rows.size(), "the two parses of one CSV disagree on its rows");
    rows.push_back(&csv.rows[next]);
  }

  DataConstrainedRunsTable table;
  table.source = source;
  table.unique_tokens_column = csv.header[unique];
  table.notes = base.notes;
  table.warnings = base.warnings;
  table.group_columns = base.group_columns;
  table.group_values = base.group_values;
  table.runs.reserve(base.runs.size());
  for (size_t i = 0; i < base.runs.size(); ++i) {
    const CsvRow& row = *rows[i];
    DataConstrainedRun run;
    run.num_params = base.runs[i].num_params;
    run.num_tokens = base.runs[i].num_tokens;
    run.loss_nats = base.runs[i].loss_nats;
    run.line = row.line;
    run.group = base.runs[i].group;
    run.unique_tokens = ParsePositiveCsvCell(csv, row, unique);
    table.runs.push_back(run);
  }
  return table;
}

DataConstrainedRunsTable LoadDataConstrainedRunsCsv(const std::string& path, const RunsColumns& columns,
                                                    const std::string& unique_tokens_column) {
  return ParseDataConstrainedRunsCsv(ReadWholeFile(path), path, columns, unique_tokens_column);
}

DataConstrainedRunsTable BundledMuennighoffRuns(const RunSelection& selection) {
  RunsColumns columns;
  columns.loss = "val_loss_c4";
  columns.selection = selection;
  columns.selection.delimiter = 0;  // the bundled file's own
  return ParseDataConstrainedRunsCsv(embedded::kMuennighoffRunsCsv, kBundledMuennighoffLabel, columns,
                                     "U_unique_tokens");
}

// ---------------------------------------------------------------------------------------------------------------
}  // namespace scaleplan
