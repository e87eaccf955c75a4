// scaleplan validate [RUNS.csv]: how well a law fitted on some runs predicts the runs it did not see, either above a
// compute threshold (--holdout-above) or one compute budget at a time (--leave-one-budget-out).
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/expression_command.h"
#include "cli/hyperparams_command.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "cli/validate_groups.h"
#include "core/budgets.h"
#include "core/error.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/golden.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_table.h"
#include "fitting/law_validation.h"
#include "fitting/sparse_fit.h"
#include "fitting/validation.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

void PrintHeader(std::ostream& out) {
  out << "  held out            runs  fitted  held-out C            extrap.  RMSE     bias      max|r|   max|err|  "
         "fit RMSE\n"
         "                                                                 (log)    (log)     (log)    (nats)    "
         "(log)\n";
}

// One fold's row; the pooled row (num_train 0) leaves the fitted count and the in-sample RMSE blank.
void PrintRow(const std::string& label, const ExtrapolationStats& stats, bool usable, const std::string& status,
              std::ostream& out) {
  char line[256];
  const bool pooled = stats.num_train == 0;
  const std::string range = FormatSignificant(stats.heldout_compute_min_flops, 3) + ".." +
                            FormatSignificant(stats.heldout_compute_max_flops, 3);
  const std::string fitted = pooled ? "" : std::to_string(stats.num_train);
  char factor[32];
  std::snprintf(factor, sizeof factor, stats.extrapolation_factor >= 1 ? "%.1fx" : "%.2gx", stats.extrapolation_factor);
  std::snprintf(line, sizeof line, "  %-18s %5d  %6s  %-19s %9s", label.c_str(), stats.num_heldout, fitted.c_str(),
                range.c_str(), factor);
  out << line;
  if (!usable) {
    out << "  the fit is not usable: " << status << '\n';
    return;
  }
  std::snprintf(line, sizeof line, "  %-7.4f  %+-8.5f  %-7.4f  %.4f", stats.rmse_log, stats.bias_log,
                stats.max_abs_log, stats.max_abs_nats);
  out << line;
  if (!pooled) {
    std::snprintf(line, sizeof line, "    %.4f", stats.train_rmse_log);
    out << line;
  }
  out << '\n';
}

void PrintLegend(std::ostream& out) {
  out << "\n  r = log L_predicted - log L_observed; bias > 0: the law over-predicts the held-out losses (pessimistic),\n"
         "  < 0: under-predicts them (optimistic). extrap. = largest held-out C / largest fitted C (above 1: beyond\n"
         "  every fitted run). fit RMSE: the in-sample log RMSE on the fitted runs, the noise level to compare with.\n";
}

// `validate --law frantar2023-t5`: the fit to the bundled T5 runs and the notebook's published law, each predicting
// the notebook's held-out run (fitting/sparse_fit.h). A lower objective is not automatically a better extrapolation.
int ValidateSparseHeldOut(const FitFlags& flags, OutputFormat output) {
  const SparseHeldOutValidation result =
      ValidateFrantarT5HeldOut(flags.options, ResolveGrid(flags, SparseModel::DefaultGrid()));
  if (!result.fit.search.usable) {
    std::cerr << "scaleplan validate: error: the sparse fit is not usable: " << result.fit.search.status << '\n';
    return kExitFitFailed;
  }
  const SparseHeldOutRun& run = result.run;
  const double fit_loss = result.fit_loss;
  const double published_loss = result.published_loss;
  const double published_objective = result.published_objective;
  const SparseFit& fit = result.fit;
  if (output == OutputFormat::JSON) {
    std::cout << SparseHeldOutToJson(result).dump(2) << '\n';
  } else {
    char line[256];
    std::cout << "Held-out validation of the sparse law (Frantar et al. 2023) on the notebook's held-out T5 run\n";
    std::snprintf(line, sizeof line, "  run: S %.3g, %s non-zero parameters, %.3g steps; measured loss %.4f\n\n",
                  run.sparsity, FormatQuantity(run.num_nonzero_params).c_str(), run.steps, run.loss_nats);
    std::cout << line;
    std::snprintf(line, sizeof line, "  %-34s %12s %10s %10s\n", "law", "objective", "predicted", "log resid");
    std::cout << line;
    std::snprintf(line, sizeof line, "  %-34s %12.4e %10.4f %+10.4f\n", "fit to the 48 runs (this objective)",
                  fit.search.objective, fit_loss, std::log(fit_loss) - std::log(run.loss_nats));
    std::cout << line;
    std::snprintf(line, sizeof line, "  %-34s %12.4e %10.4f %+10.4f\n", "published (the notebook)", published_objective,
                  published_loss, std::log(published_loss) - std::log(run.loss_nats));
    std::cout << line;
    std::cout << "\n  a lower objective on the runs fitted is not automatically a better extrapolation\n";
  }
  return kExitOk;
}

