#include "fitting/law_validation.h"

#include <cmath>
#include <string>
#include <utility>

#include "core/budgets.h"
#include "core/error.h"
#include "core/units.h"

namespace scaleplan {

const std::vector<std::string>& ValidationLawNames() {
  static const std::vector<std::string> names = {"chinchilla",  "kaplan",        "isoflop",    "data-constrained",
                                                 "sparse",      "moe",           "dictionary", "routing",
                                                 "hyperparams", "frantar2023-t5"};
  return names;
}

bool RunsValidation::AllUsable() const {
  for (const ValidationFold& fold : folds) {
    if (!fold.usable) return false;
  }
  return true;
}

RunsValidation ValidateRuns(const RunsTable& table, const LawFitter& fitter, double holdout_above_flops,
                            const ValidationOptions& validation, const FoldProgress& progress) {
  RunsValidation result;
  if (holdout_above_flops > 0) {
    result.folds.push_back(HoldOutAbove(table, holdout_above_flops, fitter));
    result.json = HoldOutToJson(table, fitter.name, holdout_above_flops, result.folds.front());
  } else {
    result.budgets = LeaveOneBudgetOut(table, fitter, validation, progress);
    result.folds = result.budgets.folds;
    result.json = LeaveOneBudgetOutToJson(table, fitter.name, validation, result.budgets);
  }
  return result;
}

namespace {

// The groups of `table` (its group columns), each with its label, {column: value} and runs.
template <typename Group>
std::vector<Group> SplitIntoGroups(const RunsTable& table) {
  SCALEPLAN_CHECK(!table.group_columns.empty(), "a grouped validation of runs without group columns");
  std::vector<Group> groups;
  for (RunsTable& part : SplitRunsByGroup(table)) {
    Group group;
    group.label = GroupLabel(part, 0);
    for (size_t k = 0; k < part.group_columns.size(); ++k) {
      group.group[part.group_columns[k]] = part.group_values.front()[k];
    }
    group.runs = std::move(part);
    groups.push_back(std::move(group));
  }
  return groups;
}

// The grouped JSON: the header, then each group's {"group", "num_runs"} followed by its own validation's keys, or by
// "usable": false and "status" (the verdict).
template <typename Group, typename ToJson>
nlohmann::ordered_json GroupsToJson(const RunsTable& table, const std::string& law, double holdout_above_flops,
                                    const std::vector<Group>& groups, const ToJson& to_json) {
  nlohmann::ordered_json all;
  all["source"] = table.source;
  all["group_by"] = table.group_columns;
  all["notes"] = table.notes;
  all["law"] = law;
  all["mode"] = holdout_above_flops > 0 ? "holdout" : "leave_one_budget_out";
  all["groups"] = nlohmann::ordered_json::array();
  for (const Group& group : groups) {
    nlohmann::ordered_json entry;
    entry["group"] = group.group;
    entry["num_runs"] = group.runs.runs.size();
    if (!group.verdict.empty()) {
      entry["usable"] = false;
      entry["status"] = group.verdict;
    } else {
      const nlohmann::ordered_json json = to_json(group);
      for (auto it = json.begin(); it != json.end(); ++it) entry[it.key()] = it.value();
    }
    all["groups"].push_back(entry);
  }
  return all;
}

}  // namespace

bool GroupedValidation::AnyValidated() const {
  for (const GroupValidation& group : groups) {
    if (group.verdict.empty()) return true;
  }
  return false;
}

bool GroupedValidation::AllUsable() const {
  for (const GroupValidation& group : groups) {
    if (group.verdict.empty() && !group.validation.AllUsable()) return false;
  }
  return true;
}

GroupedValidation ValidateRunsByGroup(const RunsTable& table, const LawFitter& fitter, double holdout_above_flops,
                                      const ValidationOptions& validation, const GroupFoldProgress& progress) {
  GroupedValidation result;
  result.groups = SplitIntoGroups<GroupValidation>(table);
  for (GroupValidation& group : result.groups) {
    try {
      const FoldProgress fold_progress = holdout_above_flops > 0 || !progress ? FoldProgress() : progress(group.label);
      group.validation = ValidateRuns(group.runs, fitter, holdout_above_flops, validation, fold_progress);
    } catch (const InputError& error) {
      group.verdict = error.what();
    }
  }
  result.json = GroupsToJson(table, fitter.name, holdout_above_flops, result.groups,
                             [](const GroupValidation& group) { return group.validation.json; });
  return result;
}

void CheckLawRunsHaveCompute(const TableLaw& law, const LawRuns& runs) {
  if (!law.own_reader) return;  // kaplan: the Chinchilla runs table always has C
  for (const TrainingRun& run : runs.view.runs) {
    if (!(run.compute_flops > 0)) {  // a dictionary's C needs its width and tokens, a routing run's its tokens
      throw InputError("--law " + law.name + " holds runs out by their training compute, which needs " +
                           (law.name == "routing" ? std::string("a tokens column (num_tokens; C = 6 N D)")
                                                  : std::string("a tokens and a width (d_model) column")) +
                           ": this file lacks one",
                       InputLocation{runs.source});
    }
  }
}

RunsValidation ValidateLawRuns(const TableLaw& law, const LawRuns& runs, const TableLawOptions& options,
                               double holdout_above_flops, const ValidationOptions& validation,
                               const FoldProgress& progress) {
  CheckLawRunsHaveCompute(law, runs);
  const LawFitter fitter = TableLawFitter(law, runs, options);
  RunsValidation result = ValidateRuns(runs.view, fitter, holdout_above_flops, validation, progress);
  // The hash a golden of the same runs records: over every column the law reads (U, S, G, k too).
  if (law.own_reader) result.json["data"]["hash"] = runs.hash;
  return result;
}

IsoFlopValidation ValidateIsoFlopBudgets(const RunsTable& table, double holdout_above_flops,
                                         const ValidationOptions& validation, bool keep_extrapolated) {
  const auto groups = BudgetsWithAtLeast(GroupByBudget(table, validation.budget_tolerance),
                                         static_cast<size_t>(validation.min_budget_runs));
  IsoFlopValidation result = ValidateIsoFlop(table, groups, holdout_above_flops, keep_extrapolated);
  if (result.folds.empty()) {
    throw InputError("no IsoFLOP budget of at least " + std::to_string(validation.min_budget_runs) + " runs" +
                         (holdout_above_flops > 0 ? " above --holdout-above" : std::string()) + " to hold out",
                     InputLocation{table.source});
  }
  return result;
}

nlohmann::ordered_json IsoFlopValidationToJson(const RunsTable& table, double holdout_above_flops,
                                               const ValidationOptions& validation, bool keep_extrapolated,
                                               const IsoFlopValidation& result) {
  const auto number_or_null = [](double value) {
    return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
  };
  nlohmann::ordered_json json =
      BudgetValidationJsonHead("isoflop", holdout_above_flops, validation.budget_tolerance, validation.min_budget_runs);
  json["keep_extrapolated_minima"] = keep_extrapolated;
  json["data"] = {{"source", table.source}, {"num_runs", table.runs.size()}, {"hash", FormatRunsHash(table)}};
  json["folds"] = nlohmann::ordered_json::array();
  for (const IsoFlopValidationFold& fold : result.folds) {
    nlohmann::ordered_json entry = BudgetFoldJson(fold);
    if (fold.usable) {
      entry["num_params_observed"] = fold.num_params_observed;
      entry["num_params_predicted"] = fold.num_params_predicted;
      entry["log_error_params"] = fold.log_error_params;
      entry["loss_observed"] = fold.loss_observed;
      entry["loss_predicted"] = number_or_null(fold.loss_predicted);
      entry["error_loss_nats"] = std::isfinite(fold.loss_predicted) ? nlohmann::ordered_json(fold.error_loss_nats)
                                                                    : nlohmann::ordered_json(nullptr);
    }
    json["folds"].push_back(entry);
  }
  json["pooled"] = {{"num_usable", result.num_usable},
                    {"rmse_log_params", result.rmse_log_params},
                    {"num_loss_predictions", result.num_loss_predictions},
                    {"rmse_loss_nats", result.rmse_loss_nats}};
  return json;
}

bool IsoFlopGroupedValidation::AnyValidated() const {
  for (const IsoFlopGroupValidation& group : groups) {
    if (group.verdict.empty()) return true;
  }
  return false;
}

bool IsoFlopGroupedValidation::AllPredicted() const {
  for (const IsoFlopGroupValidation& group : groups) {
    if (group.verdict.empty() && group.validation.num_usable == 0) return false;
  }
  return true;
}

IsoFlopGroupedValidation ValidateIsoFlopBudgetsByGroup(const RunsTable& table, double holdout_above_flops,
                                                       const ValidationOptions& validation, bool keep_extrapolated) {
  IsoFlopGroupedValidation result;
  result.groups = SplitIntoGroups<IsoFlopGroupValidation>(table);
  for (IsoFlopGroupValidation& group : result.groups) {
    try {
      group.validation = ValidateIsoFlopBudgets(group.runs, holdout_above_flops, validation, keep_extrapolated);
    } catch (const InputError& error) {
      group.verdict = error.what();
    }
  }
  result.json =
      GroupsToJson(table, "isoflop", holdout_above_flops, result.groups, [&](const IsoFlopGroupValidation& group) {
        return IsoFlopValidationToJson(group.runs, holdout_above_flops, validation, keep_extrapolated,
                                       group.validation);
      });
  return result;
}

HyperparamsValidation ValidateHyperparamsSweep(const HyperparamsRuns& runs, const HyperparamsFitOptions& options,
                                               double holdout_above_flops) {
  const auto budgets = HyperparamsBudgets(runs, options);
  CheckHyperparamsSweep(runs, budgets);  // a sweep that cannot locate optima: a verdict
  HyperparamsValidation result = ValidateHyperparams(runs, budgets, options, holdout_above_flops);
  if (result.folds.empty()) {
    throw InputError("no budget of at least " + std::to_string(options.min_budget_runs) +
                         " runs lies above --holdout-above " + FormatSignificant(holdout_above_flops, 4) +
                         " FLOPs to hold out",
                     InputLocation{runs.source});
  }
  return result;
}

SparseHeldOutValidation ValidateFrantarT5HeldOut(const MultiStartOptions& options, const InitGrid& grid) {
  SparseHeldOutValidation result;
  result.table = BundledFrantarT5Runs();
  result.fit = FitSparseLaw(result.table, options, grid);
  result.published = FrantarT5Law();
  const SparseHeldOutRun& run = result.run;
  result.num_tokens = run.steps * kT5TokensPerStep;
  if (result.fit.search.usable) {
    result.fit_loss = result.fit.law.Loss(run.sparsity, run.num_nonzero_params, result.num_tokens);
  }
  result.published_loss = result.published.Loss(run.sparsity, run.num_nonzero_params, result.num_tokens);
  result.published_objective = SparseObjective(result.published, result.table, options.huber_delta);
  return result;
}

nlohmann::ordered_json SparseHeldOutToJson(const SparseHeldOutValidation& result) {
  SCALEPLAN_CHECK(result.fit.search.usable, "the held-out prediction of an unusable sparse fit");
  const SparseHeldOutRun& run = result.run;
  nlohmann::ordered_json json;
  json["law"] = "frantar2023-t5";
  json["mode"] = "held_out_run";
  json["held_out"] = {{"sparsity", run.sparsity},
                      {"num_nonzero_params", run.num_nonzero_params},
                      {"steps", run.steps},
                      {"num_tokens", result.num_tokens},
                      {"measured", run.loss_nats}};
  json["fit"] = {{"objective", result.fit.search.objective},
                 {"predicted", result.fit_loss},
                 {"log_residual", std::log(result.fit_loss) - std::log(run.loss_nats)}};
  json["published"] = {{"objective", result.published_objective},
                       {"predicted", result.published_loss},
                       {"log_residual", std::log(result.published_loss) - std::log(run.loss_nats)}};
  json["data"] = {{"source", result.table.source}, {"num_runs", result.table.runs.size()}};
  return json;
}

}  // namespace scaleplan
