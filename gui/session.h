// A saved desktop session: which runs, which rows are excluded, the fit options and the plan settings.
//
// JSON, schema version 1:
//   { "schema_version": 1,
//     "runs": { "path": "" (= the bundled runs), "columns": {"params", "tokens", "compute", "loss"},
//               "excluded_rows": [0-based row indices] },
//     "fit": { "huber_delta", "grid" (spec, "" = the law's default), "starts", "exhaustive",
//              "bootstrap" (resamples, 0 = none) },
//     "plan": { "budget_flops", "budget_text", "accelerator", "num_accelerators", "mfu", "price_usd_per_hour",
//               "recomputation" (none, selective, full), "inference_tokens", "unique_tokens" (0 = none) },
//     "view": { "chart": 0..3 } }
// Every key is optional on reading (missing keys keep the defaults); unknown keys are ignored.
#ifndef SCALEPLAN_GUI_SESSION_H_
#define SCALEPLAN_GUI_SESSION_H_

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/runs_table.h"
#include "fitting/multistart.h"
#include "gui/recommendation.h"

namespace scaleplan::gui {

inline constexpr int kSessionSchemaVersion = 1;

// Gopher's training budget, the budget Hoffmann et al. 2022 plan Chinchilla for: where the slider starts.
inline constexpr double kDefaultBudgetFlops = 5.76e23;

struct Session {
  std::string runs_path;  // "" = the bundled Chinchilla runs
  RunsColumns columns;
  std::vector<int> excluded_rows;
  MultiStartOptions fit_options;
  std::string grid_spec;  // "" = the law's default grid
  int bootstrap_resamples = 0;  // bootstrap refits after the fit; 0 = none
  double budget_flops = kDefaultBudgetFlops;
  std::string budget_text;  // as typed, e.g. "300 GPU-days"; "" = shown from budget_flops
  PlanSettings plan;
  int chart = 0;
};

nlohmann::ordered_json SessionToJson(const Session& session);

// Throws InputError naming `source` and the key for malformed JSON, a mistyped value or a newer schema_version.
Session ParseSession(std::string_view json_text, const std::string& source);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_SESSION_H_
