// `scaleplan fit --law hyperparams RUNS.csv`: batch-size and learning-rate laws fitted to the user's sweeps
// (fitting/hyperparams_fit.h). `fit` hands the whole command line over when --law is hyperparams, since the options
// (batch and learning-rate columns, sequence length, near-optimal tolerance) are this law's own.
#include "cli/hyperparams_command.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "cli/table_laws.h"
#include "core/json_input.h"
#include "core/units.h"
#include "fitting/hyperparams_fit.h"
#include "fitting/law_validation.h"

namespace scaleplan::cli {
namespace po = boost::program_options;

bool AsksForHyperparamsLaw(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--law=hyperparams") return true;
    if (args[i] == "--law" && i + 1 < args.size() && args[i + 1] == "hyperparams") return true;
  }
  return false;
}

namespace {

std::string TableReport(const HyperparamsRuns& runs, const HyperparamsFit& fit, const HyperparamsBootstrap* boot,
                        const HyperparamsFitOptions& options, size_t num_budgets) {
  std::ostringstream out;
  char line[320];
  out << "Batch-size and learning-rate laws (DeepSeek LLM 2024's method) on " << runs.runs.size() << " runs from "
      << runs.source << "\n";
  for (const std::string& note : runs.notes) out << "  note: " << note << '\n';
  std::snprintf(line, sizeof line,
                "  %zu budgets with at least %d runs (runs within %.3g%% compute of each other are one budget); "
                "near-optimal: within %.3g%% of a budget's best loss\n\n",
                num_budgets, options.min_budget_runs, 100 * options.budget_tolerance,
                100 * options.near_optimal_tolerance);
  out << line;
  std::snprintf(line, sizeof line, "  %10s %5s %5s %10s %12s %12s  %s\n", "budget", "runs", "used", "best loss",
                "B_opt", "lr_opt", "note");
  out << line;
  for (const HyperparamsBudget& b : fit.budgets) {
    std::snprintf(line, sizeof line, "  %10s %5d %5d %10.4f %12s %12s  %s\n", FormatScientific(b.compute_flops).c_str(),
                  b.num_runs, b.num_near_optimal, b.best_loss,
                  b.usable ? FormatQuantity(b.batch_tokens_opt).c_str() : "-",
                  b.usable ? FormatSignificant(b.learning_rate_opt, 4).c_str() : "-", b.note.c_str());
    out << line;
  }
  if (!fit.usable) {
    out << "\n  not usable: " << fit.status << '\n';
    return out.str();
  }
  std::snprintf(line, sizeof line, "\n  B_opt  = %.4g C^%.4f tokens\n  lr_opt = %.4g C^%.4f\n", fit.batch_coefficient,
                fit.batch_exponent, fit.lr_coefficient, fit.lr_exponent);
  out << line;
  if (boot != nullptr && boot->num_failed < boot->options.num_resamples) {
    std::snprintf(line, sizeof line,
                  "  %g%% intervals: batch exponent [%.4f, %.4f], lr exponent [%.4f, %.4f] (%d of %d "
                  "resamples usable)\n",
                  100 * boot->options.confidence, boot->batch_exponent.lower, boot->batch_exponent.upper,
                  boot->lr_exponent.lower, boot->lr_exponent.upper, boot->options.num_resamples - boot->num_failed,
                  boot->options.num_resamples);
    out << line;
  }
  const HyperparamsLaw deepseek = DeepSeekHyperparamsLaw();
  std::snprintf(line, sizeof line, "  DeepSeek LLM 2024 for comparison: B_opt = %.4f C^%.4f, lr_opt = %.4f C^%.4f\n",
                deepseek.batch_coefficient, deepseek.batch_compute_exponent, deepseek.lr_coefficient,
                deepseek.lr_compute_exponent);
  out << line;
  for (const std::string& warning : fit.warnings) out << "  warning: " << warning << '\n';
  return out.str();
}

int FitHyperparamsLawImpl(const std::vector<std::string>& args) {
  std::string runs_path, format, out_path, golden_path, law_name;
  HyperparamsColumns columns;
  HyperparamsFitOptions fit_options;
  BootstrapOptions bootstrap;
  int num_resamples = 0;
  int num_threads = 0;
  std::int64_t seq_len = 0;
  po::options_description options("Options (fit --law hyperparams)");
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "the sweep's runs CSV (positional)")
      ("law", po::value(&law_name), "hyperparams")
      ("batch-col", po::value(&columns.batch),
       "column holding the batch: in sequences with --seq-len, else in tokens (default: batch_tokens, "
       "tokens_per_batch in tokens; batch_size, batch_sequences, train_batch_size in sequences)")
      ("lr-col", po::value(&columns.learning_rate),
       "column holding the peak learning rate (default: learning_rate, lr, peak_lr, max_lr)")
      ("seq-len", CountValue(&seq_len), "tokens per sequence, for a batch given in sequences (0 = not given)")
      ("near-optimal", NumberValue<Range::OPEN_FRACTION>(&fit_options.near_optimal_tolerance),
       "a budget's near-optimal region: runs within this fraction of its best loss (DeepSeek LLM: 0.0025)")
      ("budget-tolerance", NumberValue<Range::OPEN_FRACTION>(&fit_options.budget_tolerance),
       "runs whose compute differs by less than this fraction form one budget (as IsoFLOP)")
      ("min-budget-runs", CountValue(&fit_options.min_budget_runs),
       "budgets with fewer runs are left out")
      ("out,o", po::value(&out_path), "also save the fit as JSON (read by 'plan --hyperparams FIT.json')")
      ("save-golden", po::value(&golden_path),
       "record the fitted laws (their four coefficients, data hash, options) as a golden file for 'scaleplan check'")
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap.num_resamples),
       "percentile intervals from this many resamples of the runs within each budget (alone: 1000)")
      ("seed", CountValue(&bootstrap.seed), "bootstrap seed")
      ("ci", NumberValue<Range::OPEN_FRACTION>(&bootstrap.confidence), "bootstrap interval level")
      ("threads", CountValue(&num_threads), "bootstrap threads (0 = all cores)");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns.runs);
  AddRunSelectionOptions(&options, &columns.runs, true);
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan fit --law hyperparams RUNS.csv [options]", options,
              {"scaleplan fit --law hyperparams sweep.csv --bootstrap",
               "scaleplan fit --law hyperparams sweep.csv --batch-col bs --seq-len 4096 --lr-col peak_lr",
               "scaleplan fit --law hyperparams sweep.csv --out hp.json   # then: plan --hyperparams hp.json"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (runs_path.empty()) throw UsageError("--law hyperparams needs a runs file: there are no bundled sweeps");
  std::string why;
  if (!fit_options.Check(&why)) throw UsageError(why);
  columns.seq_len = static_cast<double>(seq_len);
  bootstrap.num_resamples = num_resamples;
  bootstrap.num_threads = num_threads;
  if (num_resamples != 0 && !bootstrap.Check(&why)) throw UsageError(why);
  RefuseToOverwriteInput(out_path);
  RefuseToOverwriteInput(golden_path);
  if (!columns.runs.selection.group_by.empty()) {  // one fit per group, as `fit --group-by`
    if (!out_path.empty()) {
      throw UsageError("--group-by records no one fit with --out (pick one group with --filter COL=VALUE; "
                       "--save-golden records one golden per group)");
    }
    LawRunsOptions runs_options;
    runs_options.columns = columns.runs;
    runs_options.hyperparams = columns;
    TableLawOptions table_options;
    table_options.hyperparams = fit_options;
    if (num_resamples != 0) table_options.bootstrap = bootstrap;  // each group's runs resampled within its budgets
    return FitTableLawGroups("hyperparams", runs_path, runs_options, table_options, output, golden_path);
  }

  const HyperparamsRuns runs = LoadHyperparamsRunsCsv(InputPath(runs_path), columns);
  const auto budgets = HyperparamsBudgets(runs, fit_options);
  CheckHyperparamsSweep(runs, budgets);  // a verdict: InputError, exit 3
  const HyperparamsFit fit = FitHyperparams(runs, budgets, fit_options);
  // Budgets that cannot locate an optimum are the data's limit, not the solver's: a verdict, exit 3.
  if (!fit.usable) throw InputError(fit.status, InputLocation{runs.source});
  std::optional<HyperparamsBootstrap> boot;
  if (num_resamples != 0 && fit.usable) boot = BootstrapHyperparams(runs, budgets, fit_options, bootstrap);
  const nlohmann::ordered_json json = HyperparamsFitToJson(fit, boot ? &*boot : nullptr, fit_options, runs.source);
  if (!out_path.empty() && fit.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
    for (const std::string& warning : fit.warnings) {
      std::cerr << "scaleplan fit: warning: hyperparams: " << warning << '\n';
    }
  } else {
    std::cout << TableReport(runs, fit, boot ? &*boot : nullptr, fit_options, budgets.size());
  }
  if (!golden_path.empty()) {
    LawRunsOptions runs_options;
    runs_options.columns = columns.runs;
    runs_options.hyperparams = columns;
    TableLawOptions table_options;
    table_options.hyperparams = fit_options;
    return SaveTableLawGolden("hyperparams", runs_path, runs_options, table_options, golden_path);
  }
  return kExitOk;
}