// The IsoFLOP validation of `table` as the table prints it.
void PrintIsoFlopValidation(const RunsTable& table, double threshold_flops, const IsoFlopValidation& result,
                            std::ostream& out) {
  char line[256];
  out << "Extrapolation validation of IsoFLOP profiles (Approach 2) on " << table.runs.size() << " runs from "
      << table.source << "\n  each held-out budget's own parabola minimum against the N_opt = k_N C^a and "
      << "loss frontier E + K C^-gamma\n  of the "
      << (threshold_flops > 0 ? "budgets at or below " + FormatScientific(threshold_flops) + " FLOPs"
                              : std::string("other budgets"))
      << "\n\n";
  std::snprintf(line, sizeof line, "  %10s %5s %7s %8s %10s %10s %9s %8s %8s %9s\n", "budget", "runs", "fitted",
                "extrap.", "N_opt", "predicted", "log err", "loss", "pred.", "err");
  out << line;
  for (const IsoFlopValidationFold& fold : result.folds) {
    if (!fold.usable) {
      std::snprintf(line, sizeof line, "  %10s %5d %7d %8.3g  -  %s\n", FormatScientific(fold.compute_flops).c_str(),
                    fold.num_runs, fold.num_budgets_trained, fold.extrapolation_factor, fold.status.c_str());
    } else {
      std::snprintf(line, sizeof line, "  %10s %5d %7d %8.3g %10s %10s %+9.4f %8.4f %8s %9s\n",
                    FormatScientific(fold.compute_flops).c_str(), fold.num_runs, fold.num_budgets_trained,
                    fold.extrapolation_factor, FormatQuantity(fold.num_params_observed).c_str(),
                    FormatQuantity(fold.num_params_predicted).c_str(), fold.log_error_params, fold.loss_observed,
                    std::isfinite(fold.loss_predicted) ? FormatSignificant(fold.loss_predicted, 5).c_str() : "-",
                    std::isfinite(fold.loss_predicted) ? FormatSignificant(fold.error_loss_nats, 3).c_str() : "-");
    }
    out << line;
  }
  std::snprintf(line, sizeof line,
                "\n  %d of %zu budgets predicted: RMSE of log N_opt %.4f; RMSE of the minimum loss %.4f nats (%d "
                "with a loss frontier)\n",
                result.num_usable, result.folds.size(), result.rmse_log_params, result.rmse_loss_nats,
                result.num_loss_predictions);
  out << line;
  out << "  log err = log(predicted / observed N_opt); err = predicted - observed minimum loss; extrap. = the "
         "budget's C / the largest fitted budget's\n";
}

