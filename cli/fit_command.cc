// scaleplan fit [RUNS.csv]: fits the Chinchilla law (Approach 3) and prints or saves it.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/expression_command.h"
#include "cli/hyperparams_command.h"
#include "cli/option_values.h"
#include "cli/progress.h"
#include "cli/shared_options.h"
#include "cli/table_laws.h"
#include "core/budgets.h"
#include "core/error.h"
#include "core/extrapolation.h"
#include "core/kaplan_law.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/diagnostics.h"
#include "fitting/fit_json.h"
#include "fitting/golden.h"
#include "fitting/golden_groups.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_fits.h"
#include "fitting/sparse_fit.h"

namespace scaleplan::cli {
namespace {

namespace po = boost::program_options;

void PrintFitTable(const ChinchillaFit& fit, const RunsTable& table, const ChinchillaBootstrap* bootstrap,
                   std::ostream& out) {
  char line[256];
  out << "Chinchilla law (Hoffmann et al. 2022, Approach 3) fitted to " << table.runs.size() << " runs from "
      << table.source << '\n';
  for (const std::string& note : table.notes) out << "  note: " << note << '\n';
  out << "\n  L(N, D) = E + A / N^alpha + B / D^beta";
  const bool with_intervals = bootstrap != nullptr && !bootstrap->intervals.empty();
  if (with_intervals) {
    std::snprintf(line, sizeof line, "%*s%g%% interval (bootstrap, %zu resamples)", 10, "",
                  100 * bootstrap->options.confidence, bootstrap->laws.size());
    out << line;
  }
  out << '\n';
  const std::vector<double> values = ChinchillaQuantities(fit.law);
  const std::vector<std::string>& names = ChinchillaIntervalNames();
  const size_t shown = with_intervals ? names.size() : 5;
  for (size_t k = 0; k < shown; ++k) {
    const char* label = k == 5 ? "a (N_opt ~ C^a)" : k == 6 ? "b (D_opt ~ C^b)" : names[k].c_str();
    std::snprintf(line, sizeof line, "    %-16s %-12.6g", label, values[k]);
    out << line;
    if (with_intervals) {
      const Interval& interval = bootstrap->intervals[k].second;
      std::snprintf(line, sizeof line, "  [%.6g, %.6g]", interval.lower, interval.upper);
      out << line;
    }
    out << '\n';
  }
  std::snprintf(line, sizeof line, "  objective (Huber sum, delta %g)  %.10f\n", fit.options.huber_delta,
                fit.search.objective);
  out << line;
  std::snprintf(line, sizeof line, "  allocation  N_opt ~ C^%.4f   D_opt ~ C^%.4f   (a, b)\n",
                fit.law.ExponentParams(), fit.law.ExponentTokens());
  out << line;
  out << "  search      " << (fit.options.exhaustive ? "exhaustive: every one of " : "the best-screened ")
      << (fit.options.exhaustive ? std::to_string(fit.search.num_grid_points) + " grid points"
                                 : std::to_string(fit.search.num_starts) + " of " +
                                       std::to_string(fit.search.num_grid_points) + " grid points")
      << "; " << fit.search.num_converged << " converged, " << fit.search.num_at_best
      << " reached the best optimum\n";
  std::snprintf(line, sizeof line,
                "  residuals   log-space RMSE %.4f, bias %+.5f, max |r| %.4f; %d of %d runs beyond delta\n",
                fit.residuals.rmse, fit.residuals.mean, fit.residuals.max_abs, fit.residuals.num_beyond_delta,
                fit.residuals.num_runs);
  out << line;
  if (with_intervals) {
    std::snprintf(line, sizeof line,
                  "  bootstrap   seed %llu; each resample screened %d candidate starts and refitted the best %d; "
                  "%d of %d resamples were won by a start other than the full-data optimum; %d failed\n",
                  static_cast<unsigned long long>(bootstrap->options.seed), bootstrap->options.num_candidates,
                  bootstrap->options.num_refits, bootstrap->samples.num_won_by_other_start,
                  bootstrap->samples.num_resamples, bootstrap->samples.num_failed);
    out << line;
  }
  if (!fit.search.outside_grid.empty()) {
    out << "  warning     the optimum lies outside the start grid in:";
    for (const auto& name : fit.search.outside_grid) out << ' ' << name;
    out << " (widen it with --grid to be sure no better optimum lies beyond)\n";
  }
  for (const std::string& warning : fit.warnings) out << "  warning     " << warning << '\n';
}

// One fitted law, as the front end shows it: its JSON, its table, and its allocation at any budget.
struct LawReport {
  std::string name;
  bool usable = false;
  std::string status;
  std::vector<std::string> warnings;  // what weakens a usable fit (fitting/identifiability.h)
  nlohmann::ordered_json json;
  std::string table;
  std::function<Allocation(double)> allocate;
  double exponent_params = 0.0, exponent_tokens = 0.0;
  std::vector<std::pair<std::string, double>> parameters;  // the law's coefficients, for --group-by's table
  // The golden record at some budgets (--save-golden) of the laws other than Chinchilla; empty when there is none.
  std::function<Golden(const std::vector<double>&)> golden;
};

// Everything a law needs to be fitted.
struct FitContext {
  const RunsTable& table;
  const FitFlags& flags;
  const BootstrapOptions& bootstrap;  // num_resamples == 0: no bootstrap
  double budget_tolerance;
  int min_budget_runs;
  bool keep_extrapolated;  // isoflop: budgets whose minimum lies outside their sampled sizes enter the exponent fit
  const std::vector<double>& budgets;  // where each law's allocation is listed
  bool warn_beyond_runs;               // --compute given: each budget beyond the runs is warned about
};

ProgressCallback BarCallback(ProgressBar* bar) {
  return [bar](int done, int total) { bar->Update(done, total); };
}

// A progress bar per stage of a law's fit, each drawn from its first update and finished when the next stage starts
// or the fit is done.
class StageBars {
 public:
  ProgressCallback Stage(const std::string& label) {
    return [this, label](int done, int total) {
      if (label != label_) {
        bar_.reset();
        bar_.emplace(label);
        label_ = label;
      }
      bar_->Update(done, total);
    };
  }

