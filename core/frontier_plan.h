// The cluster stage of a plan: from a model (a shape with its total and active parameters and FLOPs per token), a
// token budget and a cluster to the best parallel layouts, the device count, days, GPU-hours and cost. One function,
// PlanFrontier, called by `scaleplan plan`, `scaleplan sweep` and the desktop planner, and one JSON writer.
#ifndef SCALEPLAN_CORE_FRONTIER_PLAN_H_
#define SCALEPLAN_CORE_FRONTIER_PLAN_H_

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/hardware.h"
#include "core/parallel_layout.h"
#include "core/transformer.h"

namespace scaleplan {

// Without --max-days or a count, the count is chosen to finish within this many days.
inline constexpr double kDefaultFrontierDays = 90.0;

struct FrontierRequest {
  TransformerShape shape;
  double num_tokens = 0.0;           // training tokens (> 0)
  double global_batch_tokens = 0.0;  // 0 = DefaultGlobalBatchTokens at C = 6 N D (N all parameters), the
                                     // hyper-parameter law's batch as `plan` takes it
  NumericType precision = NumericType::BF16;
  std::int64_t num_devices = 0;     // 0 = the fewest that meet max_days (kDefaultFrontierDays when unset)
  double max_days = 0.0;            // 0 = no limit (the count search then aims at kDefaultFrontierDays)
  double price_usd_per_hour = 0.0;  // 0 = the catalogue's
  double usable_memory_fraction = 0.90;
  PartialLayout fixed;
  std::string interconnect_source = "catalogue";  // or "profile" when measured figures replaced the catalogue's

  bool Check(std::string* why) const;
};

struct FrontierPlan {
  std::string accelerator;
  TransformerShape shape;               // the model laid out
  ParameterCounts counts;
  double flops_per_token = 0.0;      // model FLOPs per training token (6 N_active + attention + output layer)
  double global_batch_tokens = 0.0;  // the target before rounding
  std::int64_t num_devices = 0;
  bool count_searched = false;         // the count came from max_days
  bool count_meets_days = false;       // ... and it meets them (else it is the largest count that fits)
  std::int64_t fewest_num_devices = 0;  // ... the fewest that meet them (num_devices unless a cheaper count replaced it)
  LayoutSearchResult search;           // best.front() is the plan's layout when feasible
  bool feasible = false;               // some layout fits in memory on num_devices
  std::optional<bool> meets_max_days;  // with max_days
  std::vector<std::string> reasons;    // why not feasible, or why max_days is not met
  std::vector<std::string> notes;      // e.g. how the global batch was rounded
  double days = 0.0, gpu_hours = 0.0, cost_usd = 0.0, price_usd_per_hour = 0.0;
  std::string interconnect_source;
  std::string interconnect_detail;  // the accelerator's own words on where its link figures came from

  const LayoutEstimate* Best() const { return search.best.empty() ? nullptr : &search.best.front(); }
};

// The practical shape a plan of `num_params` is laid out for when no architecture is given: of ProposeShapes'
// candidates (SwiGLU, 32k vocabulary, 4,096-token context, head_dim 128, 8 KV heads, within 10% of N), those whose
// heads split over 8-way tensor parallelism (a multiple of 8), the one whose d_model / layers is closest to 128 (the
// most common published ratio). nullopt outside [1e6, 1e15] parameters or when none qualifies.
std::optional<TransformerShape> ProposeFrontierShape(double num_params);

// The same candidates ranked, best first (at most max_proposals): what `plan --shape` lists.
std::vector<ShapeProposal> ProposeFrontierShapes(double num_params, int max_proposals = 5);

// Options are checked with SCALEPLAN_CHECK: front ends call FrontierRequest::Check first. Never throws for a plan
// that does not fit: the result says why.
FrontierPlan PlanFrontier(const FrontierRequest& request, const Accelerator& accelerator);

// The cluster keys at the top level of `*out` (the caller writes num_params): num_active_params, flops_per_token,
// layout, mfu, flops_per_second_per_device, hardware_flops_per_second_per_device, step_seconds, step_breakdown,
// memory_breakdown, days, gpu_hours, cost_usd, feasible, meets_max_days, reasons, layouts, plus accelerator,
// num_accelerators, mfu_source ("predicted"), interconnect_source, global_batch_tokens, global_batch_sequences, and
// with a count searched that meets the days, fewest_num_accelerators (the fewest that meet them).
void AddFrontierPlanJson(const FrontierPlan& plan, nlohmann::ordered_json* out);

// One layout's keys (also each entry of `layouts`).
nlohmann::ordered_json LayoutEstimateJson(const LayoutEstimate& estimate);

// "TP 8 PP 16 v 2 DP 128 CP 1 EP 1 mb 1 x 8 ZeRO 1 selective".
std::string DescribeLayout(const ParallelLayout& layout);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_FRONTIER_PLAN_H_
