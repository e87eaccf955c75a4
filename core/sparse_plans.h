// The JSON of the sparse plans that `scaleplan plan` prints and the Python module returns (scaleplan.plan_moe,
// scaleplan.plan_routed, scaleplan.plan_sparse): a fine-grained MoE at a compute budget (Krajewski et al. 2024), routed
// models of given dense sizes and expert counts (Clark et al. 2022) and a weight-sparse model at a budget and sparsity
// (Frantar et al. 2023), all from core/sparse_laws.h, so the two front ends cannot drift apart.
#ifndef SCALEPLAN_CORE_SPARSE_PLANS_H_
#define SCALEPLAN_CORE_SPARSE_PLANS_H_

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/extrapolation.h"
#include "core/sparse_laws.h"

namespace scaleplan {

// The runs a sparse law was fitted on, as far as they are known (0 = unknown, never checked): a plan beyond them is
// an extrapolation, flagged by core/extrapolation.h's one warning (kExtrapolationWarningFactor beyond N, D or C), as
// the dense plans flag theirs. What N, D and C are follows each law's saved fit (fitting/sparse_fit.h `data`):
//   moe:     N total (every expert), D, C = 6 N_total D (the fit's nominal compute, not the cost model's FLOPs),
//            and the granularity G, flagged as soon as the plan's G lies outside the fitted G (not 10x: the
//            G term g / G^gamma was measured on a few granularities only);
//   sparse:  N non-zero, D tokens, C = 6 N_non-zero D;
//   routing: N dense (per-token) parameters (the routing law has no D).
struct SparseLawRanges {
  FitRanges runs;
  double granularity_min = 0.0, granularity_max = 0.0;
};

// The published laws' ranges: the bundled runs they were fitted on. Frantar et al.'s T5 runs (48, N non-zero 1.3M to
// 84.9M, D = steps x tokens_per_step); Clark et al.'s routing runs (163, N dense 16.5M to 1.31B); Krajewski et al.
// 2024's law has no runs here and no recorded range (all 0: its plans are not checked).
SparseLawRanges FrantarT5Ranges(double tokens_per_step = kT5TokensPerStep);
SparseLawRanges ClarkRoutingRanges();
SparseLawRanges KrajewskiMoeRanges();

// The extrapolation warning of a plan ({} or one text): ExtrapolationWarning's clauses, then for an MoE plan
// "N = 10P lies at the end of the sizes searched (...)" when N is kMoeSearchMinParams or kMoeSearchMaxParams (the
// published law has no range, and `--compute 1e40` would otherwise pass silently) and "G = 63.7 is above the largest
// fitted granularity (16)" (or below the smallest), joined by "; ".
std::vector<std::string> MoePlanWarnings(const MoePlan& plan, const SparseLawRanges& ranges);
std::vector<std::string> SparsePlanWarnings(const SparsePlan& plan, const SparseLawRanges& ranges);

// Refuses (InputError, exit code 3) an MoE plan that is no plan, as the dense planner's RequireUsableAllocation
// (core/chinchilla_law.h) does: N total or D below 1 or not finite, or the loss not finite. `law_label` names the
// law: "krajewski2024 gives no usable plan at 1.00e-05 FLOPs: D = 2.05e-08 tokens is out of range (...)".
void RequireUsableMoePlan(const MoePlan& plan, const std::string& law_label, double compute_flops);

// The expansion rate's check worded as the option's: UsageError "--expansion-rate: must be at least 1: '0'".
void RequireMoePlanOptions(const MoePlanOptions& options);

// The sparse planners' published laws (krajewski2024, clark2022, frantar2023-t5) give no dense allocation at a budget:
// the clause that says which command plans with one ("it is Krajewski et al. 2024's fine-grained MoE law: plan with it
// using 'scaleplan plan --law krajewski2024 --compute C' ..."), for `sweep`, `plot` and every other reader of --law;
// "" for any other name.
std::string SparseLawPlanner(const std::string& law_name);

// `plan --law krajewski2024 | --fit MOE.json --compute C --format json` without an accelerator: law (`law_label`:
// krajewski2024, or the saved fit's path), compute_flops, num_params, num_active_params, num_tokens, granularity,
// loss, training_flops, expansion_rate, num_experts, d_model, num_blocks, warnings (MoePlanWarnings). num_params,
// granularity, num_experts and num_blocks are the continuous optimum of eq. 9 (fractional); `plan --accelerator`
// rounds the shape to a whole model.
nlohmann::ordered_json MoePlanToJson(const MoePlan& plan, const std::string& law_label, double compute_flops,
                                     const MoePlanOptions& options, const SparseLawRanges& ranges = {});

// One weight-sparse plan's figures (core/sparse_laws.h SparsePlan): sparsity, sparse_method, num_nonzero_params,
// num_params (zeros included), num_tokens, loss, training_flops, flops_fraction_of_dense, dense_equivalent_flops. The
// rows of `sweep --sparsity S --format jsonl` and the two plans of SparsePlanToJson.
nlohmann::ordered_json SparsePlanFieldsJson(const SparsePlan& plan);

// `plan [--fit SPARSE.json] --compute C (--sparsity S | --optimal-sparsity) --format json` without an accelerator:
// SparsePlanFieldsJson(plan), then law (`law_label`: frantar2023-t5, or the saved fit's path), compute_flops,
// optimal_sparsity, sparse_speedup, dense_loss, dense (SparsePlanFieldsJson of `dense`, the plan at sparsity 0 on the
// same budget) and warnings (SparsePlanWarnings). `plan --accelerator` adds the hardware of both plans.
nlohmann::ordered_json SparsePlanToJson(const SparsePlan& plan, const SparsePlan& dense, const std::string& law_label,
                                        double compute_flops, bool optimal_sparsity, double sparse_speedup,
                                        const SparseLawRanges& ranges = {});

// The largest sparsity `plan --optimal-sparsity` searches by default (--max-sparsity).
inline constexpr double kDefaultMaxSparsity = 0.99;

// A routing law per router, in order: Clark et al.'s Table 3 (ClarkRoutingLaws) or a saved routing fit's.
using RouterLaws = std::vector<std::pair<std::string, RoutingLaw>>;

RouterLaws ClarkRoutingLaws();  // S-Base, RL-R, Hash

// The laws of the routers named, in the order named; all of `laws` when `routers` is empty. Throws UsageError
// "--router: the law has no router 'X' (it has S-Base, RL-R, Hash)" for a router the law lacks.
RouterLaws SelectRouters(const RouterLaws& laws, const std::vector<std::string>& routers);

// `plan --law clark2022 | --fit ROUTING.json --params N[,N] --experts E[,E] --format json`: {"law": "routing",
// "source", "cutoffs": {router: N_cutoff, null when routing helps at every size}, "plans": [for each router, N and
// E: router, num_params, num_experts, saturated_experts, loss, dense_loss, effective_params and effective_multiplier
// (null when the law's dense loss does not fall with N)], "warnings": [RoutingPlanWarnings]} (PlanRoutedModel,
// RoutingCutoffParams).
nlohmann::ordered_json RoutingPlansToJson(const RouterLaws& laws, const std::string& source,
                                          const std::vector<double>& num_params, const std::vector<double>& num_experts,
                                          const SparseLawRanges& ranges = {});

// One warning per N beyond the fitted N (ExtrapolationWarning), "N 1T: N is 769x the largest fitted model (...)".
std::vector<std::string> RoutingPlanWarnings(const std::vector<double>& num_params, const SparseLawRanges& ranges);

// Expert counts are whole numbers of at least 1: UsageError "--experts: must be a whole number of at least 1: '1.5'"
// otherwise (`option` names the option or keyword).
void RequireExpertCounts(const std::vector<double>& num_experts, const std::string& option = "--experts");

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_SPARSE_PLANS_H_
