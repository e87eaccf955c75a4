#include "fitting/hyperparams_fit.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "core/error.h"
#include "core/file.h"
#include "core/json_input.h"
#include "core/parallel.h"
#include "core/statistics.h"
#include "core/units.h"
#include "fitting/fit_json.h"
#include "fitting/validation.h"

namespace scaleplan {
namespace {

// Values equal to 1e-6 relative share a key: learning rates computed by a rule differ in the last bits.
long long LogKey(double value) { return std::llround(std::log(value) * 1e6); }

// Least squares of log y = log k + e log C; returns (e, k).
std::pair<double, double> PowerLawFit(const std::vector<double>& compute, const std::vector<double>& values) {
  const size_t n = compute.size();
  double mean_x = 0, mean_y = 0;
  for (size_t i = 0; i < n; ++i) {
    mean_x += std::log(compute[i]) / static_cast<double>(n);
    mean_y += std::log(values[i]) / static_cast<double>(n);
  }
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = std::log(compute[i]) - mean_x;
    sxx += dx * dx;
    sxy += dx * (std::log(values[i]) - mean_y);
  }
  const double exponent = sxy / sxx;
  return {exponent, std::exp(mean_y - exponent * mean_x)};
}

HyperparamsBudget FitBudget(const HyperparamsRuns& runs, const std::vector<size_t>& group,
                            const HyperparamsFitOptions& options, const std::vector<int>* counts) {
  HyperparamsBudget budget;
  std::vector<size_t> members;
  for (size_t i : group) {
    if (counts == nullptr || (*counts)[i] > 0) members.push_back(i);
  }
  const auto weight = [&](size_t i) { return counts == nullptr ? 1.0 : static_cast<double>((*counts)[i]); };
  std::set<long long> batches, rates;
  double log_c = 0, total = 0;
  budget.best_loss = std::numeric_limits<double>::infinity();
  for (size_t i : members) {
    const HyperparamsRun& run = runs.runs[i];
    batches.insert(LogKey(run.batch_tokens));
    rates.insert(LogKey(run.learning_rate));
    log_c += weight(i) * std::log(run.compute_flops);
    total += weight(i);
    budget.best_loss = std::min(budget.best_loss, run.loss_nats);
  }
  budget.num_runs = static_cast<int>(members.size());
  budget.num_batches = static_cast<int>(batches.size());
  budget.num_learning_rates = static_cast<int>(rates.size());
  if (total > 0) budget.compute_flops = std::exp(log_c / total);
  if (batches.size() < 2 || rates.size() < 2) {
    budget.note =
        batches.size() < 2 ? "one batch size: no batch optimum" : "one learning rate: no learning-rate optimum";
    return budget;
  }
  // The near-optimal region and its centre in log batch and log learning rate.
  const double threshold = budget.best_loss * (1.0 + options.near_optimal_tolerance);
  double log_b = 0, log_lr = 0, region_weight = 0;
  bool on_edge = false;
  for (size_t i : members) {
    const HyperparamsRun& run = runs.runs[i];
    if (run.loss_nats > threshold) continue;
    budget.num_near_optimal += 1;
    log_b += weight(i) * std::log(run.batch_tokens);
    log_lr += weight(i) * std::log(run.learning_rate);
    region_weight += weight(i);
    const long long b = LogKey(run.batch_tokens), r = LogKey(run.learning_rate);
    on_edge = on_edge || b == *batches.begin() || b == *batches.rbegin() || r == *rates.begin() || r == *rates.rbegin();
  }
  budget.batch_tokens_opt = std::exp(log_b / region_weight);
  budget.learning_rate_opt = std::exp(log_lr / region_weight);
  budget.optimum_on_edge = on_edge;
  budget.usable = true;
  if (on_edge) budget.note = "the near-optimal region reaches the edge of the sweep: the optimum may lie beyond it";
  return budget;
}

std::string BudgetLabel(double compute_flops) { return "budget " + FormatScientific(compute_flops) + " FLOPs"; }

}  // namespace

