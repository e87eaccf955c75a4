// Fitting R_D* and R_N* of the data-constrained law (core/data_constrained.h) with the base law frozen, as
// Muennighoff et al. 2023 do (their utils/parametric_fit.ipynb, section "Fit default"):
//
//   parameters (R_D*, R_N*), used as they are (not as logs); the base law's a, b, e, alpha, beta fixed;
//   per run:   U_N = min(N, N_opt(C_U)) from the base law, R_N = max(N / U_N - 1, 0), R_D = max(D / U - 1, 0),
//              log L_hat = LSE(a - alpha log(U_N + U_N R_N* (1 - exp(-R_N / R_N*))),
//                              b - beta  log(U   + U   R_D* (1 - exp(-R_D / R_D*))), e)
//   objective: SUM over runs of Huber_delta(log L_hat - log L), delta = 1e-3 (a sum, not a mean),
//   solver:    L-BFGS from a grid of starts, best optimum kept.
// The notebook starts from R_D*, R_N* in {0, 20/3, 40/3, 20} (L-BFGS in single precision); starts with a zero are
// undefined (0/0 for runs without repetition) and drop out, leaving the 9 of NotebookGrid(), the default here. Its
// optimum on the bundled 182 runs with the C4 base law (logs a = 6.255414, b = 7.3049974, e = 0.6254804,
// alpha = beta = 0.3526596) is R_D* = 15.387756, R_N* = 5.309743 at objective 0.0158259; this fit, from the same
// starts in double precision, lands on R_D* = 15.372, R_N* = 5.315 at 0.0158259.
//
// That optimum is local. The objective has a long, flat, rippled valley in which a larger R_D* trades against a
// smaller R_N* (repeated data worth more, excess parameters worth less): a wider search (WideGrid()) finds local
// optima at (47.0, 2.33), (95.4, 1.71) and (160.7, 1.45), the best at 0.0158047, 0.13% below the published one.
// The data barely tell these apart; the fit reports every distinct local optimum it reached with its objective so
// that users see how well their runs pin the constants down.
#ifndef SCALEPLAN_FITTING_DATA_CONSTRAINED_FIT_H_
#define SCALEPLAN_FITTING_DATA_CONSTRAINED_FIT_H_

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
#include "core/data_constrained.h"
#include "fitting/bootstrap.h"
#include "fitting/multistart.h"

namespace scaleplan {

// The model for FitMultiStart: parameters in the order R_D*, R_N*.
class DataConstrainedModel {
 public:
  static constexpr int kNumParams = 2;

  DataConstrainedModel(const DataConstrainedRunsTable& table, const ChinchillaLaw& base);
  // The runs with multiplicities (a bootstrap resample); runs with count 0 are left out.
  DataConstrainedModel(const DataConstrainedRunsTable& table, const ChinchillaLaw& base,
                       const std::vector<int>& counts);

  int NumSamples() const { return static_cast<int>(log_loss_.size()); }
  double LogTarget(int i) const { return log_loss_[static_cast<size_t>(i)]; }
  double Weight(int i) const { return weight_[static_cast<size_t>(i)]; }

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    using std::exp;
    using std::log;
    const size_t k = static_cast<size_t>(i);
    const T& r_d_star = p[0];
    const T& r_n_star = p[1];
    // U + U R* (1 - exp(-R / R*)); for R = 0 the term is 0 whatever R* > 0 is.
    const T effective_tokens =
        unique_tokens_[k] > 0.0 && repetitions_[k] > 0.0
            ? T(unique_tokens_[k]) + T(unique_tokens_[k]) * r_d_star * (T(1.0) - exp(-T(repetitions_[k]) / r_d_star))
            : T(unique_tokens_[k]);
    const T effective_params =
        excess_params_[k] > 0.0
            ? T(unique_params_[k]) + T(unique_params_[k]) * r_n_star * (T(1.0) - exp(-T(excess_params_[k]) / r_n_star))
            : T(unique_params_[k]);
    return LogSumExp3(T(log_a_) - T(alpha_) * log(effective_params), T(log_b_) - T(beta_) * log(effective_tokens),
                      T(log_e_));
  }

  // The notebook's starts that are defined: R_D*, R_N* in {20/3, 40/3, 20} each (9 starts). The default.
  static InitGrid NotebookGrid();
  // R_D*, R_N* in {0.5, 1, 2, ..., 1024} each (144 starts): explores the whole valley.
  static InitGrid WideGrid();

 private:
  double log_a_, log_b_, log_e_, alpha_, beta_;
  std::vector<double> unique_params_, excess_params_, unique_tokens_, repetitions_, log_loss_, weight_;
};

struct DataConstrainedOptimum {
  double R_D_star = 0.0;
  double R_N_star = 0.0;
  double objective = 0.0;
};

struct DataConstrainedFit {
  double R_D_star = 0.0;
  double R_N_star = 0.0;
  double objective = 0.0;  // Huber sum at the optimum
  bool usable = false;
  std::string status;      // "converged", or why the fit is not usable
  DataConstrainedLaw law;  // base + the fitted R_D*, R_N*
  std::vector<DataConstrainedOptimum> local_optima;  // distinct optima reached, best first (the first is the fit)
  MultiStartResult search;
  MultiStartOptions options;
  InitGrid grid;
  int num_runs = 0;
  double rmse = 0.0;       // of the log residuals log L_hat - log L
  double max_abs = 0.0;
  // Bootstrap percentile intervals of R_D_star and R_N_star, in that order (empty without a bootstrap): each resample
  // refitted with the base law frozen (fitting/bootstrap.h).
  std::vector<std::pair<std::string, std::pair<double, double>>> intervals;
  BootstrapSamples bootstrap;
  // The JSON's "warnings": the fit's caller adds its diagnostics' (residual trends, unconstrained parameters), as
  // `fit --law sparse` does.
  std::vector<std::string> warnings;
};

// Fits R_D*, R_N* to `table` with `base` frozen (by default Muennighoff et al.'s C4 base law). Throws InputError
// when there are fewer than 3 runs, when no run repeats its data (D > U: R_D* is not identifiable) or when no run
// has more parameters than U_N (R_N* is not identifiable). A fit that does not converge is returned with usable = false
// and the reason. With `bootstrap` (num_resamples > 0) a usable fit also gets its intervals; progress counts the fit's
// starts, then the resamples.
DataConstrainedFit FitDataConstrained(const DataConstrainedRunsTable& table,
                                      const ChinchillaLaw& base = MuennighoffC4BaseLaw(),
                                      const MultiStartOptions& options = {},
                                      const InitGrid& grid = DataConstrainedModel::NotebookGrid(),
                                      const BootstrapOptions* bootstrap = nullptr,
                                      const ProgressCallback& progress = nullptr);

// {"law": "data-constrained", "R_D_star", "R_N_star", "objective", "usable", "status", "base": {E, A, B, alpha,
//  beta}, "search": {grid, grid_points, starts, converged, at_best, huber_delta}, "local_optima": [{R_D_star,
//  R_N_star, objective}, ...], with a bootstrap "intervals": {R_D_star: [low, high], R_N_star: [low, high]} and
//  "bootstrap": {resamples, failed}, "residuals": {num_runs, rmse, max_abs}, "data": {source, num_runs}}. Scripts may
// depend on R_D_star, R_N_star, objective, usable, intervals.
nlohmann::ordered_json DataConstrainedFitToJson(const DataConstrainedFit& fit, const DataConstrainedRunsTable& table);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_DATA_CONSTRAINED_FIT_H_