// `validate --law isoflop --group-by COL[,COL]`: as ValidateGroups below, for IsoFLOP profiles, each group's budgets validated
// as `validate --law isoflop` validates a file of its rows; the side-by-side lines give each group's budgets
// predicted and its RMSE of log N_opt and of the minimum loss. Exit 3 only when no group had a budget to hold out;
// 4 when a group's budgets were all unpredictable.
int ValidateIsoFlopGroups(const RunsTable& table, double threshold_flops, const ValidationOptions& validation,
                          bool keep_extrapolated, OutputFormat output) {
  // The same grouped validation and JSON as the Python module's validate(group_by=...) (fitting/law_validation.h).
  const IsoFlopGroupedValidation result =
      ValidateIsoFlopBudgetsByGroup(table, threshold_flops, validation, keep_extrapolated);
  const std::vector<IsoFlopGroupValidation>& groups = result.groups;
  if (output == OutputFormat::JSON) {
    std::cout << result.json.dump(2) << '\n';
  } else {
    for (size_t g = 0; g < groups.size(); ++g) {
      const IsoFlopGroupValidation& group = groups[g];
      std::cout << (g == 0 ? "" : "\n") << "=== [" << g + 1 << "] " << group.label << " (" << group.runs.runs.size()
                << " runs)\n";
      if (!group.verdict.empty()) {
        std::cout << "  not validated: " << group.verdict << '\n';
      } else {
        PrintIsoFlopValidation(group.runs, threshold_flops, group.validation, std::cout);
      }
    }
    char line[256];
    std::cout << "\nGroups side by side (each held-out budget's N_opt and minimum loss)\n";
    std::snprintf(line, sizeof line, "  %-28s %9s %14s %18s\n", "group", "predicted", "RMSE log N_opt",
                  "RMSE loss (nats)");
    std::cout << line;
    for (size_t g = 0; g < groups.size(); ++g) {
      std::string label = "[";  // appended: GCC 12 warns falsely on "[" + string
      label += std::to_string(g + 1) + "] " + groups[g].label;
      const IsoFlopValidation& validated = groups[g].validation;
      if (!groups[g].verdict.empty()) {
        std::snprintf(line, sizeof line, "  %-28s  not validated\n", label.c_str());
      } else {
        const std::string predicted =
            std::to_string(validated.num_usable) + "/" + std::to_string(validated.folds.size());
        const std::string loss =  // "-" without a loss frontier to predict from
            validated.num_loss_predictions > 0 ? FormatSignificant(validated.rmse_loss_nats, 4) : std::string("-");
        std::snprintf(line, sizeof line, "  %-28s %9s %14.4f %18s\n", label.c_str(), predicted.c_str(),
                      validated.rmse_log_params, loss.c_str());
      }
      std::cout << line;
    }
  }
  bool any_validated = false;
  bool any_unusable = false;
  for (const IsoFlopGroupValidation& group : groups) {
    if (!group.verdict.empty()) {
      std::cerr << "scaleplan validate: warning: group " << group.label << ": not validated: " << group.verdict << '\n';
      continue;
    }
    any_validated = true;
    if (group.validation.num_usable == 0) {
      any_unusable = true;
      std::cerr << "scaleplan validate: warning: group " << group.label << ": no budget could be predicted\n";
    }
  }
  if (!any_validated) {
    std::cerr << "scaleplan validate: error: no group could be validated\n";
    return kExitInputError;
  }
  return any_unusable ? kExitFitFailed : kExitOk;
}

// `validate --law isoflop`: each held-out budget's N_opt and minimum loss predicted by the IsoFLOP fit of the other
// budgets (or of the budgets at or below --holdout-above), against that budget's own parabola minimum.
int ValidateIsoFlopLaw(const RunsTable& table, double threshold_flops, const ValidationOptions& validation,
                       bool keep_extrapolated, OutputFormat output) {
  if (!table.group_columns.empty()) {  // --group-by
    return ValidateIsoFlopGroups(table, threshold_flops, validation, keep_extrapolated, output);
  }
  const IsoFlopValidation result = ValidateIsoFlopBudgets(table, threshold_flops, validation, keep_extrapolated);
  if (output == OutputFormat::JSON) {
    std::cout << IsoFlopValidationToJson(table, threshold_flops, validation, keep_extrapolated, result).dump(2) << '\n';
  } else {
    PrintIsoFlopValidation(table, threshold_flops, result, std::cout);
  }
  return result.num_usable > 0 ? kExitOk : kExitFitFailed;
}

}  // namespace

