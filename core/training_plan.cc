#include "core/training_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/collective_cost.h"
#include "core/error.h"

namespace scaleplan {
namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr double kSecondsPerHour = 3600.0;
constexpr double kPreferredWidthPerLayer = 128.0;

std::vector<ShapeProposal> PracticalShapes(double num_params) {
  if (!(num_params >= 1e6 && num_params <= 1e15)) return {};
  std::vector<ShapeProposal> proposals = ProposeShapes(num_params);
  if (proposals.empty()) {
    ShapeProposalOptions relaxed;
    relaxed.tied_embeddings = true;
    relaxed.max_relative_error = 0.5;
    relaxed.min_width_per_layer = 8.0;
    proposals = ProposeShapes(num_params, relaxed);
  }
  // Closest to the common d_model / num_layers ratio first (stable: ties keep ProposeShapes' order).
  const auto distance = [](const ShapeProposal& p) {
    return std::fabs(std::log(static_cast<double>(p.shape.d_model) / static_cast<double>(p.shape.num_layers) /
                              kPreferredWidthPerLayer));
  };
  std::stable_sort(proposals.begin(), proposals.end(),
                   [&](const ShapeProposal& a, const ShapeProposal& b) { return distance(a) < distance(b); });
  return proposals;
}

}  // namespace

const char* RecomputeChoiceName(RecomputeChoice choice) {
  switch (choice) {
    case RecomputeChoice::AUTO: return "auto";
    case RecomputeChoice::NONE: return "none";
    case RecomputeChoice::SELECTIVE: return "selective";
    case RecomputeChoice::FULL: return "full";
  }
  return "auto";
}

std::optional<RecomputeChoice> TryParseRecomputeChoice(std::string_view name) {
  for (RecomputeChoice choice :
       {RecomputeChoice::AUTO, RecomputeChoice::NONE, RecomputeChoice::SELECTIVE, RecomputeChoice::FULL}) {
    if (name == RecomputeChoiceName(choice)) return choice;
  }
  return std::nullopt;
}

ModelMemory EstimateModelMemory(double num_params, const Accelerator* accelerator, RecomputeChoice recompute,
                                double usable_memory_fraction, const TransformerShape* shape) {
  ModelMemory out;
  std::vector<ShapeProposal> shapes;
  if (shape != nullptr) {
    const std::int64_t count = CountParameters(*shape).total;
    shapes.push_back(ShapeProposal{*shape, count, (static_cast<double>(count) - num_params) / num_params});
  } else {
    shapes = PracticalShapes(num_params);
  }
  if (shapes.empty()) {
    // No practical shape: the mixed-precision Adam state alone, 16 bytes per parameter (REFERENCE section 4).
    out.memory.weight_bytes = 2.0 * num_params;
    out.memory.gradient_bytes = 2.0 * num_params;
    out.memory.optimizer_bytes = 12.0 * num_params;
  } else {
    std::vector<Recomputation> choices;
    switch (recompute) {
      case RecomputeChoice::AUTO: choices = {Recomputation::SELECTIVE, Recomputation::FULL}; break;
      case RecomputeChoice::NONE: choices = {Recomputation::NONE}; break;
      case RecomputeChoice::SELECTIVE: choices = {Recomputation::SELECTIVE}; break;
      case RecomputeChoice::FULL: choices = {Recomputation::FULL}; break;
    }
    if (accelerator == nullptr) choices.resize(1);
    // With a device: the practical shape and recomputation that fit on the fewest devices, the least recomputation
    // on a tie (choices are in order of more recomputation). Without one (or when nothing fits): the shape closest
    // to the common width/depth ratio, with the first choice.
    bool chosen = false;  // nothing fitted yet: report the first choice's closest shape
    for (Recomputation recomputation : choices) {
      TrainingMemoryOptions options;
      options.recomputation = recomputation;
      for (const ShapeProposal& proposal : shapes) {
        const TrainingMemory memory = EstimateTrainingMemory(proposal.shape, options);
        const std::int64_t devices =
            accelerator == nullptr ? 0 : MinAcceleratorsForMemory(memory, *accelerator, usable_memory_fraction);
        const bool better = !chosen || (devices > 0 && (out.min_devices_for_memory == 0 ||
                                                         devices < out.min_devices_for_memory));
        if (better) {
          out.has_shape = true;
          out.shape = proposal.shape;
          out.shape_params = proposal.num_params;
          out.recomputation = recomputation;
          out.memory = memory;
          out.min_devices_for_memory = devices;
          chosen = true;
        }
      }
      if (accelerator == nullptr) break;
    }
  }
  if (accelerator != nullptr) {
    const double usable = accelerator->memory_bytes * usable_memory_fraction;
    if (!out.has_shape) {
      out.min_devices_for_memory = MinAcceleratorsForMemory(out.memory, *accelerator, usable_memory_fraction);
    }
    const double state_devices = std::ceil(out.memory.ModelStateBytes() / usable);
    out.min_devices_for_state = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(state_devices, 9e18)));
  }
  return out;
}

