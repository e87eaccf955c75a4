#include "fitting/kaplan_fit.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace scaleplan {

InitGrid KaplanModel::DefaultGrid() {
  InitGrid grid;
  grid.names = {"log_n_c", "log_d_c", "alpha_n", "alpha_d"};
  const std::vector<double> logs = {15, 20, 25, 30, 35};
  const std::vector<double> exponents = {0.05, 0.1, 0.2, 0.4, 0.8};
  grid.axes = {logs, logs, exponents, exponents};
  return grid;
}

KaplanLaw KaplanModel::ToLaw(const std::vector<double>& params) {
  SCALEPLAN_CHECK(params.size() == kNumParams, "expected 4 parameters");
  return KaplanLaw{std::exp(params[0]), std::exp(params[1]), params[2], params[3]};
}

LawTerms KaplanModel::Terms() {
  LawTerms terms;
  terms.name = "Kaplan law";
  terms.num_params = kNumParams;
  terms.min_distinct = 2;
  terms.params_term = "(N_c / N)^(alpha_N / alpha_D)";
  terms.params_term_params = "N_c and alpha_N";
  terms.tokens_term = "D_c / D";
  terms.tokens_term_params = "D_c";
  terms.params_pair = "N_c and alpha_N";
  terms.tokens_pair = "D_c";
  return terms;
}

KaplanFit FitKaplan(const RunsTable& table, const MultiStartOptions& options, const InitGrid& grid) {
  std::vector<std::string> warnings = RequireIdentifiable(table, KaplanModel::Terms());
  KaplanFit fit;
  fit.warnings = std::move(warnings);
  fit.options = options;
  const KaplanModel model(table);
  fit.search = FitMultiStart(model, grid, options);
  if (fit.search.usable) {
    fit.law = KaplanModel::ToLaw(fit.search.params);
    std::string why;
    if (!fit.law.Check(&why)) {
      fit.search.usable = false;
      fit.search.status = "the optimum is not a valid law: " + why;
    }
    fit.residuals = ComputeResiduals(
        table, [&](const TrainingRun& run) { return fit.law.Loss(run.num_params, run.num_tokens); },
        options.huber_delta);
  }
  return fit;
}

}  // namespace scaleplan
