// The laws `scaleplan fit` fits side by side (--law chinchilla, kaplan, isoflop or all), each fitted and assembled
// into the JSON object `fit --format json` prints by one function per law: the fit, its bootstrap (percentile
// intervals), the poor-fit warning (fitting/residuals.h), the diagnostics (fitting/diagnostics.h), the allocations at
// the budgets and, at budgets asked for, the extrapolation warnings (core/extrapolation.h). The command line and the
// Python module both call them, so that their fits cannot differ.
#ifndef SCALEPLAN_FITTING_LAW_FITS_H_
#define SCALEPLAN_FITTING_LAW_FITS_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/budgets.h"
#include "core/runs_table.h"
#include "core/statistics.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/diagnostics.h"
#include "fitting/fit_json.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/multistart.h"

namespace scaleplan {

// What every law's fit takes: `fit`'s options.
struct LawFitOptions {
  MultiStartOptions search;    // --delta, --starts, --exhaustive, --threads (chinchilla, kaplan)
  InitGrid grid;               // the start grid (chinchilla, kaplan): the law's default with --grid's axes
  // --bootstrap: none unless asked for, as `fit` without --bootstrap (num_resamples 0 = no bootstrap; a bare
  // BootstrapOptions holds the count `--bootstrap` alone asks for, 1000 resamples, which every fit would then pay).
  BootstrapOptions bootstrap{.num_resamples = 0};
  std::vector<double> budgets{kDefaultAllocationBudgetFlops};  // where the JSON lists the allocation
  bool warn_beyond_runs = false;  // budgets asked for (--compute): each beyond the fitted runs is warned about
  double budget_tolerance = kDefaultBudgetTolerance;   // isoflop: runs within this relative compute are one budget
  int min_budget_runs = kDefaultIsoFlopMinBudgetRuns;  // isoflop: budgets with fewer runs are left out
  bool keep_extrapolated = false;  // isoflop: budgets whose minimum lies outside their sizes enter the exponent fit
  ProgressCallback fit_progress;   // the Chinchilla search
  ProgressCallback bootstrap_progress;  // the bootstrap, any law
};

// Whether a fit's report warns of extrapolation at its budgets (LawFitOptions::warn_beyond_runs): only at budgets
// asked for (--compute), and never in the fit of one group of `fit --group-by` (a table with group_columns, from
// SplitRunsByGroup), whose allocations are listed side by side with the other groups' at the budgets. The command
// line and the Python module both decide it here, so that a group's warnings are the same from both.
bool WarnsBeyondFittedRuns(bool budgets_given, const RunsTable& table);

// A Chinchilla fit as `fit` reports it.
struct ChinchillaFitReport {
  ChinchillaFit fit;  // warnings: the fit's, then the poor-fit warning and the diagnostics' (for a usable fit)
  std::optional<ChinchillaBootstrap> bootstrap;  // with a bootstrap and a usable fit
  std::optional<FitDiagnostics> diagnostics;     // for a usable fit
  std::vector<std::string> budget_warnings;      // the extrapolation warnings, after fit.warnings in the JSON
  nlohmann::ordered_json json;                   // `fit --law chinchilla --format json`, allocations included
};
ChinchillaFitReport MakeChinchillaFitReport(const RunsTable& table, const LawFitOptions& options);

// A Kaplan fit as `fit --law kaplan` reports it.
struct KaplanFitReport {
  KaplanFit fit;
  // With a bootstrap of a usable fit: percentile intervals of N_c, D_c, alpha_N, alpha_D, exponent_params and
  // exponent_tokens over the converged resamples (none when none converged).
  std::vector<std::pair<std::string, Interval>> intervals;
  std::optional<FitDiagnostics> diagnostics;
  std::vector<std::string> budget_warnings;
  nlohmann::ordered_json json;
};
KaplanFitReport MakeKaplanFitReport(const RunsTable& table, const LawFitOptions& options);

// An IsoFLOP (Approach 2) fit as `fit --law isoflop` reports it.
struct IsoFlopFitReport {
  IsoFlopFit fit;
  size_t num_budget_groups = 0;  // budgets with at least min_budget_runs runs
  std::optional<IsoFlopBootstrap> bootstrap;
  std::optional<FitDiagnostics> diagnostics;  // the exponent fit's standard errors (DiagnoseIsoFlopFit), if usable
  std::vector<std::string> budget_warnings;
  nlohmann::ordered_json json;
};
IsoFlopFitReport MakeIsoFlopFitReport(const RunsTable& table, const LawFitOptions& options);

// Approach 2 on the runs' own design under a Chinchilla law: the runs' sizes and budgets, each loss replaced by
// law.Loss(N, D), grouped and fitted as MakeIsoFlopFitReport fits (no bootstrap). Its exponent a against the law's
// own beta / (alpha + beta) is what the parabolas miss on this design by themselves (README, "How far Approach 2
// misses"); the rest of a gap between Approach 2 and 3 on measured losses comes from the losses. `fit --law all`.
struct IsoFlopDesignCheck {
  IsoFlopFit fit;                    // on the law's losses
  double law_exponent_params = 0.0;  // the law's exact a
  double Bias() const { return fit.exponent_params - law_exponent_params; }
};
IsoFlopDesignCheck CheckIsoFlopDesign(const RunsTable& table, const ChinchillaLaw& law, const LawFitOptions& options);
nlohmann::ordered_json IsoFlopDesignCheckToJson(const IsoFlopDesignCheck& check);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_LAW_FITS_H_
