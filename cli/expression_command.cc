// scaleplan fit [RUNS.csv] --law-expr EXPR --param NAME=LO:HI:STEP ...: fits a law of the user's own form.
#include "cli/expression_command.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "cli/validate_groups.h"
#include "core/bundled_data.h"
#include "core/error.h"
#include "core/expression.h"
#include "core/units.h"
#include "fitting/bootstrap.h"
#include "fitting/expression_fit.h"
#include "fitting/validation.h"

namespace scaleplan::cli {

bool AsksForExpressionLaw(const std::vector<std::string>& args) {
  for (const std::string& arg : args) {
    if (arg == "--law-expr" || arg.rfind("--law-expr=", 0) == 0) return true;
  }
  return false;
}

namespace {

namespace po = boost::program_options;

std::string TableReport(const ExpressionFit& fit, const ExpressionRuns& runs, const ExpressionBootstrap* boot) {
  std::ostringstream out;
  char line[512];
  out << "Expression law fitted to " << runs.table.runs.size() << " runs from " << runs.table.source << '\n';
  for (const std::string& note : runs.table.notes) out << "  note: " << note << '\n';
  out << "\n  L = " << fit.expression << '\n';
  if (!runs.column_names.empty()) {
    out << "  columns     ";
    for (size_t c = 0; c < runs.column_names.size(); ++c) {
      out << (c ? ", " : "") << runs.column_names[c];
      if (runs.column_headers[c] != runs.column_names[c]) out << " = '" << runs.column_headers[c] << "'";
    }
    out << '\n';
  }
  const bool with_intervals = boot != nullptr && !boot->intervals.empty();
  if (with_intervals) {
    std::snprintf(line, sizeof line, "    %-16s %-14s %g%% interval (bootstrap, %zu resamples)\n", "", "",
                  100 * boot->options.confidence, boot->samples.params.size());
    out << line;
  }
  if (fit.search.usable) {
    for (size_t k = 0; k < fit.param_names.size(); ++k) {
      std::snprintf(line, sizeof line, with_intervals ? "    %-16s %-14.8g" : "    %-16s %.8g",
                    fit.param_names[k].c_str(), fit.params[k]);
      out << line;
      if (with_intervals) {
        std::snprintf(line, sizeof line, " [%.6g, %.6g]", boot->intervals[k].second.lower,
                      boot->intervals[k].second.upper);
        out << line;
      }
      out << '\n';
    }
    std::snprintf(line, sizeof line, "  objective (Huber sum, delta %g)  %.10f\n", fit.options.huber_delta,
                  fit.search.objective);
    out << line;
  }
  out << "  search      "
      << (fit.options.exhaustive
              ? "exhaustive: every one of " + std::to_string(fit.search.num_grid_points) + " grid points"
              : "the best-screened " + std::to_string(fit.search.num_starts) + " of " +
                    std::to_string(fit.search.num_grid_points) + " grid points")
      << "; " << fit.search.num_converged << " converged, " << fit.search.num_at_best << " reached the best optimum\n";
  if (fit.search.usable) {
    std::snprintf(line, sizeof line,
                  "  residuals   log-space RMSE %.4f, bias %+.5f, max |r| %.4f; %d of %d runs beyond delta\n",
                  fit.residuals.rmse, fit.residuals.mean, fit.residuals.max_abs, fit.residuals.num_beyond_delta,
                  fit.residuals.num_runs);
    out << line;
  } else {
    out << "  not usable: " << fit.search.status << '\n';
  }
  if (boot != nullptr) {
    std::snprintf(line, sizeof line,
                  "  bootstrap   seed %llu; each resample screened %d candidate starts and refitted the best %d; "
                  "%d of %d resamples were won by a start other than the full-data optimum; %d failed\n",
                  static_cast<unsigned long long>(boot->options.seed), boot->options.num_candidates,
                  boot->options.num_refits, boot->samples.num_won_by_other_start, boot->samples.num_resamples,
                  boot->samples.num_failed);
    out << line;
  }
  if (!fit.search.outside_grid.empty()) {
    out << "  warning     the optimum lies outside the start grid in:";
    for (const std::string& name : fit.search.outside_grid) out << ' ' << name;
    out << " (widen those --param ranges to be sure no better optimum lies beyond)\n";
  }
  for (const std::string& warning : fit.warnings) out << "  warning     " << warning << '\n';
  return out.str();
}

// The law the options give: --law-expr and its --param options, or a usage error pointing at the character.
ExpressionLawSpec LawFromOptions(const std::string& law_text, const std::vector<std::string>& param_texts) {
  if (law_text.empty()) throw UsageError("--law-expr needs an expression");
  try {
    std::vector<ExpressionParam> params;
    for (const std::string& text : param_texts) params.push_back(ParseExpressionParam(text));
    return MakeExpressionLawSpec(law_text, params);
  } catch (const InputError& error) {
    throw UsageError(error.what());  // an option, not data
  } catch (const ExpressionError& error) {
    throw UsageError(error.what());
  }
}

// The law bound to the runs of `runs_path` (or the bundled runs): a name that is neither a parameter nor a column is
// a usage error; a missing U or S column, or a bad cell, an input error.
ExpressionRuns BindToRuns(const ExpressionLawSpec& spec, const RunsTable& table, const std::string& runs_path) {
  const std::string csv_text = runs_path.empty() ? std::string() : ReadFile(runs_path);
  try {
    return BindExpressionLaw(spec, table, csv_text);
  } catch (const ExpressionError& error) {
    throw UsageError(error.what());
  }
}

// The value of `--name VALUE` or `--name=VALUE` in `args` ("" when absent).
std::string OptionValue(const std::vector<std::string>& args, const std::string& name) {
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == name && i + 1 < args.size()) return args[i + 1];
    if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
  }
  return "";
}

}  // namespace

