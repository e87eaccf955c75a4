// The plan pipeline: what `scaleplan plan`, `scaleplan sweep`, the desktop planner and the Python module all call.
//
// A plan is a question (a budget, a model size, both, or a target loss) under a law, answered in stages:
//   the allocation (N, D, loss; under a unique-token limit: Muennighoff et al.'s data-constrained law; under a
//   lifetime inference demand: the same loss at the least training + inference FLOPs, Sardana et al.)
//   -> bootstrap intervals of it (when the law carries resampled laws)
//   -> hyper-parameters (batch, learning rate, steps: core/hyperparams.h)
//   -> the hardware: without a device, the memory of a practical model of N parameters; with a device and a given
//      MFU, devices, days and cost at that MFU (core/training_plan.h); with a device that has interconnect figures
//      and no MFU, the frontier layout search (core/frontier_plan.h) on the architecture (given, or proposed for N)
//   -> warnings (extrapolation, data repetition and saturation, data availability, run length).
// MakePlan composes them; PlanToJson is the JSON row every front end prints.
#ifndef SCALEPLAN_CORE_PLAN_H_
#define SCALEPLAN_CORE_PLAN_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/architectures.h"
#include "core/chinchilla_law.h"
#include "core/data_constrained.h"
#include "core/frontier_plan.h"
#include "core/hardware.h"
#include "core/hyperparams.h"
#include "core/inference_allocation.h"
#include "core/parallel_layout.h"
#include "core/saved_law.h"
#include "core/training_plan.h"
#include "core/transformer.h"

namespace scaleplan {

// The largest open English web corpora hold about 15T tokens (FineWeb, Penedo et al. 2024; Llama 3 trained on 15T):
// a plan that trains on more without a unique-token limit is warned that the data may not exist.
inline constexpr double kLargestOpenCorpusTokens = 15e12;

// Without max_days no length is a limit, but a plan longer than this is flagged in its verdict: a year is several
// times the wall-clock of any published frontier training run, and more than a hardware generation.
inline constexpr double kLongRunDays = 365.0;

// The wall-clock horizon for which a plan timed at a given MFU also reports the device count.
inline constexpr double kReferenceDays = 90.0;

// The budget a plan uses when none is given: Gopher's, 5.76e23 FLOPs (Hoffmann et al. 2022, Table 3).
inline constexpr double kDefaultPlanComputeFlops = 5.76e23;

// A law and the range of the runs it was fitted on.
struct PlanLaw {
  SavedLaw saved;
  double params_max = 0.0;              // largest fitted model (0 when unknown, e.g. a saved fit)
  DataConstrainedLaw data_constrained;  // saved.law with a data-constrained fit's R_D*, R_N* (else the published)
};

// One plan under every resampled law of `law` (law.saved.bootstrap_laws), as percentile intervals at
// law.saved.confidence: `allocate` is called once per resampled law with a copy of `law` whose Chinchilla law (and
// the base of its data-constrained law) is that resampled law. A plan that does not exist under a resampled law
// (`allocate` throws UsageError, e.g. a target loss at or below its E) is left out. nullopt without resampled
// laws, or when none gives a plan.
std::optional<AllocationIntervals> BootstrapAllocationIntervals(
    const PlanLaw& law, const std::function<Allocation(const PlanLaw& resampled)>& allocate);

// What a plan asks.
enum class PlanMode {
  COMPUTE_OPTIMAL,     // compute_flops: the N and D of least loss (with inference tokens: "inference-aware", the
                       // budget's loss at the least lifetime FLOPs, training on more than the budget)
  WITHIN_BUDGET,       // compute_flops and inference tokens: the least lifetime FLOPs training on exactly the budget
  PARAMS,              // num_params: the compute-optimal tokens for that size
  PARAMS_AND_COMPUTE,  // num_params trained on compute_flops
  TARGET_LOSS,         // loss_target: the least compute that reaches it
};
// "compute-optimal", "within-budget", "params", "params-and-compute", "target-loss".
const char* PlanModeName(PlanMode mode);

// The model and cluster side shared by every row of a command.
struct PlanOptions {
  double unique_tokens = 0.0;     // at most this many unique tokens (0 = unlimited)
  double inference_tokens = 0.0;  // lifetime inference tokens (0 = none)
  InferenceCostOptions inference;  // inference MFU and price (the training side is filled from `training`)
  TrainingPlanOptions training;    // MFU, device count, price, max days, usable memory, GEMM precision
  bool mfu_given = false;          // time at training.mfu instead of a layout search
  RecomputeChoice recompute = RecomputeChoice::AUTO;
  std::optional<Accelerator> accelerator;  // none: memory only
  bool profile_given = false;              // the accelerator's peaks came from a measured profile
  // The frontier stage: the architecture (arch_shape from --arch or complete shape options; otherwise a practical
  // shape proposed for N with shape_overrides applied), the global batch (0 = the hyper-parameter law's), a
  // partially fixed layout.
  std::string arch_name;  // shown in the output; "" = proposed
  std::optional<TransformerShape> arch_shape;
  ShapeOverrides shape_overrides;
  double global_batch_tokens = 0.0;
  PartialLayout fixed_layout;
  HyperparamsLaw hyperparams = DeepSeekHyperparamsLaw();  // batch and learning rate of every plan
  bool propose_shapes = false;  // also list practical shapes for N with exact counts
};

// The shape options that define no model (without --arch, and not --layers, --d-model and --heads together) only
// change the shape the layout search proposes for N (--accelerator without --mfu). UsageError when nothing uses them,
// naming the first: "--experts is a shape option of the layout search (the model laid out on --accelerator, without
// --mfu): nothing uses it here; ...", with, for --experts, where a routing law's expert counts go.
void RequireShapeOptionsUsed(const PlanOptions& options);

// The activation recomputation as plan and sweep's --recompute (and the Python module's recompute=) name it: auto,
// none, selective or full (core/training_plan.h TryParseRecomputeChoice); anything else is a UsageError
// ("--recompute must be auto, none, selective or full, not 'x'").
RecomputeChoice ParseRecomputeChoice(const std::string& text);

struct PlanRequest {
  PlanMode mode = PlanMode::COMPUTE_OPTIMAL;
  double num_params = 0.0;
  double compute_flops = 0.0;
  double loss_target = 0.0;
  PlanOptions options;
};

// A plan timed at a given MFU (no layout search), with the device count that would finish in kReferenceDays.
struct MfuHardware : TrainingHardware {
  std::int64_t devices_for_reference_days = 0;
};

struct Plan {
  std::string mode;  // PlanModeName, or "inference-aware" for a budget's plan under an inference demand
  Allocation allocation;
  std::vector<std::string> warnings;
  std::optional<DataConstrainedAllocation> data;  // with unique tokens: the plan before inference
  std::optional<InferenceAwarePlan> inference;    // with inference tokens
  double budget_flops = 0.0;                      // the budget asked for (0 for a size or a target loss)
  ModelMemory memory;                             // without a device (AUTO = selective)
  std::optional<Hyperparams> hyperparams;
  std::optional<MfuHardware> hardware;            // with a device and a given MFU (or no interconnect figures)
  std::optional<FrontierPlan> frontier;           // with a device and no MFU: the layout search
  std::vector<ShapeProposal> shapes;              // with propose_shapes
  std::optional<AllocationIntervals> intervals;   // with bootstrap laws

