// The JSON of the sparse plans that `scaleplan plan` prints and the Python module returns (scaleplan.plan_moe,
// scaleplan.plan_routed): a fine-grained MoE at a compute budget (Krajewski et al. 2024) and routed models of given
// dense sizes and expert counts (Clark et al. 2022), both from core/sparse_laws.h, so the two front ends cannot drift
// apart.
#ifndef SCALEPLAN_CORE_SPARSE_PLANS_H_
#define SCALEPLAN_CORE_SPARSE_PLANS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/sparse_laws.h"

namespace scaleplan {

// `plan --law krajewski2024 | --fit MOE.json --compute C --format json` without an accelerator: law (`law_label`:
// krajewski2024, or the saved fit's path), compute_flops, num_params, num_active_params, num_tokens, granularity,
// loss, training_flops, expansion_rate, num_experts, d_model, num_blocks.
nlohmann::ordered_json MoePlanToJson(const MoePlan& plan, const std::string& law_label, double compute_flops,
                                     const MoePlanOptions& options);

// A routing law per router, in order: Clark et al.'s Table 3 (ClarkRoutingLaws) or a saved routing fit's.
using RouterLaws = std::vector<std::pair<std::string, RoutingLaw>>;

RouterLaws ClarkRoutingLaws();  // S-Base, RL-R, Hash

// The laws of the routers named, in the order named; all of `laws` when `routers` is empty. Throws UsageError
// "--router: the law has no router 'X' (it has S-Base, RL-R, Hash)" for a router the law lacks.
RouterLaws SelectRouters(const RouterLaws& laws, const std::vector<std::string>& routers);

// `plan --law clark2022 | --fit ROUTING.json --params N[,N] --experts E[,E] --format json`: {"law": "routing",
// "source", "cutoffs": {router: N_cutoff, null when routing helps at every size}, "plans": [for each router, N and
// E: router, num_params, num_experts, saturated_experts, loss, dense_loss, effective_params and effective_multiplier
// (null when the law's dense loss does not fall with N)]} (PlanRoutedModel, RoutingCutoffParams).
nlohmann::ordered_json RoutingPlansToJson(const RouterLaws& laws, const std::string& source,
                                          const std::vector<double>& num_params,
                                          const std::vector<double>& num_experts);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_SPARSE_PLANS_H_
