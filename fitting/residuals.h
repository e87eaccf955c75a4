// Log-residual statistics of any law on runs: r_i = log L_hat_i - log L_i.
#ifndef SCALEPLAN_FITTING_RESIDUALS_H_
#define SCALEPLAN_FITTING_RESIDUALS_H_

#include <functional>
#include <string>

#include "core/runs_table.h"

namespace scaleplan {

struct ResidualStats {
  int num_runs = 0;
  double rmse = 0.0;         // sqrt(mean r^2)
  double mean = 0.0;         // signed bias: positive = the law over-predicts the loss
  double max_abs = 0.0;      // max |r|
  double max_abs_nats = 0.0; // max |L_hat - L|, in loss units
  int num_beyond_delta = 0;  // runs in the linear (outlier) part of the Huber loss
};

// `predict(run)` returns the law's loss for the run's N and D.
ResidualStats ComputeResiduals(const RunsTable& table, const std::function<double(const TrainingRun&)>& predict,
                               double huber_delta);

// A usable fit whose log-space residuals are this large (RMSE; about 5% in loss) describes the runs poorly: mixed
// sources, a wrong column, or a law that does not fit them.
inline constexpr double kPoorFitRmse = 0.05;

// The warning a Chinchilla or Kaplan fit carries when its RMSE is above kPoorFitRmse ("poor fit: log-space RMSE
// 0.081 is above 0.05 (...)"); "" when it is not.
std::string PoorFitWarning(double rmse, bool group_by_offered = true);  // without --group-by, --filter alone

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_RESIDUALS_H_