DeviceTime TimeOnDevices(double training_flops, const ModelMemory& memory, const Accelerator& accelerator,
                         const TrainingPlanOptions& options) {
  // The same rules as PlanTraining (core/hardware.h), without building its messages: the sweep calls this per row.
  DeviceTime out;
  const double peak = accelerator.DenseFlopsPerSecond(options.compute_type);
  out.price_usd_per_hour = options.price_usd_per_hour > 0.0 ? options.price_usd_per_hour
                                                            : accelerator.price_usd_per_hour;
  const double compute_per_device = peak * options.mfu;
  if (compute_per_device > 0.0 && options.max_days > 0.0) {
    const double devices = std::ceil(training_flops / (compute_per_device * options.max_days * kSecondsPerDay));
    out.min_devices_for_days = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(devices, 9e18)));
  }
  if (options.num_accelerators > 0) {
    out.num_accelerators = options.num_accelerators;
  } else if (memory.min_devices_for_memory > 0) {
    out.num_accelerators = std::max(memory.min_devices_for_memory, out.min_devices_for_days);
  } else {
    out.num_accelerators = std::max(memory.min_devices_for_state, out.min_devices_for_days);
  }
  if (compute_per_device > 0.0 && out.num_accelerators > 0) {
    const double seconds = TrainingSeconds(training_flops, peak, out.num_accelerators, options.mfu);
    out.days = seconds / kSecondsPerDay;
    out.device_hours = static_cast<double>(out.num_accelerators) * seconds / kSecondsPerHour;
    out.cost_usd = out.device_hours * out.price_usd_per_hour;
  }
  out.feasible = compute_per_device > 0.0 && memory.min_devices_for_memory > 0 &&
                 out.num_accelerators >= memory.min_devices_for_memory &&
                 !(options.max_days > 0.0 && out.days > options.max_days);
  return out;
}

BusyDeviceBound MaxBusyDevices(double global_batch_tokens, std::int64_t context_length, std::int64_t devices_per_node) {
  BusyDeviceBound bound;
  bound.context_length = context_length > 0 ? context_length : ShapeProposalOptions().context_length;
  const double context = static_cast<double>(bound.context_length);
  bound.sequences = static_cast<std::int64_t>(std::min(9e18, std::max(1.0, std::round(global_batch_tokens / context))));
  bound.tensor_ways = std::max<std::int64_t>(1, devices_per_node);
  while (bound.context_ways < 64 && context / static_cast<double>(2 * bound.context_ways) >= 1024.0) {
    bound.context_ways *= 2;
  }
  bound.limit = static_cast<double>(bound.sequences) * static_cast<double>(bound.tensor_ways * bound.context_ways);
  return bound;
}

TrainingPlanOptions WithinBusyBound(const TrainingPlanOptions& options, const DeviceTime& time,
                                    const BusyDeviceBound& bound) {
  TrainingPlanOptions out = options;
  if (options.num_accelerators == 0 && bound.Exceeded(time.num_accelerators)) {
    out.num_accelerators = static_cast<std::int64_t>(bound.limit);
  }
  return out;
}