bool HyperparamsFitOptions::Check(std::string* why) const {
  const auto fail = [&](const std::string& text) {
    if (why != nullptr) *why = text;
    return false;
  };
  if (!(budget_tolerance > 0 && budget_tolerance < 1)) return fail("the budget tolerance must lie in (0, 1)");
  if (min_budget_runs < 4) return fail("a budget needs at least 4 runs (2 batches x 2 learning rates)");
  if (!(near_optimal_tolerance > 0 && near_optimal_tolerance < 1)) {
    return fail("the near-optimal tolerance must lie in (0, 1)");
  }
  return true;
}

std::vector<std::vector<size_t>> HyperparamsBudgets(const HyperparamsRuns& runs, const HyperparamsFitOptions& options) {
  return BudgetsWithAtLeast(GroupByBudget(runs.AsRunsTable(), options.budget_tolerance),
                            static_cast<size_t>(options.min_budget_runs));
}

void CheckHyperparamsSweep(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets) {
  const InputLocation where{runs.source};
  const RunsTable table = runs.AsRunsTable();
  if (budgets.size() < 2) {
    std::string found = budgets.empty() ? "no budget has enough runs"
                                        : "all of them lie in one budget, " +
                                              FormatScientific(BudgetComputeFlops(table, budgets.front())) + " FLOPs";
    throw InputError("a law of batch and learning rate in compute needs sweeps at 2 or more compute budgets; " +
                         found,
                     where);
  }
  const bool know_size = !runs.params_column.empty();
  bool some_batch_varies = false, batch_varies_at_size = false, lr_varies_at_batch_and_size = false;
  for (const std::vector<size_t>& group : budgets) {
    std::set<long long> batches;
    std::map<long long, std::set<long long>> batches_by_size;
    std::map<std::pair<long long, long long>, std::set<long long>> rates_by_batch_and_size;
    for (size_t i : group) {
      const HyperparamsRun& run = runs.runs[i];
      const long long size = know_size ? LogKey(run.num_params) : 0;
      batches.insert(LogKey(run.batch_tokens));
      batches_by_size[size].insert(LogKey(run.batch_tokens));
      rates_by_batch_and_size[{size, LogKey(run.batch_tokens)}].insert(LogKey(run.learning_rate));
    }
    some_batch_varies = some_batch_varies || batches.size() > 1;
    for (const auto& [size, set] : batches_by_size) batch_varies_at_size = batch_varies_at_size || set.size() > 1;
    for (const auto& [key, set] : rates_by_batch_and_size) {
      lr_varies_at_batch_and_size = lr_varies_at_batch_and_size || set.size() > 1;
    }
  }
  const std::string count = std::to_string(budgets.size()) + " budgets";
  if (!some_batch_varies) {
    throw InputError("one batch size per budget in all " + count +
                         ": the optimal batch cannot be located; sweep 2 or more (better 3 or more) batches at each "
                         "budget",
                     where);
  }
  const std::string by = know_size ? "batch and model size" : "batch";
  std::string verdict;
  if (!lr_varies_at_batch_and_size) {
    verdict = "learning rate is a function of " + by +
              " in every budget: it was set by a rule, not swept (no two runs of one budget share a " +
              (know_size ? "batch and a model size" : "batch") + " but differ in learning rate)";
  }
  if (know_size && !batch_varies_at_size) {
    verdict += std::string(verdict.empty() ? "" : "; and ") +
               "batch is a function of model size in every budget: one batch per model size, not swept";
  }
  if (!verdict.empty()) {
    throw InputError(verdict + "; the optima of batch and learning rate cannot be identified from these " + count +
                         " (" + std::to_string(runs.runs.size()) + " runs)",
                     where);
  }
}

