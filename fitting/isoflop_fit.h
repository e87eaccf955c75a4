// Approach 2 of Hoffmann et al. 2022 (IsoFLOP profiles): for each compute budget, fit a parabola of loss against
// log N, take its minimum as that budget's N_opt (D_opt = C / (6 N_opt)), then fit N_opt = k_N C^a and
// D_opt = k_D C^b across budgets by least squares in log space.
//
// Both steps are linear least squares, solved exactly (Eigen, QR); no iterative solver is involved. Bootstrap
// intervals resample the runs within each budget (stratified, fitting/bootstrap.h StratifiedResampleCounts: the
// budgets are design points, each keeps its run count) and redo both steps.
#ifndef SCALEPLAN_FITTING_ISOFLOP_FIT_H_
#define SCALEPLAN_FITTING_ISOFLOP_FIT_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/isoflop_law.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/diagnostics.h"

namespace scaleplan {

struct IsoFlopBudget {
  double compute_flops = 0.0;  // geometric mean of the group's compute
  int num_runs = 0;
  double num_params_opt = 0.0;  // the parabola's minimum
  double num_tokens_opt = 0.0;
  double loss_at_opt = 0.0;
  double min_params_sampled = 0.0, max_params_sampled = 0.0;
  bool minimum_inside = false;  // the minimum lies within the sampled N range
  bool usable = false;          // >= 3 distinct N and an upward parabola
  bool used = false;            // in the exponent fit: usable, and its minimum inside unless extrapolated ones are kept
  std::string note;             // why not usable, or a warning
};

struct IsoFlopFit {
  std::vector<IsoFlopBudget> budgets;
  double exponent_params = 0.0;  // a in N_opt = k_N C^a
  double coeff_params = 0.0;     // k_N
  double exponent_tokens = 0.0;  // b in D_opt = k_D C^b
  double coeff_tokens = 0.0;     // k_D
  int num_budgets_used = 0;
  int num_budgets_extrapolated = 0;  // usable budgets whose minimum lies outside their sampled sizes
  bool keep_extrapolated = false;    // whether those were used
  std::vector<std::string> warnings;
  bool usable = false;
  std::string status;
  // The loss frontier L_opt(C) = E + K C^-gamma fitted to the used budgets' minimum losses (FitLossFrontier); not
  // fitted for bootstrap resamples.
  bool has_frontier = false;
  LossFrontier frontier;
  std::string frontier_status;  // "fitted to 9 budgets", or why there is none

