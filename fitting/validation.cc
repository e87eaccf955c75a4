#include "fitting/validation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan {
namespace {

// The runs at `indices`, under the table's source name (for the fit's messages).
RunsTable Subset(const RunsTable& table, const std::vector<size_t>& indices) {
  RunsTable subset;
  subset.source = table.source;
  subset.runs.reserve(indices.size());
  for (const size_t index : indices) subset.runs.push_back(table.runs[index]);
  return subset;
}

// Sums for RMSE, mean and max of one kind of error.
struct ErrorSums {
  double sum = 0.0;
  double sum_sq = 0.0;
  double max_abs = 0.0;
  void Add(double error) {
    sum += error;
    sum_sq += error * error;
    max_abs = std::max(max_abs, std::fabs(error));
  }
};

void RequireTrainingRuns(const RunsTable& table, size_t num_train, const LawFitter& fitter, const std::string& what) {
  if (fitter.require_fittable) fitter.require_fittable(table);
  if (num_train < static_cast<size_t>(fitter.min_runs)) {
    throw InputError(what + " leaves " + std::to_string(num_train) + " runs to fit on, but the " + fitter.name +
                         " law needs at least " + std::to_string(fitter.min_runs),
                     InputLocation{table.source});
  }
}

// Why the fitted law gives no usable prediction for a run at `indices` (a loss that is not a positive finite
// number: the fit overflows or underflows there, or, the law's own message, an InputError it throws for a run it
// cannot predict), or "" when it predicts every one.
std::string PredictionProblem(const RunsTable& table, const std::vector<size_t>& indices, const char* which,
                              const std::function<double(const TrainingRun&)>& predict_loss) {
  for (const size_t index : indices) {
    const TrainingRun& run = table.runs.at(index);
    double predicted = 0.0;
    try {
      predicted = predict_loss(run);
    } catch (const InputError& error) {
      return error.message();
    }
    if (!(predicted > 0) || !std::isfinite(predicted)) {
      return "the fitted law's loss for the " + std::string(which) + " run with N " +
             FormatSignificant(run.num_params, 4) + ", C " + FormatSignificant(run.compute_flops, 4) + " FLOPs is " +
             FormatSignificant(predicted, 4) + ", not a finite positive number (the fit overflows there)";
    }
  }
  return "";
}

ValidationFold RunFold(const RunsTable& table, std::vector<size_t> train, std::vector<size_t> heldout,
                       const LawFitter& fitter) {
  ValidationFold fold;
  FittedLaw law = fitter.fit(Subset(table, train));
  if (law.usable) {
    // A fold whose law cannot predict every run it is judged on is unusable, with the reason, as an unfitted one.
    std::string problem = PredictionProblem(table, heldout, "held-out", law.predict_loss);
    if (problem.empty()) problem = PredictionProblem(table, train, "fitted", law.predict_loss);
    if (!problem.empty()) {
      law.usable = false;
      law.status = problem;
    }
  }
  fold.usable = law.usable;
  fold.status = law.status;
  fold.stats = ComputeExtrapolationStats(table, train, heldout,
                                         law.usable ? law.predict_loss : std::function<double(const TrainingRun&)>());
  fold.heldout_runs = std::move(heldout);
  return fold;
}

}  // namespace

LawFitter ChinchillaFitter(const MultiStartOptions& options, const InitGrid& grid) {
  LawFitter fitter;
  fitter.name = "chinchilla";
  fitter.min_runs = ChinchillaModel::kNumParams + 1;
  fitter.fit = [options, grid](const RunsTable& train) {
    const ChinchillaFit fit = FitChinchilla(train, options, grid);
    FittedLaw law;
    law.usable = fit.search.usable;
    law.status = fit.search.status;
    if (law.usable) {
      law.predict_loss = [chinchilla = fit.law](const TrainingRun& run) {
        return chinchilla.Loss(run.num_params, run.num_tokens);
      };
    }
    return law;
  };
  return fitter;
}

