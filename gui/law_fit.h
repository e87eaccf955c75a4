// The laws the Fit dock offers besides its Approach-3 Chinchilla fit, each made into the law a plan is made with
// (core/plan.h PlanLaw) by the functions `scaleplan fit` and `scaleplan plan` call:
//
//   kaplan              MakeKaplanFitReport (fitting/law_fits.h), saved as `fit --law kaplan --out` saves it
//   isoflop             MakeIsoFlopFitReport (Approach 2; plans along its N_opt, D_opt and loss frontier)
//   data-constrained    FitDataConstrained (R_D*, R_N* over Muennighoff et al.'s C4 base law) on the bundled
//                       Muennighoff runs or, for an imported file, its unique-token column
//                       (`fit --law data-constrained`)
//   expression          MakeExpressionLawSpec + FitExpressionLaw (`fit --law-expr E --param ...`)
//   hoffmann, hoffmann-unrounded, epoch
//                       published laws, no fit: ResolvePlanLaw("", name) as `plan --law NAME`
//   krajewski2024       Krajewski et al. 2024's fine-grained MoE law (KrajewskiMoeLaw), no fit: planned by
//                       PlanFineGrainedMoe as `plan --law krajewski2024` plans it (N total and active, D, G)
//
// A fit's JSON (what `fit --out` writes) is read back with PlanLawFromSavedFit, so that a plan in the window and
// `scaleplan fit ... --out F; scaleplan plan --fit F` cannot differ. Qt-free: the panel, the tests and the benchmark
// call the same function.
#ifndef SCALEPLAN_GUI_LAW_FIT_H_
#define SCALEPLAN_GUI_LAW_FIT_H_

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/plan.h"
#include "core/runs_table.h"
#include "core/sparse_laws.h"
#include "fitting/multistart.h"

namespace scaleplan::gui {

// One entry of the Fit dock's law selector.
struct LawChoice {
  const char* key;    // "chinchilla", "kaplan", ... (what a session saves)
  const char* title;  // what the selector shows
  bool fitted;        // false for a published law (nothing to fit)
};
// Chinchilla (Approach 3) first, then Kaplan, IsoFLOP, data-constrained, the custom expression and the published laws.
const std::vector<LawChoice>& LawChoices();
// nullptr when `key` names none.
const LawChoice* FindLawChoice(const std::string& key);
// The law's key when it is a fit opened from a file (File > Open fit...), not one of LawChoices.
inline constexpr char kOpenedFitLawKey[] = "opened-fit";

// What a law's fit needs: the runs, where they were read from (for the expression's other columns and a
// data-constrained fit's unique tokens), the search options and, for the expression, its text and --param specs.
struct LawFitRequest {
  std::string law = "kaplan";  // a LawChoice key other than "chinchilla"
  RunsTable runs;              // the included runs
  std::string runs_path;       // "" = the bundled runs
  RunsColumns columns;         // how runs_path was read
  MultiStartOptions search;
  std::string grid_spec;                       // overrides of the law's start grid ("" = its default)
  std::string expression;                      // law "expression"
  std::vector<std::string> expression_params;  // "NAME=LO:HI:STEP" or "NAME=VALUE", one per parameter
};

// A law ready to plan with, and what the Fit dock shows of it.
struct LawFitResult {
  PlanLaw law;                           // every law but krajewski2024
  std::optional<FineGrainedMoeLaw> moe;  // krajewski2024, or an opened moe fit
  std::string moe_description;           // what the plan names it by ("krajewski2024: ...", "moe fit from PATH")
  // krajewski2024 and an opened moe fit: PlanFineGrainedMoe every quarter decade over kMoeFrontierMinFlops..
  // kMoeFrontierMaxFlops (MoeFrontier; each plan is a search of about 20 ms, too slow for the UI thread), for the
  // frontier chart.
  std::vector<Allocation> moe_frontier;
  // An opened routing fit (Clark et al. 2022): its laws per router. A routing law has no token term and gives no plan
  // at a budget: the dock shows its coefficients, cutoffs and effective sizes, and the plan says why it has none.
  std::vector<std::pair<std::string, RoutingLaw>> routing;
  nlohmann::ordered_json json;  // the saved fit (as `fit --out` writes it); null for a published law
  struct Row {
    std::string name;
    double value = 0.0;
    std::string tooltip;
  };
  std::vector<Row> rows;                 // the coefficients and the fit's figures, in the dock's order
  std::string summary;                   // one line for the dock's status
  std::map<int, double> predicted_loss;  // the law's loss on each fitted run, by file line (residuals chart)
};

// The compute range and step of LawFitResult::moe_frontier.
inline constexpr double kMoeFrontierMinFlops = 1e15;
inline constexpr double kMoeFrontierMaxFlops = 1e29;
inline constexpr double kMoeFrontierStepDecades = 0.25;

// N and D at `compute_flops` interpolated linearly in log C between the plans of `frontier` (ascending compute, as
// LawFitResult::moe_frontier); NaN outside it.
Allocation InterpolateFrontier(const std::vector<Allocation>& frontier, double compute_flops);

// Throws InputError (or the parser's ExpressionError, located at the character) for runs or options that cannot
// give this law, and InputError with the solver's status for a fit that is not usable.
LawFitResult FitLaw(const LawFitRequest& request, const ProgressCallback& progress = nullptr);

// The plans of LawFitResult::moe_frontier for a fine-grained MoE law, with progress over them: each is a search (about
// 1 s for the 57 plans), so the Fit dock computes them on a pool thread, for krajewski2024 and an opened moe fit.
std::vector<Allocation> MoeFrontier(const FineGrainedMoeLaw& law, const ProgressCallback& progress = nullptr);

// A saved fit's text read as a law to plan with (PlanLawFromSavedFit, as `plan --fit`), with its rows. A moe fit plans
// as krajewski2024 does (`plan --fit MOE.json`), its moe_frontier left empty for MoeFrontier to fill off the UI thread
// (so that reading one, or checking a session's, costs no searches); a routing fit gives its laws and rows (per
// router: a, b, c, d, E_start, E_max, the cutoff N and the effective size of a 1.3B dense model with 64 experts, as
// `plan --fit ROUTING.json --params 1.3B --experts 64` gives them) and no plan.
LawFitResult LawFromSavedFit(const std::string& json_text, const std::string& source);

// The parser's verdict on an expression as the Fit dock shows it: "" when it parses, else the located message and,
// on the next lines, the expression with a caret under the column ("expression:1:14: unknown ...\n  E + ...\n    ^").
std::string CheckExpressionText(const std::string& text);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_LAW_FIT_H_
