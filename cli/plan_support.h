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
#include "core/plan.h"
#include "fitting/fit_json.h"
#include "fitting/plan_law.h"

namespace scaleplan::cli {

// The law (PlanLaw, BootstrapAllocationIntervals: core/plan.h; ResolvePlanLaw, AddBundledBootstrap:
// fitting/plan_law.h) and the plan itself (MakePlan, core/plan.h) are the library's, shared with the desktop planner
// and the Python module.

// --recompute's value: ParseRecomputeChoice (core/plan.h), shared with the Python module.

// The device (ResolveAccelerator: --accelerator, --profile, --hardware) is core/plan.h's, shared with the Python
// module.

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_PLAN_SUPPORT_H_