HyperparamsFit FitHyperparams(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets,
                              const HyperparamsFitOptions& options, const std::vector<int>* counts) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  SCALEPLAN_CHECK(counts == nullptr || counts->size() == runs.runs.size(), "one count per run");
  HyperparamsFit fit;
  std::vector<double> compute, batch, rate;
  for (const std::vector<size_t>& group : budgets) {
    fit.budgets.push_back(FitBudget(runs, group, options, counts));
    const HyperparamsBudget& b = fit.budgets.back();
    if (!b.note.empty()) fit.warnings.push_back(BudgetLabel(b.compute_flops) + ": " + b.note);
    if (!b.usable) continue;
    compute.push_back(b.compute_flops);
    batch.push_back(b.batch_tokens_opt);
    rate.push_back(b.learning_rate_opt);
  }
  fit.num_budgets_used = static_cast<int>(compute.size());
  if (fit.num_budgets_used < 2) {
    fit.status = "needs at least 2 budgets that sweep both batch and learning rate; found " +
                 std::to_string(fit.num_budgets_used);
    return fit;
  }
  fit.min_compute_flops = *std::min_element(compute.begin(), compute.end());
  fit.max_compute_flops = *std::max_element(compute.begin(), compute.end());
  if (!(fit.max_compute_flops > fit.min_compute_flops * (1 + options.budget_tolerance))) {
    fit.status = "the usable budgets do not span a range of compute";
    return fit;
  }
  if (fit.num_budgets_used == 2) fit.warnings.push_back("only 2 budgets: each law passes through both exactly");
  std::tie(fit.batch_exponent, fit.batch_coefficient) = PowerLawFit(compute, batch);
  std::tie(fit.lr_exponent, fit.lr_coefficient) = PowerLawFit(compute, rate);
  fit.usable = std::isfinite(fit.batch_exponent) && std::isfinite(fit.lr_exponent) &&
               std::isfinite(fit.batch_coefficient) && std::isfinite(fit.lr_coefficient);
  fit.status = fit.usable ? "fitted" : "the power laws across budgets are not finite";
  return fit;
}

HyperparamsValidation ValidateHyperparams(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets,
                                          const HyperparamsFitOptions& options, double holdout_above_flops) {
  HyperparamsValidation out;
  // Each budget's own optimum, as the fit of every budget finds it (one entry per group, in the groups' order).
  const HyperparamsFit own = FitHyperparams(runs, budgets, options);
  std::vector<double> budget_flops;
  for (const HyperparamsBudget& budget : own.budgets) budget_flops.push_back(budget.compute_flops);
  double sum_batch = 0.0, sum_sq_batch = 0.0, sum_lr = 0.0, sum_sq_lr = 0.0;
  for (const BudgetFold& split : BudgetFolds(budget_flops, holdout_above_flops)) {
    const HyperparamsBudget& held = own.budgets[split.held_out];
    HyperparamsValidationFold fold;
    fold.compute_flops = held.compute_flops;
    fold.num_runs = held.num_runs;
    std::vector<std::vector<size_t>> train;
    for (const size_t j : split.train) train.push_back(budgets[j]);
    const HyperparamsFit fit = FitHyperparams(runs, train, options);
    fold.num_budgets_trained = fit.num_budgets_used;
    fold.extrapolation_factor = split.train_max_flops > 0 ? held.compute_flops / split.train_max_flops : 0.0;
    if (!held.usable) {
      fold.status = "the held-out budget locates no optimum of its own (" + held.note + ")";
    } else if (!fit.usable) {
      fold.status = "the other budgets give no fit: " + fit.status;
    } else {
      fold.usable = true;
      fold.status = held.note.empty() ? "predicted" : "predicted; " + held.note;
      fold.batch_tokens_observed = held.batch_tokens_opt;
      fold.learning_rate_observed = held.learning_rate_opt;
      fold.batch_tokens_predicted = fit.batch_coefficient * std::pow(held.compute_flops, fit.batch_exponent);
      fold.learning_rate_predicted = fit.lr_coefficient * std::pow(held.compute_flops, fit.lr_exponent);
      fold.log_error_batch = std::log(fold.batch_tokens_predicted / fold.batch_tokens_observed);
      fold.log_error_lr = std::log(fold.learning_rate_predicted / fold.learning_rate_observed);
      sum_batch += fold.log_error_batch;
      sum_sq_batch += fold.log_error_batch * fold.log_error_batch;
      sum_lr += fold.log_error_lr;
      sum_sq_lr += fold.log_error_lr * fold.log_error_lr;
      ++out.num_usable;
    }
    out.folds.push_back(fold);
  }
  if (out.num_usable > 0) {
    const double n = out.num_usable;
    out.rmse_log_batch = std::sqrt(sum_sq_batch / n);
    out.bias_log_batch = sum_batch / n;
    out.rmse_log_lr = std::sqrt(sum_sq_lr / n);
    out.bias_log_lr = sum_lr / n;
  }
  return out;
}