int FitExpressionLawCommand(const std::vector<std::string>& args) {
  std::string runs_path;
  std::string format;
  std::string out_path;
  std::string golden_path;
  std::string law_name;
  std::string law_text;
  std::vector<std::string> param_texts;
  RunsColumns columns;
  FitFlags flags;
  BootstrapOptions bootstrap_options;
  int num_resamples = 0;
  po::options_description options("Options");
  // clang-format off
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("law-expr", po::value(&law_text),
       "the law L(columns; parameters), e.g. 'E + A/N^alpha + B/D^beta': + - * / ^, unary minus, parentheses, exp, "
       "log, sqrt, abs, min, max; names are --param parameters, N, D, C, U, S or any column of the runs file")
      ("param", po::value(&param_texts),
       "NAME=LO:HI:STEP (start grid) or NAME=VALUE (one start), once per parameter; starts only, no bounds")
      ("law", po::value(&law_name), "not with --law-expr")
      ("out,o", po::value(&out_path), "also save the fit as JSON to this file (read by plan --fit, sweep --fit and validate --fit)")
      ("save-golden", po::value(&golden_path),
       "record this fit (expression, starts, parameters, objective, data hash, options) for 'scaleplan check'")
      ("diagnostics", po::bool_switch(&flags.show_diagnostics),
       "also print standard errors, correlations, unconstrained parameters and residual trends (always in "
       "--format json, under 'diagnostics')");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, false);
  AddFitOptions(&options, &flags);
  options.add_options()
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap_options.num_resamples),
       "percentile intervals of every parameter from this many resamples of the runs (alone: 1000)")
      ("seed", CountValue(&bootstrap_options.seed), "bootstrap seed")
      ("ci", NumberValue<Range::OPEN_FRACTION>(&bootstrap_options.confidence), "bootstrap interval level");
  // clang-format on
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan fit [RUNS.csv] --law-expr EXPR --param NAME=LO:HI:STEP ... [options]", options,
              {"scaleplan fit --law-expr 'exp(a - alpha*log(N)) + exp(b - beta*log(D)) + exp(e)' --param a=0:25:5 "
               "--param b=0:25:5 --param e=-1:1:0.5 --param alpha=0:2:0.5 --param beta=0:2:0.5   # the built-in fit, "
               "written out: the same optimum",
               "scaleplan fit --law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 "
               "--param alpha=0.2:0.6:0.2 --param B=500:3000:500 --param beta=0.2:0.6:0.2 --bootstrap --out fit.json",
               "scaleplan fit runs.csv --law-expr 'E + A/N^alpha + k*epochs' --param E=2 --param A=400 --param "
               "alpha=0.3 --param k=0:0.1:0.05   # 'epochs': a column of runs.csv",
               "scaleplan validate --fit fit.json --holdout-above 1e21   # refit on C <= 1e21, predict the rest",
               "scaleplan fit runs.csv --law-expr ... --save-golden golden.json   # then: scaleplan check runs.csv "
               "--golden golden.json"});
    return kExitOk;
  }
  if (!law_name.empty()) throw UsageError("--law and --law-expr cannot be combined: --law-expr is the law");
  if (!flags.grid_spec.empty()) {
    throw UsageError("--grid does not apply to --law-expr: give each parameter's starts with --param NAME=LO:HI:STEP");
  }
  const ExpressionLawSpec spec = LawFromOptions(law_text, param_texts);
  const OutputFormat output = ParseFormat(format);
  std::string why;
  if (!flags.options.Check(&why)) throw UsageError(why);
  bootstrap_options.num_resamples = num_resamples;
  bootstrap_options.num_threads = flags.options.num_threads;
  if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);

  const RunsTable table = LoadRunsOrBundled(runs_path, columns);
  const ExpressionRuns runs = BindToRuns(spec, table, runs_path);
  RefuseToOverwriteInput(out_path);
  RefuseToOverwriteInput(golden_path);
  ExpressionFit fit;
  {
    ProgressBar bar("fitting expression");
    fit = FitExpressionLaw(runs, spec, flags.options, [&bar](int done, int total) { bar.Update(done, total); });
  }
  if (fit.search.usable) {
    const std::string poor = PoorFitWarning(fit.residuals.rmse, /*group_by_offered=*/false);  // fitting/residuals.h
    if (!poor.empty()) fit.warnings.push_back(poor);
  }
  std::optional<ExpressionBootstrap> boot;
  if (num_resamples != 0 && fit.search.usable) {
    ProgressBar bar("bootstrap");
    boot =
        BootstrapExpressionLaw(runs, fit, bootstrap_options, [&bar](int done, int total) { bar.Update(done, total); });
  }
  std::optional<FitDiagnostics> diagnostics;  // fitting/diagnostics.h, through the expression's Jets
  if (fit.search.usable) {
    diagnostics = DiagnoseExpressionFit(runs, spec, fit, boot ? &*boot : nullptr);
    fit.warnings.insert(fit.warnings.end(), diagnostics->warnings.begin(), diagnostics->warnings.end());
  }
  nlohmann::ordered_json json = ExpressionFitToJson(fit, runs, boot ? &*boot : nullptr);
  if (diagnostics) json["diagnostics"] = DiagnosticsToJson(*diagnostics);
  // The golden is the saved fit itself: check refits from its expression, starts and options.
  if (!out_path.empty() && fit.search.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (!golden_path.empty() && fit.search.usable) WriteFileAtomically(golden_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
    for (const std::string& warning : fit.warnings) std::cerr << "scaleplan fit: warning: " << warning << '\n';
  } else {
    std::cout << TableReport(fit, runs, boot ? &*boot : nullptr);
    if (diagnostics && flags.show_diagnostics) std::cout << FormatDiagnosticsTable(*diagnostics);
  }
  if (!fit.search.usable) {
    std::cerr << "scaleplan fit: error: the expression fit is not usable: " << fit.search.status << '\n';
    return kExitFitFailed;
  }
  return kExitOk;
}

