// The saved-fit file (`scaleplan fit --out FIT.json`, read by `scaleplan plan --fit FIT.json`).
//
// Schema version 1 (keys scripts may depend on are marked *):
//   schema_version*, law* ("chinchilla"), E*, A*, B*, alpha*, beta*, objective*, exponent_params* (a),
//   exponent_tokens* (b), usable*, status, warnings[] (what weakens the fit although the runs identify the law:
//   fitting/identifiability.h), search {grid, grid_points, starts, converged, at_best, exhaustive,
//   huber_delta, outside_grid[]}, residuals {num_runs, rmse, mean, max_abs, num_beyond_delta},
//   data {source, num_runs, hash, notes[], compute_min, compute_max}
//   with a bootstrap: intervals* {E: [lower, upper], A, B, alpha, beta, exponent_params, exponent_tokens},
//   bootstrap {resamples, failed, won_by_other_start, seed, confidence, candidates, refits,
//              laws: [[E, A, B, alpha, beta], ...]} (read back by `plan` for intervals at any budget)
#ifndef SCALEPLAN_FITTING_FIT_JSON_H_
#define SCALEPLAN_FITTING_FIT_JSON_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
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
nlohmann::ordered_json KaplanFitToJson(const KaplanFit& fit,
                                       const std::vector<std::pair<std::string, Interval>>* intervals = nullptr);
nlohmann::ordered_json IsoFlopFitToJson(const IsoFlopFit& fit, const IsoFlopBootstrap* bootstrap = nullptr);

// Pieces shared by the fits' JSON.
nlohmann::ordered_json SearchToJson(const MultiStartResult& search, const MultiStartOptions& options,
                                    const std::string& grid);
nlohmann::ordered_json ResidualsToJson(const ResidualStats& residuals);
nlohmann::ordered_json IntervalsToJson(const std::vector<std::pair<std::string, Interval>>& intervals);

// Parses a saved fit into a SavedLaw (core/saved_law.h). Throws InputError naming `source` and the JSON key for malformed JSON, a missing or mistyped
// key (E, A, B, alpha, beta; and, when present, schema_version, law, usable, data.compute_min/max, bootstrap), a law
// that is not usable (non-positive coefficients), a fit marked unusable, or a newer schema_version. Other keys are
// ignored, so that a later version-1 writer may add some.
SavedLaw ParseSavedFit(std::string_view json_text, const std::string& source);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_FIT_JSON_H_
