// Extrapolation validation: how well does a law fitted on some runs predict runs it did not see?
//
//   hold-out:              fit on the runs with C <= threshold, predict the runs above it;
//   leave-one-budget-out:  group the runs into compute budgets (core/budgets.h) and, for each budget with enough
//                          runs, fit on every other run and predict that budget's runs.
//
// The statistics use the log-residual of each held-out run, r = log L_hat - log L (the quantity the Huber fits
// minimise), and the error in loss units, L_hat - L (nats/token): RMSE, signed mean (bias; positive = the law
// over-predicts the loss, i.e. it is pessimistic about the larger runs) and maximum magnitude. How far a fold
// extrapolates is max C_held_out / max C_trained (above 1: beyond every training run; at most 1: interpolation).
//
// Validation is law-independent: a law enters as a LawFitter, a function that fits runs and returns the fitted
// law's loss prediction. ChinchillaFitter adapts the Chinchilla fit; other laws plug in the same way.
#ifndef SCALEPLAN_FITTING_VALIDATION_H_
#define SCALEPLAN_FITTING_VALIDATION_H_

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/budgets.h"
#include "core/runs_table.h"
#include "fitting/multistart.h"

namespace scaleplan {

// A law fitted to the training runs of one fold. A fit that did not converge is a result (usable = false), not an
// exception; validation reports it and moves on. So is a fit whose loss for a run of the fold is not a finite positive
// number (it overflows far from its runs) or whose predict_loss throws InputError for a run it cannot predict (the
// message becomes the fold's status): the fold is unusable, with that reason, and has no error statistics.
struct FittedLaw {
  bool usable = false;
  std::string status;                                     // why not usable, or "converged"
  std::function<double(const TrainingRun&)> predict_loss;  // the law's loss for the run's N and D (nats/token)
};

// A law as validation sees it.
struct LawFitter {
  std::string name;   // for messages: "chinchilla"
  int min_runs = 1;   // the fewest runs a fit accepts (validation refuses a fold with fewer, as an InputError)
  // Optional: throws InputError when the law cannot be fitted to these runs however many there are (a routing
  // group of Dense runs alone), checked before min_runs so that the verdict names the real cause.
  std::function<void(const RunsTable& runs)> require_fittable;
  std::function<FittedLaw(const RunsTable& train)> fit;
};

// The Chinchilla law (Approach 3) fitted with `options` from `grid`.
LawFitter ChinchillaFitter(const MultiStartOptions& options, const InitGrid& grid);

// Prediction errors on the held-out runs of one fold.
struct ExtrapolationStats {
  int num_train = 0;    // runs the law was fitted on
  int num_heldout = 0;  // runs it predicted
  double train_compute_max_flops = 0.0;
  double heldout_compute_min_flops = 0.0;
  double heldout_compute_max_flops = 0.0;
  double extrapolation_factor = 0.0;  // heldout_compute_max / train_compute_max
  double rmse_log = 0.0;       // sqrt(mean r^2), r = log L_hat - log L
  double bias_log = 0.0;       // mean r (positive = over-predicts the loss)
  double max_abs_log = 0.0;    // max |r|
  double rmse_nats = 0.0;      // sqrt(mean (L_hat - L)^2)
  double bias_nats = 0.0;      // mean (L_hat - L)
  double max_abs_nats = 0.0;   // max |L_hat - L|
  double train_rmse_log = 0.0; // the in-sample RMSE on the training runs, for comparison
};

// One fold: which runs were held out, whether the fit was usable, and the statistics when it was.
struct ValidationFold {
  std::string label;                // "C > 1e+21" or "budget 9.428e+19"
  double budget_flops = 0.0;        // leave-one-budget-out: the budget (geometric mean of its compute); else 0
  std::vector<size_t> heldout_runs; // indices into the table's runs
  bool usable = false;
  std::string status;
  ExtrapolationStats stats;         // counts and compute range always; errors only when usable
};

struct ValidationOptions {
  double budget_tolerance = kDefaultBudgetTolerance;  // --budget-tolerance: relative compute gap that splits budgets
  // --min-budget-runs: budgets with fewer runs are never held out (they always stay in the training set). On the
  // bundled Chinchilla runs the 9 IsoFLOP budgets have 8 to 21 runs and every other group at most 6, so the
  // default holds out exactly those 9; lower it for designs with fewer model sizes per budget.
  int min_budget_runs = 7;

