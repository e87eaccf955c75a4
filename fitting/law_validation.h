// `scaleplan validate --law LAW` for every law, as the command line and the Python module (scaleplan.validate) both
// run it: the validation of fitting/validation.h, fitting/isoflop_fit.h or fitting/hyperparams_fit.h with the checks
// the command makes around it, and the JSON `validate --format json` prints. The command prints its table from the
// same results, so the two front ends cannot drift apart.
//
//   law                          runs                                  validation
//   chinchilla, kaplan           the Chinchilla runs table             ValidateRuns (each held-out run's loss)
//   data-constrained, sparse,    the law's own reader (LoadLawRuns),   ValidateLawRuns (each held-out run's loss, over
//   moe, dictionary, routing     or its bundled runs                   the runs' view; fitting/law_table.h)
//   isoflop                      the Chinchilla runs table             ValidateIsoFlopBudgets (each budget's N_opt)
//   hyperparams                  LoadHyperparamsRunsCsv                ValidateHyperparamsSweep (each budget's optimum)
//   frantar2023-t5               the bundled T5 sparse runs            ValidateFrantarT5HeldOut (the held-out run)
#ifndef SCALEPLAN_FITTING_LAW_VALIDATION_H_
#define SCALEPLAN_FITTING_LAW_VALIDATION_H_

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/hyperparams_runs.h"
#include "core/runs_table.h"
#include "core/sparse_laws.h"
#include "fitting/hyperparams_fit.h"
#include "fitting/isoflop_fit.h"
#include "fitting/law_table.h"
#include "fitting/multistart.h"
#include "fitting/sparse_fit.h"
#include "fitting/validation.h"

namespace scaleplan {

// The laws `validate --law` takes: chinchilla, kaplan, isoflop, data-constrained, sparse, moe, dictionary, routing,
// hyperparams and frantar2023-t5.
const std::vector<std::string>& ValidationLawNames();

// One validation of a law that predicts each run's loss: its folds and the JSON `validate --format json` prints.
struct RunsValidation {
  std::vector<ValidationFold> folds;  // hold-out: one fold; leave-one-budget-out: budgets.folds
  LeaveOneBudgetOutResult budgets;    // leave-one-budget-out only
  nlohmann::ordered_json json;        // HoldOutToJson or LeaveOneBudgetOutToJson

  bool AllUsable() const;  // every fold's fit was usable (else validate exits 4)
};

// holdout_above_flops > 0: HoldOutAbove that threshold; 0: LeaveOneBudgetOut with `validation` (`progress` is
// called per fold). Throws InputError as those do.
RunsValidation ValidateRuns(const RunsTable& table, const LawFitter& fitter, double holdout_above_flops,
                            const ValidationOptions& validation, const FoldProgress& progress = nullptr);

// One group of `validate --group-by COL[,COL]`: the runs `--filter COL=VALUE` would pick, and its validation or the
// verdict why it has none.
struct RunsGroup {
  RunsTable runs;                                                   // the group's runs (SplitRunsByGroup)
  std::string label;                                                // GroupLabel: "source=a"
  nlohmann::ordered_json group = nlohmann::ordered_json::object();  // {column: value}
  std::string verdict;  // why the group could not be validated (an InputError's message); "" when it was
};

// `validate --group-by` of a law that predicts each run's loss: one ValidateRuns per group, exactly as `validate` of
// that group alone with the same fitter. A group that cannot be validated (no run above the threshold, too few below
// it, no budget large enough to hold out) carries its verdict and the others are still validated.
struct GroupValidation : RunsGroup {
  RunsValidation validation;  // when the verdict is ""
};

struct GroupedValidation {
  std::vector<GroupValidation> groups;
  // {"source", "group_by", "law", "mode", "groups": [{"group": {column: value}, "num_runs", ...the group's
  // validation JSON..., or "usable": false and "status": the verdict}]}: what `validate --group-by --format json`
  // prints.
  nlohmann::ordered_json json;

