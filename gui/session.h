// A saved desktop session: which runs, which rows are excluded, the fit options, the plan and dictionary settings,
// and the hardware profile.
//
// JSON, schema version 1:
//   { "schema_version": 1,
//     "runs": { "path": "" (= the bundled runs), "columns": {"params", "tokens", "compute", "loss"},
//               "excluded_rows": [0-based row indices] },
//     "fit": { "huber_delta", "grid" (spec, "" = the law's default), "starts", "exhaustive",
//              "bootstrap" (resamples, 0 = none), "law" (a Fit dock law: chinchilla, kaplan, isoflop,
//              data-constrained, expression, hoffmann, hoffmann-unrounded, epoch; or opened-fit), "expression" and
//              "params" (the custom law and its parameter ranges, space-separated), "fit_path" (the opened fit) },
//     "plan": { "budget_flops", "budget_text", "accelerator", "num_accelerators", "mfu", "price_usd_per_hour",
//               "recomputation" (auto, none, selective, full), "inference_tokens", "unique_tokens" (0 = none) },
//     "dictionary": { "d_model", "goal" (compute, device_hours, target_loss, latents), "value" (the goal's number),
//                     "k" (0 = choose in the range), "k_min", "k_max", "subject_params" (0 = unknown),
//                     "budget_includes_harvest", "accelerator", "num_devices" (0 = fewest), "kernels" (sparse,
//                     dense: the ones shown first) },
//     "hardware": { "profile_path" ("" = none), "use_profile" (its peaks feed the plans), "probe_mode" (quick,
//                   standard, full) },
//     "cluster": { "architecture" (a bundled name or "proposed"), "num_tokens", "accelerator", "num_devices"
//                  (0 = fewest for the days), "max_days", "precision" (bf16, fp8), "global_batch_tokens"
//                  (0 = the default law) },
//     "view": { "chart": 0..4, "log_loss" (View > Log loss axis; absent = off, as sessions saved before it) } }
// Every key is optional on reading (missing keys keep the defaults); unknown keys are ignored.
#ifndef SCALEPLAN_GUI_SESSION_H_
#define SCALEPLAN_GUI_SESSION_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/runs_table.h"
#include "fitting/multistart.h"
#include "gui/cluster_plan.h"
#include "gui/dictionary_plan.h"
#include "gui/law_fit.h"
#include "gui/recommendation.h"

namespace scaleplan::gui {

inline constexpr int kSessionSchemaVersion = 1;

// Gopher's training budget, the budget Hoffmann et al. 2022 plan Chinchilla for: where the slider starts.
inline constexpr double kDefaultBudgetFlops = 5.76e23;

// The Hardware panel's settings.
struct HardwareSettings {
  std::string profile_path;          // the loaded profile; "" = none (a probe that was not saved is not kept)
  bool use_profile = true;           // its measured peaks feed the Plan and Dictionary panels
  std::string probe_mode = "quick";  // `scaleplan probe --quick`, standard (no flag) or --full
};

struct Session {
  std::string runs_path;  // "" = the bundled Chinchilla runs
  RunsColumns columns;
  std::vector<int> excluded_rows;
  MultiStartOptions fit_options;
  std::string grid_spec;  // "" = the law's default grid
  int bootstrap_resamples = 0;  // bootstrap refits after the fit; 0 = none
  std::string law = "chinchilla";  // the Fit dock's law (gui/law_fit.h LawChoices), or kOpenedFitLawKey
  std::string law_expression;      // the custom expression ("" = the dock's default)
  std::string law_params;          // its parameter ranges, "NAME=LO:HI:STEP ..." ("" = the dock's default)
  std::string fit_path;            // the fit opened with File > Open fit (law kOpenedFitLawKey)
  double budget_flops = kDefaultBudgetFlops;
  std::string budget_text;  // as typed, e.g. "300 GPU-days"; "" = shown from budget_flops
  PlanSettings plan;  // without the profile (hardware.profile_path says which)
  DictionarySettings dictionary = DefaultDictionarySettings();  // without the profile
  HardwareSettings hardware;
  ClusterSettings cluster;  // the Cluster / Layout panel (num_params comes from the plan, not the session)
  int chart = 0;
  bool log_loss = false;  // View > Log loss axis
};

nlohmann::ordered_json SessionToJson(const Session& session);

// Throws InputError naming `source` and the key for malformed JSON, a mistyped value or a newer schema_version.
Session ParseSession(std::string_view json_text, const std::string& source);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_SESSION_H_
