// Batch-size and learning-rate laws fitted to the user's sweeps, as DeepSeek LLM fitted theirs (Bi et al. 2024, arXiv
// 2401.02954, section 3.1): B_opt = batch_coefficient C^batch_exponent (tokens) and
// eta_opt = lr_coefficient C^lr_exponent.
//
// 1. The runs are grouped into compute budgets exactly as IsoFLOP groups them (core/budgets.h, GroupByBudget with
//    the same tolerance); budgets with fewer than min_budget_runs runs are left out.
// 2. Per budget, the near-optimal region is every run whose loss is within near_optimal_tolerance (DeepSeek's 0.25%)
//    of the budget's best loss; the budget's optimum is the geometric mean of the region's batches and learning
//    rates (the centre of the region in log batch and log learning rate). Why this and not a quadratic fit of loss in
//    (log B, log eta): the README argues it ("Hyper-parameter sweeps"). In short, it is the published method, it
//    assumes no shape of the surface (real learning-rate curves are steep on the high side, where runs diverge), and
//    it works on any grid; a quadratic needs six well-placed runs per budget and is pulled off the minimum by that
//    asymmetry.
// 3. log B_opt and log eta_opt are fitted against log C across the budgets by least squares.
//
// A budget identifies an optimum only if its sweep varies the batch at a fixed model size and the learning rate at a
// fixed batch and model size. Runs that set them by a rule (one batch per model size, a learning rate computed from
// batch and width, as Marin's IsoFLOP runs do) cannot: CheckHyperparamsSweep refuses them with a verdict.
//
// Bootstrap intervals resample the runs within each budget (so every budget keeps its size) and redo steps 2 and 3.
// They carry the loss noise, not the grid's resolution: with a coarse grid the region's centre can sit a fraction of a
// grid step from the true optimum whatever the noise.
#ifndef SCALEPLAN_FITTING_HYPERPARAMS_FIT_H_
#define SCALEPLAN_FITTING_HYPERPARAMS_FIT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/budgets.h"
#include "core/hyperparams.h"
#include "core/hyperparams_runs.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"  // Interval

namespace scaleplan {

struct HyperparamsFitOptions {
  double budget_tolerance = kDefaultBudgetTolerance;  // as IsoFLOP: runs within 3.5% compute form one budget
  int min_budget_runs = 4;               // budgets with fewer runs are left out (2 batches x 2 learning rates)
  double near_optimal_tolerance = 0.0025;  // DeepSeek LLM's 0.25% of the best loss