bool ValidationOptions::Check(std::string* why) const {
  if (!(budget_tolerance > 0) || !std::isfinite(budget_tolerance)) {
    if (why) *why = "the budget tolerance must be a positive number";
    return false;
  }
  if (min_budget_runs < 1) {
    if (why) *why = "the minimum number of runs per budget must be at least 1";
    return false;
  }
  return true;
}

ExtrapolationStats ComputeExtrapolationStats(const RunsTable& table, const std::vector<size_t>& train,
                                             const std::vector<size_t>& heldout,
                                             const std::function<double(const TrainingRun&)>& predict_loss) {
  ExtrapolationStats stats;
  stats.num_train = static_cast<int>(train.size());
  stats.num_heldout = static_cast<int>(heldout.size());
  ErrorSums train_log;
  for (const size_t index : train) {
    const TrainingRun& run = table.runs.at(index);
    stats.train_compute_max_flops = std::max(stats.train_compute_max_flops, run.compute_flops);
    if (predict_loss) train_log.Add(std::log(predict_loss(run)) - std::log(run.loss_nats));
  }
  ErrorSums log_errors;
  ErrorSums nats_errors;
  stats.heldout_compute_min_flops = heldout.empty() ? 0.0 : table.runs.at(heldout.front()).compute_flops;
  for (const size_t index : heldout) {
    const TrainingRun& run = table.runs.at(index);
    stats.heldout_compute_min_flops = std::min(stats.heldout_compute_min_flops, run.compute_flops);
    stats.heldout_compute_max_flops = std::max(stats.heldout_compute_max_flops, run.compute_flops);
    if (!predict_loss) continue;
    const double predicted = predict_loss(run);
    log_errors.Add(std::log(predicted) - std::log(run.loss_nats));
    nats_errors.Add(predicted - run.loss_nats);
  }
  if (stats.train_compute_max_flops > 0) {
    stats.extrapolation_factor = stats.heldout_compute_max_flops / stats.train_compute_max_flops;
  }
  if (!predict_loss) return stats;
  if (!train.empty()) stats.train_rmse_log = std::sqrt(train_log.sum_sq / static_cast<double>(train.size()));
  if (!heldout.empty()) {
    const double n = static_cast<double>(heldout.size());
    stats.rmse_log = std::sqrt(log_errors.sum_sq / n);
    stats.bias_log = log_errors.sum / n;
    stats.max_abs_log = log_errors.max_abs;
    stats.rmse_nats = std::sqrt(nats_errors.sum_sq / n);
    stats.bias_nats = nats_errors.sum / n;
    stats.max_abs_nats = nats_errors.max_abs;
  }
  return stats;
}

ValidationFold HoldOutAbove(const RunsTable& table, double compute_threshold_flops, const LawFitter& fitter) {
  SCALEPLAN_CHECK(compute_threshold_flops > 0 && std::isfinite(compute_threshold_flops),
                  "the hold-out threshold must be positive and finite");
  std::vector<size_t> train;
  std::vector<size_t> heldout;
  double largest_flops = 0.0;
  for (size_t i = 0; i < table.runs.size(); ++i) {
    (table.runs[i].compute_flops <= compute_threshold_flops ? train : heldout).push_back(i);
    largest_flops = std::max(largest_flops, table.runs[i].compute_flops);
  }
  const std::string threshold = FormatSignificant(compute_threshold_flops, 4);
  if (heldout.empty()) {
    throw InputError("no run lies above the hold-out threshold " + threshold + " FLOPs (the largest has " +
                         FormatSignificant(largest_flops, 4) + "), so there is nothing to predict",
                     InputLocation{table.source});
  }
  RequireTrainingRuns(table, train.size(), fitter, "holding out the runs above " + threshold + " FLOPs");
  ValidationFold fold = RunFold(table, std::move(train), std::move(heldout), fitter);
  fold.label = "C > " + threshold;
  return fold;
}

