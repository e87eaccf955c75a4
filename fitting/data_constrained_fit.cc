#include "fitting/data_constrained_fit.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/extrapolation.h"
#include "fitting/fit_json.h"

namespace scaleplan {

DataConstrainedModel::DataConstrainedModel(const DataConstrainedRunsTable& table, const ChinchillaLaw& base)
    : DataConstrainedModel(table, base, std::vector<int>(table.runs.size(), 1)) {}

DataConstrainedModel::DataConstrainedModel(const DataConstrainedRunsTable& table, const ChinchillaLaw& base,
                                           const std::vector<int>& counts)
    : log_a_(std::log(base.A)),
      log_b_(std::log(base.B)),
      log_e_(std::log(base.E)),
      alpha_(base.alpha),
      beta_(base.beta) {
  std::string why;
  SCALEPLAN_CHECK(base.Check(&why), "invalid base law: " + why);
  SCALEPLAN_CHECK(counts.size() == table.runs.size(), "one count per run");
  // U_N and U_D depend on the base law and the run only, not on R_D* or R_N*: computed once.
  DataConstrainedLaw terms;
  terms.base = base;
  const size_t n = table.runs.size();
  unique_params_.reserve(n);
  excess_params_.reserve(n);
  unique_tokens_.reserve(n);
  repetitions_.reserve(n);
  log_loss_.reserve(n);
  weight_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (counts[i] <= 0) continue;
    const DataConstrainedRun& run = table.runs[i];
    const double unique_tokens = terms.UniqueTokensSeen(run.num_tokens, run.unique_tokens);
    const double unique_params = terms.UniqueParams(run.num_params, run.num_tokens, run.unique_tokens);
    unique_tokens_.push_back(unique_tokens);
    repetitions_.push_back(std::max(0.0, run.num_tokens / unique_tokens - 1.0));
    unique_params_.push_back(unique_params);
    excess_params_.push_back(std::max(0.0, run.num_params / unique_params - 1.0));
    log_loss_.push_back(std::log(run.loss_nats));
    weight_.push_back(static_cast<double>(counts[i]));
  }
}

InitGrid DataConstrainedModel::NotebookGrid() {
  InitGrid grid;
  grid.names = {"R_D_star", "R_N_star"};
  grid.axes = {{20.0 / 3.0, 40.0 / 3.0, 20.0}, {20.0 / 3.0, 40.0 / 3.0, 20.0}};
  return grid;
}

InitGrid DataConstrainedModel::WideGrid() {
  std::vector<double> axis;
  for (double value = 0.5; value <= 1024.0; value *= 2.0) axis.push_back(value);
  InitGrid grid;
  grid.names = {"R_D_star", "R_N_star"};
  grid.axes = {axis, axis};
  return grid;
}

