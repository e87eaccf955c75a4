// The golden file: a fit recorded for regression checks (`scaleplan fit --save-golden GOLDEN.json`, checked by
// `scaleplan check RUNS.csv --golden GOLDEN.json`).
//
// Schema version 1, one JSON object:
//   schema_version   1
//   law              "chinchilla", "kaplan", "isoflop", or a law of fitting/law_table.h: "data-constrained",
//                    "dictionary", "sparse", "moe", "routing", "hyperparams"
//   parameters       chinchilla: {E, A, B, alpha, beta, exponent_params, exponent_tokens}
//                    kaplan: {N_c, D_c, alpha_N, alpha_D, exponent_params, exponent_tokens}
//                    isoflop: {coeff_params, exponent_params, coeff_tokens, exponent_tokens, frontier_E,
//                              frontier_K, frontier_gamma} (a golden IsoFLOP fit has its loss frontier)
//                    the laws of fitting/law_table.h: the parameters listed there (routing: ROUTER.a, ...)
//   objective        the Huber objective at the optimum (chinchilla, kaplan; IsoFLOP's fits are exact least
//                    squares and record none)
//   intervals        {E: [lower, upper], ..., exponent_tokens: [...]}          only when a bootstrap was run
//   predictions      [{compute_flops, num_params, num_tokens, loss,            N_opt, D_opt and loss at each budget
//                      intervals: {num_params: [lower, upper], num_tokens, loss}}]   (intervals: with a bootstrap)
//   data             {source, num_runs, hash}                                  hash: HashRuns, 16 hex digits
//   options          {huber_delta, grid, starts, exhaustive,                   what `check` refits with
//                     bootstrap: {resamples, seed, confidence}}                 (bootstrap: when one was run)
//                    isoflop: {budget_tolerance, min_budget_runs, keep_extrapolated_minima}
//                    data-constrained: + unique_tokens_column (the header U was read from);
//                    sparse: + tokens_per_step, n_is_dense; dictionary: {huber_delta, starts, exhaustive,
//                    token_law_k}; hyperparams: {budget_tolerance, min_budget_runs, near_optimal_tolerance, seq_len}
// The laws of fitting/law_table.h record no predictions (they allocate no budget here) and no intervals; hyperparams
// records no objective.
// Kaplan and IsoFLOP goldens record no intervals.
// Only what a user chooses on the command line is recorded as an option; the solver's internal settings are part
// of the code that `check` guards.
//
// `check` refits the runs with the recorded options and compares every recorded quantity with a relative
// tolerance, |now - golden| <= tolerance * |golden|. The defaults (GoldenTolerances) and why:
//   parameters and the objective  1e-6  The fit is deterministic: the same runs and options give the same optimum
//                                       for any thread count, and different start sets reach it within 1e-8 on the
//                                       bundled runs. A larger change means the code or the data changed.
//                                       The objective, a sum over runs, is compared only when the data's hash
//                                       matches (it is skipped, not failed, otherwise).
//   predictions                   1e-2  N_opt, D_opt and the loss at each budget: what plans are made from, judged
//                                       at the precision plans are read at. In six trials of dropping one of the
//                                       240 bundled runs, N_opt at 1e25 moved by up to 1.7% and the loss by at
//                                       most 0.11%. Loosen --rtol-params to judge changed data by its plans.
//   interval bounds               1e-2  With --check-intervals: a percentile of 1,000 resampled fits moves to a
//                                       neighbouring order statistic when one resample lands in another optimum.
// With --check-intervals each recorded value must also lie inside the new bootstrap interval (no tolerance).
#ifndef SCALEPLAN_FITTING_GOLDEN_H_
#define SCALEPLAN_FITTING_GOLDEN_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/budgets.h"
#include "core/chinchilla_law.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_table.h"
#include "fitting/multistart.h"