LeaveOneBudgetOutResult LeaveOneBudgetOut(const RunsTable& table, const LawFitter& fitter,
                                          const ValidationOptions& options, const FoldProgress& progress) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  const std::vector<std::vector<size_t>> groups = GroupByBudget(table, options.budget_tolerance);
  const std::vector<std::vector<size_t>> budgets =
      BudgetsWithAtLeast(groups, static_cast<size_t>(options.min_budget_runs));
  LeaveOneBudgetOutResult result;
  result.num_groups = static_cast<int>(groups.size());
  if (budgets.empty()) {
    size_t largest = 0;
    for (const auto& group : groups) largest = std::max(largest, group.size());
    throw InputError("no compute budget has at least " + std::to_string(options.min_budget_runs) +
                         " runs (the runs form " + std::to_string(groups.size()) + " groups at a " +
                         FormatQuantity(100 * options.budget_tolerance) + "% tolerance; the largest has " +
                         std::to_string(largest) + "): lower the minimum or raise the tolerance",
                     InputLocation{table.source});
  }
  size_t heldout_total = 0;
  for (const auto& budget : budgets) {
    heldout_total += budget.size();
    const double flops = BudgetComputeFlops(table, budget);
    RequireTrainingRuns(table, table.runs.size() - budget.size(), fitter,
                        "holding out the budget " + FormatSignificant(flops, 4) + " FLOPs");
  }
  result.num_runs_never_heldout = static_cast<int>(table.runs.size() - heldout_total);

  std::vector<char> is_heldout(table.runs.size());
  ErrorSums pooled_log;
  ErrorSums pooled_nats;
  ExtrapolationStats& pooled = result.pooled;
  const int total = static_cast<int>(budgets.size());
  for (const auto& budget : budgets) {
    std::fill(is_heldout.begin(), is_heldout.end(), 0);
    for (const size_t index : budget) is_heldout[index] = 1;
    std::vector<size_t> train;
    for (size_t i = 0; i < table.runs.size(); ++i) {
      if (!is_heldout[i]) train.push_back(i);
    }
    std::vector<size_t> heldout = budget;
    std::sort(heldout.begin(), heldout.end());
    ValidationFold fold = RunFold(table, std::move(train), std::move(heldout), fitter);
    fold.budget_flops = BudgetComputeFlops(table, budget);
    fold.label = "budget " + FormatSignificant(fold.budget_flops, 4);
    if (fold.usable) {
      // Pool the fold's predictions: its sums are recovered from its means (n * mean, n * rmse^2).
      const double n = fold.stats.num_heldout;
      pooled_log.sum += n * fold.stats.bias_log;
      pooled_log.sum_sq += n * fold.stats.rmse_log * fold.stats.rmse_log;
      pooled_log.max_abs = std::max(pooled_log.max_abs, fold.stats.max_abs_log);
      pooled_nats.sum += n * fold.stats.bias_nats;
      pooled_nats.sum_sq += n * fold.stats.rmse_nats * fold.stats.rmse_nats;
      pooled_nats.max_abs = std::max(pooled_nats.max_abs, fold.stats.max_abs_nats);
      pooled.num_heldout += fold.stats.num_heldout;
      pooled.heldout_compute_min_flops =
          pooled.heldout_compute_min_flops == 0.0
              ? fold.stats.heldout_compute_min_flops
              : std::min(pooled.heldout_compute_min_flops, fold.stats.heldout_compute_min_flops);
      pooled.heldout_compute_max_flops = std::max(pooled.heldout_compute_max_flops, fold.stats.heldout_compute_max_flops);
      pooled.extrapolation_factor = std::max(pooled.extrapolation_factor, fold.stats.extrapolation_factor);
    }
    result.folds.push_back(std::move(fold));
    if (progress) progress(static_cast<int>(result.folds.size()), total);
  }
  if (pooled.num_heldout > 0) {
    const double n = pooled.num_heldout;
    pooled.rmse_log = std::sqrt(pooled_log.sum_sq / n);
    pooled.bias_log = pooled_log.sum / n;
    pooled.max_abs_log = pooled_log.max_abs;
    pooled.rmse_nats = std::sqrt(pooled_nats.sum_sq / n);
    pooled.bias_nats = pooled_nats.sum / n;
    pooled.max_abs_nats = pooled_nats.max_abs;
  }
  return result;
}