 private:
  std::optional<ProgressBar> bar_;
  std::string label_;
};

// The options of a law's fit (fitting/law_fits.h) from the command's.
LawFitOptions LawOptions(const FitContext& context, const InitGrid& grid) {
  LawFitOptions options;
  options.search = context.flags.options;
  options.grid = grid;
  options.bootstrap = context.bootstrap;
  options.budgets = context.budgets;
  options.warn_beyond_runs = context.warn_beyond_runs;
  options.budget_tolerance = context.budget_tolerance;
  options.min_budget_runs = context.min_budget_runs;
  options.keep_extrapolated = context.keep_extrapolated;
  return options;
}

// `fit --compute B`: each budget beyond the runs gets the warning a plan at that budget would (core/extrapolation.h),
// in the law's warnings and table as in its JSON.
void AddBudgetWarnings(const std::vector<std::string>& budget_warnings, LawReport* report) {
  for (const std::string& text : budget_warnings) {
    report->warnings.push_back(text);
    report->table += "  warning     " + text + "\n";
  }
}

LawReport ReportChinchilla(const FitContext& context, ChinchillaFit* fit_out,
                           std::optional<ChinchillaBootstrap>* bootstrap_out) {
  LawReport report;
  report.name = "chinchilla";
  LawFitOptions options = LawOptions(context, ResolveGrid(context.flags, ChinchillaModel::HoffmannGrid()));
  ChinchillaFitReport result;
  {
    StageBars bars;
    options.fit_progress = bars.Stage("fitting chinchilla");
    options.bootstrap_progress = bars.Stage("bootstrap");
    result = MakeChinchillaFitReport(context.table, options);  // fitting/law_fits.h, as the Python module
  }
  ChinchillaFit& fit = *fit_out;
  fit = std::move(result.fit);
  *bootstrap_out = std::move(result.bootstrap);
  const std::optional<FitDiagnostics>& diagnostics = result.diagnostics;
  const ChinchillaBootstrap* boot = *bootstrap_out ? &**bootstrap_out : nullptr;
  report.usable = fit.search.usable;
  report.status = fit.search.status;
  report.warnings = fit.warnings;
  report.json = std::move(result.json);
  std::ostringstream table;
  PrintFitTable(fit, context.table, boot, table);
  if (diagnostics && context.flags.show_diagnostics) table << FormatDiagnosticsTable(*diagnostics);
  report.table = table.str();
  AddBudgetWarnings(result.budget_warnings, &report);
  report.allocate = [law = fit.law](double c) { return law.ComputeOptimal(c); };
  report.exponent_params = fit.law.ExponentParams();
  report.exponent_tokens = fit.law.ExponentTokens();
  report.parameters = {{"E", fit.law.E}, {"A", fit.law.A}, {"alpha", fit.law.alpha}, {"B", fit.law.B},
                       {"beta", fit.law.beta}};
  return report;
}

LawReport ReportKaplan(const FitContext& context) {
  LawReport report;
  report.name = "kaplan";
  const InitGrid grid = ResolveGrid(context.flags, KaplanModel::DefaultGrid());
  KaplanFitReport result;
  {
    StageBars bars;
    LawFitOptions options = LawOptions(context, grid);
    options.bootstrap_progress = bars.Stage("bootstrap kaplan");
    result = MakeKaplanFitReport(context.table, options);  // fitting/law_fits.h, as the Python module
  }
  const KaplanFit& fit = result.fit;
  const std::vector<std::pair<std::string, Interval>>& intervals = result.intervals;
  const std::optional<FitDiagnostics>& diagnostics = result.diagnostics;
  report.usable = fit.search.usable;
  report.status = fit.search.status;
  report.warnings = fit.warnings;
  report.json = result.json;
  char line[256];
  std::ostringstream out;
  out << "Kaplan et al. 2020 joint law fitted to " << context.table.runs.size() << " runs from "
      << context.table.source << "\n  (the law expects non-embedding N; the runs' N is used as given)\n\n"
      << "  L(N, D) = [ (N_c/N)^(alpha_N/alpha_D) + D_c/D ]^alpha_D\n";
  const double values[] = {fit.law.n_c, fit.law.d_c, fit.law.alpha_n, fit.law.alpha_d, fit.law.ExponentParams(),
                           fit.law.ExponentTokens()};
  const char* labels[] = {"N_c", "D_c", "alpha_N", "alpha_D", "a (N_opt ~ C^a)", "b (D_opt ~ C^b)"};
  for (size_t k = 0; k < 6; ++k) {
    std::snprintf(line, sizeof line, "    %-16s %-12.6g", labels[k], values[k]);
    out << line;
    if (k < intervals.size()) {
      std::snprintf(line, sizeof line, "  [%.6g, %.6g]", intervals[k].second.lower, intervals[k].second.upper);
      out << line;
    }
    out << '\n';
  }
  std::snprintf(line, sizeof line,
                "  objective   %.10f; %d of %d starts converged, %d reached the best\n"
                "  residuals   log-space RMSE %.4f, bias %+.5f, max |r| %.4f\n",
                fit.search.objective, fit.search.num_converged, fit.search.num_starts, fit.search.num_at_best,
                fit.residuals.rmse, fit.residuals.mean, fit.residuals.max_abs);
  out << line;
  for (const std::string& warning : fit.warnings) out << "  warning     " << warning << '\n';
  if (diagnostics && context.flags.show_diagnostics) out << FormatDiagnosticsTable(*diagnostics);
  report.table = out.str();
  AddBudgetWarnings(result.budget_warnings, &report);
  report.allocate = [law = fit.law](double c) { return law.ComputeOptimal(c); };
  report.exponent_params = fit.law.ExponentParams();
  report.exponent_tokens = fit.law.ExponentTokens();
  report.parameters = {{"N_c", fit.law.n_c}, {"D_c", fit.law.d_c}, {"alpha_N", fit.law.alpha_n},
                       {"alpha_D", fit.law.alpha_d}};
  if (fit.search.usable) {
    report.golden = [fit, grid, table = &context.table](const std::vector<double>& budgets) {
      return MakeKaplanGoldenRecord(fit, grid, *table, budgets);
    };
  }
  return report;
}

LawReport ReportIsoFlop(const FitContext& context) {
  LawReport report;
  report.name = "isoflop";
  IsoFlopFitReport result;
  {
    StageBars bars;
    LawFitOptions options = LawOptions(context, InitGrid());
    options.bootstrap_progress = bars.Stage("bootstrap isoflop");
    result = MakeIsoFlopFitReport(context.table, options);  // fitting/law_fits.h, as the Python module
  }
  const IsoFlopFit& fit = result.fit;
  const std::optional<IsoFlopBootstrap>& boot = result.bootstrap;
  report.usable = fit.usable;
  report.status = fit.status;
  report.json = result.json;
  char line[256];
  std::ostringstream out;
  out << "IsoFLOP profiles (Hoffmann et al. 2022, Approach 2) on " << context.table.runs.size() << " runs from "
      << context.table.source << "\n";
  std::snprintf(line, sizeof line,
                "  %zu budgets with at least %d runs (runs within %.3g%% compute of each other are one budget)\n\n",
                result.num_budget_groups, context.min_budget_runs, 100 * context.budget_tolerance);
  out << line;
  std::snprintf(line, sizeof line, "  %12s %6s %12s %12s %9s  %s\n", "budget", "runs", "N_opt", "D_opt", "loss",
                "note");
  out << line;
  for (const IsoFlopBudget& b : fit.budgets) {
    char loss[32] = "-";
    if (b.usable) std::snprintf(loss, sizeof loss, "%.4f", b.loss_at_opt);
    std::snprintf(line, sizeof line, "  %12s %6d %12s %12s %9s  %s\n", FormatScientific(b.compute_flops).c_str(),
                  b.num_runs, b.usable ? FormatQuantity(b.num_params_opt).c_str() : "-",
                  b.usable ? FormatQuantity(b.num_tokens_opt).c_str() : "-", loss, b.note.c_str());
    out << line;
  }
  out << "  " << fit.num_budgets_used << " of " << fit.budgets.size() << " budgets used in the exponent fit";
  if (fit.num_budgets_extrapolated > 0) {
    out << " (" << fit.num_budgets_extrapolated << " with an extrapolated minimum "
        << (fit.keep_extrapolated ? "kept by --keep-extrapolated-minima" : "left out; --keep-extrapolated-minima "
                                                                           "keeps them")
        << ")";
  }
  out << '\n';
  if (fit.usable) {
    std::snprintf(line, sizeof line, "\n  N_opt = %.4g C^%.4f   D_opt = %.4g C^%.4f", fit.coeff_params,
                  fit.exponent_params, fit.coeff_tokens, fit.exponent_tokens);
    out << line;
    if (boot && !boot->exponents.empty()) {
      std::snprintf(line, sizeof line, "   (a in [%.4f, %.4f], b in [%.4f, %.4f], %g%%)", boot->exponent_params.lower,
                    boot->exponent_params.upper, boot->exponent_tokens.lower, boot->exponent_tokens.upper,
                    100 * context.bootstrap.confidence);
      out << line;
    }
    out << '\n';
    if (fit.has_frontier) {
      std::snprintf(line, sizeof line, "  L_opt = %.4g + %.4g C^-%.4f   (the loss frontier, %s)\n", fit.frontier.E,
                    fit.frontier.K, fit.frontier.gamma, fit.frontier_status.c_str());
    } else {
      std::snprintf(line, sizeof line, "  no loss frontier: %s\n", fit.frontier_status.c_str());
    }
    out << line;
    if (boot) {
      std::snprintf(line, sizeof line,
                    "  bootstrap   runs resampled within each budget; %zu of %d resamples in the intervals, %d "
                    "degenerate (fewer than 2 budgets to fit)",
                    boot->exponents.size(), boot->options.num_resamples, boot->num_degenerate);
      out << line;
      if (boot->num_failed > 0) out << ", " << boot->num_failed << " failed (exponent fit not finite)";
      std::snprintf(line, sizeof line,
                    "\n              budgets used per resample: %.2f on average; of the %d the fit uses, %.2f left "
                    "out per resample (their runs drawn gave no usable minimum)\n",
                    boot->mean_budgets_used, boot->num_budgets_used_full, boot->mean_budgets_left_out);
      out << line;
    }
  } else {
    out << "\n  not usable: " << fit.status << '\n';
  }
  if (result.diagnostics) {  // the exponent fit's standard errors (fitting/isoflop_fit.h DiagnoseIsoFlopFit)
    if (context.flags.show_diagnostics) out << FormatDiagnosticsTable(*result.diagnostics);
    for (const std::string& warning : result.diagnostics->warnings) {
      out << "  warning     " << warning << '\n';
      report.warnings.push_back(warning);
    }
  }
  report.table = out.str();
  AddBudgetWarnings(result.budget_warnings, &report);
  report.allocate = [fit](double c) { return fit.ComputeOptimal(c); };
  report.exponent_params = fit.exponent_params;
  report.exponent_tokens = fit.exponent_tokens;
  report.parameters = {{"k_N", fit.coeff_params}, {"k_D", fit.coeff_tokens}};
  if (fit.usable && fit.has_frontier) {
    report.golden = [fit, table = &context.table, tolerance = context.budget_tolerance,
                     min_runs = context.min_budget_runs](const std::vector<double>& budgets) {
      return MakeIsoFlopGoldenRecord(fit, *table, budgets, tolerance, min_runs);
    };
  }
  return report;
}

// The allocations of each usable law at each budget, side by side (each law's JSON lists its own).
void PrintSideBySide(const std::vector<LawReport>& reports, const std::vector<double>& budgets, std::ostream& out) {
  char line[256];
  out << "\nLaws side by side (N_opt ~ C^a, D_opt ~ C^b)\n";
  std::snprintf(line, sizeof line, "  %-11s %7s %7s %12s %12s %12s %12s %9s\n", "law", "a", "b", "compute", "N_opt",
                "D_opt", "tokens/param", "loss");
  out << line;
  for (const LawReport& report : reports) {
    if (!report.usable) {
      out << "  " << report.name << ": not usable: " << report.status << '\n';
      continue;
    }
    for (double c : budgets) {
      const Allocation a = report.allocate(c);
      const std::string loss = std::isfinite(a.loss_nats) ? FormatSignificant(a.loss_nats, 5) : "-";
      std::snprintf(line, sizeof line, "  %-11s %7.4f %7.4f %12s %12s %12s %12s %9s\n", report.name.c_str(),
                    report.exponent_params, report.exponent_tokens, FormatScientific(c).c_str(),
                    FormatQuantity(a.num_params).c_str(), FormatQuantity(a.num_tokens).c_str(),
                    FormatNumber(a.tokens_per_param).c_str(), loss.c_str());
      out << line;
    }
  }
}

// `fit --law data-constrained`: R_D* and R_N* of Muennighoff et al. 2023 with the base law frozen.
int FitDataConstrainedLaw(const std::string& runs_path, const RunsColumns& columns, const std::string& unique_column,
                          const FitFlags& flags, const BootstrapOptions& bootstrap, OutputFormat output,
                          const std::string& out_path) {
  const DataConstrainedRunsTable table = runs_path.empty()
                                             ? BundledMuennighoffRuns(columns.selection)
                                             : LoadDataConstrainedRunsCsv(InputPath(runs_path), columns, unique_column);
  RefuseToOverwriteInput(out_path);
  for (const std::string& warning : table.warnings) {
    std::cerr << "scaleplan: warning: " << table.source << ": " << warning << '\n';  // as LoadRunsOrBundled prints
  }
  const InitGrid grid = ResolveGrid(flags, DataConstrainedModel::NotebookGrid());
  DataConstrainedFit fit;
  {
    ProgressBar bar("fitting data-constrained law");
    fit = FitDataConstrained(table, MuennighoffC4BaseLaw(), flags.options, grid,
                             bootstrap.num_resamples > 0 ? &bootstrap : nullptr, BarCallback(&bar));
  }
  std::optional<FitDiagnostics> diagnostics;  // fitting/diagnostics.h
  if (fit.usable) {
    diagnostics = DiagnoseDataConstrainedFit(table, MuennighoffC4BaseLaw(), fit);
    fit.warnings.insert(fit.warnings.end(), diagnostics->warnings.begin(), diagnostics->warnings.end());
  }
  nlohmann::ordered_json json = DataConstrainedFitToJson(fit, table);  // the warnings too, as the other laws' JSON
  if (diagnostics) json["diagnostics"] = DiagnosticsToJson(*diagnostics);
  for (const std::string& warning : fit.warnings) {
    std::cerr << "scaleplan fit: warning: data-constrained: " << warning << '\n';
  }
  if (!out_path.empty() && fit.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
  } else {
    char line[256];
    std::cout << "Data-constrained law (Muennighoff et al. 2023) fitted to " << table.runs.size() << " runs from "
              << table.source << "\n  base law frozen at Muennighoff et al.'s C4 fit; repeated data and excess "
              << "parameters decay with R_D* and R_N*\n\n";
    const std::pair<const char*, double> constants[] = {{"R_D*", fit.R_D_star}, {"R_N*", fit.R_N_star}};
    const char* published[] = {"15.387756", "5.309743"};
    for (size_t k = 0; k < 2; ++k) {
      std::snprintf(line, sizeof line, "    %s   %-10.6g", constants[k].first, constants[k].second);
      std::cout << line;
      if (k < fit.intervals.size()) {  // fit.intervals: R_D_star, R_N_star
        std::snprintf(line, sizeof line, " [%.6g, %.6g]", fit.intervals[k].second.first,
                      fit.intervals[k].second.second);
        std::cout << line;
      }
      std::cout << "   (published " << published[k] << ")\n";
    }
    std::snprintf(line, sizeof line,
                  "  objective (Huber sum, delta %g)  %.10f\n  residuals   log-space RMSE %.4f, max |r| %.4f\n",
                  flags.options.huber_delta, fit.objective, fit.rmse, fit.max_abs);
    std::cout << line;
    if (!fit.intervals.empty()) {
      std::snprintf(line, sizeof line,
                    "  intervals   %g%% bootstrap percentiles, %d resamples (%d failed), seed %llu\n",
                    100.0 * bootstrap.confidence, fit.bootstrap.num_resamples, fit.bootstrap.num_failed,
                    static_cast<unsigned long long>(bootstrap.seed));
      std::cout << line;
    }
    std::cout << "  note: the objective is a long, flat valley in which R_D* trades against R_N*; from the notebook's\n"
                 "        starts (the default grid) the fit lands on the published point, while a wide grid such as\n"
                 "        --grid 'R_D_star=0.5:1024:8,R_N_star=0.5:64:2' finds optima further along it\n";
    if (fit.local_optima.size() > 1) {
      std::cout << "  other optima reached (the objective is a long, flat valley trading R_D* against R_N*):\n";
      for (size_t i = 1; i < fit.local_optima.size(); ++i) {
        std::snprintf(line, sizeof line, "    R_D* %-10.6g R_N* %-10.6g objective %.10f\n",
                      fit.local_optima[i].R_D_star, fit.local_optima[i].R_N_star, fit.local_optima[i].objective);
        std::cout << line;
      }
    }
    if (diagnostics && flags.show_diagnostics) std::cout << FormatDiagnosticsTable(*diagnostics);
  }
  if (!fit.usable) {
    std::cerr << "scaleplan fit: error: the data-constrained fit is not usable: " << fit.status << '\n';
    return kExitFitFailed;
  }
  return kExitOk;
}

// `fit --law sparse` and `fit --law frantar2023-t5`: Frantar et al. 2023's eq. 1 (fitting/sparse_fit.h).
int FitSparseLawCommand(const std::string& runs_path, const std::string& law_name, SparseRunsOptions sparse_options,
                        const RunsColumns& columns, const FitFlags& flags, const BootstrapOptions& bootstrap,
                        OutputFormat output, const std::string& out_path) {
  const bool bundled = runs_path.empty();
  if (law_name == "frantar2023-t5" && !bundled) {
    throw UsageError("--law frantar2023-t5 fits the bundled T5 runs beside the published law; fit your own runs "
                     "with --law sparse");
  }
  sparse_options.params_column = columns.params;
  sparse_options.tokens_column = columns.tokens;
  sparse_options.loss_column = columns.loss;
  sparse_options.selection = columns.selection;
  const double bundled_tokens_per_step =
      sparse_options.tokens_per_step > 0 ? sparse_options.tokens_per_step : kT5TokensPerStep;
  const SparseRunsTable table = bundled ? BundledFrantarT5Runs(bundled_tokens_per_step, columns.selection)
                                        : LoadSparseRunsCsv(InputPath(runs_path), sparse_options);
  RefuseToOverwriteInput(out_path);
  const InitGrid grid = ResolveGrid(flags, SparseModel::DefaultGrid());
  SparseFit fit;
  {
    ProgressBar bar("fitting sparse law");
    fit = FitSparseLaw(table, flags.options, grid, bootstrap.num_resamples > 0 ? &bootstrap : nullptr,
                       BarCallback(&bar));
  }
  std::optional<FitDiagnostics> diagnostics;  // fitting/diagnostics.h
  if (fit.search.usable) {
    diagnostics = DiagnoseSparseFit(table, fit);
    fit.warnings.insert(fit.warnings.end(), diagnostics->warnings.begin(), diagnostics->warnings.end());
  }
  const SparseLaw published = FrantarT5Law(bundled_tokens_per_step);
  nlohmann::ordered_json json =
      SparseFitToJson(fit, table, bundled ? &published : nullptr, bundled ? bundled_tokens_per_step : 0.0);
  if (diagnostics) json["diagnostics"] = DiagnosticsToJson(*diagnostics);
  if (!out_path.empty() && fit.search.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
    for (const std::string& warning : fit.warnings) std::cerr << "scaleplan fit: warning: sparse: " << warning << '\n';
  } else {
    char line[256];
    std::cout << "Sparse law (Frantar et al. 2023, eq. 1) fitted to " << table.runs.size() << " runs from "
              << table.source << '\n';
    for (const std::string& note : table.notes) std::cout << "  note: " << note << '\n';
    std::cout << "\n  L(S, N, D) = (a_S (1 - S)^b_S + c_S) (1 / N)^b_N + (a_D / D)^b_D + c   (N non-zero, D tokens)\n";
    const double values[] = {fit.law.a_S, fit.law.b_S, fit.law.c_S, fit.law.b_N, fit.law.a_D, fit.law.b_D, fit.law.c};
    const double notebook[] = {published.a_S, published.b_S, published.c_S, published.b_N,
                               published.a_D, published.b_D, published.c};
    for (size_t k = 0; k < SparseIntervalNames().size(); ++k) {
      std::snprintf(line, sizeof line, "    %-6s %-14.6g", SparseIntervalNames()[k].c_str(), values[k]);
      std::cout << line;
      if (k < fit.intervals.size()) {
        std::snprintf(line, sizeof line, " [%.6g, %.6g]", fit.intervals[k].second.first,
                      fit.intervals[k].second.second);
        std::cout << line;
      }
      if (bundled) {
        std::snprintf(line, sizeof line, "   published %.6g", notebook[k]);
        std::cout << line;
      }
      std::cout << '\n';
    }
    std::snprintf(line, sizeof line,
                  "  objective (Huber sum, delta %g)  %.6e; log-space RMSE %.4f, max |r| %.4f; %d sparsity levels\n",
                  flags.options.huber_delta, fit.search.objective, fit.stats.rmse, fit.stats.max_abs,
                  fit.num_sparsity_levels);
    std::cout << line;
    std::cout << "  search      " << fit.search.num_starts << " of " << fit.search.num_grid_points
              << " grid points; " << fit.search.num_converged << " converged, " << fit.search.num_at_best
              << " reached the best optimum\n";
    if (bundled) {
      const SparseLawStats stats = SparseStats(published, table, flags.options.huber_delta);
      std::snprintf(line, sizeof line,
                    "  published   the notebook's coefficients: objective %.6e, log-space RMSE %.4f (they are not "
                    "this objective's optimum)\n",
                    stats.objective, stats.rmse);
      std::cout << line;
      const SparseHeldOutRun held;
      const double tokens = held.steps * bundled_tokens_per_step;
      std::snprintf(line, sizeof line,
                    "  held out    S %.3g, %s non-zero, %.3g steps: measured %.4f; this fit %.4f, published %.4f\n",
                    held.sparsity, FormatQuantity(held.num_nonzero_params).c_str(), held.steps, held.loss_nats,
                    fit.search.usable ? fit.law.Loss(held.sparsity, held.num_nonzero_params, tokens) : 0.0,
                    published.Loss(held.sparsity, held.num_nonzero_params, tokens));
      std::cout << line << "              a lower objective is not automatically a better extrapolation\n";
      std::snprintf(line, sizeof line,
                    "  note        the T5 runs count steps; D = steps x %.6g tokens (T5's usual 128 x 512 unless "
                    "--tokens-per-step says otherwise)\n",
                    bundled_tokens_per_step);
      std::cout << line;
    }
    for (const std::string& warning : fit.warnings) std::cout << "  warning     " << warning << '\n';
    if (diagnostics && flags.show_diagnostics) std::cout << FormatDiagnosticsTable(*diagnostics);
  }
  if (!fit.search.usable) {
    std::cerr << "scaleplan fit: error: the sparse fit is not usable: " << fit.search.status << '\n';
    return kExitFitFailed;
  }
  return kExitOk;
}

// `fit --law moe`: Krajewski et al. 2024's eq. 9 fitted to the user's MoE runs (fitting/sparse_fit.h).
int FitMoeLawCommand(const std::string& runs_path, const RunsColumns& columns, const FitFlags& flags,
                     const BootstrapOptions& bootstrap, OutputFormat output, const std::string& out_path) {
  if (runs_path.empty()) throw UsageError("--law moe needs a runs file (no MoE runs are bundled)");
  const MoeRunsTable table = LoadMoeRunsCsv(InputPath(runs_path), columns);
  RefuseToOverwriteInput(out_path);
  const InitGrid grid = ResolveGrid(flags, MoeModel::DefaultGrid());
  MoeFit fit;
  {
    ProgressBar bar("fitting moe law");
    fit = FitMoeLaw(table, flags.options, grid, bootstrap.num_resamples > 0 ? &bootstrap : nullptr, BarCallback(&bar));
  }
  std::optional<FitDiagnostics> diagnostics;  // fitting/diagnostics.h DiagnoseMoeFit
  if (fit.search.usable) {
    diagnostics = DiagnoseMoeFit(table, fit);
    fit.warnings.insert(fit.warnings.end(), diagnostics->warnings.begin(), diagnostics->warnings.end());
  }
  nlohmann::ordered_json json = MoeFitToJson(fit, table);
  if (diagnostics) json["diagnostics"] = DiagnosticsToJson(*diagnostics);
  if (!out_path.empty() && fit.search.usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
    for (const std::string& warning : fit.warnings) std::cerr << "scaleplan fit: warning: moe: " << warning << '\n';
  } else {
    char line[256];
    std::cout << "Fine-grained MoE law (Krajewski et al. 2024, eq. 9) fitted to " << table.runs.size()
              << " runs from " << table.source << '\n';
    for (const std::string& note : table.notes) std::cout << "  note: " << note << '\n';
    std::cout << "\n  L(N, D, G) = c + (g / G^gamma + a) / N^alpha + b / D^beta   (N total, G granularity)\n";
    const FineGrainedMoeLaw published = KrajewskiMoeLaw();
    const char* names[] = {"a", "alpha", "b", "beta", "g", "gamma", "c"};
    const double values[] = {fit.law.a, fit.law.alpha, fit.law.b, fit.law.beta, fit.law.g, fit.law.gamma, fit.law.c};
    const double paper[] = {published.a, published.alpha, published.b, published.beta,
                            published.g, published.gamma, published.c};
    for (size_t k = 0; k < 7; ++k) {
      std::snprintf(line, sizeof line, "    %-6s %-14.6g", names[k], values[k]);
      std::cout << line;
      if (k < fit.intervals.size()) {
        std::snprintf(line, sizeof line, " [%.6g, %.6g]", fit.intervals[k].second.first,
                      fit.intervals[k].second.second);
        std::cout << line;
      }
      std::snprintf(line, sizeof line, "   published %.6g\n", paper[k]);
      std::cout << line;
    }
    if (!fit.intervals.empty()) {
      std::snprintf(line, sizeof line, "  intervals   %g%% bootstrap percentiles, %d resamples (%d failed)\n",
                    100.0 * bootstrap.confidence, fit.bootstrap.num_resamples, fit.bootstrap.num_failed);
      std::cout << line;
    }
    std::snprintf(line, sizeof line,
                  "  objective (Huber sum, delta %g)  %.6e; log-space RMSE %.4f; %d granularities; published "
                  "law's objective %.6e\n",
                  flags.options.huber_delta, fit.search.objective, fit.rmse, fit.num_granularities,
                  MoeObjective(published, table, flags.options.huber_delta));
    std::cout << line;
    for (const std::string& warning : fit.warnings) std::cout << "  warning     " << warning << '\n';
    if (diagnostics && flags.show_diagnostics) std::cout << FormatDiagnosticsTable(*diagnostics);
  }
  if (!fit.search.usable) {
    std::cerr << "scaleplan fit: error: the moe fit is not usable: " << fit.search.status << '\n';
    return kExitFitFailed;
  }
  return kExitOk;
}

// `fit --law routing`: Clark et al. 2022's eq. 1 per router (fitting/sparse_fit.h).
int FitRoutingLawCommand(const std::string& runs_path, const RunSelection& selection, const FitFlags& flags,
                         const BootstrapOptions& bootstrap, OutputFormat output, const std::string& out_path) {
  const RoutingRunsTable table =
      runs_path.empty() ? BundledClarkRuns(selection) : LoadRoutingRunsCsv(InputPath(runs_path), selection);
  RefuseToOverwriteInput(out_path);
  const InitGrid grid = ResolveGrid(flags, RoutingModel::DefaultGrid());
  std::vector<RoutingFit> fits;
  {
    ProgressBar bar("fitting routing law");
    fits = FitRoutingLaws(table, flags.options, grid, bootstrap.num_resamples > 0 ? &bootstrap : nullptr,
                          BarCallback(&bar));
  }
  // One diagnosis per usable router (fitting/diagnostics.h DiagnoseRoutingFit), in JSON under its router always.
  std::vector<std::optional<FitDiagnostics>> diagnostics(fits.size());
  nlohmann::ordered_json json = RoutingFitsToJson(fits, table);
  for (size_t k = 0; k < fits.size(); ++k) {
    if (!fits[k].search.usable) continue;
    diagnostics[k] = DiagnoseRoutingFit(table, fits[k]);
    json["routers"][k]["diagnostics"] = DiagnosticsToJson(*diagnostics[k]);
    json["routers"][k]["warnings"] = diagnostics[k]->warnings;
  }
  bool usable = true;
  for (const RoutingFit& fit : fits) usable = usable && fit.search.usable;
  if (!out_path.empty() && usable) WriteFileAtomically(out_path, json.dump(2) + "\n");
  if (output == OutputFormat::JSON) {
    std::cout << json.dump(2) << '\n';
    for (size_t k = 0; k < fits.size(); ++k) {
      if (!diagnostics[k]) continue;
      for (const std::string& warning : diagnostics[k]->warnings) {
        std::cerr << "scaleplan fit: warning: routing " << fits[k].router << ": " << warning << '\n';
      }
    }
  } else {
    char line[256];
    std::cout << "Routing law (Clark et al. 2022, eq. 1) fitted per router to " << table.runs.size() << " runs from "
              << table.source << " (each router's runs with the Dense runs as E = 1)\n";
    for (const std::string& note : table.notes) std::cout << "  note: " << note << '\n';
    std::cout << "  log10 L = a log10 N + b log10 E^ + c log10 N log10 E^ + d,  "
                 "1/E^ = 1/(E - 1 + (1/E_start - 1/E_max)^-1) + 1/E_max\n\n";
    std::snprintf(line, sizeof line, "  %-8s %5s %9s %9s %9s %9s %9s %9s %12s\n", "router", "runs", "a", "b", "c",
                  "d", "E_start", "E_max", "objective");
    std::cout << line;
    for (const RoutingFit& fit : fits) {
      std::snprintf(line, sizeof line, "  %-8s %5d %9.5f %9.5f %9.5f %9.5f %9.4g %9.4g %12.6e\n", fit.router.c_str(),
                    fit.num_runs, fit.law.a, fit.law.b, fit.law.c, fit.law.d, fit.law.e_start, fit.law.e_max,
                    fit.objective);
      std::cout << line;
      if (!fit.intervals.empty()) {
        // The interval of each coefficient, low end over high end, under its column.
        for (int end = 0; end < 2; ++end) {
          auto bound = [&](size_t k) {
            return end == 0 ? fit.intervals[k].second.first : fit.intervals[k].second.second;
          };
          std::snprintf(line, sizeof line, "  %-8s %5s %9.5f %9.5f %9.5f %9.5f %9.4g %9.4g\n",
                        end == 0 ? "  low" : "  high", "", bound(0), bound(1), bound(2), bound(3), bound(4), bound(5));
          std::cout << line;
        }
      }
      if (fit.has_published) {
        std::snprintf(line, sizeof line, "  %-8s %5s %9.5f %9.5f %9.5f %9.5f %9.4g %9.4g %12.6e\n", "  published",
                      "", fit.published.a, fit.published.b, fit.published.c, fit.published.d,
                      fit.published.e_start, fit.published.e_max, fit.published_objective);
        std::cout << line;
      }
    }
    if (!fits.empty() && !fits.front().intervals.empty()) {
      std::snprintf(line, sizeof line,
                    "\n  low, high: %g%% bootstrap percentiles, %d resamples of each router's runs\n",
                    100.0 * bootstrap.confidence, bootstrap.num_resamples);
      std::cout << line;
    }
    std::cout << "\n  published: Clark et al. 2022, Table 3, with its objective on the same runs; log RMSE fit";
    for (const RoutingFit& fit : fits) {
      std::snprintf(line, sizeof line, ", %s %.4f", fit.router.c_str(), fit.rmse);
      std::cout << line;
      if (fit.has_published) {
        std::snprintf(line, sizeof line, " (published %.4f)", fit.published_rmse);
        std::cout << line;
      }
    }
    std::cout << '\n';
    std::cout << "\n  objective: the sum of Huber_1e-3 of the natural-log residual. Clark et al. minimised the mean\n"
                 "  squared log10 error, so their coefficients are not expected to be this objective's optimum.\n";
    for (size_t k = 0; k < fits.size(); ++k) {
      if (!diagnostics[k]) continue;
      for (const std::string& warning : diagnostics[k]->warnings) {
        std::cout << "  warning     " << fits[k].router << ": " << warning << '\n';
      }
    }
    for (size_t k = 0; k < fits.size() && flags.show_diagnostics; ++k) {
      if (!diagnostics[k]) continue;
      std::cout << "\n  " << fits[k].router << " (" << fits[k].num_runs << " runs with the Dense ones)"
                << FormatDiagnosticsTable(*diagnostics[k]);
    }
  }
  for (const RoutingFit& fit : fits) {
    if (!fit.search.usable) {
      std::cerr << "scaleplan fit: error: the routing fit of " << fit.router << " is not usable: "
                << fit.search.status << '\n';
      return kExitFitFailed;
    }
  }
  return kExitOk;
}

// The laws `law_name` names (chinchilla, kaplan, isoflop or all), fitted to context.table, each with its allocations.
std::vector<LawReport> FitLaws(const FitContext& context, const std::string& law_name, ChinchillaFit* chinchilla_fit,
                               std::optional<ChinchillaBootstrap>* chinchilla_bootstrap) {
  std::vector<LawReport> reports;
  if (law_name == "chinchilla" || law_name == "all") {
    reports.push_back(ReportChinchilla(context, chinchilla_fit, chinchilla_bootstrap));
  }
  if (law_name == "kaplan" || law_name == "all") reports.push_back(ReportKaplan(context));
  if (law_name == "isoflop" || law_name == "all") reports.push_back(ReportIsoFlop(context));
  return reports;
}

// One group's fits (--group-by), or the verdict that kept it from being fitted.
struct GroupReport {
  nlohmann::ordered_json group;  // column -> value
  std::string label;             // "source=a, size=2"
  size_t num_runs = 0;
  std::string verdict;           // the runs cannot be fitted (an input error), "" when they were
  std::vector<LawReport> reports;
  nlohmann::ordered_json golden;  // with --save-golden: the group's golden record (null when it has none)
  bool Fitted() const {
    return std::any_of(reports.begin(), reports.end(), [](const LawReport& report) { return report.usable; });
  }
};

// The groups side by side: one column per group, one row per coefficient, exponent and allocation.
void PrintGroupsSideBySide(const std::vector<GroupReport>& groups, const std::vector<double>& budgets,
                           std::ostream& out) {
  char line[256];
  out << "\nGroups side by side\n";
  for (size_t g = 0; g < groups.size(); ++g) out << "  [" << g + 1 << "] " << groups[g].label << '\n';
  const auto row = [&](const std::string& label, const std::function<std::string(const GroupReport&)>& cell) {
    std::snprintf(line, sizeof line, "  %-26s", label.c_str());
    out << line;
    for (const GroupReport& group : groups) {
      std::snprintf(line, sizeof line, " %13s", cell(group).c_str());
      out << line;
    }
    out << '\n';
  };
  row("", [&](const GroupReport& group) { return "[" + std::to_string(&group - groups.data() + 1) + "]"; });
  row("runs", [](const GroupReport& group) { return std::to_string(group.num_runs); });
  // The laws fitted, in the order of the first group that was fitted (every fitted group has the same ones).
  const auto fitted =
      std::find_if(groups.begin(), groups.end(), [](const GroupReport& g) { return g.verdict.empty(); });
  if (fitted == groups.end()) return;
  for (size_t k = 0; k < fitted->reports.size(); ++k) {
    const LawReport& model = fitted->reports[k];
    const auto usable = [k](const GroupReport& group) -> const LawReport* {
      if (!group.verdict.empty() || k >= group.reports.size() || !group.reports[k].usable) return nullptr;
      return &group.reports[k];
    };
    row(model.name, [&](const GroupReport& group) -> std::string {
      if (!group.verdict.empty()) return "no fit";
      return usable(group) ? "usable" : "not usable";
    });
    for (size_t p = 0; p < model.parameters.size(); ++p) {
      row("  " + model.parameters[p].first, [&](const GroupReport& group) {
        const LawReport* report = usable(group);
        return report ? FormatSignificant(report->parameters[p].second, 6) : std::string("-");
      });
    }
    row("  a (N_opt ~ C^a)", [&](const GroupReport& group) {
      const LawReport* report = usable(group);
      return report ? FormatSignificant(report->exponent_params, 4) : std::string("-");
    });
    row("  b (D_opt ~ C^b)", [&](const GroupReport& group) {
      const LawReport* report = usable(group);
      return report ? FormatSignificant(report->exponent_tokens, 4) : std::string("-");
    });
    for (double c : budgets) {
      row("  N_opt at " + FormatScientific(c), [&](const GroupReport& group) {
        const LawReport* report = usable(group);
        return report ? FormatQuantity(report->allocate(c).num_params) : std::string("-");
      });
      row("  D_opt at " + FormatScientific(c), [&](const GroupReport& group) {
        const LawReport* report = usable(group);
        return report ? FormatQuantity(report->allocate(c).num_tokens) : std::string("-");
      });
    }
  }
}

// `fit --group-by COL[,COL]`: one fit (of each law asked for) per group of runs. Exit 0 when at least one group was
// fitted; otherwise the exit code one fit would give.
// With `golden_path`, the groups' goldens in one file (fitting/golden_groups.h): written only when every group has
// one, else refused naming the group.
int FitGroups(const RunsTable& table, const std::string& law_name, const FitFlags& flags,
              const BootstrapOptions& bootstrap, double budget_tolerance, int min_budget_runs, bool keep_extrapolated,
              const std::vector<double>& budgets, bool budgets_given, OutputFormat output,
              const std::string& golden_path = "", const std::vector<double>& golden_budgets = {}) {
  const std::vector<RunsTable> parts = SplitRunsByGroup(table);
  std::vector<GroupReport> groups;
  for (const RunsTable& part : parts) {
    GroupReport group;
    group.label = GroupLabel(part, 0);
    group.group = nlohmann::ordered_json::object();
    for (size_t k = 0; k < part.group_columns.size(); ++k) {
      group.group[part.group_columns[k]] = part.group_values.front()[k];
    }
    group.num_runs = part.runs.size();
    // No extrapolation warnings per group (each group's allocations are listed at the budgets): fitting/law_fits.h.
    const FitContext context{part,
                             flags,
                             bootstrap,
                             budget_tolerance,
                             min_budget_runs,
                             keep_extrapolated,
                             budgets,
                             WarnsBeyondFittedRuns(budgets_given, part)};
    ChinchillaFit chinchilla_fit;
    std::optional<ChinchillaBootstrap> chinchilla_bootstrap;
    try {
      group.reports = FitLaws(context, law_name, &chinchilla_fit, &chinchilla_bootstrap);
    } catch (const InputError& error) {
      group.verdict = error.what();
    }
    if (!golden_path.empty() && group.verdict.empty()) {  // as the ungrouped --save-golden records each law
      if (law_name == "chinchilla" && chinchilla_fit.search.usable) {
        group.golden = MakeGolden(chinchilla_fit, part, chinchilla_bootstrap ? &*chinchilla_bootstrap : nullptr,
                                  golden_budgets);
      } else if (law_name != "chinchilla" && group.reports.front().usable && group.reports.front().golden) {
        group.golden = GoldenToJson(group.reports.front().golden(golden_budgets));
      }
    }
    groups.push_back(std::move(group));
  }
  if (!golden_path.empty()) {
    std::vector<std::pair<nlohmann::ordered_json, nlohmann::ordered_json>> goldens;
    for (const GroupReport& group : groups) {
      if (group.golden.is_null()) {
        const std::string why = !group.verdict.empty() ? group.verdict
                                : !group.reports.empty() && !group.reports.front().usable
                                    ? group.reports.front().status
                                    : std::string("no loss frontier");
        std::cerr << "scaleplan fit: error: --save-golden: group " << group.label << " has no " << law_name
                  << " fit to record (" << why << "); a grouped golden records every group: leave it out with "
                  << "--filter\n";
        // Too few runs (or runs that cannot identify the law) are bad input; a fit that did not converge is not.
        return group.verdict.empty() ? kExitFitFailed : kExitInputError;
      }
      goldens.emplace_back(group.group, group.golden);
    }
    WriteFileAtomically(golden_path, GroupedGoldenToJson(table.group_columns, goldens).dump(2) + "\n");
  }
  if (output == OutputFormat::JSON) {
    nlohmann::ordered_json all;
    all["source"] = table.source;
    all["group_by"] = table.group_columns;
    all["groups"] = nlohmann::ordered_json::array();
    for (const GroupReport& group : groups) {
      nlohmann::ordered_json entry;
      entry["group"] = group.group;
      entry["num_runs"] = group.num_runs;
      if (!group.verdict.empty()) {
        entry["usable"] = false;
        entry["status"] = group.verdict;
      } else if (group.reports.size() == 1) {
        for (const auto& [key, value] : group.reports.front().json.items()) entry[key] = value;
      } else {
        entry["laws"] = nlohmann::ordered_json::array();
        for (const LawReport& report : group.reports) entry["laws"].push_back(report.json);
      }
      all["groups"].push_back(entry);
    }
    std::cout << all.dump(2) << '\n';
  } else {
    for (size_t g = 0; g < groups.size(); ++g) {
      std::cout << (g ? "\n" : "") << "=== [" << g + 1 << "] " << groups[g].label << " (" << groups[g].num_runs
                << " runs)\n";
      if (!groups[g].verdict.empty()) {
        std::cout << "  not fitted: " << groups[g].verdict << '\n';
        continue;
      }
      for (size_t i = 0; i < groups[g].reports.size(); ++i) {
        std::cout << (i ? "\n" : "") << groups[g].reports[i].table;
      }
    }
    PrintGroupsSideBySide(groups, budgets, std::cout);
  }
  bool any_fitted = false;
  bool any_verdict = false;
  for (const GroupReport& group : groups) {
    any_fitted = any_fitted || group.Fitted();
    any_verdict = any_verdict || !group.verdict.empty();
    const std::string where = "group " + group.label + ": ";
    if (!group.verdict.empty()) {
      std::cerr << "scaleplan fit: warning: " << where << "not fitted: " << group.verdict << '\n';
    }
    for (const LawReport& report : group.reports) {
      if (output == OutputFormat::JSON) {
        for (const std::string& warning : report.warnings) {
          std::cerr << "scaleplan fit: warning: " << where << report.name << ": " << warning << '\n';
        }
      }
      if (!report.usable) {
        std::cerr << "scaleplan fit: warning: " << where << "the " << report.name
                  << " fit is not usable: " << report.status << '\n';
      }
    }
  }
  if (any_fitted) return kExitOk;
  std::cerr << "scaleplan fit: error: no group could be fitted\n";
  return any_verdict ? kExitInputError : kExitFitFailed;
}

// The search options of fit's flags for a law of fitting/law_table.h (the grid as given; the law's default otherwise).
TableLawOptions TableLawOptionsOf(const FitFlags& flags) {
  TableLawOptions options;
  options.search = flags.options;
  options.grid_spec = flags.grid_spec;
  return options;
}

std::vector<double> ParseBudgets(const std::string& text) {
  return ParseNumberList(text, "--compute", Range::POSITIVE);
}

// The options of `fit` that only some laws read, with those laws: given with another law, one is refused (exit 2,
// naming the option and the law) rather than silently ignored. Every other option applies to every law here.
struct LawOnlyOption {
  const char* name;
  std::vector<std::string> laws;
};

const std::vector<LawOnlyOption>& LawOnlyOptions() {
  static const std::vector<LawOnlyOption> options = {
      {"compute", {"chinchilla", "kaplan", "isoflop", "all"}},  // the allocations shown (and a chinchilla golden's)
      {"budget-tolerance", {"isoflop", "all"}},
      {"min-budget-runs", {"isoflop", "all"}},
      {"keep-extrapolated-minima", {"isoflop", "all"}},
      {"diagnostics",
       {"chinchilla", "kaplan", "isoflop", "all", "data-constrained", "sparse", "frantar2023-t5", "moe", "routing"}},
      {"u-col", {"data-constrained"}},
      {"sparsity-col", {"sparse", "frantar2023-t5"}},
      {"n-is-dense", {"sparse", "frantar2023-t5"}},
      {"tokens-per-step", {"sparse", "frantar2023-t5"}},
      {"c-col", {"chinchilla", "kaplan", "isoflop", "all", "data-constrained"}},
      // The routing runs' columns are named by Clark et al.'s headers (core/sparse_laws.h LoadRoutingRunsCsv).
      {"n-col", {"chinchilla", "kaplan", "isoflop", "all", "data-constrained", "sparse", "frantar2023-t5", "moe"}},
      {"d-col", {"chinchilla", "kaplan", "isoflop", "all", "data-constrained", "sparse", "frantar2023-t5", "moe"}},
      {"loss-col", {"chinchilla", "kaplan", "isoflop", "all", "data-constrained", "sparse", "frantar2023-t5", "moe"}},
  };
  return options;
}

// UsageError for the first option of LawOnlyOptions given on the command line that `law_name` does not read.
void RefuseOptionsOfOtherLaws(const po::variables_map& vm, const std::string& law_name) {
  for (const LawOnlyOption& option : LawOnlyOptions()) {
    if (vm.count(option.name) == 0 || vm[option.name].defaulted()) continue;
    if (std::find(option.laws.begin(), option.laws.end(), law_name) != option.laws.end()) continue;
    std::string laws;
    for (size_t k = 0; k < option.laws.size(); ++k) {
      laws += (k == 0 ? "" : k + 1 == option.laws.size() ? " and " : ", ") + option.laws[k];
    }
    throw UsageError("--" + std::string(option.name) + " does not apply to --law " + law_name + " (only to " + laws +
                     ")");
  }
}

int Fit(const std::vector<std::string>& args) {
  if (AsksForHyperparamsLaw(args)) return FitHyperparamsLaw(args);  // its own options: cli/hyperparams_command.cc
  if (AsksForExpressionLaw(args)) return FitExpressionLawCommand(args);  // its own options: cli/expression_command.cc
  std::string runs_path;
  std::string format;
  std::string out_path;
  std::string golden_path;
  std::string law_name = "chinchilla";
  std::string unique_column;
  std::string compute_text = "5.76e23";
  RunsColumns columns;
  FitFlags flags;
  BootstrapOptions bootstrap_options;
  int num_resamples = 0;
  double budget_tolerance = kDefaultBudgetTolerance;
  int min_budget_runs = kDefaultIsoFlopMinBudgetRuns;
  bool keep_extrapolated = false;
  po::options_description options("Options");
  options.add_options()("help,h", "show this help")
      ("runs", po::value(&runs_path), "runs CSV (positional); default: the bundled Chinchilla runs")
      ("law", po::value(&law_name)->default_value(law_name),
       "chinchilla (Approach 3), kaplan (Kaplan et al. 2020, non-embedding N), isoflop (Approach 2), all, or "
       "data-constrained (R_D*, R_N* of Muennighoff et al. 2023; default runs: their bundled C4 runs), sparse "
       "(Frantar et al. 2023's weight-sparse law; default runs: their bundled T5 runs), frantar2023-t5 (the same "
       "fit beside the published T5 law), routing (Clark et al. 2022 per router; default runs: their bundled "
       "runs) or moe (Krajewski et al. 2024's fine-grained MoE law on your runs)")
      ("u-col", po::value(&unique_column), "data-constrained: column holding U, the unique tokens")
      ("law-expr", po::value<std::string>(),
       "a law of your own form instead of --law, e.g. 'E + A/N^alpha + B/D^beta' (its options: fit --law-expr X --help)")
      ("param", po::value<std::vector<std::string>>(), "--law-expr: NAME=LO:HI:STEP (a parameter's starts), repeated")
      ("compute", po::value(&compute_text)->default_value(compute_text),
       "budget(s) at which to show each law's allocation, comma-separated")
      ("out,o", po::value(&out_path), "also save the fit as JSON to this file (read by 'plan --fit')")
      ("save-golden", po::value(&golden_path),
       "record this fit (parameters, intervals, predictions at --compute or 1e21,1e23,5.76e23,1e25, data hash, "
       "options) as a golden file for 'scaleplan check'; data-constrained, sparse, moe and routing record their "
       "parameters, objective, data hash and options (and the U column)")
      ("budget-tolerance", NumberValue<Range::OPEN_FRACTION>(&budget_tolerance),
       "isoflop: runs whose compute differs by less than this fraction form one budget")
      ("min-budget-runs", CountValue(&min_budget_runs),
       "isoflop: budgets with fewer runs are left out of the parabola fits (validate's option of the same name "
       "chooses which budgets are held out, hence its own default)")
      ("keep-extrapolated-minima", po::bool_switch(&keep_extrapolated),
       "isoflop: also fit the exponents to budgets whose parabola minimum lies outside their sampled model sizes "
       "(left out by default)")
      ("diagnostics", po::bool_switch(&flags.show_diagnostics),
       "chinchilla, kaplan, isoflop (the exponent fit), data-constrained, sparse, moe, routing (per router), "
       "--law-expr: also print standard errors, correlations, unconstrained parameters and residual trends "
       "(always in --format json, under 'diagnostics')");
  AddFormatOption(&options, &format);
  AddColumnOptions(&options, &columns);
  AddRunSelectionOptions(&options, &columns, true);
  AddFitOptions(&options, &flags);
  SparseRunsOptions sparse_options;
  options.add_options()
      ("sparsity-col", po::value(&sparse_options.sparsity_column),
       "sparse: column holding S, the fraction of zero weights (default: sparsity or S; a density column gives "
       "S = 1 - density)")
      ("n-is-dense", po::bool_switch(&sparse_options.params_are_dense),
       "sparse: the N column counts all weights, zeros included (N non-zero = N (1 - S))")
      ("tokens-per-step", po::value(&sparse_options.tokens_per_step),
       "sparse: read D from a steps column times this many tokens (the bundled T5 runs: 65536 by default)");
  options.add_options()
      ("bootstrap", CountValueOrAlone<kMinBootstrapResamples>(&num_resamples, bootstrap_options.num_resamples),
       "percentile intervals from this many resamples of the runs (--bootstrap alone: 1000; '=N' for N)")
      ("seed", CountValue(&bootstrap_options.seed),
       "bootstrap seed: the same seed gives the same numbers for any thread count")
      ("ci", NumberValue<Range::OPEN_FRACTION>(&bootstrap_options.confidence),
       "bootstrap interval level, e.g. 0.9");
  po::positional_options_description positional;
  positional.add("runs", 1);
  po::variables_map vm;
  ParseOptions(args, options, positional, &vm);
  if (vm.count("help")) {
    PrintHelp("scaleplan fit [RUNS.csv] [options]", options,
              {"scaleplan fit                                   # the bundled Chinchilla runs (240 after selection)",
               "scaleplan fit runs.csv --format json            # your runs; columns detected from the header",
               "scaleplan fit runs.csv --loss-col eval/loss --out fit.json",
               "scaleplan fit --exhaustive --threads 2          # L-BFGS from all 4,500 grid points",
               "scaleplan fit --bootstrap=4000 --ci 0.95        # with 95% bootstrap intervals",
               "scaleplan fit --bootstrap --out fit.json        # plan --fit fit.json then shows intervals too",
               "scaleplan fit --law all --compute 1e21,1e24     # Approach 3, Kaplan and IsoFLOP side by side",
               "scaleplan fit --filter 'Model Size<1B'          # only the runs below 1B parameters",
               "scaleplan fit --law isoflop --keep-extrapolated-minima   # also budgets whose minimum is extrapolated",
               "scaleplan fit --law data-constrained --bootstrap=200   # R_D*, R_N* on the bundled Muennighoff et al. "
               "runs, with intervals",
               "scaleplan fit --law frantar2023-t5              # sparse T5 runs: the fit beside the published law",
               "scaleplan fit --law routing --bootstrap=200     # Clark et al. per router with intervals, beside "
               "their Table 3",
               "scaleplan fit --law hyperparams sweep.csv       # batch and learning-rate laws (its own --help)",
               "scaleplan fit --law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 "
               "--param alpha=0.2:0.6:0.2 --param B=500:3000:500 --param beta=0.2:0.6:0.2   # a law of your own form "
               "(README: Laws of your own form; its own --help)",
               "scaleplan fit runs.csv --bootstrap --save-golden golden.json   # then: scaleplan check runs.csv "
               "--golden golden.json"});
    return kExitOk;
  }
  const OutputFormat output = ParseFormat(format);
  const std::vector<std::string> known = {"chinchilla", "kaplan",  "isoflop", "all", "data-constrained",
                                          "sparse",     "frantar2023-t5", "routing", "moe"};
  if (std::find(known.begin(), known.end(), law_name) == known.end()) {
    throw UsageError("--law must be chinchilla, kaplan, isoflop, all, data-constrained, sparse, frantar2023-t5, "
                     "routing or moe, not '" + law_name + "'");
  }
  RefuseOptionsOfOtherLaws(vm, law_name);
  // --group-by with a law of fitting/law_table.h: each group fitted through the law's table entry.
  if (!columns.selection.group_by.empty() && FindTableLaw(law_name) != nullptr && FindTableLaw(law_name)->own_reader) {
    if (!out_path.empty()) {
      throw UsageError("--group-by with --law " + law_name + " records no one fit with --out (pick one group with " +
                       "--filter COL=VALUE; --save-golden records one golden per group)");
    }
    if (runs_path.empty() && !FindTableLaw(law_name)->bundled_runs) {
      throw UsageError("--law " + law_name + " needs a runs file (no " + law_name + " runs are bundled)");
    }
    ResolveGrid(flags, FindTableLaw(law_name)->default_grid);  // validates the fit options
    TableLawOptions table_options = TableLawOptionsOf(flags);
    if (num_resamples != 0) {  // each group resampled on its own, as `fit --law LAW --filter ... --bootstrap`
      bootstrap_options.num_resamples = num_resamples;
      bootstrap_options.num_threads = flags.options.num_threads;
      std::string why;
      if (!bootstrap_options.Check(&why)) throw UsageError(why);
      table_options.bootstrap = bootstrap_options;
    }
    LawRunsOptions runs_options;
    runs_options.columns = columns;
    runs_options.sparse = sparse_options;
    runs_options.unique_tokens_column = unique_column;
    return FitTableLawGroups(law_name, runs_path, runs_options, table_options, output, golden_path);
  }
  if (law_name == "sparse" || law_name == "frantar2023-t5" || law_name == "routing" || law_name == "moe") {
    if (!columns.selection.group_by.empty()) {  // frantar2023-t5: the bundled T5 runs beside the notebook's law
      throw UsageError("--group-by fits chinchilla, kaplan, isoflop, all, data-constrained, sparse, moe or routing, "
                       "not --law " + law_name + " (the bundled T5 runs beside the notebook's law)");
    }
    if (!golden_path.empty() && law_name == "frantar2023-t5") {
      throw UsageError("--save-golden records --law sparse (the same fit of the bundled T5 runs), not --law "
                       "frantar2023-t5");
    }
    if (!(sparse_options.tokens_per_step >= 0) || !std::isfinite(sparse_options.tokens_per_step)) {
      throw UsageError("--tokens-per-step must be positive");
    }
    bootstrap_options.num_resamples = num_resamples;
    bootstrap_options.num_threads = flags.options.num_threads;
    std::string why;
    if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);
    RefuseToOverwriteInput(golden_path);
    int exit_code = kExitOk;
    if (law_name == "moe") {
      exit_code = FitMoeLawCommand(runs_path, columns, flags, bootstrap_options, output, out_path);
    } else if (law_name == "routing") {
      exit_code = FitRoutingLawCommand(runs_path, columns.selection, flags, bootstrap_options, output, out_path);
    } else {
      exit_code = FitSparseLawCommand(runs_path, law_name, sparse_options, columns, flags, bootstrap_options, output,
                                      out_path);
    }
    if (exit_code != kExitOk || golden_path.empty()) return exit_code;
    LawRunsOptions runs_options;
    runs_options.columns = columns;
    runs_options.sparse = sparse_options;
    return SaveTableLawGolden(law_name, runs_path, runs_options, TableLawOptionsOf(flags), golden_path);
  }
  const bool grouped = !columns.selection.group_by.empty();  // chinchilla, kaplan, isoflop, all: the others are above
  if (grouped && !out_path.empty()) {
    throw UsageError("--out records one fit; with --group-by, use --format json or --save-golden (or --filter "
                     "to pick one group)");
  }
  if ((!out_path.empty() || !golden_path.empty()) && law_name == "all") {
    throw UsageError("--out and --save-golden record one law's fit: name it with --law (chinchilla, kaplan, "
                     "isoflop, data-constrained, ...)");
  }
  if (!(budget_tolerance > 0) || !(budget_tolerance < 1)) throw UsageError("--budget-tolerance must lie in (0, 1)");
  if (min_budget_runs < 3) {
    throw UsageError("--min-budget-runs: must be at least 3 (a parabola has 3 coefficients): '" +
                     std::to_string(min_budget_runs) + "'");
  }
  const std::vector<double> budgets = ParseBudgets(compute_text);
  if (law_name == "data-constrained") {
    bootstrap_options.num_resamples = num_resamples;
    bootstrap_options.num_threads = flags.options.num_threads;
    std::string why;
    if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);
    RefuseToOverwriteInput(golden_path);
    const int exit_code =
        FitDataConstrainedLaw(runs_path, columns, unique_column, flags, bootstrap_options, output, out_path);
    if (exit_code != kExitOk || golden_path.empty()) return exit_code;
    LawRunsOptions runs_options;
    runs_options.columns = columns;
    runs_options.unique_tokens_column = unique_column;
    return SaveTableLawGolden(law_name, runs_path, runs_options, TableLawOptionsOf(flags), golden_path);
  }
  ResolveGrid(flags, ChinchillaModel::HoffmannGrid());  // validates the fit options
  bootstrap_options.num_resamples = num_resamples;
  bootstrap_options.num_threads = flags.options.num_threads;
  std::string why;
  if (num_resamples != 0 && !bootstrap_options.Check(&why)) throw UsageError(why);
  const RunsTable table = LoadRunsOrBundled(runs_path, columns);
  RefuseToOverwriteInput(out_path);  // before the work, not only when writing
  RefuseToOverwriteInput(golden_path);
  if (grouped) {
    return FitGroups(table, law_name, flags, bootstrap_options, budget_tolerance, min_budget_runs, keep_extrapolated,
                     budgets, !vm["compute"].defaulted(), output, golden_path,
                     vm["compute"].defaulted() ? DefaultGoldenBudgets() : budgets);
  }