TrainingHardware PlanTrainingHardware(double num_params, double training_flops, const Accelerator& accelerator,
                                      const TrainingPlanOptions& options, RecomputeChoice recompute) {
  TrainingHardware out;
  out.memory = EstimateModelMemory(num_params, &accelerator, recompute, options.usable_memory_fraction);
  out.time = TimeOnDevices(training_flops, out.memory, accelerator, options);
  out.verdict = PlanTraining(training_flops, out.memory.memory, accelerator, options);
  SCALEPLAN_CHECK(out.verdict.feasible == out.time.feasible, "the two feasibility verdicts disagree");
  out.peak_flops_per_second = accelerator.DenseFlopsPerSecond(options.compute_type);
  out.usable_memory_bytes = accelerator.memory_bytes * options.usable_memory_fraction;
  if (out.time.num_accelerators > 0) {
    out.memory_bytes_per_device = MemoryBytesPerDevice(out.memory.memory, out.time.num_accelerators);
  }
  return out;
}

std::optional<Accelerator> AcceleratorFromProfile(const Accelerator* named, const HardwareProfile& profile,
                                                  const std::string& profile_label, std::string* why) {
  Accelerator accelerator;
  if (named != nullptr) {
    accelerator = *named;
  } else {
    if (!profile.cuda_device || !(profile.cuda_device->memory_bytes > 0.0)) {
      if (why != nullptr) {
        *why = "the profile '" + profile_label + "' (" + profile.backend +
               ") does not say how much memory the device has";
      }
      return std::nullopt;
    }
    accelerator.name = profile.device.empty() ? std::string("profiled device") : profile.device;
    accelerator.vendor = "measured";
    accelerator.memory_bytes = profile.cuda_device->memory_bytes;
  }
  // The measured dense GEMM rate replaces every catalogue peak: MFU then applies to what this device reached. An
  // interconnect-only profile (probe --collectives) measured no kernels (peaks 0) and keeps the catalogue's.
  if (profile.peak_flops > 0.0) {
    accelerator.source = "measured profile " + profile_label;
    for (double& peak : accelerator.dense_flops_per_second) peak = profile.peak_flops;
    accelerator.memory_bytes_per_second = profile.bandwidth_bytes_per_s;
  }
  if (profile.interconnect) ApplyMeasuredInterconnect(*profile.interconnect, profile_label, &accelerator);
  return accelerator;
}

void ApplyMeasuredInterconnect(const InterconnectProfile& interconnect, const std::string& profile_label,
                               Accelerator* accelerator) {
  const CollectiveModel* intra = interconnect.FindModel("all_reduce", "intra_node");
  const CollectiveModel* inter = interconnect.FindModel("all_reduce", "inter_node");
  if (intra == nullptr && inter == nullptr) return;
  if (!accelerator->HasInterconnect()) {
    // No catalogue figures to complete a level the profile did not measure.
    if (intra == nullptr || inter == nullptr) return;
    accelerator->devices_per_node = interconnect.ranks_per_node;
  }
  if (!accelerator->interconnect_is_bus_bandwidth) {
    // Every figure becomes bus bandwidth: the measured ones as they are, a catalogue link rate through its efficiency.
    accelerator->intra_node_bytes_per_second *= kIntraNodeBusEfficiency;
    accelerator->inter_node_bytes_per_second *= kInterNodeBusEfficiency;
    accelerator->interconnect_is_bus_bandwidth = true;
  }
  if (intra != nullptr) {
    accelerator->intra_node_bytes_per_second = intra->busbw_bytes_per_s;
    accelerator->intra_node_latency_seconds = intra->latency_seconds;
  }
  if (inter != nullptr) {
    accelerator->inter_node_bytes_per_second = inter->busbw_bytes_per_s;
    accelerator->inter_node_latency_seconds = inter->latency_seconds;
  }
  accelerator->interconnect_source = "the measured all-reduce bus bandwidth and latency of profile '" + profile_label +
                                     "'" +
                                     (intra == nullptr   ? " (inter-node; intra-node from the catalogue)"
                                      : inter == nullptr ? " (intra-node; inter-node from the catalogue)"
                                                         : "");
}