bool AsksForExpressionValidation(const std::vector<std::string>& args) {
  if (AsksForExpressionLaw(args)) return true;
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& arg) { return arg == "--fit" || arg.rfind("--fit=", 0) == 0; });
}

int ValidateExpressionLaw(const std::vector<std::string>& args) {
  std::string runs_path;
  std::string format;
  std::string law_text;
  std::string fit_path;
  std::string holdout_text;
  bool leave_one_budget_out = false;
  std::vector<std::string> param_texts;
  RunsColumns columns;
  FitFlags flags;
  ValidationOptions validation;
  po::options_description options("Options");
  // clang-format off
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("law-expr", po::value(&law_text), "the law to validate, as fit --law-expr takes it")
      ("param", po::value(&param_texts), "NAME=LO:HI:STEP: a parameter's starts, as fit --law-expr takes them")
      ("fit", po::value(&fit_path),
       "a saved expression fit (fit --law-expr ... --out FIT.json): its expression and starts are refitted per fold");
  AddRunValidationOptions(&options, &holdout_text, &leave_one_budget_out, &validation);
  options.add_options()
      ("min-budget-runs", CountValue(&validation.min_budget_runs), "hold out only budgets with at least this many runs");
  // clang-format on
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, true);  // --group-by: one validation per group (ValidateGroups)
  AddFitOptions(&options, &flags);
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp(
        "scaleplan validate [RUNS.csv] (--law-expr EXPR --param ... | --fit FIT.json) (--holdout-above C | "
        "--leave-one-budget-out) [options]",
        options,
        {"scaleplan validate --fit fit.json --holdout-above 1e21",
         "scaleplan validate --law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 "
         "--param alpha=0.2:0.6:0.2 --param B=500:3000:500 --param beta=0.2:0.6:0.2 --leave-one-budget-out"});
    return kExitOk;
  }
  if (!fit_path.empty() && (!law_text.empty() || !param_texts.empty())) {
    throw UsageError("give the law either as --law-expr and --param or as a saved fit (--fit), not both");
  }
  if (!flags.grid_spec.empty()) throw UsageError("--grid does not apply to an expression law: use --param");
  const bool holdout = ChooseHoldOut(vm, leave_one_budget_out);
  const OutputFormat output = ParseFormat(format);
  std::string why;
  if (!validation.Check(&why) || !flags.options.Check(&why)) throw UsageError(why);
  const double threshold_flops = HoldOutAboveFlops(vm, holdout_text);
  MultiStartOptions fit_options = flags.options;
  std::optional<ExpressionLawSpec> spec;
  if (!fit_path.empty()) {
    const SavedExpressionFit saved = ParseSavedExpressionFit(ReadFile(fit_path), fit_path);
    spec = saved.spec;
    if (vm["delta"].defaulted()) fit_options.huber_delta = saved.huber_delta;
  } else {
    spec = LawFromOptions(law_text, param_texts);
  }
  const RunsTable table = LoadRunsOrBundled(runs_path, columns);
  const ExpressionRuns runs = BindToRuns(*spec, table, runs_path);
  const LawFitter fitter = ExpressionFitter(*spec, runs, fit_options);
  if (!table.group_columns.empty()) return ValidateGroups(table, fitter, threshold_flops, validation, output);

  std::vector<ValidationFold> folds;
  LeaveOneBudgetOutResult budgets;
  nlohmann::ordered_json json;
  if (holdout) {
    folds.push_back(HoldOutAbove(table, threshold_flops, fitter));
    json = HoldOutToJson(table, fitter.name, threshold_flops, folds.front());
  } else {
    {
      ProgressBar bar("validating");
      budgets = LeaveOneBudgetOut(table, fitter, validation, [&bar](int done, int total) { bar.Update(done, total); });
    }
    folds = budgets.folds;
    json = LeaveOneBudgetOutToJson(table, fitter.name, validation, budgets);
  }
  json["expression"] = spec->expression.Text();
  bool all_usable = true;
  for (const ValidationFold& fold : folds) all_usable = all_usable && fold.usable;
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
  } else {
    std::cout << "Extrapolation validation of the expression law on " << table.runs.size() << " runs from "
              << table.source << "\n  L = " << spec->expression.Text() << '\n';
    if (holdout) {
      std::cout << "  hold-out: fitted on the runs with C <= " << FormatSignificant(threshold_flops, 3)
                << " FLOPs, predicted the runs above\n\n";
    } else {
      std::cout << "  leave-one-budget-out: each budget of at least " << validation.min_budget_runs
                << " runs predicted by a fit of all other runs\n\n";
    }
    char line[256];
    std::snprintf(line, sizeof line, "  %-18s %6s %7s %8s %9s %9s %9s %9s\n", "held out", "fitted", "predict",
                  "extrap.", "RMSE log", "bias log", "max|r|", "max|err|");
    std::cout << line;
    const auto row = [&](const std::string& label, const ExtrapolationStats& stats, bool usable,
                         const std::string& status) {
      if (!usable) {
        std::cout << "  " << label << ": not usable: " << status << '\n';
        return;
      }
      std::snprintf(line, sizeof line, "  %-18s %6s %7d %7.2fx %9.4f %+9.4f %9.4f %9.4f\n", label.c_str(),
                    stats.num_train > 0 ? std::to_string(stats.num_train).c_str() : "-", stats.num_heldout,
                    stats.extrapolation_factor, stats.rmse_log, stats.bias_log, stats.max_abs_log, stats.max_abs_nats);
      std::cout << line;
    };
    for (const ValidationFold& fold : folds) row(fold.label, fold.stats, fold.usable, fold.status);
    if (!holdout) row("all budgets", budgets.pooled, budgets.pooled.num_heldout > 0, "no fold was usable");
  }
  if (!all_usable) {
    std::cerr << "scaleplan validate: error: a fit was not usable (see the table)\n";
    return kExitFitFailed;
  }
  return kExitOk;
}

