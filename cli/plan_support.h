// What `scaleplan plan` and `scaleplan sweep` share: the law they plan with, and the hardware side of a plan: the
// device (a catalogue entry, optionally with a measured profile's peaks), the training memory of a model of N
// parameters, and its wall-clock time, device-hours, cost and feasibility on a number of devices (core/hardware.h).
#ifndef SCALEPLAN_CLI_PLAN_SUPPORT_H_
#define SCALEPLAN_CLI_PLAN_SUPPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/data_constrained.h"
#include "core/hardware.h"
#include "core/transformer.h"
#include "fitting/fit_json.h"

namespace scaleplan::cli {

// A law and the range of the runs it was fitted on.
struct PlanLaw {
  SavedLaw saved;
  double params_max = 0.0;               // largest fitted model (0 when unknown, e.g. a saved fit)
  DataConstrainedLaw data_constrained;   // saved.law with Muennighoff et al.'s published R_D*, R_N*
};

// --fit FIT.json, --law NAME, or (neither) the Approach-3 fit of the bundled Chinchilla runs. UsageError for both,
// or an unknown name; InputError for an unreadable or malformed fit.
PlanLaw ResolvePlanLaw(const std::string& fit_path, const std::string& law_name);

// Resamples the bundled runs (the default law's data) and stores the resampled laws and the interval level in
// law->saved, so that every plan gets intervals. Only for the default law.
void AddBundledBootstrap(const BootstrapOptions& options, const ProgressCallback& progress, PlanLaw* law);

// One plan under every resampled law of `law` (law.saved.bootstrap_laws), as percentile intervals at
// law.saved.confidence: `allocate` is called once per resampled law with a copy of `law` whose Chinchilla law (and
// the base of its data-constrained law) is that resampled law. A plan that does not exist under a resampled law
// (`allocate` throws UsageError, e.g. a target loss at or below its E) is left out. nullopt without resampled
// laws, or when none gives a plan. `plan` and `sweep` both compute their intervals here.
std::optional<AllocationIntervals> BootstrapAllocationIntervals(
    const PlanLaw& law, const std::function<Allocation(const PlanLaw& resampled)>& allocate);

// --recompute: which activation recomputation the memory estimate assumes. AUTO takes the least recomputation with
// which some device count holds the state: selective (what FlashAttention-style kernels do anyway), else full.
enum class RecomputeChoice { AUTO, NONE, SELECTIVE, FULL };
RecomputeChoice ParseRecomputeChoice(const std::string& text);  // throws UsageError

// A model of N parameters as the memory model sees it: one of the practical shapes ProposeShapes offers for N
// (SwiGLU, 32k vocabulary, 4,096-token context, head_dim 128, one sequence per micro-batch; below ~30M parameters
// relaxed to tied embeddings and 50% tolerance). With a device, the shape that fits on the fewest devices, with the
// least recomputation that lets one fit (AUTO: selective, then full); without one, or when none fits, the shape
// whose d_model / num_layers is closest to 128, the most common published ratio. With no shape at all (below ~3M
// parameters, above 1e15) only the model state is counted, 16 bytes per parameter.
struct ModelMemory {
  bool has_shape = false;
  TransformerShape shape;
  std::int64_t shape_params = 0;            // the shape's exact count
  Recomputation recomputation = Recomputation::SELECTIVE;
  TrainingMemory memory;
  std::int64_t min_devices_for_memory = 0;  // MinAcceleratorsForMemory: 0 = no count holds it (or no accelerator)
  std::int64_t min_devices_for_state = 0;   // fewest devices whose usable memory holds the model state alone
};

// The memory of `num_params`; with an accelerator (which decides AUTO recomputation) also the device counts.
// Without one, AUTO means selective. Deterministic.
ModelMemory EstimateModelMemory(double num_params, const Accelerator* accelerator, RecomputeChoice recompute,
                                double usable_memory_fraction);

// The device: `name` from the bundled catalogue (UsageError listing the known names when unknown), with peaks
// replaced by the measured dense GEMM rate of the profile at `profile_path` when given (InputError when it cannot
// be read). With a profile and no name, a CUDA profile supplies its device's memory; a CPU profile needs a name.
Accelerator ResolveAccelerator(const std::string& name, const std::string& profile_path);

// Time and cost of `training_flops` on devices. The count is `requested` when positive, else the fewest that hold
// the training state (and meet max_days); when no count holds it (activations alone exceed a device), the fewest
// that hold the model state, so that days and cost are still reported for an infeasible plan.
struct DeviceTime {
  std::int64_t num_accelerators = 0;
  std::int64_t min_devices_for_days = 0;    // 0 = no max_days
  double days = 0.0;
  double device_hours = 0.0;
  double cost_usd = 0.0;
  double price_usd_per_hour = 0.0;  // the price used
  bool feasible = false;  // a peak for the type, enough memory at this count, within max_days
};
DeviceTime TimeOnDevices(double training_flops, const ModelMemory& memory, const Accelerator& accelerator,
                         const TrainingPlanOptions& options);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_PLAN_SUPPORT_H_