  bool AnyValidated() const;  // a group has a validation (else the command exits 3)
  bool AllUsable() const;     // every validated group's folds were usable (else the command exits 4)
};

// The progress of one group's leave-one-budget-out folds, given the group's label (called once per group, before its
// folds, only when leave-one-budget-out validates it).
using GroupFoldProgress = std::function<FoldProgress(const std::string& group_label)>;

// holdout_above_flops as ValidateRuns. `table` must have group columns (SplitRunsByGroup).
GroupedValidation ValidateRunsByGroup(const RunsTable& table, const LawFitter& fitter, double holdout_above_flops,
                                      const ValidationOptions& validation, const GroupFoldProgress& progress = nullptr);

// Validation holds a law's runs out by their training compute: throws InputError naming the file when a run of a law
// with a reader of its own has none (a dictionary's C needs a tokens and a width column, a routing run's a tokens
// column).
void CheckLawRunsHaveCompute(const TableLaw& law, const LawRuns& runs);

// A law of fitting/law_table.h (kaplan, data-constrained, sparse, moe, dictionary, routing) validated over its runs'
// view with TableLawFitter, after CheckLawRunsHaveCompute. For a law with a reader of its own, data.hash is the runs'
// hash over every column the law reads (the hash a golden of the same runs records).
RunsValidation ValidateLawRuns(const TableLaw& law, const LawRuns& runs, const TableLawOptions& options,
                               double holdout_above_flops, const ValidationOptions& validation,
                               const FoldProgress& progress = nullptr);

// `validate --law isoflop`: the budgets of `table` (GroupByBudget with validation.budget_tolerance, those with at least
// validation.min_budget_runs runs) validated by ValidateIsoFlop. Throws InputError naming the table's source when no
// budget can be held out.
IsoFlopValidation ValidateIsoFlopBudgets(const RunsTable& table, double holdout_above_flops,
                                         const ValidationOptions& validation, bool keep_extrapolated);

// Its JSON: law, mode, holdout_above_flops (a hold-out), budget_tolerance, min_budget_runs, keep_extrapolated_minima,
// data (source, num_runs, hash), folds (budget_flops, num_runs, num_budgets_trained, extrapolation_factor, usable,
// status and, when usable, the observed and predicted N_opt and minimum loss; null for a loss without a frontier)
// and pooled (num_usable, rmse_log_params, num_loss_predictions, rmse_loss_nats).
nlohmann::ordered_json IsoFlopValidationToJson(const RunsTable& table, double holdout_above_flops,
                                               const ValidationOptions& validation, bool keep_extrapolated,
                                               const IsoFlopValidation& result);

// `validate --law isoflop --group-by COL[,COL]`: each group's budgets validated by ValidateIsoFlopBudgets, as a file
// of the group's rows alone; a group with no budget to hold out carries that verdict.
struct IsoFlopGroupValidation : RunsGroup {
  IsoFlopValidation validation;  // when the verdict is ""
};

struct IsoFlopGroupedValidation {
  std::vector<IsoFlopGroupValidation> groups;
  // {"source", "group_by", "law": "isoflop", "mode", "groups": [{"group", "num_runs", ...IsoFlopValidationToJson of
  // the group..., or "usable": false and "status"}]}: what `validate --law isoflop --group-by --format json` prints.
  nlohmann::ordered_json json;

  bool AnyValidated() const;  // a group had a budget to hold out (else the command exits 3)
  bool AllPredicted() const;  // every validated group predicted a budget (else the command exits 4)
};

IsoFlopGroupedValidation ValidateIsoFlopBudgetsByGroup(const RunsTable& table, double holdout_above_flops,
                                                       const ValidationOptions& validation, bool keep_extrapolated);

// `validate --law hyperparams`: the sweep's budgets (HyperparamsBudgets), refused by CheckHyperparamsSweep when they
// cannot locate optima, validated by ValidateHyperparams. Throws InputError naming the file when no budget lies above
// holdout_above_flops. Its JSON is HyperparamsValidationToJson.
HyperparamsValidation ValidateHyperparamsSweep(const HyperparamsRuns& runs, const HyperparamsFitOptions& options,
                                               double holdout_above_flops);

// `validate --law frantar2023-t5`: the sparse law fitted to the bundled T5 runs and the notebook's published law, each
// predicting the notebook's held-out run (fitting/sparse_fit.h SparseHeldOutRun, D = steps x kT5TokensPerStep).
struct SparseHeldOutValidation {
  SparseRunsTable table;  // the bundled runs
  SparseFit fit;
  SparseLaw published;
  SparseHeldOutRun run;
  double num_tokens = 0.0;
  double fit_loss = 0.0;             // the fit's prediction (when fit.search.usable)
  double published_loss = 0.0;       // the published law's prediction
  double published_objective = 0.0;  // the published law's Huber objective on the runs
};

SparseHeldOutValidation ValidateFrantarT5HeldOut(const MultiStartOptions& options, const InitGrid& grid);

// Its JSON: law, mode, held_out (sparsity, num_nonzero_params, steps, num_tokens, measured), fit and published (each
// objective, predicted, log_residual), data (source, num_runs). A precondition: the fit is usable.
nlohmann::ordered_json SparseHeldOutToJson(const SparseHeldOutValidation& result);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_LAW_VALIDATION_H_
