// What the Plan panel shows for one compute budget, assembled from library calls only:
//   ChinchillaLaw::ComputeOptimal  -> N_opt, D_opt, tokens/param, loss
//   ProposeShapes(N_opt)           -> the closest practical shape
//   EstimateTrainingMemory(shape)  -> the training state
//   PlanTraining(C, memory, ...)   -> days, device-hours, cost and the memory verdict
// Qt-free, so that the panel, the tests and the benchmark call exactly the same function.
//
// With a unique-token limit the allocation is the data-constrained optimum (core/data_constrained.h, the fitted law
// as base with Muennighoff et al.'s decay constants); with lifetime inference tokens it is the inference-aware plan
// that reaches the budget's compute-optimal loss at least lifetime cost (core/inference_allocation.h).
//
// Time is computed for the training FLOPs 6 N D of the chosen allocation (the law's FLOP convention; that is the
// budget itself unless inference tokens make the model smaller and trained longer), so that a budget typed as
// "300 GPU-days" comes back as 300 GPU-days.
#ifndef SCALEPLAN_GUI_RECOMMENDATION_H_
#define SCALEPLAN_GUI_RECOMMENDATION_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
#include "core/hardware.h"
#include "core/inference_allocation.h"
#include "core/transformer.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan::gui {

// Everything the Plan panel binds besides the budget. Defaults are the library's.
struct PlanSettings {
  std::string accelerator;             // catalogue name; "" = the catalogue's first entry
  TrainingPlanOptions training;        // MFU, device count (0 = fewest that hold the state), price
  TrainingMemoryOptions memory;
  ShapeProposalOptions shapes;
  double inference_tokens = 0.0;  // lifetime tokens served (prompt and generated); 0 = none
  double unique_tokens = 0.0;     // unique training tokens available; 0 = unlimited
};

// The law a plan comes from, for display and export.
struct LawSource {
  ChinchillaLaw law;
  std::string description;      // "Approach-3 fit of <source> (240 runs)"
  double fitted_compute_max = 0;  // largest fitted run's compute, for the extrapolation warning (0 = unknown)
  std::vector<ChinchillaLaw> bootstrap_laws;  // resampled fits, for intervals (empty = none)
  double confidence = 0.0;                    // their interval level
};

struct Recommendation {
  double budget_flops = 0;
  std::string mode = "compute-optimal";  // or "data-constrained", "inference-aware"
  Allocation allocation;                 // ChinchillaLaw::ComputeOptimal(budget_flops), or as `mode` says
  double epochs = 0;                     // D / U with a unique-token limit, else 0
  bool data_limited = false;             // the limit binds: Chinchilla's plan would need more unique tokens
  std::optional<InferenceAwarePlan> inference;  // with inference tokens
  std::optional<AllocationIntervals> intervals;  // of the compute-optimal plan over the bootstrap laws
  std::optional<ShapeProposal> shape;    // the best proposal; nullopt when none fits (see shape_note)
  std::string shape_note;
  std::optional<TrainingPlan> training;  // with a shape only
  std::vector<std::string> warnings;
};

// Budgets more than this factor beyond the largest fitted run are flagged (as `scaleplan plan` does).
inline constexpr double kExtrapolationWarningFactor = 10.0;

// Throws InputError when the settings do not check (naming the option) or the accelerator is unknown.
Recommendation Recommend(const LawSource& source, double budget_flops, const PlanSettings& settings,
                         const HardwareCatalogue& catalogue);

// A budget as people type it:
//   "1e24", "5.76e23", "300P"        FLOPs (any ParseQuantity form)
//   "300 GPU-days", "7200 GPU-hours" device-time on the chosen accelerator at the chosen MFU
//   "30 days", "12 hours"            wall-clock on the chosen number of devices (needs a device count)
// Returns nullopt with the reason in *why.
std::optional<double> ParseBudget(std::string_view text, const Accelerator& accelerator,
                                  const TrainingPlanOptions& options, std::string* why);

// Display helpers, shared by the panel and the exports.
std::string FormatShape(const ShapeProposal& proposal);     // "64 layers x 8192 wide, 64 heads, d_ff 22016 (70.1B)"
std::string FormatDuration(double days);                    // "12.3 days", "5.2 hours", "3.4 years"
std::string FormatUsd(double dollars);                      // "$1.23M"
std::string FormatBytes(double bytes);                      // "71.3 GB"
std::string MemoryVerdict(const TrainingPlan& plan);        // "fits: 61.2 GB of 72 GB per device on 512 x H100-SXM"

// The plan as one JSON object: the keys of `scaleplan plan --format json` plus shape and hardware.
nlohmann::ordered_json RecommendationToJson(const Recommendation& plan, const LawSource& source,
                                            const PlanSettings& settings);
// The plan as a two-line CSV (header and values).
std::string RecommendationToCsv(const Recommendation& plan);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_RECOMMENDATION_H_