namespace {

nlohmann::ordered_json StatsToJson(const ExtrapolationStats& stats) {
  return {{"num_train", stats.num_train},
          {"num_heldout", stats.num_heldout},
          {"train_compute_max_flops", stats.train_compute_max_flops},
          {"heldout_compute_min_flops", stats.heldout_compute_min_flops},
          {"heldout_compute_max_flops", stats.heldout_compute_max_flops},
          {"extrapolation_factor", stats.extrapolation_factor},
          {"rmse_log", stats.rmse_log},
          {"bias_log", stats.bias_log},
          {"max_abs_log", stats.max_abs_log},
          {"rmse_nats", stats.rmse_nats},
          {"bias_nats", stats.bias_nats},
          {"max_abs_nats", stats.max_abs_nats},
          {"train_rmse_log", stats.train_rmse_log}};
}

nlohmann::ordered_json FoldToJson(const ValidationFold& fold) {
  nlohmann::ordered_json out;
  out["label"] = fold.label;
  if (fold.budget_flops > 0) out["budget_flops"] = fold.budget_flops;
  out["usable"] = fold.usable;
  out["status"] = fold.status;
  out.update(StatsToJson(fold.stats));
  return out;
}

nlohmann::ordered_json ValidationHead(const RunsTable& table, const std::string& law_name, const char* mode) {
  nlohmann::ordered_json json;
  json["law"] = law_name;
  json["mode"] = mode;
  json["data"] = {{"source", table.source},
                  {"num_runs", table.runs.size()},
                  {"hash", FormatRunsHash(table)},
                  {"notes", table.notes}};
  return json;
}

}  // namespace

nlohmann::ordered_json HoldOutToJson(const RunsTable& table, const std::string& law_name,
                                     double compute_threshold_flops, const ValidationFold& fold) {
  nlohmann::ordered_json json = ValidationHead(table, law_name, "holdout");
  json["holdout_above_flops"] = compute_threshold_flops;
  json["folds"] = nlohmann::ordered_json::array({FoldToJson(fold)});
  return json;
}

nlohmann::ordered_json LeaveOneBudgetOutToJson(const RunsTable& table, const std::string& law_name,
                                               const ValidationOptions& options,
                                               const LeaveOneBudgetOutResult& result) {
  nlohmann::ordered_json json = ValidationHead(table, law_name, "leave_one_budget_out");
  json["budget_tolerance"] = options.budget_tolerance;
  json["min_budget_runs"] = options.min_budget_runs;
  json["num_groups"] = result.num_groups;
  json["num_runs_never_heldout"] = result.num_runs_never_heldout;
  nlohmann::ordered_json folds = nlohmann::ordered_json::array();
  for (const ValidationFold& fold : result.folds) folds.push_back(FoldToJson(fold));
  json["folds"] = folds;
  json["pooled"] = StatsToJson(result.pooled);
  return json;
}

std::vector<BudgetFold> BudgetFolds(const std::vector<double>& budget_flops, double holdout_above_flops) {
  std::vector<size_t> order(budget_flops.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return budget_flops[x] < budget_flops[y]; });
  std::vector<BudgetFold> folds;
  for (const size_t k : order) {
    if (holdout_above_flops > 0 && !(budget_flops[k] > holdout_above_flops)) continue;
    BudgetFold fold;
    fold.held_out = k;
    for (size_t j = 0; j < budget_flops.size(); ++j) {
      const bool trains = holdout_above_flops > 0 ? budget_flops[j] <= holdout_above_flops : j != k;
      if (!trains) continue;
      fold.train.push_back(j);
      fold.train_max_flops = std::max(fold.train_max_flops, budget_flops[j]);
    }
    folds.push_back(fold);
  }
  return folds;
}

nlohmann::ordered_json BudgetValidationJsonHead(const std::string& law, double holdout_above_flops,
                                                double budget_tolerance, int min_budget_runs) {
  nlohmann::ordered_json json;
  json["law"] = law;
  json["mode"] = holdout_above_flops > 0 ? "holdout" : "leave_one_budget_out";
  if (holdout_above_flops > 0) json["holdout_above_flops"] = holdout_above_flops;
  json["budget_tolerance"] = budget_tolerance;
  json["min_budget_runs"] = min_budget_runs;
  return json;
}

}  // namespace scaleplan
