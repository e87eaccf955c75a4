#include "gui/cluster_plan.h"

#include <cmath>
#include <vector>

#include "core/architectures.h"
#include "core/error.h"
#include "core/units.h"

namespace scaleplan::gui {
namespace {

// 16384 -> "16,384".
std::string Grouped(std::int64_t value) {
  const std::string digits = std::to_string(value);
  std::string text;
  for (size_t i = 0; i < digits.size(); ++i) {
    const size_t left = digits.size() - i;  // digits from here to the end
    if (i > 0 && left % 3 == 0 && digits[i - 1] != '-') text += ',';
    text += digits[i];
  }
  return text;
}

std::string DescribeShape(const TransformerShape& shape) {
  std::string text = std::to_string(shape.num_layers) + " layers x " + std::to_string(shape.d_model) + " wide, " +
                     std::to_string(shape.num_heads) + " heads";
  if (shape.num_kv_heads > 0 && shape.num_kv_heads != shape.num_heads) {
    text += " (" + std::to_string(shape.num_kv_heads) + " KV)";
  }
  if (shape.num_experts > 1) {
    text += ", " + std::to_string(shape.num_experts) + " experts (top " + std::to_string(shape.active_experts) + ")";
  }
  text += ", sequence " + std::to_string(shape.context_length);
  return text;
}

}  // namespace

const char* ClusterPrecisionName(NumericType precision) { return NumericTypeName(precision); }

std::optional<NumericType> TryParseClusterPrecision(const std::string& name) {
  const std::optional<NumericType> type = TryParseNumericType(name);
  if (type != NumericType::BF16 && type != NumericType::FP8) return std::nullopt;
  return type;
}

TransformerShape ProposeClusterShape(double num_params) {
  const std::optional<TransformerShape> shape = ProposeFrontierShape(num_params);
  if (!shape) {
    throw InputError("architecture: no practical transformer shape for " + FormatQuantity(num_params) +
                     " parameters: choose a published architecture");
  }
  return *shape;
}

FrontierRequest MakeClusterRequest(const ClusterSettings& settings, const HardwareCatalogue& catalogue,
                                   Accelerator* accelerator, std::string* model) {
  FrontierRequest request;
  if (settings.architecture == kProposedArchitecture) {
    if (!(settings.num_params > 0.0)) {
      throw InputError("architecture: no model size yet: the Plan panel has no recommendation");
    }
    request.shape = ProposeClusterShape(settings.num_params);
    *model = "proposed for " + FormatQuantity(settings.num_params) + " parameters: " + DescribeShape(request.shape);
  } else {
    const ArchitectureEntry& entry = FindArchitecture(settings.architecture, {"architecture"});
    request.shape = entry.shape;
    *model = entry.name + ": " + DescribeShape(request.shape);
  }
  *accelerator = catalogue.Find(settings.accelerator, {"accelerator"});
  if (!(accelerator->DenseFlopsPerSecond(settings.precision) > 0.0)) {
    throw InputError("precision: " + accelerator->name + " has no " + NumericTypeName(settings.precision) + " peak");
  }
  if (!accelerator->HasInterconnect()) {
    throw InputError("accelerator: " + accelerator->name + " has no interconnect figures: the layout search needs them");
  }
  request.num_tokens = settings.num_tokens;
  request.global_batch_tokens = settings.global_batch_tokens;
  request.precision = settings.precision;
  request.num_devices = settings.num_devices;
  request.max_days = settings.max_days;
  std::string why;
  if (!request.Check(&why)) throw InputError(why);
  return request;
}

ClusterPlan PlanCluster(const ClusterSettings& settings, const HardwareCatalogue& catalogue) {
  ClusterPlan out;
  out.settings = settings;
  out.request = MakeClusterRequest(settings, catalogue, &out.accelerator, &out.model);
  out.plan = PlanFrontier(out.request, out.accelerator);
  return out;
}

std::string ClusterSummary(const ClusterPlan& cluster) {
  const FrontierPlan& plan = cluster.plan;
  if (plan.num_devices <= 0) return "no device count up to 1,000,000 holds the model: infeasible";
  std::string text = Grouped(plan.num_devices) + " x " + plan.accelerator;
  const std::int64_t per_node = cluster.accelerator.devices_per_node;
  if (per_node > 1 && plan.num_devices % per_node == 0) {
    const std::int64_t nodes = plan.num_devices / per_node;
    text += " (" + Grouped(nodes) + (nodes == 1 ? " node)" : " nodes)");
  }
  if (plan.count_searched) {
    text += (plan.count_meets_days && plan.fewest_num_devices != plan.num_devices
                 ? ", cheaper than the fewest (" + Grouped(plan.fewest_num_devices) + ") for "
                 : ", the fewest for ") +
            FormatSignificant(cluster.request.max_days, 3) + " days";
  }
  if (!plan.feasible) return text + ": infeasible";
  text += ", " + FormatSignificant(plan.days, 3) + " days, " + FormatQuantity(plan.gpu_hours) + " GPU-hours, " +
          FormatUsd(plan.cost_usd) + ": feasible";
  if (plan.meets_max_days) {
    text += *plan.meets_max_days ? ", meets " : ", misses ";
    text += FormatSignificant(cluster.request.max_days, 3) + " days";
  }
  return text;
}

}  // namespace scaleplan::gui