// The hyper-parameter validation as the table prints it.
void PrintHyperparamsValidation(const HyperparamsRuns& runs, double threshold_flops,
                                const HyperparamsValidation& result, std::ostream& out) {
  char line[320];
  out << "Extrapolation validation of the batch-size and learning-rate laws on " << runs.runs.size() << " runs from "
      << runs.source << "\n  each held-out budget's optimum (its near-optimal region's centre) against B_opt = k_B "
      << "C^b and lr_opt = k_lr C^e\n  fitted on the "
      << (threshold_flops > 0 ? "budgets at or below " + FormatScientific(threshold_flops) + " FLOPs"
                              : std::string("other budgets"))
      << "\n\n";
  std::snprintf(line, sizeof line, "  %10s %5s %7s %8s %10s %10s %9s %10s %10s %9s\n", "budget", "runs", "fitted",
                "extrap.", "B_opt", "predicted", "log err", "lr_opt", "predicted", "log err");
  out << line;
  for (const HyperparamsValidationFold& fold : result.folds) {
    if (!fold.usable) {
      std::snprintf(line, sizeof line, "  %10s %5d %7d %8.3g  -  %s\n", FormatScientific(fold.compute_flops).c_str(),
                    fold.num_runs, fold.num_budgets_trained, fold.extrapolation_factor, fold.status.c_str());
    } else {
      std::snprintf(line, sizeof line, "  %10s %5d %7d %8.3g %10s %10s %+9.4f %10s %10s %+9.4f\n",
                    FormatScientific(fold.compute_flops).c_str(), fold.num_runs, fold.num_budgets_trained,
                    fold.extrapolation_factor, FormatQuantity(fold.batch_tokens_observed).c_str(),
                    FormatQuantity(fold.batch_tokens_predicted).c_str(), fold.log_error_batch,
                    FormatSignificant(fold.learning_rate_observed, 4).c_str(),
                    FormatSignificant(fold.learning_rate_predicted, 4).c_str(), fold.log_error_lr);
    }
    out << line;
  }
  std::snprintf(line, sizeof line,
                "\n  %d of %zu budgets predicted: batch log RMSE %.4f, bias %+.4f; learning rate log RMSE %.4f, bias "
                "%+.4f\n",
                result.num_usable, result.folds.size(), result.rmse_log_batch, result.bias_log_batch,
                result.rmse_log_lr, result.bias_log_lr);
  out << line;
  out << "  log err = log(predicted / observed optimum); bias > 0: the law predicts too large a value;\n"
         "  extrap. = the budget's C / the largest fitted budget's\n";
}