std::vector<double> PredictSavedExpressionFit(const std::string& fit_path, const RunsTable& table,
                                              const std::string& runs_path, std::string* label) {
  const SavedExpressionFit saved = ParseSavedExpressionFit(ReadFile(fit_path), fit_path);
  const ExpressionRuns runs = BindToRuns(saved.spec, table, runs_path);
  *label = fit_path + ": L = " + saved.spec.expression.Text();
  return PredictExpression(runs, saved.params);
}

bool AsksForExpressionGolden(const std::vector<std::string>& args) {
  const std::string path = OptionValue(args, "--golden");
  if (path.empty()) return false;
  std::string text;
  try {
    text = ReadFile(path);
  } catch (const InputError&) {
    return false;  // check itself reports the unreadable file
  }
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  return json.is_object() && json.contains("law") && json["law"] == "expression";
}

int CheckExpressionGolden(const std::vector<std::string>& args) {
  std::string runs_path;
  std::string format;
  std::string golden_path;
  double params_rtol = 1e-6;
  int num_threads = 0;
  RunsColumns columns;
  po::options_description options("Options");
  // clang-format off
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("golden", po::value(&golden_path), "the golden file (fit --law-expr ... --save-golden)")
      ("rtol-params", NumberValue<Range::POSITIVE>(&params_rtol),
       "relative tolerance on each parameter and the objective (default 1e-6, as for the built-in laws)")
      ("threads", CountValue(&num_threads), "threads (0 = all cores); results are identical for any count");
  // clang-format on
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, false);
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan check [RUNS.csv] --golden GOLDEN.json [options]   (a golden of fit --law-expr)", options,
              {"scaleplan check runs.csv --golden golden.json"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  const SavedExpressionFit golden = ParseSavedExpressionFit(ReadFile(golden_path), golden_path);
  if (runs_path.empty() && !golden.data_source.empty() && golden.data_source != kBundledChinchillaLabel) {
    throw UsageError("the golden was recorded from '" + golden.data_source + "'; give that runs file");
  }
  const RunsTable table = LoadRunsOrBundled(runs_path, columns);
  const ExpressionRuns runs = BindToRuns(golden.spec, table, runs_path);
  MultiStartOptions fit_options;
  fit_options.huber_delta = golden.huber_delta;
  fit_options.num_threads = num_threads;
  const nlohmann::json recorded = nlohmann::json::parse(ReadFile(golden_path));
  if (recorded.contains("search") && recorded["search"].is_object()) {
    const nlohmann::json& search = recorded["search"];
    if (search.contains("exhaustive") && search["exhaustive"].is_boolean())
      fit_options.exhaustive = search["exhaustive"];
    if (search.contains("starts") && search["starts"].is_number_integer() && search["starts"].get<int>() > 0) {
      fit_options.num_starts = search["starts"].get<int>();
    }
  }
  ExpressionFit fit;
  {
    ProgressBar bar("fitting");
    fit = FitExpressionLaw(runs, golden.spec, fit_options, [&bar](int done, int total) { bar.Update(done, total); });
  }
  if (!fit.search.usable) {
    std::cerr << "scaleplan check: error: the refit is not usable: " << fit.search.status << '\n';
    return kExitFitFailed;
  }
  const bool hash_matches = golden.data_hash == FormatRunsHash(table);
  struct Quantity {
    std::string name;
    double golden, now;
    bool skipped, passed;
  };
  std::vector<Quantity> quantities;
  const auto judge = [&](const std::string& name, double was, double now, bool skipped) {
    const bool passed = skipped || std::fabs(now - was) <= params_rtol * std::fabs(was);
    quantities.push_back({name, was, now, skipped, passed});
  };
  for (size_t k = 0; k < golden.params.size(); ++k) judge(fit.param_names[k], golden.params[k], fit.params[k], false);
  const double golden_objective = recorded.contains("objective") && recorded["objective"].is_number()
                                      ? recorded["objective"].get<double>()
                                      : std::nan("");
  judge("objective", golden_objective, fit.search.objective, !hash_matches || !std::isfinite(golden_objective));
  int failed = 0;
  for (const Quantity& q : quantities) failed += q.passed ? 0 : 1;
  if (output == OutputFormat::JSON) {
    nlohmann::ordered_json json;
    json["golden"] = golden_path;
    json["law"] = "expression";
    json["expression"] = golden.spec.expression.Text();
    json["data_hash_matches"] = hash_matches;
    json["checks"] = nlohmann::ordered_json::array();
    for (const Quantity& q : quantities) {
      json["checks"].push_back({{"name", q.name},
                                {"golden", q.golden},
                                {"now", q.now},
                                {"relative_change", q.golden != 0 ? (q.now - q.golden) / std::fabs(q.golden) : 0.0},
                                {"tolerance", params_rtol},
                                {"skipped", q.skipped},
                                {"passed", q.passed}});
    }
    json["num_failed"] = failed;
    std::cout << json.dump(2) << '\n';
  } else {
    std::cout << "Check of the expression fit of " << table.runs.size() << " runs from " << table.source << " against "
              << golden_path << "\n  L = " << golden.spec.expression.Text() << "\n  data "
              << (hash_matches ? "unchanged (hash " + golden.data_hash + ")" : "changed: the objective is not compared")
              << "\n\n";
    char line[256];
    std::snprintf(line, sizeof line, "  %-16s %-18s %-18s %-12s %s\n", "quantity", "golden", "now", "change",
                  "verdict");
    std::cout << line;
    for (const Quantity& q : quantities) {
      std::snprintf(line, sizeof line, "  %-16s %-18.10g %-18.10g %-12.2e %s\n", q.name.c_str(), q.golden, q.now,
                    q.golden != 0 ? (q.now - q.golden) / std::fabs(q.golden) : 0.0,
                    q.skipped  ? "skipped"
                    : q.passed ? "ok"
                               : "DRIFT");
      std::cout << line;
    }
    std::cout << "  " << quantities.size() - static_cast<size_t>(failed) << " of " << quantities.size()
              << " quantities within " << FormatSignificant(params_rtol, 3) << " relative\n";
  }
  return failed == 0 ? kExitOk : kExitCheckFailed;
}

}  // namespace scaleplan::cli
