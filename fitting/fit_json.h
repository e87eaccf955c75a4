// The saved-fit file (`scaleplan fit --out FIT.json`, read by `plan --fit`, `validate --fit`, `plot --fit`; README,
// "Saved fits").
//
// Schema version 1: one JSON object with a `law` key naming the law and that law's payload beside it (keys scripts
// may depend on are marked *; a file without `law` is a Chinchilla fit, as files written before other laws saved):
//   schema_version*, law*, usable*, status, warnings[], objective,
//   data {source, num_runs, hash, notes[], compute_min, compute_max, num_params_min, num_params_max,
//         num_tokens_min, num_tokens_max}       (the fitted runs' ranges: plans beyond them are warned about)
//   chinchilla:       E*, A*, B*, alpha*, beta*, exponent_params* (a), exponent_tokens* (b), search {grid,
//                     grid_points, starts, converged, at_best, exhaustive, huber_delta, outside_grid[]}, residuals
//                     {num_runs, rmse, mean, max_abs, max_abs_nats, num_beyond_delta}; with a bootstrap: intervals*
//                     {E: [lower, upper], ...}, bootstrap {resamples, failed, won_by_other_start, seed, confidence,
//                     candidates, refits, laws: [[E, A, B, alpha, beta], ...]} (read back for intervals)
//   kaplan:           N_c*, D_c*, alpha_N*, alpha_D*, exponent_params, exponent_tokens, search, residuals, intervals
//   isoflop:          coeff_params* (k_N), exponent_params* (a), coeff_tokens* (k_D), exponent_tokens* (b),
//                     frontier* {E, K, gamma, status} or null (L_opt(C) = E + K C^-gamma), budgets[], intervals
//   data-constrained: R_D_star*, R_N_star*, base* {E, A, B, alpha, beta}, search, residuals; with a bootstrap:
//                     intervals {R_D_star: [lower, upper], R_N_star: [...]}, bootstrap {resamples, failed}
//   sparse, moe, routing, hyperparams, dictionary: their own coefficients (fitting/sparse_fit.h,
//                     fitting/hyperparams_fit.h, fitting/dictionary_fit.h), read by the commands that plan with them
//   expression:       the expression law's payload (its own reader)
#ifndef SCALEPLAN_FITTING_FIT_JSON_H_
#define SCALEPLAN_FITTING_FIT_JSON_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
#include "core/extrapolation.h"
#include "core/runs_table.h"
#include "core/saved_law.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"

namespace scaleplan {

inline constexpr int kFitSchemaVersion = 1;

nlohmann::ordered_json FitToJson(const ChinchillaFit& fit, const RunsTable& table,
                                 const ChinchillaBootstrap* bootstrap = nullptr);

// The other laws' fits (`fit --law kaplan|isoflop|all`), with their intervals when bootstrapped.
// With `table`, the data object (DataToJson) that a saved fit keeps.
nlohmann::ordered_json KaplanFitToJson(const KaplanFit& fit,
                                       const std::vector<std::pair<std::string, Interval>>* intervals = nullptr,
                                       const RunsTable* table = nullptr);
nlohmann::ordered_json IsoFlopFitToJson(const IsoFlopFit& fit, const IsoFlopBootstrap* bootstrap = nullptr,
                                        const RunsTable* table = nullptr);

// Pieces shared by the fits' JSON.
nlohmann::ordered_json SearchToJson(const MultiStartResult& search, const MultiStartOptions& options,
                                    const std::string& grid);
nlohmann::ordered_json ResidualsToJson(const ResidualStats& residuals);
nlohmann::ordered_json IntervalsToJson(const std::vector<std::pair<std::string, Interval>>& intervals);
// The same {name: [lower, upper]} of BootstrapIntervals' (fitting/bootstrap.h) intervals: sparse, moe, routing and
// data-constrained fits.
nlohmann::ordered_json IntervalsToJson(const std::vector<std::pair<std::string, std::pair<double, double>>>& intervals);

// The budget at which `fit` shows a law's allocation unless told otherwise (`fit --compute`; the Python module's
// `compute`): Chinchilla's own budget, 5.76e23 FLOPs.
inline constexpr double kDefaultAllocationBudgetFlops = 5.76e23;

// A fitted law's compute-optimal allocation at each budget, as `fit --format json` adds it to the law's object
// ("allocations": compute_flops, num_params, num_tokens, tokens_per_param, loss or null when not finite).
nlohmann::ordered_json AllocationsToJson(const std::function<Allocation(double)>& allocate,
                                         const std::vector<double>& budgets);

// The extrapolation warning (core/extrapolation.h) of each budget whose allocation lies beyond the fitted runs,
// worded "at 5.76e+23 FLOPs: extrapolates 44.5x ...", as `fit` adds them to a usable law's warnings.
std::vector<std::string> BudgetExtrapolationWarnings(const FitRanges& ranges,
                                                     const std::function<Allocation(double)>& allocate,
                                                     const std::vector<double>& budgets);

// The saved fit's `data` object: source, number of runs, hash, notes, and the minimum and maximum of C, N and D.
nlohmann::ordered_json DataToJson(const RunsTable& table);
nlohmann::ordered_json RangesToJson(const FitRanges& ranges);  // compute_min, ..., num_tokens_max

// Parses a saved fit into a SavedLaw (core/saved_law.h): law_name from `law` (absent: chinchilla); for chinchilla,
// kaplan, isoflop and data-constrained the law's coefficients, for the other laws of kSavedLawNames the document
// as `payload`; the data ranges when present. Throws InputError naming `source` and the JSON key for malformed
// JSON, an unknown law, a missing or mistyped key of the law's payload (and, when present, schema_version, law,
// usable, data.compute_min/max, num_params_min/max, num_tokens_min/max, bootstrap), a law that is not usable
// (non-positive coefficients), a fit marked unusable, or a newer schema_version. Other keys are ignored, so that a
// later version-1 writer may add some.
SavedLaw ParseSavedFit(std::string_view json_text, const std::string& source);

// The one check of a saved file's `schema_version` (a fit of any law, a golden): nothing when `doc` has none;
// InputError naming `source` when it is not a positive integer ("key 'schema_version' must be a number, got
// string: '"1"'", "... must be a positive integer") or newer than `newest_version` ("schema_version 99 is newer than
// this scaleplan understands (1); upgrade scaleplan"). Readers call it before any other check, so that a newer
// file that moved a key reports its version, not the key.
void CheckSchemaVersion(const nlohmann::json& doc, const std::string& source,
                        int newest_version = kFitSchemaVersion);

// The number at `key` of a saved file's `object` (`path` names the object in messages: "routers[1]", "" for the
// top level): InputError naming `source` and the key otherwise, "missing key 'routers[1].a'" or "key 'a' must be a
// number, got string: '"x"'". One wording for every saved fit's coefficients.
double SavedFitNumber(const nlohmann::json& object, const std::string& key, const std::string& source,
                      const std::string& path = "");

// The "law" of the saved fit at `path` ("chinchilla" when the key is absent, as ParseSavedFit reads it), or "" when
// the file cannot be read or is not a JSON object: how a command picks the planner for `--fit` before reading the
// fit, whose own reader reports what is wrong with it.
std::string SavedFitLawName(const std::string& path);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_FIT_JSON_H_