int ValidateHyperparamsLawImpl(const std::vector<std::string>& args) {
  std::string runs_path, format, law_name, holdout_text;
  bool leave_one_budget_out = false;
  HyperparamsColumns columns;
  HyperparamsFitOptions fit_options;
  std::int64_t seq_len = 0;
  po::options_description options("Options (validate --law hyperparams)");
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "the sweep's runs CSV (positional)")
      ("law", po::value(&law_name), "hyperparams")
      ("holdout-above", po::value(&holdout_text),
       "fit the laws on the budgets at or below this many FLOPs, predict the optima of the budgets above")
      ("leave-one-budget-out", po::bool_switch(&leave_one_budget_out),
       "predict each budget's optimum from the laws fitted on all other budgets")
      ("batch-col", po::value(&columns.batch), "column holding the batch (as fit --law hyperparams)")
      ("lr-col", po::value(&columns.learning_rate), "column holding the peak learning rate")
      ("seq-len", CountValue(&seq_len), "tokens per sequence, for a batch given in sequences (0 = not given)")
      ("near-optimal", NumberValue<Range::OPEN_FRACTION>(&fit_options.near_optimal_tolerance),
       "a budget's near-optimal region: runs within this fraction of its best loss (DeepSeek LLM: 0.0025)")
      ("budget-tolerance", NumberValue<Range::OPEN_FRACTION>(&fit_options.budget_tolerance),
       "runs whose compute differs by less than this fraction form one budget (as IsoFLOP)")
      ("min-budget-runs", CountValue(&fit_options.min_budget_runs), "budgets with fewer runs are left out");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns.runs);
  AddRunSelectionOptions(&options, &columns.runs, false);
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan validate --law hyperparams RUNS.csv (--holdout-above C | --leave-one-budget-out) [options]",
              options,
              {"scaleplan validate --law hyperparams sweep.csv --leave-one-budget-out",
               "scaleplan validate --law hyperparams sweep.csv --holdout-above 3e19 --format json"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  if (runs_path.empty()) throw UsageError("--law hyperparams needs a runs file: there are no bundled sweeps");
  ChooseHoldOut(vm, leave_one_budget_out);
  std::string why;
  if (!fit_options.Check(&why)) throw UsageError(why);
  const double threshold_flops = HoldOutAboveFlops(vm, holdout_text);
  columns.seq_len = static_cast<double>(seq_len);

  const HyperparamsRuns runs = LoadHyperparamsRunsCsv(InputPath(runs_path), columns);
  // A sweep that cannot locate optima, or nothing to hold out: a verdict, exit 3 (fitting/law_validation.h).
  const HyperparamsValidation result = ValidateHyperparamsSweep(runs, fit_options, threshold_flops);
  if (output == OutputFormat::JSON) {
    std::cout << HyperparamsValidationToJson(runs, fit_options, threshold_flops, result).dump(2) << '\n';
  } else {
    PrintHyperparamsValidation(runs, threshold_flops, result, std::cout);
  }
  if (result.num_usable == 0) {
    std::cerr << "scaleplan validate: error: no held-out budget could be predicted (see the table)\n";
    return kExitFitFailed;
  }
  return kExitOk;
}

}  // namespace

