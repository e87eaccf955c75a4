// What `scaleplan plan` and `scaleplan sweep` share: the law they plan with, and the options that choose the
// hardware side of a plan (the device, optionally with a measured profile's peaks, and the activation
// recomputation). The hardware side itself (memory, device count, days, cost, verdict) is core/training_plan.h,
// which the desktop planner calls too.
#ifndef SCALEPLAN_CLI_PLAN_SUPPORT_H_
#define SCALEPLAN_CLI_PLAN_SUPPORT_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/data_constrained.h"
#include "core/hardware.h"
#include "core/training_plan.h"
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

// --recompute auto|none|selective|full (core/training_plan.h); UsageError otherwise.
RecomputeChoice ParseRecomputeChoice(const std::string& text);

// The device: `name` from the bundled catalogue (UsageError listing the known names when unknown), with peaks
// replaced by the measured dense GEMM rate of the profile at `profile_path` when given (InputError when it cannot
// be read; AcceleratorFromProfile in core/training_plan.h). With a profile and no name, a CUDA profile supplies its
// device's memory; a CPU profile needs a name (UsageError). With `hardware_path`, the catalogue is that file (same
// schema as data/hardware.json; a file of one entry needs no name).
Accelerator ResolveAccelerator(const std::string& name, const std::string& profile_path,
                               const std::string& hardware_path = "");

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_PLAN_SUPPORT_H_
