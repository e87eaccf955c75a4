// The law a sparse planner plans with (`plan --law krajewski2024 | clark2022 | frantar2023-t5` or `plan --fit` with a
// moe, routing or sparse fit; the Python module's plan_moe and plan_routed), and the ranges of the runs it was fitted
// on, against which the plans are flagged as extrapolations (core/sparse_plans.h SparseLawRanges).
#ifndef SCALEPLAN_FITTING_SPARSE_PLAN_LAW_H_
#define SCALEPLAN_FITTING_SPARSE_PLAN_LAW_H_

#include <string>
#include <vector>

#include "core/sparse_laws.h"
#include "core/sparse_plans.h"

namespace scaleplan {

// The ranges a saved moe, routing or sparse fit keeps in its `data` (num_params_min ... compute_max, and a moe fit's
// granularity_min and granularity_max; a key it lacks is 0, unknown). InputError for a file that is not a saved fit
// or a mistyped range, as every saved fit's reader (fitting/fit_json.h ParseSavedFit).
SparseLawRanges LoadSavedSparseLawRanges(const std::string& path);

struct MoePlanLaw {
  FineGrainedMoeLaw law;
  std::string label;  // krajewski2024, or the saved fit's path
  SparseLawRanges ranges;
};
// `fit_path` (a saved moe fit) or, without it, Krajewski et al. 2024's law. `law_name_given`: --law was given (with
// --fit: UsageError "give either --fit or --law, not both", as every planner).
MoePlanLaw ResolveMoePlanLaw(const std::string& fit_path, bool law_name_given);

struct RoutingPlanLaws {
  RouterLaws laws;    // in the law's order, or in the order of `routers`
  std::string label;  // clark2022, or the saved fit's path
  SparseLawRanges ranges;
};
// `fit_path` (a saved routing fit) or `law_name` clark2022 (Clark et al.'s Table 3); exactly one. `routers` selects
// (SelectRouters); empty keeps every router.
RoutingPlanLaws ResolveRoutingPlanLaws(const std::string& fit_path, const std::string& law_name,
                                       const std::vector<std::string>& routers);

struct SparsePlanLaw {
  SparseLaw law;
  std::string label;  // frantar2023-t5, or the saved fit's path
  SparseLawRanges ranges;
};
// `fit_path` (a saved sparse fit) or, without it, the T5 law (its D at kT5TokensPerStep).
SparsePlanLaw ResolveSparsePlanLaw(const std::string& fit_path);

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_SPARSE_PLAN_LAW_H_