int FitHyperparamsLaw(const std::vector<std::string>& args) { return FitHyperparamsLawImpl(args); }

int ValidateHyperparamsLaw(const std::vector<std::string>& args) { return ValidateHyperparamsLawImpl(args); }

HyperparamsLaw ResolveHyperparamsLaw(const std::string& choice) {
  if (choice != "deepseek" && choice != "steplaw") InputPath(choice);  // a fit's file: an input, never an output
  return scaleplan::ResolveHyperparamsLaw(choice);
}

void AddHyperparamsOption(po::options_description* options, std::string* choice) {
  *choice = "deepseek";
  options->add_options()(
      "hyperparams", po::value(choice)->default_value(*choice),
      "batch and learning-rate law for every plan: deepseek (DeepSeek LLM 2024, in compute), steplaw (Step Law, "
      "Li et al. 2025, in N and D) or a fit's JSON ('fit --law hyperparams --out FIT.json')");
}

std::string HyperparamsTableText(const Hyperparams& hyperparams, const std::string& label) {
  std::string text = "\n  hyper-parameters (" + label + "): batch " + FormatQuantity(hyperparams.batch_tokens) +
                     " tokens (" + std::to_string(hyperparams.batch_sequences) + " x " +
                     FormatSignificant(hyperparams.seq_len, 6) + "-token sequences), learning rate " +
                     FormatSignificant(hyperparams.learning_rate, 3) + ", " + std::to_string(hyperparams.num_steps) +
                     " steps, " + std::to_string(hyperparams.warmup_steps) + " warm-up (" + hyperparams.source +
                     ")\n";
  for (const std::string& warning : hyperparams.warnings) text += "    warning: " + warning + "\n";
  for (const std::string& note : hyperparams.notes) text += "    note: " + note + "\n";
  return text;
}

}  // namespace scaleplan::cli