std::string ProfileDeviceMismatch(const std::string& accelerator_name, const HardwareProfile& profile,
                                  const std::string& profile_label) {
  const auto lower = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  // What the profile would replace: its peaks (when it measured kernels) and its links (when it fitted an all-reduce
  // model). Nothing of the device's to misapply without either.
  const bool peak = profile.peak_flops > 0.0;
  const bool links = profile.interconnect && (profile.interconnect->FindModel("all_reduce", "intra_node") != nullptr ||
                                              profile.interconnect->FindModel("all_reduce", "inter_node") != nullptr);
  if (!peak && !links) return "";
  // The model is the catalogue name up to its first '-' (H100-SXM -> h100, A100-80GB -> a100, MI300X -> mi300x).
  const std::string model = lower(accelerator_name.substr(0, accelerator_name.find('-')));
  if (profile.backend != "cpu" && !model.empty() && lower(profile.device).find(model) != std::string::npos) return "";
  const std::string device = profile.device.empty() ? "an unnamed device" : profile.device;
  char rate[64];
  if (profile.peak_flops >= 1e12) {
    std::snprintf(rate, sizeof rate, "%.3g TFLOP/s", profile.peak_flops / 1e12);
  } else {
    std::snprintf(rate, sizeof rate, "%.3g GFLOP/s", profile.peak_flops / 1e9);
  }
  // Links measured between the profile's ranks (MPI between CPU processes, or other GPUs' NVLink) are not the named
  // device's links either.
  const std::string interconnect = links ? "its interconnect (" + profile.interconnect->backend + " all-reduce bus " +
                                               "bandwidth between " + std::to_string(profile.interconnect->ranks) +
                                               " ranks)"
                                         : std::string();
  const std::string what = peak && links ? std::string("its ") + rate + " and " + interconnect + " are"
                           : peak        ? std::string("its ") + rate + " is"
                                         : interconnect + " is";
  const std::string kept = peak && links ? "peaks and interconnect" : peak ? "peaks" : "interconnect";
  return "the profile '" + profile_label + "' was measured on " + device + " (" + profile.backend + "), not on " +
         accelerator_name + ": " + what + " not applied; the plan uses the " + accelerator_name + "'s catalogue " +
         kept;
}

Accelerator ProfiledAccelerator(const Accelerator& named, const HardwareProfile& profile,
                                const std::string& profile_label, std::string* warning) {
  const std::string mismatch = ProfileDeviceMismatch(named.name, profile, profile_label);
  if (warning != nullptr) *warning = mismatch;
  if (!mismatch.empty()) return named;  // neither the peaks nor the links of another device
  std::string why;
  const std::optional<Accelerator> measured = AcceleratorFromProfile(&named, profile, profile_label, &why);
  SCALEPLAN_CHECK(measured.has_value(), why);  // a named entry always gives a device
  return *measured;
}

void AddTrainingHardwareJson(const TrainingHardware& hardware, double mfu, nlohmann::ordered_json* out) {
  nlohmann::ordered_json& json = *out;
  json["accelerator"] = hardware.verdict.accelerator;
  json["num_accelerators"] = hardware.time.num_accelerators;
  json["mfu"] = mfu;
  json["peak_flops_per_second"] = hardware.peak_flops_per_second;
  json["days"] = hardware.time.days;
  json["gpu_hours"] = hardware.time.device_hours;
  json["price_usd_per_hour"] = hardware.time.price_usd_per_hour;
  json["cost_usd"] = hardware.time.cost_usd;
  json["min_devices_for_memory"] = hardware.memory.min_devices_for_memory;
  json["min_devices_for_days"] = hardware.time.min_devices_for_days;
  json["min_devices_for_model_state"] = hardware.memory.min_devices_for_state;
  json["memory_bytes_per_device"] = hardware.memory_bytes_per_device;
  json["usable_memory_bytes"] = hardware.usable_memory_bytes;
  json["recomputation"] = RecomputationName(hardware.memory.recomputation);
  json["feasible"] = hardware.time.feasible;
  json["reasons"] = hardware.verdict.reasons;
}

}  // namespace scaleplan