  const FitContext context{table,
                           flags,
                           bootstrap_options,
                           budget_tolerance,
                           min_budget_runs,
                           keep_extrapolated,
                           budgets,
                           WarnsBeyondFittedRuns(!vm["compute"].defaulted(), table)};
  ChinchillaFit chinchilla_fit;
  std::optional<ChinchillaBootstrap> chinchilla_bootstrap;
  std::vector<LawReport> reports = FitLaws(context, law_name, &chinchilla_fit, &chinchilla_bootstrap);
  // With both approaches: Approach 2 on these runs' design under the Approach 3 law, to part the method's own error
  // from the runs'.
  std::optional<IsoFlopDesignCheck> design_check;
  if (law_name == "all" && chinchilla_fit.search.usable && reports.back().usable) {
    design_check = CheckIsoFlopDesign(table, chinchilla_fit.law, LawOptions(context, InitGrid()));
  }

  if (!out_path.empty() && reports.front().usable) WriteFileAtomically(out_path, reports.front().json.dump(2) + "\n");
  if (!golden_path.empty() && law_name != "chinchilla" && reports.front().usable) {
    if (!reports.front().golden) {
      // An IsoFLOP fit without a loss frontier predicts no loss to check.
      std::cerr << "scaleplan fit: error: --save-golden: the " << law_name
                << " fit has no loss frontier to record (it needs minima at 3 or more budgets)\n";
      return kExitFitFailed;
    }
    const std::vector<double> golden_budgets = vm["compute"].defaulted() ? DefaultGoldenBudgets() : budgets;
    WriteFileAtomically(golden_path, GoldenToJson(reports.front().golden(golden_budgets)).dump(2) + "\n");
  }
  if (!golden_path.empty() && chinchilla_fit.search.usable) {
    const std::vector<double> golden_budgets = vm["compute"].defaulted() ? DefaultGoldenBudgets() : budgets;
    const nlohmann::ordered_json golden = MakeGolden(
        chinchilla_fit, table, chinchilla_bootstrap ? &*chinchilla_bootstrap : nullptr, golden_budgets);
    WriteFileAtomically(golden_path, golden.dump(2) + "\n");
  }
  if (output == OutputFormat::JSON) {
    if (reports.size() == 1) {
      std::cout << reports.front().json.dump(2) << '\n';
    } else {
      nlohmann::ordered_json all;
      all["laws"] = nlohmann::ordered_json::array();
      for (const LawReport& report : reports) all["laws"].push_back(report.json);
      if (design_check) all["isoflop_design_check"] = IsoFlopDesignCheckToJson(*design_check);
      std::cout << all.dump(2) << '\n';
    }
    for (const LawReport& report : reports) {
      for (const std::string& warning : report.warnings) {
        std::cerr << "scaleplan fit: warning: " << report.name << ": " << warning << '\n';
      }
    }
  } else {
    for (size_t i = 0; i < reports.size(); ++i) std::cout << (i ? "\n" : "") << reports[i].table;
    PrintSideBySide(reports, budgets, std::cout);
    if (design_check && design_check->fit.usable) {
      char line[320];
      std::snprintf(line, sizeof line,
                    "\n  isoflop on these runs' sizes and budgets with the chinchilla law's losses: a = %.4f against "
                    "the law's %.4f\n  (bias %+.4f: what the parabolas miss by themselves; the rest of the gap "
                    "between the two comes from the runs)\n",
                    design_check->fit.exponent_params, design_check->law_exponent_params, design_check->Bias());
      std::cout << line;
    }
  }
  int exit_code = kExitOk;
  for (const LawReport& report : reports) {
    if (!report.usable) {
      std::cerr << "scaleplan fit: error: the " << report.name << " fit is not usable: " << report.status << '\n';
      exit_code = kExitFitFailed;
    }
  }
  return exit_code;
}

}  // namespace

int RunFit(const std::vector<std::string>& args) { return RunGuarded("fit", [&] { return Fit(args); }); }

}  // namespace scaleplan::cli
