// Approach 3 of Hoffmann et al. 2022 (appendix D.2), as Besiroglu et al. 2024 reproduce it:
//   parameters (a, b, e, alpha, beta) with A = exp(a), B = exp(b), E = exp(e);
//   log L_hat(N, D) = LSE(a - alpha log N, b - beta log D, e);
//   minimise SUM_i Huber_delta(log L_hat_i - log L_i), delta = 1e-3, with L-BFGS from the 4,500-point grid
//   alpha, beta in {0, 0.5, ..., 2}, e in {-1, -0.5, ..., 1}, a, b in {0, 5, ..., 25}; keep the best optimum.
#ifndef SCALEPLAN_FITTING_CHINCHILLA_FIT_H_
#define SCALEPLAN_FITTING_CHINCHILLA_FIT_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "core/chinchilla_law.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/identifiability.h"
#include "fitting/log_space_runs.h"
#include "fitting/multistart.h"
#include "fitting/residuals.h"

namespace scaleplan {

// The model for FitMultiStart: parameters in the order a, b, e, alpha, beta.
class ChinchillaModel : public LogSpaceRuns {
 public:
  static constexpr int kNumParams = 5;
  using LogSpaceRuns::LogSpaceRuns;

  template <typename T>
  T LogPrediction(const T* p, int i) const {
    return LogSumExp3(p[0] - p[3] * log_params_[i], p[1] - p[4] * log_tokens_[i], p[2]);
  }

  // The summed Huber objective and its analytic gradient (when `gradient` is not null), vectorised over runs.
  double HuberObjective(const double* p, double delta, double* gradient) const;

  static InitGrid HoffmannGrid();
  static ChinchillaLaw ToLaw(const std::vector<double>& params);
  // The law as the identifiability check words it (fitting/identifiability.h): 3 distinct N and D needed.
  static LawTerms Terms();
};

// Log-residual statistics of the law on `table` (fitting/residuals.h).
ResidualStats ComputeResiduals(const ChinchillaLaw& law, const RunsTable& table, double huber_delta);

struct ChinchillaFit {
  ChinchillaLaw law;
  MultiStartResult search;  // parameters as (a, b, e, alpha, beta), objective, start counts
  ResidualStats residuals;
  MultiStartOptions options;
  InitGrid grid;
  std::vector<std::string> warnings;  // what weakens the fit although the runs identify the law (identifiability.h)
};

// Fits the law to `table`. Throws InputError when the runs cannot identify the law (fitting/identifiability.h: too
// few runs or distinct points, fewer than 3 distinct N or D, collinear log N and log D). A fit that does not
// converge is returned with search.usable = false and the reason in search.status.
ChinchillaFit FitChinchilla(const RunsTable& table, const MultiStartOptions& options,
                            const InitGrid& grid = ChinchillaModel::HoffmannGrid(),
                            const ProgressCallback& progress = nullptr);

// Bootstrap of a Chinchilla fit: the resampled laws and percentile intervals of what users read off a fit.
struct ChinchillaBootstrap {
  BootstrapOptions options;
  BootstrapSamples samples;
  std::vector<ChinchillaLaw> laws;  // one per converged resample
  // Intervals of E, A, B, alpha, beta, exponent_params (a) and exponent_tokens (b), in that order.
  std::vector<std::pair<std::string, Interval>> intervals;
};

// The names, in order, of the quantities ChinchillaBootstrap::intervals covers.
const std::vector<std::string>& ChinchillaIntervalNames();

// The value of each named quantity (ChinchillaIntervalNames order) for one law.
std::vector<double> ChinchillaQuantities(const ChinchillaLaw& law);

// Intervals of ChinchillaIntervalNames over `laws`.
std::vector<std::pair<std::string, Interval>> ChinchillaIntervals(const std::vector<ChinchillaLaw>& laws,
                                                                  double confidence);

// The interval of any derived quantity (say N_opt at a budget) over bootstrap laws.
Interval IntervalOver(const std::vector<ChinchillaLaw>& laws, double confidence,
                      const std::function<double(const ChinchillaLaw&)>& quantity);

// Resamples the runs of a usable `fit` (see fitting/bootstrap.h for the method).
ChinchillaBootstrap BootstrapChinchilla(const RunsTable& table, const ChinchillaFit& fit,
                                        const BootstrapOptions& options, const ProgressCallback& progress = nullptr);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_CHINCHILLA_FIT_H_