  bool Check(std::string* why) const;
};

struct HyperparamsBudget {
  double compute_flops = 0.0;     // geometric mean of the budget's compute
  int num_runs = 0;
  int num_near_optimal = 0;       // runs in the near-optimal region ("runs used")
  int num_batches = 0;            // distinct batches swept
  int num_learning_rates = 0;     // distinct learning rates swept
  double best_loss = 0.0;
  double batch_tokens_opt = 0.0;  // geometric mean over the region
  double learning_rate_opt = 0.0;
  bool optimum_on_edge = false;   // the region touches the smallest or largest batch or learning rate swept
  bool usable = false;
  std::string note;
};

struct HyperparamsFit {
  std::vector<HyperparamsBudget> budgets;
  double batch_exponent = 0.0, batch_coefficient = 0.0;
  double lr_exponent = 0.0, lr_coefficient = 0.0;
  int num_budgets_used = 0;
  double min_compute_flops = 0.0, max_compute_flops = 0.0;  // of the budgets used
  std::vector<std::string> warnings;
  bool usable = false;
  std::string status;
};

// The budgets of `runs` as the fit groups them: GroupByBudget, then those with at least min_budget_runs runs.
std::vector<std::vector<size_t>> HyperparamsBudgets(const HyperparamsRuns& runs, const HyperparamsFitOptions& options);

// Throws InputError naming the file when the sweep cannot identify the laws: all runs in fewer than 2 budgets, one
// batch per budget, or batch or learning rate not varied independently of model size in any budget, e.g.
//   "runs.csv: learning rate is a function of batch and model size in every budget: it was set by a rule, not swept
//    (no two runs of one budget share a batch and a model size but differ in learning rate) ..."
void CheckHyperparamsSweep(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets);

// Fits the laws over `budgets`. `counts` (optional, one per run): bootstrap multiplicities. Needs 2 usable budgets.
HyperparamsFit FitHyperparams(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets,
                              const HyperparamsFitOptions& options, const std::vector<int>* counts = nullptr);

struct HyperparamsBootstrap {
  BootstrapOptions options;
  int num_failed = 0;
  Interval batch_exponent, batch_coefficient, lr_exponent, lr_coefficient;
};

// Resamples the runs within each budget; the same seed gives the same intervals for any thread count.
HyperparamsBootstrap BootstrapHyperparams(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets,
                                          const HyperparamsFitOptions& options, const BootstrapOptions& bootstrap);

// `validate --law hyperparams`: each held-out budget's optimum (the centre of its own near-optimal region, as
// FitHyperparams finds it) against the laws fitted on the other budgets (holdout_above_flops = 0: leave one budget
// out) or on the budgets at or below holdout_above_flops, evaluated at the held-out budget's compute. Residuals are
// log(predicted / observed), of the batch and of the learning rate.
struct HyperparamsValidationFold {
  double compute_flops = 0.0;  // the held-out budget (geometric mean of its runs' compute)
  int num_runs = 0;
  int num_budgets_trained = 0;        // budgets with an optimum in the predicting fit
  double extrapolation_factor = 0.0;  // compute_flops / the largest budget trained on
  bool usable = false;                // both the held-out optimum and the predicting fit exist
  std::string status;                 // why not usable; "predicted" (and the held-out budget's note, if any)
  double batch_tokens_observed = 0.0, batch_tokens_predicted = 0.0, log_error_batch = 0.0;
  double learning_rate_observed = 0.0, learning_rate_predicted = 0.0, log_error_lr = 0.0;
};

struct HyperparamsValidation {
  std::vector<HyperparamsValidationFold> folds;  // in ascending compute
  int num_usable = 0;
  // Over the usable folds: RMSE and mean (bias; > 0: the law predicts too large a value) of the log residuals.
  double rmse_log_batch = 0.0, bias_log_batch = 0.0;
  double rmse_log_lr = 0.0, bias_log_lr = 0.0;
};

// `budgets` as for FitHyperparams. No fold when no budget lies above holdout_above_flops.
HyperparamsValidation ValidateHyperparams(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets,
                                          const HyperparamsFitOptions& options, double holdout_above_flops);

// `validate --law hyperparams --format json`: law, mode, holdout_above_flops (a hold-out), the options, data (source,
// num_runs), folds (budget_flops, num_runs, num_budgets_trained, extrapolation_factor, usable, status and, when
// usable, batch_tokens_observed, batch_tokens_predicted, log_error_batch, learning_rate_observed,
// learning_rate_predicted, log_error_lr) and pooled (num_usable, rmse_log_batch, bias_log_batch, rmse_log_lr,
// bias_log_lr).
nlohmann::ordered_json HyperparamsValidationToJson(const HyperparamsRuns& runs, const HyperparamsFitOptions& options,
                                                   double holdout_above_flops, const HyperparamsValidation& result);

// The JSON of `fit` (law "hyperparams"; batch_exponent, batch_coefficient, lr_exponent, lr_coefficient, budgets,
// intervals, compute range, warnings), which `plan --hyperparams FIT.json` reads back with HyperparamsLawFromJson.
nlohmann::ordered_json HyperparamsFitToJson(const HyperparamsFit& fit, const HyperparamsBootstrap* bootstrap,
                                            const HyperparamsFitOptions& options, const std::string& source);

// A fitted law from that JSON. Throws InputError naming `source` and the key for a missing or non-positive value.
HyperparamsLaw HyperparamsLawFromJson(const nlohmann::json& json, const std::string& source);

// The law `plan --hyperparams` names: "deepseek" (DeepSeek LLM 2024), "steplaw" (Step Law, Li et al. 2025) or the
// path of a fit's JSON ('fit --law hyperparams --out FIT.json'). Throws UsageError for an empty name, InputError for a
// file that cannot be read or is not a usable hyper-parameter fit.
HyperparamsLaw ResolveHyperparamsLaw(const std::string& choice);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_HYPERPARAMS_FIT_H_
