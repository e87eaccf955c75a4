#include "fitting/chinchilla_fit.h"

#include <cmath>

#include "core/error.h"

namespace scaleplan {

ChinchillaModel::ChinchillaModel(const RunsTable& table) {
  log_params_.reserve(table.runs.size());
  log_tokens_.reserve(table.runs.size());
  log_loss_.reserve(table.runs.size());
  for (const TrainingRun& run : table.runs) {
    log_params_.push_back(std::log(run.num_params));
    log_tokens_.push_back(std::log(run.num_tokens));
    log_loss_.push_back(std::log(run.loss_nats));
  }
}

static std::vector<double> Range(double lo, double hi, double step) {
  std::vector<double> out;
  for (int i = 0; lo + i * step <= hi + 1e-12; ++i) out.push_back(lo + i * step);
  return out;
}

InitGrid ChinchillaModel::HoffmannGrid() {
  InitGrid grid;
  grid.names = {"a", "b", "e", "alpha", "beta"};
  grid.axes = {Range(0, 25, 5), Range(0, 25, 5), Range(-1, 1, 0.5), Range(0, 2, 0.5), Range(0, 2, 0.5)};
  return grid;
}

ChinchillaLaw ChinchillaModel::ToLaw(const std::vector<double>& params) {
  SCALEPLAN_CHECK(params.size() == kNumParams, "expected 5 parameters");
  ChinchillaLaw law;
  law.A = std::exp(params[0]);
  law.B = std::exp(params[1]);
  law.E = std::exp(params[2]);
  law.alpha = params[3];
  law.beta = params[4];
  return law;
}

ResidualStats ComputeResiduals(const ChinchillaLaw& law, const RunsTable& table, double huber_delta) {
  ResidualStats stats;
  stats.num_runs = static_cast<int>(table.runs.size());
  if (table.runs.empty()) return stats;
  double sum = 0.0;
  double sum_sq = 0.0;
  for (const TrainingRun& run : table.runs) {
    const double r = std::log(law.Loss(run.num_params, run.num_tokens)) - std::log(run.loss_nats);
    sum += r;
    sum_sq += r * r;
    stats.max_abs = std::max(stats.max_abs, std::fabs(r));
    stats.num_beyond_delta += std::fabs(r) > huber_delta ? 1 : 0;
  }
  stats.mean = sum / stats.num_runs;
  stats.rmse = std::sqrt(sum_sq / stats.num_runs);
  return stats;
}

ChinchillaFit FitChinchilla(const RunsTable& table, const MultiStartOptions& options, const InitGrid& grid,
                            const std::vector<double>* weights, const ProgressCallback& progress) {
  if (table.runs.size() <= static_cast<size_t>(ChinchillaModel::kNumParams)) {
    throw InputError("too few runs to fit: " + std::to_string(table.runs.size()) +
                         " runs, but the Chinchilla law has 5 parameters (need at least 6 runs)",
                     InputLocation{table.source});
  }
  ChinchillaFit fit;
  fit.options = options;
  fit.grid = grid;
  const ChinchillaModel model(table);
  fit.search = FitMultiStart(model, grid, options, weights, progress);
  if (fit.search.usable) {
    fit.law = ChinchillaModel::ToLaw(fit.search.params);
    std::string why;
    if (!fit.law.Check(&why)) {
      fit.search.usable = false;
      fit.search.status = "the optimum is not a valid law: " + why;
    }
    fit.residuals = ComputeResiduals(fit.law, table, options.huber_delta);
  }
  return fit;
}

}  // namespace scaleplan