  IsoFlopLaw Law() const;  // the allocation's power laws and the frontier
  Allocation ComputeOptimal(double compute_flops) const;  // Law().ComputeOptimal: loss NaN without a frontier
};

// L_opt(C) = E + K C^-gamma by least squares in loss (nats) over (compute_flops, loss) points: for each gamma the
// best E and K are linear least squares (E clamped at 0, K > 0), and gamma in [0.001, 2] minimises what is left
// (a scan and golden-section search). Needs 3 points with distinct compute; nullopt otherwise, or when no gamma in
// the range gives K > 0 (the minima do not fall with compute), with *why.
std::optional<LossFrontier> FitLossFrontier(const std::vector<std::pair<double, double>>& points, std::string* why);

// Fits Approach 2 over `groups` (run indices per budget, e.g. from GroupByBudget). `counts` (optional, one per run)
// are bootstrap multiplicities. A budget whose parabola minimum lies outside its sampled sizes is an extrapolation
// of the parabola (one gave N_opt = 109 parameters) and is left out of the exponent fit unless `keep_extrapolated`.
// Needs at least 2 budgets used; otherwise usable = false with the reason.
IsoFlopFit FitIsoFlop(const RunsTable& table, const std::vector<std::vector<size_t>>& groups,
                      const std::vector<int>* counts = nullptr, bool keep_extrapolated = false);

// Each resample draws every budget's runs with replacement from among its own runs (the budget keeps its run
// count) and redoes the fit as the full fit does it: a budget whose resampled parabola opens downwards, has fewer
// than 3 distinct sizes, or (unless keep_extrapolated) puts its minimum outside the sizes drawn is left out of that
// resample's exponent fit, and the other budgets still give its exponents. A resample is degenerate only when its
// exponent fit cannot be made (fewer than 2 budgets used).
struct IsoFlopBootstrap {
  BootstrapOptions options;
  int num_failed = 0;      // resamples with 2 or more budgets whose power-law fit was not finite (left out)
  int num_degenerate = 0;  // resamples with fewer than 2 budgets used: no exponent fit (left out of the intervals)
  int num_budgets_used_full = 0;        // budgets the full-data fit used
  std::vector<int> num_resamples_used;  // per budget (as `groups`): resamples whose exponent fit used it
  double mean_budgets_used = 0.0;       // budgets used per resample, over all resamples
  double mean_budgets_left_out = 0.0;   // of the budgets the full fit used, those a resample left out, per resample
  Interval exponent_params, exponent_tokens;
  std::vector<std::pair<double, double>> exponents;  // (a, b) per usable resample
};

IsoFlopBootstrap BootstrapIsoFlop(const RunsTable& table, const std::vector<std::vector<size_t>>& groups,
                                  const BootstrapOptions& options, const ProgressCallback& progress = nullptr,
                                  bool keep_extrapolated = false);

// Standard errors of the exponent fit (fitting/diagnostics.h's FitDiagnostics) of a usable fit: the ordinary least
// squares of log N_opt = log k_N + a log C over the budgets used (n of them, X = [1, log C]) has
//
//   Cov(log k_N, a) = s^2 (X^T X)^-1,   s^2 = SUM r^2 / (n - 2),
//
// the textbook covariance (no Huber factor: the fit is plain least squares). D_opt = C / (6 N_opt) makes the token
// law its mirror: b = 1 - a and log k_D = -log 6 - log k_N, so SE(b) = SE(a), k_D's relative error is k_N's, and
// corr(a, b) = corr(k_N, k_D) = -1 by construction. Reported: exponent_params (a), coeff_params (k_N, by the delta
// method from log k_N), exponent_tokens (b), coeff_tokens (k_D). Unconstrained: an exponent whose standard error
// exceeds its value, the Hessian X^T X singular in its correlation form (every used budget at one compute), or a
// bootstrap interval (`bootstrap`, when given) reaching zero or spanning 100x. A coefficient is not judged by its
// relative error: it is the law's value at C = 1 FLOP, some 50 e-folds below the budgets, and its uncertainty is the
// exponent's times that lever arm. No standard errors (available = false) with fewer than 3 budgets used. The
// residual trends are not computed: a least-squares line's residuals are uncorrelated with its regressor by
// construction. rmse_log is the RMS of the log N_opt residuals.
FitDiagnostics DiagnoseIsoFlopFit(const IsoFlopFit& fit, const IsoFlopBootstrap* bootstrap = nullptr);

// Extrapolation validation of Approach 2 (`validate --law isoflop`): the IsoFLOP fit of the other budgets predicts
// a held-out budget's N_opt (k_N C^a) and minimum loss (the frontier E + K C^-gamma at its compute), compared with
// that budget's own parabola minimum. Leave-one-budget-out (holdout_above_flops = 0): each budget in turn is held
// out; hold-out: every budget above holdout_above_flops is predicted by the fit of the budgets at or below it.
struct IsoFlopValidationFold {
  double compute_flops = 0.0;  // the held-out budget (geometric mean of its runs' compute)
  int num_runs = 0;
  int num_budgets_trained = 0;      // budgets used in the predicting fit
  double extrapolation_factor = 0.0;  // compute_flops / the largest budget trained on
  bool usable = false;              // both the held-out minimum and the prediction exist
  std::string status;               // why not usable
  double num_params_observed = 0.0, num_params_predicted = 0.0;  // N_opt: the budget's own minimum, k_N C^a
  double loss_observed = 0.0, loss_predicted = 0.0;  // minimum loss: the parabola's, the frontier's (NaN: none)
  double log_error_params = 0.0;  // log(N_predicted / N_observed)
  double error_loss_nats = 0.0;   // loss_predicted - loss_observed (0 without a frontier)
};

struct IsoFlopValidation {
  std::vector<IsoFlopValidationFold> folds;  // in ascending compute
  int num_usable = 0;
  double rmse_log_params = 0.0;  // over the usable folds
  double rmse_loss_nats = 0.0;   // over the usable folds with a loss prediction
  int num_loss_predictions = 0;
};

// `groups` as for FitIsoFlop. A held-out budget whose own parabola has no usable minimum (or, unless
// `keep_extrapolated`, a minimum outside its sampled sizes) is a fold without a verdict (usable = false).
IsoFlopValidation ValidateIsoFlop(const RunsTable& table, const std::vector<std::vector<size_t>>& groups,
                                  double holdout_above_flops, bool keep_extrapolated = false);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_ISOFLOP_FIT_H_
