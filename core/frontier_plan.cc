#include "core/frontier_plan.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/units.h"

namespace scaleplan {
namespace {

bool Fail(std::string* why, const std::string& reason) {
  if (why != nullptr) *why = reason;
  return false;
}

LayoutRequest ToLayoutRequest(const FrontierRequest& request, double global_batch_tokens) {
  LayoutRequest layout;
  layout.shape = request.shape;
  layout.global_batch_tokens = global_batch_tokens;
  layout.num_tokens = request.num_tokens;
  layout.precision = request.precision;
  layout.num_devices = request.num_devices;
  layout.usable_memory_fraction = request.usable_memory_fraction;
  layout.fixed = request.fixed;
  return layout;
}

}  // namespace

std::vector<ShapeProposal> ProposeFrontierShapes(double num_params, int max_proposals) {
  if (!(num_params >= 1e6 && num_params <= 1e15)) return {};
  ShapeProposalOptions options;
  options.num_kv_heads = 8;
  options.max_proposals = 40;
  options.max_relative_error = 0.10;
  std::vector<ShapeProposal> ranked;
  for (ShapeProposal& proposal : ProposeShapes(num_params, options)) {
    if (proposal.shape.num_heads % 8 == 0) ranked.push_back(std::move(proposal));
  }
  const auto distance = [](const ShapeProposal& p) {
    return std::fabs(std::log(static_cast<double>(p.shape.d_model) / static_cast<double>(p.shape.num_layers) / 128.0));
  };
  std::stable_sort(ranked.begin(), ranked.end(),
                   [&](const ShapeProposal& a, const ShapeProposal& b) { return distance(a) < distance(b); });
  if (ranked.size() > static_cast<size_t>(std::max(0, max_proposals))) ranked.resize(std::max(0, max_proposals));
  return ranked;
}

std::optional<TransformerShape> ProposeFrontierShape(double num_params) {
  const std::vector<ShapeProposal> ranked = ProposeFrontierShapes(num_params, 1);
  if (ranked.empty()) return std::nullopt;
  return ranked.front().shape;
}

bool FrontierRequest::Check(std::string* why) const {
  std::string reason;
  if (!shape.Check(&reason)) return Fail(why, "architecture: " + reason);
  if (!(num_tokens > 0.0) || !std::isfinite(num_tokens)) return Fail(why, "the token budget must be positive");
  if (!(global_batch_tokens >= 0.0) || !std::isfinite(global_batch_tokens)) {
    return Fail(why, "the global batch must be positive");
  }
  if (num_devices < 0) return Fail(why, "the device count must not be negative");
  if (!(max_days >= 0.0) || !std::isfinite(max_days)) return Fail(why, "max_days must not be negative");
  if (!(price_usd_per_hour >= 0.0)) return Fail(why, "the price must not be negative");
  if (!(usable_memory_fraction > 0.0 && usable_memory_fraction <= 1.0)) {
    return Fail(why, "the usable memory fraction must lie in (0, 1]");
  }
  if (precision != NumericType::BF16 && precision != NumericType::FP8)
    return Fail(why, "precision must be bf16 or fp8");
  return true;
}

FrontierPlan PlanFrontier(const FrontierRequest& request, const Accelerator& accelerator) {
  std::string why;
  SCALEPLAN_CHECK(request.Check(&why), "invalid frontier plan request: " + why);
  FrontierPlan plan;
  plan.accelerator = accelerator.name;
  plan.shape = request.shape;
  plan.counts = CountParameters(request.shape);
  plan.flops_per_token = TrainingFlopsPerToken(request.shape, AttentionFlops::NON_CAUSAL);
  plan.global_batch_tokens =
      request.global_batch_tokens > 0.0
          ? request.global_batch_tokens
          : DefaultGlobalBatchTokens(6.0 * static_cast<double>(plan.counts.total) * request.num_tokens,
                                     request.num_tokens);
  plan.price_usd_per_hour =
      request.price_usd_per_hour > 0.0 ? request.price_usd_per_hour : accelerator.price_usd_per_hour;
  plan.interconnect_source = request.interconnect_source;
  plan.interconnect_detail = accelerator.interconnect_source;
  LayoutRequest layout = ToLayoutRequest(request, plan.global_batch_tokens);
  const PartialLayout& fixed = request.fixed;
  if (request.num_devices == 0 && fixed.tp && fixed.pp && fixed.dp) {
    // A fully given split fixes the count.
    layout.num_devices = *fixed.tp * *fixed.pp * *fixed.dp * fixed.cp.value_or(1);
  }

  if (layout.num_devices > 0) {
    plan.num_devices = layout.num_devices;
    plan.search = SearchLayouts(layout, accelerator, 5);
  } else {
    plan.count_searched = true;
    const double days = request.max_days > 0.0 ? request.max_days : kDefaultFrontierDays;
    std::optional<CountSearchResult> found = LeastDevicesForDays(layout, accelerator, days);
    if (found) {
      plan.count_meets_days = found->meets_max_days;
      plan.num_devices = found->num_devices;
      plan.fewest_num_devices = found->fewest_num_devices;
      if (found->meets_max_days && found->fewest_num_devices != found->num_devices) {
        plan.notes.push_back(
            std::to_string(found->num_devices) + " devices rather than the fewest that meet the days, " +
            std::to_string(found->fewest_num_devices) + ": " +
            FormatSignificant(found->fewest_device_hours / found->search.best.front().device_hours, 3) +
            "x the device-hours there (MFU " + FormatSignificant(100.0 * found->fewest_mfu, 3) + "% against " +
            FormatSignificant(100.0 * found->search.best.front().mfu, 3) +
            "%: the model barely fits the fewest devices); --count " + std::to_string(found->fewest_num_devices) +
            " plans on them");
      }
      plan.search = std::move(found->search);
      if (!found->meets_max_days) {
        plan.reasons.push_back("no device count up to 1,000,000 finishes within " + FormatSignificant(days, 3) +
                               " days: the fastest count is used");
      }
    } else {
      plan.reasons.push_back("no layout of up to 1,000,000 devices fits in memory");
    }
  }
  const LayoutEstimate* best = plan.Best();
  plan.feasible = best != nullptr;
  if (best != nullptr) {
    if (std::fabs(best->global_batch_tokens - plan.global_batch_tokens) > 0.5) {
      plan.notes.push_back("global batch " + FormatQuantity(plan.global_batch_tokens) + " tokens rounded to " +
                           std::to_string(best->global_batch_sequences) + " sequences of " +
                           std::to_string(request.shape.context_length) + " tokens (" +
                           FormatQuantity(best->global_batch_tokens) +
                           "): whole sequences, and whole micro-batches for each of the " +
                           std::to_string(best->layout.dp) + " data-parallel replicas");
    }
    plan.days = best->days;
    plan.gpu_hours = best->device_hours;
    plan.cost_usd = best->device_hours * plan.price_usd_per_hour;
  } else if (plan.num_devices > 0) {
    for (const std::string& binding : plan.search.binding) plan.reasons.push_back(binding);
    if (plan.reasons.empty())
      plan.reasons.push_back("no layout of " + std::to_string(plan.num_devices) + " devices exists");
  }
  if (request.max_days > 0.0) {
    plan.meets_max_days = best != nullptr && best->days <= request.max_days;
    if (best != nullptr && !*plan.meets_max_days) {
      plan.reasons.push_back("takes " + FormatSignificant(best->days, 3) + " days, more than the limit of " +
                             FormatSignificant(request.max_days, 3) + " days");
    }
  }
  return plan;
}

std::string DescribeLayout(const ParallelLayout& l) {
  std::string text = "TP " + std::to_string(l.tp) + " PP " + std::to_string(l.pp);
  if (l.virtual_stages > 1) text += " v " + std::to_string(l.virtual_stages);
  text += " DP " + std::to_string(l.dp) + " CP " + std::to_string(l.cp) + " EP " + std::to_string(l.ep) + " mb " +
          std::to_string(l.micro_batch) + " x " + std::to_string(l.grad_accumulation) + " ZeRO " +
          std::to_string(l.zero_stage) + " " + RecomputationName(l.recomputation);
  return text;
}

nlohmann::ordered_json LayoutEstimateJson(const LayoutEstimate& e) {
  nlohmann::ordered_json out;
  const ParallelLayout& l = e.layout;
  out["layout"] = {{"tp", l.tp},
                   {"pp", l.pp},
                   {"dp", l.dp},
                   {"cp", l.cp},
                   {"ep", l.ep},
                   {"virtual_stages", l.virtual_stages},
                   {"micro_batch", l.micro_batch},
                   {"grad_accumulation", l.grad_accumulation},
                   {"zero_stage", l.zero_stage},
                   {"recomputation", RecomputationName(l.recomputation)}};
  out["mfu"] = e.mfu;
  out["flops_per_second_per_device"] = e.flops_per_second_per_device;
  out["hardware_flops_per_second_per_device"] = e.hardware_flops_per_second_per_device;
  out["step_seconds"] = e.step_seconds;
  out["step_breakdown"] = {{"compute_seconds", e.step.compute_seconds}, {"tp_comm_seconds", e.step.tp_comm_seconds},
                           {"pp_comm_seconds", e.step.pp_comm_seconds}, {"dp_comm_seconds", e.step.dp_comm_seconds},
                           {"ep_comm_seconds", e.step.ep_comm_seconds}, {"cp_comm_seconds", e.step.cp_comm_seconds},
                           {"bubble_seconds", e.step.bubble_seconds}};
  out["memory_breakdown"] = {
      {"weight_bytes", e.memory.weight_bytes},       {"gradient_bytes", e.memory.gradient_bytes},
      {"optimizer_bytes", e.memory.optimizer_bytes}, {"activation_bytes", e.memory.activation_bytes},
      {"logit_bytes", e.memory.logit_bytes},         {"gathered_weight_bytes", e.memory.gathered_weight_bytes},
      {"buffer_bytes", e.memory.buffer_bytes},       {"total_bytes", e.memory.Total()},
      {"usable_bytes", e.usable_memory_bytes}};
  out["global_batch_sequences"] = e.global_batch_sequences;
  out["global_batch_tokens"] = e.global_batch_tokens;
  out["goodput"] = e.goodput.goodput;
  out["days"] = e.days;
  out["gpu_hours"] = e.device_hours;
  return out;
}

void AddFrontierPlanJson(const FrontierPlan& plan, nlohmann::ordered_json* out) {
  nlohmann::ordered_json& json = *out;
  json["num_active_params"] = plan.counts.active;
  json["flops_per_token"] = plan.flops_per_token;
  json["accelerator"] = plan.accelerator;
  json["num_accelerators"] = plan.num_devices;
  // With a count searched for the days: the fewest that meet them (num_accelerators unless a cheaper count won).
  if (plan.count_searched && plan.count_meets_days) json["fewest_num_accelerators"] = plan.fewest_num_devices;
  json["mfu_source"] = "predicted";
  json["interconnect_source"] = plan.interconnect_source;
  if (const LayoutEstimate* best = plan.Best()) {
    const nlohmann::ordered_json layout = LayoutEstimateJson(*best);
    for (auto it = layout.begin(); it != layout.end(); ++it) json[it.key()] = it.value();
  } else {
    json["layout"] = nullptr;
    json["mfu"] = nullptr;
  }
  json["cost_usd"] = plan.cost_usd;
  json["price_usd_per_hour"] = plan.price_usd_per_hour;
  json["feasible"] = plan.feasible;
  json["meets_max_days"] = plan.meets_max_days ? nlohmann::ordered_json(*plan.meets_max_days) : nullptr;
  json["reasons"] = plan.reasons;
  json["notes"] = plan.notes;
  nlohmann::ordered_json layouts = nlohmann::ordered_json::array();
  for (const LayoutEstimate& estimate : plan.search.best) {
    nlohmann::ordered_json entry = LayoutEstimateJson(estimate);
    entry["cost_usd"] = estimate.device_hours * plan.price_usd_per_hour;
    layouts.push_back(entry);
  }
  json["layouts"] = layouts;
  json["layouts_considered"] = plan.search.layouts_considered;
}

}  // namespace scaleplan