  bool Check(std::string* why) const;
};

// The statistics of `predict_loss` on `heldout` runs, for a law fitted on `train` runs (indices into table.runs).
// An empty `predict_loss` (a fit that was not usable) gives the counts and compute ranges only.
ExtrapolationStats ComputeExtrapolationStats(const RunsTable& table, const std::vector<size_t>& train,
                                             const std::vector<size_t>& heldout,
                                             const std::function<double(const TrainingRun&)>& predict_loss);

// Fits on the runs with C <= compute_threshold_flops and predicts those above. Throws InputError (naming the table's
// source) when no run lies above the threshold or fewer than fitter.min_runs lie at or below it.
ValidationFold HoldOutAbove(const RunsTable& table, double compute_threshold_flops, const LawFitter& fitter);

struct LeaveOneBudgetOutResult {
  std::vector<ValidationFold> folds;  // one per budget held out, in ascending compute
  // Every held-out prediction of the usable folds together: errors over all of them, the extreme compute range and
  // extrapolation factor of the folds; num_train and train_rmse_log are 0.
  ExtrapolationStats pooled;
  int num_groups = 0;                 // all compute groups, including those too small to hold out
  int num_runs_never_heldout = 0;     // runs in groups smaller than min_budget_runs
};

// Called with (folds done, folds total).
using FoldProgress = std::function<void(int, int)>;

// Holds out each budget with at least options.min_budget_runs runs in turn. Throws InputError when no budget is
// that large or a fold leaves fewer than fitter.min_runs training runs.
LeaveOneBudgetOutResult LeaveOneBudgetOut(const RunsTable& table, const LawFitter& fitter,
                                          const ValidationOptions& options = {},
                                          const FoldProgress& progress = nullptr);

// `validate --format json` (and the Python module's validate()): the law, the mode, the data (source, num_runs,
// hash, notes), then for a hold-out holdout_above_flops, for leave-one-budget-out budget_tolerance, min_budget_runs,
// num_groups and num_runs_never_heldout; the folds (label, budget_flops when a budget, usable, status and the
// statistics under ExtrapolationStats' names), and for leave-one-budget-out the pooled statistics.
nlohmann::ordered_json HoldOutToJson(const RunsTable& table, const std::string& law_name,
                                     double compute_threshold_flops, const ValidationFold& fold);
nlohmann::ordered_json LeaveOneBudgetOutToJson(const RunsTable& table, const std::string& law_name,
                                               const ValidationOptions& options, const LeaveOneBudgetOutResult& result);

// The JSON of a budget-by-budget validation (isoflop, hyperparams) starts alike: law, mode ("holdout" or
// "leave_one_budget_out"), holdout_above_flops (hold-out only), budget_tolerance and min_budget_runs.
nlohmann::ordered_json BudgetValidationJsonHead(const std::string& law, double holdout_above_flops,
                                                double budget_tolerance, int min_budget_runs);

// One held-out budget of a budget-by-budget validation (isoflop, hyperparams), by index into its budgets.
struct BudgetFold {
  size_t held_out = 0;
  std::vector<size_t> train;     // the budgets fitted on, in the budgets' order
  double train_max_flops = 0.0;  // the largest of their compute (0 with none)
};

// The folds of a budget-by-budget validation of budgets of compute `budget_flops`, held out in ascending compute:
// with holdout_above_flops > 0 each budget above it, fitted on the budgets at or below it; otherwise
// (leave-one-budget-out) each budget in turn, fitted on all the others.
std::vector<BudgetFold> BudgetFolds(const std::vector<double>& budget_flops, double holdout_above_flops);

// A held-out budget's keys common to those validations (Fold: IsoFlopValidationFold, HyperparamsValidationFold):
// budget_flops, num_runs, num_budgets_trained, extrapolation_factor, usable, status.
template <typename Fold>
nlohmann::ordered_json BudgetFoldJson(const Fold& fold) {
  return {{"budget_flops", fold.compute_flops},
          {"num_runs", fold.num_runs},
          {"num_budgets_trained", fold.num_budgets_trained},
          {"extrapolation_factor", fold.extrapolation_factor},
          {"usable", fold.usable},
          {"status", fold.status}};
}

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_VALIDATION_H_
