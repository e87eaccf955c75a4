#include "fitting/law_fits.h"

#include <functional>

#include "core/extrapolation.h"
#include "fitting/residuals.h"

namespace scaleplan {
namespace {

// The allocations of a law at the budgets (an empty list for an unusable law) and, when the budgets were asked for,
// the extrapolation warning of each one beyond the fitted runs, added to the JSON's warnings and to *warnings.
void AddAllocations(const RunsTable& table, bool usable, const std::function<Allocation(double)>& allocate,
                    const LawFitOptions& options, nlohmann::ordered_json* json, std::vector<std::string>* warnings) {
  (*json)["allocations"] = usable ? AllocationsToJson(allocate, options.budgets) : nlohmann::ordered_json::array();
  if (!usable || !options.warn_beyond_runs) return;
  for (const std::string& text : BudgetExtrapolationWarnings(RangesOfRuns(table), allocate, options.budgets)) {
    warnings->push_back(text);
    (*json)["warnings"].push_back(text);
  }
}

}  // namespace

bool WarnsBeyondFittedRuns(bool budgets_given, const RunsTable& table) {
  return budgets_given && table.group_columns.empty();
}

ChinchillaFitReport MakeChinchillaFitReport(const RunsTable& table, const LawFitOptions& options) {
  ChinchillaFitReport report;
  ChinchillaFit& fit = report.fit;
  fit = FitChinchilla(table, options.search, options.grid, options.fit_progress);
  if (options.bootstrap.num_resamples != 0 && fit.search.usable) {
    report.bootstrap = BootstrapChinchilla(table, fit, options.bootstrap, options.bootstrap_progress);
  }
  const ChinchillaBootstrap* bootstrap = report.bootstrap ? &*report.bootstrap : nullptr;
  if (fit.search.usable && fit.residuals.rmse > kPoorFitRmse)
    fit.warnings.push_back(PoorFitWarning(fit.residuals.rmse));
  if (fit.search.usable) {
    report.diagnostics = DiagnoseChinchillaFit(table, fit, bootstrap);
    fit.warnings.insert(fit.warnings.end(), report.diagnostics->warnings.begin(), report.diagnostics->warnings.end());
  }
  report.json = FitToJson(fit, table, bootstrap);
  if (report.diagnostics) report.json["diagnostics"] = DiagnosticsToJson(*report.diagnostics);
  AddAllocations(
      table, fit.search.usable, [law = fit.law](double c) { return law.ComputeOptimal(c); }, options, &report.json,
      &report.budget_warnings);
  return report;
}

KaplanFitReport MakeKaplanFitReport(const RunsTable& table, const LawFitOptions& options) {
  KaplanFitReport report;
  KaplanFit& fit = report.fit;
  fit = FitKaplan(table, options.search, options.grid);
  if (fit.search.usable && fit.residuals.rmse > kPoorFitRmse)
    fit.warnings.push_back(PoorFitWarning(fit.residuals.rmse));
  if (options.bootstrap.num_resamples != 0 && fit.search.usable) {
    const BootstrapSamples samples =
        Bootstrap<KaplanModel>(table, fit.search, fit.options, options.bootstrap, options.bootstrap_progress);
    const std::vector<std::string> names = {"N_c", "D_c", "alpha_N", "alpha_D", "exponent_params", "exponent_tokens"};
    for (size_t k = 0; k < names.size() && !samples.params.empty(); ++k) {
      std::vector<double> values;
      for (const auto& p : samples.params) {
        const KaplanLaw law = KaplanModel::ToLaw(p);
        const double all[] = {law.n_c, law.d_c, law.alpha_n, law.alpha_d, law.ExponentParams(), law.ExponentTokens()};
        values.push_back(all[k]);
      }
      const auto [lower, upper] = PercentileInterval(values, options.bootstrap.confidence);
      report.intervals.emplace_back(names[k], Interval{lower, upper});
    }
  }
  if (fit.search.usable) {
    std::vector<std::pair<std::string, std::pair<double, double>>> interval_pairs;
    for (const auto& [name, interval] : report.intervals) {
      interval_pairs.push_back({name, {interval.lower, interval.upper}});
    }
    report.diagnostics = DiagnoseKaplanFit(table, fit, &interval_pairs);
    fit.warnings.insert(fit.warnings.end(), report.diagnostics->warnings.begin(), report.diagnostics->warnings.end());
  }
  report.json = KaplanFitToJson(fit, &report.intervals, &table);
  if (report.diagnostics) report.json["diagnostics"] = DiagnosticsToJson(*report.diagnostics);
  AddAllocations(
      table, fit.search.usable, [law = fit.law](double c) { return law.ComputeOptimal(c); }, options, &report.json,
      &report.budget_warnings);
  return report;
}

IsoFlopFitReport MakeIsoFlopFitReport(const RunsTable& table, const LawFitOptions& options) {
  IsoFlopFitReport report;
  const std::vector<std::vector<size_t>> groups =
      BudgetsWithAtLeast(GroupByBudget(table, options.budget_tolerance), static_cast<size_t>(options.min_budget_runs));
  report.num_budget_groups = groups.size();
  report.fit = FitIsoFlop(table, groups, nullptr, options.keep_extrapolated);
  if (options.bootstrap.num_resamples != 0 && report.fit.usable) {
    report.bootstrap =
        BootstrapIsoFlop(table, groups, options.bootstrap, options.bootstrap_progress, options.keep_extrapolated);
  }
  if (report.fit.usable) {
    report.diagnostics = DiagnoseIsoFlopFit(report.fit, report.bootstrap ? &*report.bootstrap : nullptr);
    report.fit.warnings.insert(report.fit.warnings.end(), report.diagnostics->warnings.begin(),
                               report.diagnostics->warnings.end());
  }
  report.json = IsoFlopFitToJson(report.fit, report.bootstrap ? &*report.bootstrap : nullptr, &table);
  if (report.diagnostics) report.json["diagnostics"] = DiagnosticsToJson(*report.diagnostics);
  AddAllocations(
      table, report.fit.usable, [fit = report.fit](double c) { return fit.ComputeOptimal(c); }, options, &report.json,
      &report.budget_warnings);
  return report;
}

IsoFlopDesignCheck CheckIsoFlopDesign(const RunsTable& table, const ChinchillaLaw& law, const LawFitOptions& options) {
  RunsTable on_law = table;
  for (TrainingRun& run : on_law.runs) run.loss_nats = law.Loss(run.num_params, run.num_tokens);
  const std::vector<std::vector<size_t>> groups =
      BudgetsWithAtLeast(GroupByBudget(on_law, options.budget_tolerance), static_cast<size_t>(options.min_budget_runs));
  IsoFlopDesignCheck check;
  check.fit = FitIsoFlop(on_law, groups, nullptr, options.keep_extrapolated);
  check.law_exponent_params = law.ExponentParams();
  return check;
}

nlohmann::ordered_json IsoFlopDesignCheckToJson(const IsoFlopDesignCheck& check) {
  nlohmann::ordered_json json;
  json["usable"] = check.fit.usable;
  json["exponent_params"] = check.fit.usable ? nlohmann::ordered_json(check.fit.exponent_params) : nullptr;
  json["law_exponent_params"] = check.law_exponent_params;
  json["bias_exponent_params"] = check.fit.usable ? nlohmann::ordered_json(check.Bias()) : nullptr;
  json["num_budgets_used"] = check.fit.num_budgets_used;
  return json;
}

}  // namespace scaleplan