nlohmann::ordered_json HyperparamsValidationToJson(const HyperparamsRuns& runs, const HyperparamsFitOptions& options,
                                                   double holdout_above_flops, const HyperparamsValidation& result) {
  nlohmann::ordered_json json =
      BudgetValidationJsonHead("hyperparams", holdout_above_flops, options.budget_tolerance, options.min_budget_runs);
  json["near_optimal_tolerance"] = options.near_optimal_tolerance;
  json["data"] = {{"source", runs.source}, {"num_runs", runs.runs.size()}};
  json["folds"] = nlohmann::ordered_json::array();
  for (const HyperparamsValidationFold& fold : result.folds) {
    nlohmann::ordered_json entry = BudgetFoldJson(fold);
    if (fold.usable) {
      entry["batch_tokens_observed"] = fold.batch_tokens_observed;
      entry["batch_tokens_predicted"] = fold.batch_tokens_predicted;
      entry["log_error_batch"] = fold.log_error_batch;
      entry["learning_rate_observed"] = fold.learning_rate_observed;
      entry["learning_rate_predicted"] = fold.learning_rate_predicted;
      entry["log_error_lr"] = fold.log_error_lr;
    }
    json["folds"].push_back(entry);
  }
  json["pooled"] = {{"num_usable", result.num_usable},
                    {"rmse_log_batch", result.rmse_log_batch},
                    {"bias_log_batch", result.bias_log_batch},
                    {"rmse_log_lr", result.rmse_log_lr},
                    {"bias_log_lr", result.bias_log_lr}};
  return json;
}

HyperparamsBootstrap BootstrapHyperparams(const HyperparamsRuns& runs, const std::vector<std::vector<size_t>>& budgets,
                                          const HyperparamsFitOptions& options, const BootstrapOptions& bootstrap) {
  std::string why;
  SCALEPLAN_CHECK(bootstrap.Check(&why), why);
  HyperparamsBootstrap out;
  out.options = bootstrap;
  const int total = bootstrap.num_resamples;
  std::vector<HyperparamsFit> fits(static_cast<size_t>(total));
  ParallelFor(total, bootstrap.num_threads, [&](int i) {
    // Each budget keeps its size: its runs are drawn with replacement from among its own.
    const std::vector<int> counts = StratifiedResampleCounts(runs.runs.size(), budgets, bootstrap.seed, i);
    fits[static_cast<size_t>(i)] = FitHyperparams(runs, budgets, options, &counts);
  });
  std::vector<double> batch_exponent, batch_coefficient, lr_exponent, lr_coefficient;
  for (const HyperparamsFit& fit : fits) {
    if (!fit.usable) {
      ++out.num_failed;
      continue;
    }
    batch_exponent.push_back(fit.batch_exponent);
    batch_coefficient.push_back(fit.batch_coefficient);
    lr_exponent.push_back(fit.lr_exponent);
    lr_coefficient.push_back(fit.lr_coefficient);
  }
  if (batch_exponent.empty()) return out;
  const auto interval = [&](const std::vector<double>& values) {
    const auto [lower, upper] = PercentileInterval(values, bootstrap.confidence);
    return Interval{lower, upper};
  };
  out.batch_exponent = interval(batch_exponent);
  out.batch_coefficient = interval(batch_coefficient);
  out.lr_exponent = interval(lr_exponent);
  out.lr_coefficient = interval(lr_coefficient);
  return out;
}