// cli/validate_groups.h (also called by cli/expression_command.cc for expression laws).
int ValidateGroups(const RunsTable& table, const LawFitter& fitter, double threshold_flops,
                   const ValidationOptions& validation, OutputFormat output) {
  const bool holdout = threshold_flops > 0;
  // The same grouped validation and JSON as the Python module's validate(group_by=...) (fitting/law_validation.h).
  const GroupedValidation result =
      ValidateRunsByGroup(table, fitter, threshold_flops, validation, [](const std::string& label) {
        auto bar = std::make_shared<ProgressBar>("validating " + label);
        return FoldProgress([bar](int done, int total) { bar->Update(done, total); });
      });
  const std::vector<GroupValidation>& groups = result.groups;
  if (output == OutputFormat::JSON) {
    std::cout << result.json.dump(2) << '\n';
  } else {
    std::ostream& out = std::cout;
    out << "Extrapolation validation of the " << fitter.name << " law per group of " << table.runs.size()
        << " runs from " << table.source << " (--group-by";
    for (const std::string& column : table.group_columns) out << ' ' << column;
    out << ")\n";
    for (const std::string& note : table.notes) out << "  note: " << note << '\n';
    for (size_t g = 0; g < groups.size(); ++g) {
      const GroupValidation& group = groups[g];
      out << "\n=== [" << g + 1 << "] " << group.label << " (" << group.runs.runs.size() << " runs)\n";
      if (!group.verdict.empty()) {
        out << "  not validated: " << group.verdict << '\n';
        continue;
      }
      PrintHeader(out);
      for (const ValidationFold& fold : group.validation.folds)
        PrintRow(fold.label, fold.stats, fold.usable, fold.status, out);
      if (!holdout) {
        const ExtrapolationStats& pooled = group.validation.budgets.pooled;
        PrintRow("all budgets", pooled, pooled.num_heldout > 0, "no fold was usable", out);
      }
    }
    // Side by side: each group's held-out errors (hold-out: its fold; leave-one-budget-out: all its folds pooled).
    char line[256];
    out << "\nGroups side by side ("
        << (holdout ? "runs above " + FormatSignificant(threshold_flops, 3) + " FLOPs"
                    : std::string("every budget held out in turn, pooled"))
        << ")\n";
    std::snprintf(line, sizeof line, "  %-28s %5s %9s  %-7s  %-8s  %s\n", "group", "held", "extrap.", "RMSE", "bias",
                  "max|r| (log)");
    out << line;
    for (size_t g = 0; g < groups.size(); ++g) {
      const GroupValidation& group = groups[g];
      std::string label = "[";  // appended: GCC 12 warns falsely on "[" + string
      label += std::to_string(g + 1) + "] " + group.label;
      if (!group.verdict.empty()) {
        std::snprintf(line, sizeof line, "  %-28s  not validated\n", label.c_str());
      } else {
        const ExtrapolationStats& stats =
            holdout ? group.validation.folds.front().stats : group.validation.budgets.pooled;
        const bool usable =
            holdout ? group.validation.folds.front().usable : group.validation.budgets.pooled.num_heldout > 0;
        char factor[32];
        std::snprintf(factor, sizeof factor, stats.extrapolation_factor >= 1 ? "%.1fx" : "%.2gx",
                      stats.extrapolation_factor);
        if (usable) {
          std::snprintf(line, sizeof line, "  %-28s %5d %9s  %-7.4f  %+-8.5f  %.4f\n", label.c_str(), stats.num_heldout,
                        factor, stats.rmse_log, stats.bias_log, stats.max_abs_log);
        } else {
          std::snprintf(line, sizeof line, "  %-28s %5d  the fit is not usable\n", label.c_str(), stats.num_heldout);
        }
      }
      out << line;
    }
    PrintLegend(out);
  }
  bool any_validated = false;
  bool any_unusable = false;
  for (const GroupValidation& group : groups) {
    if (!group.verdict.empty()) {
      std::cerr << "scaleplan validate: warning: group " << group.label << ": not validated: " << group.verdict << '\n';
      continue;
    }
    any_validated = true;
    if (!group.validation.AllUsable()) {
      any_unusable = true;
      std::cerr << "scaleplan validate: warning: group " << group.label << ": a fit was not usable\n";
    }
  }
  if (!any_validated) {
    std::cerr << "scaleplan validate: error: no group could be validated\n";
    return kExitInputError;
  }
  if (any_unusable) {
    std::cerr << "scaleplan validate: error: a fit was not usable (see the table)\n";
    return kExitFitFailed;
  }
  return kExitOk;
}