  // Whether the plan fails its hardware: infeasible at the MFU, no layout fits, or over max_days.
  bool Failed() const;
};

// The whole pipeline for one request. Throws UsageError for a request that cannot be served (a target loss at or
// below the law's floor, options that conflict, a fixed layout that does not divide the model or the cluster) and
// InputError for a law that gives no usable plan there.
Plan MakePlan(const PlanLaw& law, const PlanRequest& request);

// Only the allocation stage: mode, allocation, data and inference (no intervals, hyper-parameters, hardware or
// warnings), what a sweep or the bootstrap needs per point.
Plan AllocatePlan(const PlanLaw& law, const PlanRequest& request);

// The compute-optimal allocation a plan is compared with, plan's `chinchilla_num_params` and `chinchilla_num_tokens`
// and sweep's `chinchilla_num_params` alike: with inference tokens, the plan for the same loss without inference
// (InferenceAwarePlan::chinchilla, under the unique-token limit when there is one); else with unique tokens, the
// unconstrained Chinchilla plan for the same budget or size (DataConstrainedAllocation::chinchilla), which differs
// from the plan where the limit binds; else the plan's own allocation.
Allocation ChinchillaComparison(const Plan& plan);

// The JSON row of a plan (keys documented in README.md, "plan --format json").
nlohmann::ordered_json PlanToJson(const Plan& plan, const PlanLaw& law, const PlanOptions& options);

// The cluster stage's options as every front end resolves them (the command line names them in messages).

// `--precision bf16|fp8`: the GEMM precision of the layout search. UsageError for any other type.
NumericType ParsePlanPrecision(const std::string& text);

// The device: `name` from the bundled catalogue (UsageError listing the known names when unknown), with peaks
// replaced by the measured dense GEMM rate of the profile at `profile_path` when given and measured on that kind of
// device (InputError when it cannot be read; ProfiledAccelerator in core/training_plan.h: a profile of another
// device keeps the catalogue's peaks). With a profile and no name, the plan is on the measured device: a CUDA profile
// supplies its device's name and memory; a CPU profile needs a name (UsageError). With `hardware_path`, the catalogue
// is that file (same schema as data/hardware.json; a file of one entry needs no name).
Accelerator ResolveAccelerator(const std::string& name, const std::string& profile_path,
                               const std::string& hardware_path = "");

// The warning every row of a plan on the catalogue device `name` carries when the profile at `profile_path` measured
// another kind of device (its peaks are then not applied: ProfileDeviceMismatch); "" when it did, or when either is
// empty. InputError when the profile cannot be read.
std::string PlanProfileMismatch(const std::string& name, const std::string& profile_path);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_PLAN_H_
