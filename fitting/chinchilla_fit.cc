#include "fitting/chinchilla_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace scaleplan {

ChinchillaModel::ChinchillaModel(const RunsTable& table)
    : ChinchillaModel(table, std::vector<int>(table.runs.size(), 1)) {}

ChinchillaModel::ChinchillaModel(const RunsTable& table, const std::vector<int>& counts) {
  SCALEPLAN_CHECK(counts.size() == table.runs.size(), "one count per run");
  const Eigen::Index n = std::count_if(counts.begin(), counts.end(), [](int c) { return c > 0; });
  log_params_.resize(n);
  log_tokens_.resize(n);
  log_loss_.resize(n);
  weight_.resize(n);
  Eigen::Index k = 0;
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (counts[i] <= 0) continue;
    log_params_[k] = std::log(table.runs[i].num_params);
    log_tokens_[k] = std::log(table.runs[i].num_tokens);
    log_loss_[k] = std::log(table.runs[i].loss_nats);
    weight_[k] = counts[i];
    ++k;
  }
}

double ChinchillaModel::HuberObjective(const double* p, double delta, double* gradient) const {
  // log L_hat = log(exp(u) + exp(v) + E), u = a - alpha log N, v = b - beta log D, E = exp(e). One fused pass:
  // two exponentials and one logarithm per run. No max-shift is needed: exp overflows only when u or v exceeds
  // 709, far outside any law, and then the objective is infinite and the line search steps back.
  const double big_e = std::exp(p[2]);
  double cost = 0.0;
  double g_a = 0.0, g_b = 0.0, g_e = 0.0, g_alpha = 0.0, g_beta = 0.0;
  const Eigen::Index n = log_loss_.size();
  for (Eigen::Index i = 0; i < n; ++i) {
    const double exp_u = std::exp(p[0] - p[3] * log_params_[i]);
    const double exp_v = std::exp(p[1] - p[4] * log_tokens_[i]);
    const double sum = exp_u + exp_v + big_e;
    const double r = std::log(sum) - log_loss_[i];
    const double magnitude = std::fabs(r);
    const bool inner = magnitude <= delta;
    cost += weight_[i] * (inner ? 0.5 * r * r : delta * (magnitude - 0.5 * delta));
    if (gradient != nullptr) {
      // dHuber/dr = r inside, delta sign(r) outside; d log L_hat / d(u, v, e) are the softmax weights.
      const double slope = weight_[i] * (inner ? r : std::copysign(delta, r)) / sum;
      g_a += slope * exp_u;
      g_b += slope * exp_v;
      g_e += slope * big_e;
      g_alpha -= slope * exp_u * log_params_[i];
      g_beta -= slope * exp_v * log_tokens_[i];
    }
  }
  if (!std::isfinite(cost)) return std::numeric_limits<double>::infinity();
  if (gradient != nullptr) {
    gradient[0] = g_a;
    gradient[1] = g_b;
    gradient[2] = g_e;
    gradient[3] = g_alpha;
    gradient[4] = g_beta;
  }
  return cost;
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
                            const ProgressCallback& progress) {
  if (table.runs.size() <= static_cast<size_t>(ChinchillaModel::kNumParams)) {
    throw InputError("too few runs to fit: " + std::to_string(table.runs.size()) +
                         " runs, but the Chinchilla law has 5 parameters (need at least 6 runs)",
                     InputLocation{table.source});
  }
  ChinchillaFit fit;
  fit.options = options;
  fit.grid = grid;
  const ChinchillaModel model(table);
  fit.search = FitMultiStart(model, grid, options, progress);
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