namespace {

int Validate(const std::vector<std::string>& args) {
  if (AsksForExpressionValidation(args)) return ValidateExpressionLaw(args);  // cli/expression_command.cc
  if (AsksForHyperparamsLaw(args)) return ValidateHyperparamsLaw(args);       // cli/hyperparams_command.cc
  std::string runs_path;
  std::string format;
  std::string holdout_text;
  bool leave_one_budget_out = false;
  RunsColumns columns;
  FitFlags flags;
  ValidationOptions validation;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs");
  AddRunValidationOptions(&options, &holdout_text, &leave_one_budget_out, &validation);
  options.add_options()
      ("min-budget-runs", CountValue(&validation.min_budget_runs),
       "hold out only budgets with at least this many runs (smaller groups are always fitted on; fit's option "
       "of the same name chooses the IsoFLOP parabolas, hence its own default)");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, true);  // --group-by: one validation per group (ValidateGroups)
  AddFitOptions(&options, &flags);
  std::string law_name = "chinchilla";
  bool keep_extrapolated = false;
  LawRunsOptions runs_options;
  options.add_options()
      ("law", po::value(&law_name)->default_value(law_name),
       "chinchilla, kaplan, data-constrained (default runs: Muennighoff et al.'s), sparse (default runs: Frantar "
       "et al.'s T5 runs), moe (each held-out run's loss; C = 6 N D), routing (default runs: Clark et al.'s; "
       "C = 6 N D, N dense parameters, D the num_tokens column; each run by its router's law) or dictionary "
       "(C = T x the training FLOPs per token; runs with tokens and d_model columns), hyperparams (each held-out "
       "budget's optimal batch and learning rate; its own options: --law hyperparams --help), isoflop (each held-out "
       "IsoFLOP budget's N_opt and minimum loss; --min-budget-runs defaults to fit's 5), or frantar2023-t5: the "
       "sparse law fitted to the bundled T5 runs and the published one, each predicting the notebook's held-out "
       "run (no mode needed)")
      ("u-col", po::value(&runs_options.unique_tokens_column),
       "data-constrained: the column holding U, the unique tokens")
      ("sparsity-col", po::value(&runs_options.sparse.sparsity_column), "sparse: the column holding S")
      ("n-is-dense", po::bool_switch(&runs_options.sparse.params_are_dense),
       "sparse: the N column counts all weights, zeros included")
      ("tokens-per-step", po::value(&runs_options.sparse.tokens_per_step),
       "sparse: read D from a steps column times this many tokens")
      ("keep-extrapolated-minima", po::bool_switch(&keep_extrapolated),
       "isoflop: also fit and hold out budgets whose parabola minimum lies outside their sampled model sizes");
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan validate [RUNS.csv] (--holdout-above C | --leave-one-budget-out) [options]", options,
              {"scaleplan validate --holdout-above 1e21          # bundled runs: fit C <= 1e21, predict the rest",
               "scaleplan validate runs.csv --holdout-above 3e20 --format json",
               "scaleplan validate --leave-one-budget-out       # each of the 9 IsoFLOP budgets in turn",
               "scaleplan validate runs.csv --leave-one-budget-out --budget-tolerance 0.1 --min-budget-runs 4"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (law_name == "frantar2023-t5") {
    const RunSelection& selection = columns.selection;
    if (!runs_path.empty() || vm.count("holdout-above") || leave_one_budget_out || selection.Selects() ||
        selection.skip_bad_rows || selection.delimiter != 0 || !selection.group_by.empty()) {
      throw UsageError(
          "--law frantar2023-t5 validates on the bundled T5 runs' held-out run; it takes no runs file, "
          "no --holdout-above or --leave-one-budget-out and no run selection (--filter, "
          "--exclude-lines, --skip-bad-rows, --delimiter, --group-by: validate --law sparse takes them)");
    }
    return ValidateSparseHeldOut(flags, output);
  }
  // The laws of fitting/law_table.h that predict each run's loss from runs with N and D.
  const bool table_law = law_name == "data-constrained" || law_name == "sparse" || law_name == "moe" ||
                         law_name == "dictionary" || law_name == "routing";
  if (law_name != "chinchilla" && law_name != "kaplan" && law_name != "isoflop" && !table_law) {
    throw UsageError("--law must be chinchilla, kaplan, isoflop, data-constrained, sparse, moe, dictionary, routing, "
                     "hyperparams or frantar2023-t5, not '" + law_name + "'");
  }
  if (!table_law && (!runs_options.unique_tokens_column.empty() || !runs_options.sparse.sparsity_column.empty() ||
                     runs_options.sparse.params_are_dense || vm.count("tokens-per-step"))) {
    throw UsageError("--u-col, --sparsity-col, --n-is-dense and --tokens-per-step go with --law data-constrained or "
                     "sparse");
  }
  if (!(runs_options.sparse.tokens_per_step >= 0) || !std::isfinite(runs_options.sparse.tokens_per_step)) {
    throw UsageError("--tokens-per-step must be positive");
  }
  if (keep_extrapolated && law_name != "isoflop")
    throw UsageError("--keep-extrapolated-minima goes with --law isoflop");
  if (law_name == "isoflop" && vm["min-budget-runs"].defaulted())
    validation.min_budget_runs = kDefaultIsoFlopMinBudgetRuns;
  const bool holdout = ChooseHoldOut(vm, leave_one_budget_out);
  if (holdout && law_name != "isoflop" && (!vm["budget-tolerance"].defaulted() || !vm["min-budget-runs"].defaulted())) {
    throw UsageError("--budget-tolerance and --min-budget-runs go with --leave-one-budget-out (or --law isoflop)");
  }
  std::string why;
  if (!validation.Check(&why)) throw UsageError(why);
  const double threshold_flops = HoldOutAboveFlops(vm, holdout_text);
  // A law of fitting/law_table.h reads its runs with its own reader and is validated on their N, D, C and loss.
  std::optional<LawRuns> law_runs;
  TableLawOptions table_options;
  if (table_law) {
    if (runs_path.empty() && !FindTableLaw(law_name)->bundled_runs) {
      throw UsageError("--law " + law_name + " needs a runs file (no " + law_name + " runs are bundled)");
    }
    ResolveGrid(flags, FindTableLaw(law_name)->default_grid);  // validates the fit options
    runs_options.columns = columns;
    law_runs = LoadLawRuns(law_name, runs_path.empty() ? runs_path : InputPath(runs_path), runs_options);
    table_options.search = flags.options;
    table_options.grid_spec = flags.grid_spec;
    CheckLawRunsHaveCompute(*FindTableLaw(law_name), *law_runs);  // fitting/law_validation.h
  }
  const RunsTable loaded = table_law ? RunsTable() : LoadRunsOrBundled(runs_path, columns);
  if (law_name == "isoflop") return ValidateIsoFlopLaw(loaded, threshold_flops, validation, keep_extrapolated, output);
  if (law_name == "kaplan") {
    ResolveGrid(flags, KaplanModel::DefaultGrid());  // validates the fit options
    law_runs = LawRunsOfTable("kaplan", loaded);
    table_options.search = flags.options;
    table_options.grid_spec = flags.grid_spec;
  }
  // A law of the table is validated on its runs' view, whose line is the run's index (fitting/law_table.h).
  const RunsTable& table = law_runs ? law_runs->view : loaded;
  const LawFitter fitter =
      law_runs ? TableLawFitter(*FindTableLaw(law_name), *law_runs, table_options)
               : ChinchillaFitter(flags.options, ResolveGrid(flags, ChinchillaModel::HoffmannGrid()));

  if (!table.group_columns.empty()) return ValidateGroups(table, fitter, threshold_flops, validation, output);
  // The same validation as the Python module's validate() (fitting/law_validation.h).
  RunsValidation result;
  {
    ProgressBar bar("validating");
    const FoldProgress progress = [&bar](int done, int total) { bar.Update(done, total); };
    result = law_runs ? ValidateLawRuns(*FindTableLaw(law_name), *law_runs, table_options, threshold_flops, validation,
                                        progress)
                      : ValidateRuns(table, fitter, threshold_flops, validation, progress);
  }
  const std::vector<ValidationFold>& folds = result.folds;
  const LeaveOneBudgetOutResult& budgets = result.budgets;
  if (output == OutputFormat::JSON) {
    std::cout << result.json.dump(2) << '\n';
  } else {
    std::ostream& out = std::cout;
    out << "Extrapolation validation of "
        << (law_runs ? FindTableLaw(law_name)->description : std::string("the Chinchilla law (Approach 3)"))
        << " on "
        << table.runs.size() << " runs from "
        << table.source << '\n';
    for (const std::string& note : table.notes) out << "  note: " << note << '\n';
    if (holdout) {
      out << "  hold-out: fitted on the " << folds[0].stats.num_train << " runs with C <= "
          << FormatSignificant(threshold_flops, 3) << " FLOPs, predicted the " << folds[0].stats.num_heldout
          << " runs above\n\n";
    } else {
      out << "  leave-one-budget-out: " << folds.size() << " budgets of at least " << validation.min_budget_runs
          << " runs, each predicted by a fit of all other runs\n  (a run within "
          << FormatQuantity(100 * validation.budget_tolerance) << "% in C of the next shares its budget; "
          << budgets.num_runs_never_heldout << " runs in " << budgets.num_groups - static_cast<int>(folds.size())
          << " smaller groups are always fitted on)\n\n";
    }
    PrintHeader(out);
    for (const ValidationFold& fold : folds) PrintRow(fold.label, fold.stats, fold.usable, fold.status, out);
    if (!holdout) {
      PrintRow("all budgets", budgets.pooled, budgets.pooled.num_heldout > 0, "no fold was usable", out);
    }
    PrintLegend(out);
  }
  if (!result.AllUsable()) {
    std::cerr << "scaleplan validate: error: a fit was not usable (see the table)\n";
    return kExitFitFailed;
  }
  return kExitOk;
}

}  // namespace

int RunValidate(const std::vector<std::string>& args) {
  return RunGuarded("validate", [&] { return Validate(args); });
}

}  // namespace scaleplan::cli