nlohmann::ordered_json HyperparamsFitToJson(const HyperparamsFit& fit, const HyperparamsBootstrap* bootstrap,
                                            const HyperparamsFitOptions& options, const std::string& source) {
  nlohmann::ordered_json out;
  out["schema_version"] = kFitSchemaVersion;
  out["law"] = "hyperparams";
  out["data"] = {{"source", source}, {"compute_min", fit.min_compute_flops}, {"compute_max", fit.max_compute_flops}};
  out["batch_exponent"] = fit.batch_exponent;
  out["batch_coefficient"] = fit.batch_coefficient;
  out["lr_exponent"] = fit.lr_exponent;
  out["lr_coefficient"] = fit.lr_coefficient;
  out["min_compute_flops"] = fit.min_compute_flops;
  out["max_compute_flops"] = fit.max_compute_flops;
  out["near_optimal_tolerance"] = options.near_optimal_tolerance;
  out["budget_tolerance"] = options.budget_tolerance;
  out["usable"] = fit.usable;
  out["status"] = fit.status;
  nlohmann::ordered_json budgets = nlohmann::ordered_json::array();
  for (const HyperparamsBudget& b : fit.budgets) {
    budgets.push_back({{"compute_flops", b.compute_flops},
                       {"num_runs", b.num_runs},
                       {"runs_used", b.num_near_optimal},
                       {"num_batches", b.num_batches},
                       {"num_learning_rates", b.num_learning_rates},
                       {"best_loss", b.best_loss},
                       {"batch_tokens", b.batch_tokens_opt},
                       {"learning_rate", b.learning_rate_opt},
                       {"optimum_on_edge", b.optimum_on_edge},
                       {"usable", b.usable},
                       {"note", b.note}});
  }
  out["budgets"] = budgets;
  out["warnings"] = fit.warnings;
  if (bootstrap != nullptr && bootstrap->num_failed < bootstrap->options.num_resamples) {
    out["intervals"] = IntervalsToJson({{"batch_exponent", bootstrap->batch_exponent},
                                        {"batch_coefficient", bootstrap->batch_coefficient},
                                        {"lr_exponent", bootstrap->lr_exponent},
                                        {"lr_coefficient", bootstrap->lr_coefficient}});
    out["bootstrap"] = {{"resamples", bootstrap->options.num_resamples},
                        {"failed", bootstrap->num_failed},
                        {"seed", bootstrap->options.seed},
                        {"confidence", bootstrap->options.confidence}};
  }
  return out;
}

HyperparamsLaw HyperparamsLawFromJson(const nlohmann::json& json, const std::string& source) {
  CheckSchemaVersion(json, source);  // first: a newer file may have moved the other keys
  if (!json.is_object() || !json.contains("law") || json["law"] != "hyperparams") {
    throw InputError("not a hyper-parameter fit (expected \"law\": \"hyperparams\", as 'scaleplan fit --law "
                     "hyperparams --out' writes)",
                     InputLocation{source});
  }
  const auto number = [&](const char* key, bool positive) {
    if (!json.contains(key) || !json[key].is_number()) {
      throw InputError(std::string("missing or non-numeric \"") + key + "\"", InputLocation{source});
    }
    const double value = json[key].get<double>();
    if (!std::isfinite(value) || (positive && !(value > 0))) {
      throw InputError(std::string("\"") + key + "\" must be " + (positive ? "positive" : "finite") + ": " +
                           json[key].dump(),
                       InputLocation{source});
    }
    return value;
  };
  if (json.contains("usable") && json["usable"] == false) {
    throw InputError("the fit is not usable (\"usable\": false)", InputLocation{source});
  }
  HyperparamsLaw law;
  law.name = "fit";
  law.source = "fitted sweep (" + source + ")";
  law.batch_coefficient = number("batch_coefficient", true);
  law.batch_compute_exponent = number("batch_exponent", false);
  law.lr_coefficient = number("lr_coefficient", true);
  law.lr_compute_exponent = number("lr_exponent", false);
  law.min_compute_flops = number("min_compute_flops", true);
  law.max_compute_flops = number("max_compute_flops", true);
  if (law.max_compute_flops < law.min_compute_flops) {
    throw InputError("\"max_compute_flops\" is below \"min_compute_flops\"", InputLocation{source});
  }
  return law;
}

HyperparamsLaw ResolveHyperparamsLaw(const std::string& choice) {
  if (choice == "deepseek") return DeepSeekHyperparamsLaw();
  if (choice == "steplaw") return StepLawHyperparamsLaw();
  if (choice.empty()) throw UsageError("--hyperparams must be deepseek, steplaw or a fit's JSON file");
  return HyperparamsLawFromJson(ParseJsonInput(ReadWholeFile(choice), choice), choice);
}

}  // namespace scaleplan
