#include "fitting/chinchilla_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "fitting/chinchilla_kernel.h"

namespace scaleplan {

double ChinchillaModel::HuberObjective(const double* p, double delta, double* gradient) const {
  const ChinchillaKernelData data{log_params_.data(), log_tokens_.data(), log_loss_.data(), weight_.data(),
                                  static_cast<long>(log_loss_.size())};
  const double cost = ChinchillaHuberKernel(data, p, delta, gradient);
  return std::isfinite(cost) ? cost : std::numeric_limits<double>::infinity();
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

LawTerms ChinchillaModel::Terms() {
  LawTerms terms;
  terms.name = "Chinchilla law";
  terms.num_params = kNumParams;
  terms.min_distinct = 3;
  terms.params_term = "E + A / N^alpha";
  terms.params_term_params = "alpha, A and E";
  terms.tokens_term = "E + B / D^beta";
  terms.tokens_term_params = "beta, B and E";
  terms.params_pair = "alpha and A";
  terms.tokens_pair = "beta and B";
  return terms;
}

ResidualStats ComputeResiduals(const ChinchillaLaw& law, const RunsTable& table, double huber_delta) {
  return ComputeResiduals(
      table, [&law](const TrainingRun& run) { return law.Loss(run.num_params, run.num_tokens); }, huber_delta);
}

ChinchillaFit FitChinchilla(const RunsTable& table, const MultiStartOptions& options, const InitGrid& grid,
                            const ProgressCallback& progress) {
  std::vector<std::string> warnings = RequireIdentifiable(table, ChinchillaModel::Terms());
  ChinchillaFit fit;
  fit.warnings = std::move(warnings);
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

const std::vector<std::string>& ChinchillaIntervalNames() {
  static const std::vector<std::string> names = {"E", "A", "B", "alpha", "beta", "exponent_params",
                                                 "exponent_tokens"};
  return names;
}

std::vector<double> ChinchillaQuantities(const ChinchillaLaw& law) {
  return {law.E, law.A, law.B, law.alpha, law.beta, law.ExponentParams(), law.ExponentTokens()};
}

Interval IntervalOver(const std::vector<ChinchillaLaw>& laws, double confidence,
                      const std::function<double(const ChinchillaLaw&)>& quantity) {
  std::vector<double> values;
  values.reserve(laws.size());
  for (const ChinchillaLaw& law : laws) values.push_back(quantity(law));
  const auto [lower, upper] = PercentileInterval(std::move(values), confidence);
  return {lower, upper};
}

std::vector<std::pair<std::string, Interval>> ChinchillaIntervals(const std::vector<ChinchillaLaw>& laws,
                                                                  double confidence) {
  std::vector<std::pair<std::string, Interval>> intervals;
  const auto& names = ChinchillaIntervalNames();
  for (size_t k = 0; k < names.size(); ++k) {
    intervals.emplace_back(names[k], IntervalOver(laws, confidence, [k](const ChinchillaLaw& law) {
                             return ChinchillaQuantities(law)[k];
                           }));
  }
  return intervals;
}

ChinchillaBootstrap BootstrapChinchilla(const RunsTable& table, const ChinchillaFit& fit,
                                        const BootstrapOptions& options, const ProgressCallback& progress) {
  ChinchillaBootstrap out;
  out.options = options;
  out.samples = Bootstrap<ChinchillaModel>(table, fit.search, fit.options, options, progress);
  for (const auto& params : out.samples.params) {
    ChinchillaLaw law = ChinchillaModel::ToLaw(params);
    if (law.Check(nullptr)) out.laws.push_back(law);
  }
  if (!out.laws.empty()) out.intervals = ChinchillaIntervals(out.laws, options.confidence);
  return out;
}

}  // namespace scaleplan
