// What the Cluster / Layout panel computes: the cluster stage of a plan through PlanFrontier (core/frontier_plan.h),
// the function `scaleplan plan --accelerator NAME` calls for its layout search, from the same inputs. Qt-free, so
// that the panel and its tests call exactly this.
//
// The model is a bundled architecture (data/architectures.json, as `plan --arch NAME`) or, with
// kProposedArchitecture, the practical shape the command proposes for a parameter count (the Plan panel's N): the
// proposal whose head count splits over 8-way tensor parallelism (a multiple of 8, with 8 KV heads) and whose
// d_model / layers is closest to 128, among ProposeShapes' candidates within 10% of N.
#ifndef SCALEPLAN_GUI_CLUSTER_PLAN_H_
#define SCALEPLAN_GUI_CLUSTER_PLAN_H_

#include <cstdint>
#include <optional>
#include <string>

#include "core/frontier_plan.h"
#include "core/hardware.h"
#include "core/transformer.h"

namespace scaleplan::gui {

// The architecture choice that proposes a shape for the Plan panel's N instead of naming a published one.
inline constexpr char kProposedArchitecture[] = "proposed";

// Everything the panel binds. A new window plans Llama 3 405B's published run (15.6T tokens) on H100s.
struct ClusterSettings {
  std::string architecture = "llama3-405b";  // a bundled architecture's name, or kProposedArchitecture
  double num_params = 0.0;                   // with kProposedArchitecture: the model size (the Plan panel's N)
  double num_tokens = 15.6e12;               // training tokens
  std::string accelerator = "H100-SXM";      // catalogue name
  std::int64_t num_devices = 0;              // 0 = the fewest that finish within max_days
  double max_days = kDefaultFrontierDays;    // the days a plan must meet (and that the count search aims at)
  NumericType precision = NumericType::BF16;  // of the matrix products: bf16 or fp8
  double global_batch_tokens = 0.0;          // 0 = the default batch law (DefaultGlobalBatchTokens)

  bool operator==(const ClusterSettings&) const = default;
};

// The shape `scaleplan plan` lays out for `num_params` when no architecture is given (see the file comment).
// InputError when there is none (outside 1e6 .. 1e15 parameters, or no candidate within 10%).
TransformerShape ProposeClusterShape(double num_params);

struct ClusterPlan {
  ClusterSettings settings;
  FrontierRequest request;  // as passed to PlanFrontier
  Accelerator accelerator;
  std::string model;        // one line: the architecture and its shape
  FrontierPlan plan;        // PlanFrontier(request, accelerator)
};

// The request PlanFrontier gets for these settings. Throws InputError naming the input when the architecture or
// accelerator is unknown, no shape can be proposed, the device has no peak for the precision or the request does
// not check.
FrontierRequest MakeClusterRequest(const ClusterSettings& settings, const HardwareCatalogue& catalogue,
                                   Accelerator* accelerator, std::string* model);

// MakeClusterRequest, then PlanFrontier. Throws as MakeClusterRequest does; a plan that does not fit is a result.
ClusterPlan PlanCluster(const ClusterSettings& settings, const HardwareCatalogue& catalogue);

// "16,384 x H100-SXM (2,048 nodes), 54.2 days, 21.3M GPU-hours, $63.9M: feasible, meets 90 days", or
// "8 x H100-SXM: infeasible".
std::string ClusterSummary(const ClusterPlan& plan);

// "bf16" / "fp8" and back (nullopt for anything else).
const char* ClusterPrecisionName(NumericType precision);
std::optional<NumericType> TryParseClusterPrecision(const std::string& name);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_CLUSTER_PLAN_H_