DataConstrainedFit FitDataConstrained(const DataConstrainedRunsTable& table, const ChinchillaLaw& base,
                                      const MultiStartOptions& options, const InitGrid& grid,
                                      const BootstrapOptions* bootstrap, const ProgressCallback& progress) {
  if (table.runs.size() <= static_cast<size_t>(DataConstrainedModel::kNumParams)) {
    throw InputError("too few runs to fit: " + std::to_string(table.runs.size()) +
                         " runs, but R_D* and R_N* are 2 parameters (need at least 3 runs)",
                     InputLocation{table.source});
  }
  // R_D* acts only on repeated tokens and R_N* only on parameters beyond U_N: runs with neither leave the objective
  // flat in that constant, and L-BFGS would report its starting point as a fit.
  DataConstrainedLaw terms;
  terms.base = base;
  int num_repeating = 0;
  int num_excess = 0;
  for (const DataConstrainedRun& run : table.runs) {
    if (run.num_tokens > (1.0 + 1e-9) * terms.UniqueTokensSeen(run.num_tokens, run.unique_tokens)) ++num_repeating;
    if (run.num_params > (1.0 + 1e-9) * terms.UniqueParams(run.num_params, run.num_tokens, run.unique_tokens)) {
      ++num_excess;
    }
  }
  const std::string all_runs = "all " + std::to_string(table.runs.size()) + " runs";
  if (num_repeating == 0) {
    throw InputError("no run repeats its data (D <= U in " + all_runs +
                         "): R_D* cannot be identified, as it acts only on repeated tokens; the fit needs runs "
                         "trained for more than one epoch of their unique tokens",
                     InputLocation{table.source});
  }
  if (num_excess == 0) {
    throw InputError("no run has more parameters than its unique data support (N <= U_N, the compute-optimal size "
                     "for one epoch of U, in " + all_runs +
                         "): R_N* cannot be identified, as it acts only on the parameters beyond U_N",
                     InputLocation{table.source});
  }
  DataConstrainedFit fit;
  fit.options = options;
  fit.grid = grid;
  fit.law.base = base;
  fit.num_runs = static_cast<int>(table.runs.size());
  const DataConstrainedModel model(table, base);
  fit.search = FitMultiStart(model, grid, options, progress);
  fit.usable = fit.search.usable;
  fit.status = fit.search.status;
  fit.objective = fit.search.objective;
  if (!fit.usable) return fit;

  fit.R_D_star = fit.search.params[0];
  fit.R_N_star = fit.search.params[1];
  fit.law.R_D_star = fit.R_D_star;
  fit.law.R_N_star = fit.R_N_star;
  std::string why;
  if (!fit.law.Check(&why)) {
    fit.usable = false;
    fit.status = "the optimum is not a valid law: " + why;
    return fit;
  }
  double sum_sq = 0.0;
  for (int i = 0; i < model.NumSamples(); ++i) {
    const double residual = model.LogPrediction(fit.search.params.data(), i) - model.LogTarget(i);
    sum_sq += residual * residual;
    fit.max_abs = std::max(fit.max_abs, std::fabs(residual));
  }
  fit.rmse = std::sqrt(sum_sq / model.NumSamples());
  for (const std::vector<double>& optimum : fit.search.local_optima) {
    fit.local_optima.push_back(
        {optimum[0], optimum[1], EvaluateObjective(model, optimum.data(), options.huber_delta)});
  }
  std::stable_sort(fit.local_optima.begin(), fit.local_optima.end(),
                   [](const DataConstrainedOptimum& a, const DataConstrainedOptimum& b) {
                     return a.objective < b.objective;
                   });
  if (bootstrap != nullptr && bootstrap->num_resamples > 0) {
    fit.bootstrap = BootstrapWith(
        table.runs.size(),
        [&table, &base](const std::vector<int>& counts) { return DataConstrainedModel(table, base, counts); },
        fit.search, options, *bootstrap, progress);
    static const std::vector<std::string> names = {"R_D_star", "R_N_star"};  // the parameters, used as they are
    fit.intervals =
        BootstrapIntervals(fit.bootstrap, names, bootstrap->confidence, [](const std::vector<double>& p) { return p; });
  }
  return fit;
}

nlohmann::ordered_json DataConstrainedFitToJson(const DataConstrainedFit& fit, const DataConstrainedRunsTable& table) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "data-constrained";
  out["R_D_star"] = fit.R_D_star;
  out["R_N_star"] = fit.R_N_star;
  out["objective"] = fit.objective;
  out["usable"] = fit.usable;
  out["status"] = fit.status;
  out["warnings"] = fit.warnings;
  out["base"] = {{"E", fit.law.base.E},
                 {"A", fit.law.base.A},
                 {"B", fit.law.base.B},
                 {"alpha", fit.law.base.alpha},
                 {"beta", fit.law.base.beta}};
  out["search"] = {{"grid", FormatGrid(fit.grid)},
                   {"grid_points", fit.search.num_grid_points},
                   {"starts", fit.search.num_starts},
                   {"converged", fit.search.num_converged},
                   {"at_best", fit.search.num_at_best},
                   {"huber_delta", fit.options.huber_delta}};
  nlohmann::ordered_json optima = nlohmann::ordered_json::array();
  for (const DataConstrainedOptimum& optimum : fit.local_optima) {
    optima.push_back(
        {{"R_D_star", optimum.R_D_star}, {"R_N_star", optimum.R_N_star}, {"objective", optimum.objective}});
  }
  out["local_optima"] = optima;
  if (!fit.intervals.empty()) {
    out["intervals"] = IntervalsToJson(fit.intervals);
    out["bootstrap"] = {{"resamples", fit.bootstrap.num_resamples}, {"failed", fit.bootstrap.num_failed}};
  }
  out["residuals"] = {{"num_runs", fit.num_runs}, {"rmse", fit.rmse}, {"max_abs", fit.max_abs}};
  RunsTable plain;  // N, D and C = 6 N D of the runs, for their ranges
  for (const DataConstrainedRun& run : table.runs) {
    plain.runs.push_back({run.num_params, run.num_tokens, 6.0 * run.num_params * run.num_tokens, run.loss_nats});
  }
  out["data"] = {{"source", table.source}, {"num_runs", table.runs.size()}};
  const nlohmann::ordered_json ranges = RangesToJson(RangesOfRuns(plain));
  for (auto it = ranges.begin(); it != ranges.end(); ++it) out["data"][it.key()] = it.value();
  return out;
}

}  // namespace scaleplan