namespace scaleplan {

inline constexpr int kGoldenSchemaVersion = 1;

// The budgets a golden records predictions at unless told otherwise: 1e21, 1e23, 5.76e23 (Gopher, Chinchilla) and
// 1e25 FLOPs.
const std::vector<double>& DefaultGoldenBudgets();

struct GoldenPrediction {
  double compute_flops = 0.0;
  double num_params = 0.0;  // N_opt
  double num_tokens = 0.0;  // D_opt
  double loss_nats = 0.0;   // the loss at (N_opt, D_opt)
  bool has_intervals = false;
  Interval num_params_interval, num_tokens_interval, loss_interval;
};

// A golden file in memory.
struct Golden {
  std::string law_name = "chinchilla";  // chinchilla, kaplan or isoflop
  // Values in GoldenParameterNames(law_name) order; chinchilla: E, A, B, alpha, beta, exponent_params,
  // exponent_tokens.
  std::vector<std::pair<std::string, double>> parameters;
  bool has_objective = true;  // false for isoflop
  double objective = 0.0;
  std::vector<std::pair<std::string, Interval>> intervals;  // same names; empty without a bootstrap
  std::vector<GoldenPrediction> predictions;
  std::string data_source;
  int data_num_runs = 0;
  std::string data_hash;  // 16 lower-case hex digits
  // The options the fit was made with. Only huber_delta, num_starts and exhaustive are recorded; the rest keep
  // their defaults. `grid_spec` is FormatGrid of `grid`.
  MultiStartOptions fit_options;
  std::string grid_spec;
  InitGrid grid;
  std::optional<BootstrapOptions> bootstrap;  // resamples, seed and confidence, when a bootstrap was run
  // isoflop: how budgets are formed and which enter the exponent fit (fit's options of these names).
  double budget_tolerance = kDefaultBudgetTolerance;
  int min_budget_runs = kDefaultIsoFlopMinBudgetRuns;
  bool keep_extrapolated_minima = false;
  // The laws of fitting/law_table.h: how the runs were read and fitted (the search options are fit_options and
  // grid_spec above).
  LawRunsOptions runs_options;
  TableLawOptions table_options;

  ChinchillaLaw Law() const;  // the parameters as a law (chinchilla)
};

// The parameters a golden of `law_name` records, in order (empty for a law goldens do not record).
const std::vector<std::string>& GoldenParameterNames(const std::string& law_name);

// Goldens of a Kaplan fit (its parameters, objective and predictions) and of an IsoFLOP fit (its power laws, loss
// frontier and predictions; a precondition: fit.has_frontier), both without intervals.
Golden MakeKaplanGoldenRecord(const KaplanFit& fit, const InitGrid& grid, const RunsTable& table,
                              const std::vector<double>& budgets);
Golden MakeIsoFlopGoldenRecord(const IsoFlopFit& fit, const RunsTable& table, const std::vector<double>& budgets,
                               double budget_tolerance, int min_budget_runs);

// `check` of a Kaplan or IsoFLOP golden: refits `table` through the law's table entry (RefitGolden of LawRuns) with
// the golden's options and records it at the golden's budgets. nullopt with *why when the refit is not usable (or,
// isoflop, has no loss frontier). Throws InputError for a golden of a law whose runs only its own reader reads.
std::optional<Golden> RefitGolden(const Golden& golden, const RunsTable& table, int num_threads, std::string* why);

// Goldens of the laws of fitting/law_table.h: a usable fit of every run of `runs` (a precondition), recorded with
// the options it was fitted with, the reader's options that `check` reads the runs with again, and (kaplan, isoflop)
// N_opt, D_opt and the loss at `budgets` (FLOPs, each positive and finite). MakeKaplanGoldenRecord and
// MakeIsoFlopGoldenRecord are this record of the fit `fit` printed.
Golden MakeTableLawGoldenRecord(const TableLaw& law, const TableLawFit& fit, const LawRuns& runs,
                                const TableLawOptions& options, const LawRunsOptions& runs_options,
                                const std::vector<double>& budgets = {});

// The runs `check` (the command line's and the Python module's) refits for a golden of a law of fitting/law_table.h
// with a reader of its own: read from `path` (empty: the law's bundled runs) with the reader options the golden
// recorded, `columns` in place of its column options and a non-empty `unique_tokens_column` in place of the U column
// it recorded. Throws InputError for runs the law's reader refuses; a precondition: such a golden.
LawRuns LoadGoldenLawRuns(const Golden& golden, const std::string& path, const RunsColumns& columns,
                          const std::string& unique_tokens_column = "");

// `check` of such a golden: refits `runs` (read with the golden's reader options) with the golden's options, at the
// golden's budgets. nullopt
// with *why when the refit is not usable or its parameters are not the golden's (a router missing, a dictionary fit
// with a token law where the golden has none).
std::optional<Golden> RefitGolden(const Golden& golden, const LawRuns& runs, int num_threads, std::string* why);

// The golden record of a usable fit of `table`, with the bootstrap's intervals when `bootstrap` is not null, and
// predictions at `budgets` (FLOPs, each positive and finite).
Golden MakeGoldenRecord(const ChinchillaFit& fit, const RunsTable& table, const ChinchillaBootstrap* bootstrap,
                        const std::vector<double>& budgets);

nlohmann::ordered_json GoldenToJson(const Golden& golden);

// MakeGoldenRecord as JSON: what `fit --save-golden` writes.
nlohmann::ordered_json MakeGolden(const ChinchillaFit& fit, const RunsTable& table,
                                  const ChinchillaBootstrap* bootstrap, const std::vector<double>& budgets);

// Reads a golden file. Throws InputError naming `source` and the key (e.g. "predictions[2].loss") for malformed
// JSON, a missing key, a value of the wrong type or out of range, an unknown law, a grid that does not parse, or a
// schema_version newer than kGoldenSchemaVersion.
Golden ParseGolden(std::string_view json_text, const std::string& source);

// Why `golden` holds no intervals, for --check-intervals: "it was recorded without --bootstrap" for a Chinchilla
// golden; "a kaplan golden never records them; only a Chinchilla golden recorded with --bootstrap does" for the
// laws whose goldens have none.
std::string NoIntervalsReason(const Golden& golden);

struct GoldenTolerances {
  double params_rtol = 1e-6;       // --rtol-params: E, A, B, alpha, beta, the exponents and the objective
  double predictions_rtol = 1e-2;  // --rtol-predictions: N_opt, D_opt and the loss at each budget
  double intervals_rtol = 1e-2;    // interval bounds, with --check-intervals
  // --rtol NAME=X, applied in order after the defaults above; a quantity's own name beats a family name.
  // NAME: a quantity as `check` lists it ("alpha", "objective", "loss@1e+21", "N_opt@5.76e+23", "beta.lower"), a
  // prediction at any spelling of its budget ("loss@5.76e23", "N_opt@1e21"), or a family: "N_opt", "D_opt",
  // "loss" (every budget), "intervals" (every interval bound).
  std::vector<std::pair<std::string, double>> overrides;

