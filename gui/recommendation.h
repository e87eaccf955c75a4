// What the Plan panel shows for one compute budget, assembled from library calls only:
//   ChinchillaLaw::ComputeOptimal         -> N_opt, D_opt, tokens/param, loss
//   PlanTrainingHardware (core/training_plan.h, what `scaleplan plan --accelerator` calls)
//                                         -> the practical shape the memory is estimated for, the activation
//                                            recomputation, device count, days, device-hours, cost, memory verdict
// Qt-free, so that the panel, the tests and the benchmark call exactly the same function, and the window and
// `scaleplan plan` give the same memory verdict, device count, days and cost.
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

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/extrapolation.h"  // kExtrapolationWarningFactor, as `scaleplan plan` flags budgets
#include "core/frontier_plan.h"
#include "core/hardware.h"
#include "core/hardware_profile.h"
#include "core/hyperparams.h"
#include "core/inference_allocation.h"
#include "core/plan.h"
#include "core/sparse_laws.h"
#include "core/training_plan.h"
#include "core/transformer.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan::gui {

// A hardware profile measured by the probe or read from a file (`scaleplan probe --out`), and what to call it.
struct MeasuredProfile {
  HardwareProfile profile;
  std::string label;  // the file's path, or a description of a probe run that was not saved
};

// PlanSettings::accelerator for the device a profile measured, as `plan --profile P.json` without --accelerator:
// its name, memory and peaks come from the profile (AcceleratorFromProfile without a catalogue entry).
inline constexpr char kMeasuredAccelerator[] = "measured device";

// Everything the Plan panel binds besides the budget. Defaults are the library's (and `scaleplan plan`'s).
struct PlanSettings {
  std::string accelerator;             // catalogue name or kMeasuredAccelerator; "" = the catalogue's first entry
  TrainingPlanOptions training;        // MFU, device count (0 = fewest that hold the state), price
  RecomputeChoice recompute = RecomputeChoice::AUTO;  // `plan --recompute`: auto = selective, else full
  double inference_tokens = 0.0;  // lifetime tokens served (prompt and generated); 0 = none
  double unique_tokens = 0.0;     // unique training tokens available; 0 = unlimited
  // The days the training must finish in (`plan --max-days`): with an automatic device count, the count is the
  // fewest that hold the training state and finish within them; a given count that takes longer is flagged.
  // 0 = no limit (the fewest that hold the state). The default is the command line's target, kDefaultFrontierDays.
  double target_days = kDefaultFrontierDays;
  std::optional<MeasuredProfile> profile;  // `plan --profile`: its measured peaks replace the catalogue's
};

// The device a plan runs on. A profile applies to the device it measured only:
//   kMeasuredAccelerator   the profile's device (AcceleratorFromProfile); InputError without a profile, or when the
//                          profile cannot describe its device (a CPU profile does not say how much memory it has)
//   a catalogue name       that entry, with the profile's measured peaks when the profile was measured on that kind
//                          of device (ProfileDeviceMismatch empty, as `plan --accelerator NAME --profile P.json`);
//                          a profile of another device is not applied, and *warning says so
// InputError naming the accelerator when it is unknown.
Accelerator ResolvePlanAccelerator(const PlanSettings& settings, const HardwareCatalogue& catalogue,
                                   std::string* warning = nullptr);
// What the Plan dock calls the measured device: "Measured: NVIDIA H100 80GB HBM3".
std::string MeasuredAcceleratorTitle(const HardwareProfile& profile);

// The law a plan comes from, for display and export.
struct LawSource {
  ChinchillaLaw law;
  std::string description;      // "Approach-3 fit of <source> (240 runs)"
  double fitted_compute_max = 0;  // largest fitted run's compute, for the extrapolation warning (0 = unknown)
  std::vector<ChinchillaLaw> bootstrap_laws;  // resampled fits, for intervals (empty = none)
  double confidence = 0.0;                    // their interval level
  // Any other law (Kaplan, IsoFLOP, data-constrained, an expression, a published law, a saved fit: gui/law_fit.h),
  // planned as `scaleplan plan --fit/--law` plans with it (AllocatePlan, core/plan.h); `law` is its Chinchilla form
  // when it has one. nullopt: `law` is the Fit dock's Approach-3 fit.
  std::optional<PlanLaw> plan_law;
  // Krajewski et al. 2024's fine-grained MoE law: planned by PlanFineGrainedMoe, as `plan --law krajewski2024`.
  std::optional<FineGrainedMoeLaw> moe_law;
};

struct Recommendation {
  double budget_flops = 0;
  std::string mode = "compute-optimal";  // or "data-constrained", "inference-aware", "fine-grained-moe"
  Allocation allocation;                 // ChinchillaLaw::ComputeOptimal(budget_flops), or as `mode` says
  double epochs = 0;                     // D / U with a unique-token limit, else 0
  bool data_limited = false;             // the limit binds: Chinchilla's plan would need more unique tokens
  std::optional<InferenceAwarePlan> inference;  // with inference tokens
  std::optional<AllocationIntervals> intervals;  // of the compute-optimal plan over the bootstrap laws
  std::optional<MoePlan> moe;                    // with LawSource::moe_law: N total and active, D, G, the shape
  Accelerator accelerator;               // the device planned on (ResolvePlanAccelerator)
  TrainingHardware hardware;             // PlanTrainingHardware(N, 6 N D, accelerator, ...): shape, memory, time
  Hyperparams hyperparams;               // DeepSeek LLM 2024's batch, learning rate and steps (plan's default)
  std::vector<std::string> warnings;
};

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
std::string FormatShape(const ModelMemory& memory, double num_params);  // "80 layers x 8192 wide, 64 heads, ..."
std::string FormatDuration(double days);  // "12.3 days", "5.2 hours", "3.4 years", "7,930 years"
// "fits: 71.5 GB of 72 GB per device on 21 x H100-SXM (full recomputation)", or "does not fit: ..." with the reasons
std::string MemoryVerdict(const TrainingHardware& hardware);

// The plan as one JSON object: the keys of `scaleplan plan --accelerator NAME --format json` (same names, same
// values) plus the shape, the budget and the device's source.
nlohmann::ordered_json RecommendationToJson(const Recommendation& plan, const LawSource& source,
                                            const PlanSettings& settings);
// The plan as a two-line CSV (header and values).
std::string RecommendationToCsv(const Recommendation& plan);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_RECOMMENDATION_H_