  bool Check(std::string* why) const;
};

enum class CheckKind { PARAMETER, OBJECTIVE, PREDICTION, INTERVAL_BOUND, CONTAINMENT };

const char* CheckKindName(CheckKind kind);  // "parameter", "objective", "prediction", "interval", "containment"

// One compared quantity.
struct QuantityCheck {
  std::string name;  // "E", "objective", "loss@1e+21", "alpha.lower", "alpha.inside" (containment)
  CheckKind kind = CheckKind::PARAMETER;
  double golden = 0.0;
  double now = 0.0;              // containment: the golden value again; the new interval is in `now_interval`
  Interval now_interval;         // containment only
  double relative_change = 0.0;  // (now - golden) / |golden|; containment: 0
  double tolerance = 0.0;        // containment: 0
  bool skipped = false;          // not judged (the objective when the data changed)
  bool passed = false;
  std::string message;           // one line: why it failed or was skipped; empty when it held
};

struct GoldenComparison {
  std::vector<QuantityCheck> checks;
  std::string data_hash;  // the checked runs' hash (the refit's)
  bool data_hash_matches = false;
  std::vector<std::string> warnings;  // one line each
  int num_failed = 0;
  int num_skipped = 0;
};

// Compares `now` (the refit, recorded with MakeGoldenRecord at the golden's budgets) with `golden`. With
// `check_intervals`, both must carry intervals (a precondition). Throws InputError (file "--rtol") for an override
// whose name matches no quantity.
GoldenComparison CompareWithGolden(const Golden& golden, const Golden& now, const GoldenTolerances& tolerances,
                                   bool check_intervals);

// `check --format json` (and the Python module's check()): golden (its path), law, passed, num_checked, num_failed,
// num_skipped, data {source, num_runs, hash, golden_source, golden_num_runs, golden_hash, hash_matches}, warnings,
// and checks [{quantity, kind, golden, now, relative_change, tolerance (an interval's containment: interval instead
// of the last three), verdict ("ok", "DRIFT", "skipped"), message}].
nlohmann::ordered_json GoldenComparisonToJson(const std::string& golden_path, const Golden& golden,
                                              const RunsTable& table, const GoldenComparison& comparison);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_GOLDEN_H_
