#include "cli/plan_support.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cli/cli_common.h"
#include "core/bundled_data.h"
#include "core/hardware_profile.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan::cli {
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

PlanLaw ResolvePlanLaw(const std::string& fit_path, const std::string& law_name) {
  if (!fit_path.empty() && !law_name.empty()) throw UsageError("give either --fit or --law, not both");
  PlanLaw out;
  if (!fit_path.empty()) {
    out.saved = ParseSavedFit(ReadFile(fit_path), fit_path);
  } else {
    const RunsTable bundled = BundledChinchillaRuns();
    for (const TrainingRun& run : bundled.runs) {
      out.saved.compute_min = out.saved.compute_min == 0 ? run.compute_flops
                                                         : std::min(out.saved.compute_min, run.compute_flops);
      out.saved.compute_max = std::max(out.saved.compute_max, run.compute_flops);
      out.params_max = std::max(out.params_max, run.num_params);  // the published laws were fitted on these too
    }
    if (!law_name.empty()) {
      auto named = FindPublishedLaw(law_name);
      if (!named) {
        std::string known;
        for (const NamedLaw& law : PublishedLaws()) known += (known.empty() ? "" : ", ") + law.name;
        throw UsageError("unknown --law '" + law_name + "' (known: " + known + ")");
      }
      out.saved.law = named->law;
      out.saved.description = named->name + ": " + named->description;
    } else {
      const ChinchillaFit fit = FitChinchilla(bundled, MultiStartOptions{});
      if (!fit.search.usable) throw std::runtime_error("the default fit did not converge: " + fit.search.status);
      out.saved.law = fit.law;
      out.saved.description = "Approach-3 fit of the bundled Chinchilla runs (240 runs, Besiroglu et al. 2024)";
    }
  }
  out.data_constrained.base = out.saved.law;
  return out;
}

void AddBundledBootstrap(const BootstrapOptions& options, const ProgressCallback& progress, PlanLaw* law) {
  const RunsTable bundled = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(bundled, MultiStartOptions{});
  if (!fit.search.usable) throw std::runtime_error("the default fit did not converge: " + fit.search.status);
  const ChinchillaBootstrap bootstrap = BootstrapChinchilla(bundled, fit, options, progress);
  law->saved.bootstrap_laws = bootstrap.laws;
  law->saved.confidence = options.confidence;
}

std::optional<AllocationIntervals> BootstrapAllocationIntervals(
    const PlanLaw& law, const std::function<Allocation(const PlanLaw& resampled)>& allocate) {
  if (law.saved.bootstrap_laws.empty()) return std::nullopt;
  // One copy for all the resampled laws, without the list of them (no plan reads it): only the coefficients change.
  PlanLaw resampled = law;
  resampled.saved.bootstrap_laws.clear();
  return IntervalsOfAllocation(law.saved.bootstrap_laws, law.saved.confidence,
                               [&](const ChinchillaLaw& sample) -> std::optional<Allocation> {
                                 resampled.saved.law = sample;
                                 resampled.data_constrained.base = sample;
                                 try {
                                   return allocate(resampled);
                                 } catch (const UsageError&) {
                                   return std::nullopt;
                                 }
                               });
}

RecomputeChoice ParseRecomputeChoice(const std::string& text) {
  if (text == "auto") return RecomputeChoice::AUTO;
  if (text == "none") return RecomputeChoice::NONE;
  if (text == "selective") return RecomputeChoice::SELECTIVE;
  if (text == "full") return RecomputeChoice::FULL;
  throw UsageError("--recompute must be auto, none, selective or full, not '" + text + "'");
}

ModelMemory EstimateModelMemory(double num_params, const Accelerator* accelerator, RecomputeChoice recompute,
                                double usable_memory_fraction) {
  ModelMemory out;
  const std::vector<ShapeProposal> shapes = PracticalShapes(num_params);
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
    // With a device: the practical shape that fits on the fewest devices, with the least recomputation that lets
    // any shape fit. Without one (or when nothing fits): the shape closest to the common width/depth ratio.
    for (Recomputation recomputation : choices) {
      bool chosen = false;  // nothing fitted with the previous recomputation: report this one's closest shape
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
      if (out.min_devices_for_memory > 0 || accelerator == nullptr) break;
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

Accelerator ResolveAccelerator(const std::string& name, const std::string& profile_path) {
  const HardwareCatalogue& catalogue = BundledHardwareCatalogue();
  Accelerator accelerator;
  if (!name.empty()) {
    const Accelerator* found = catalogue.TryFind(name);
    if (found == nullptr) {
      std::string known;
      for (const std::string& entry : catalogue.Names()) known += (known.empty() ? "" : ", ") + entry;
      throw UsageError("unknown --accelerator '" + name + "' (known: " + known + ")");
    }
    accelerator = *found;
  }
  if (profile_path.empty()) return accelerator;

  const HardwareProfile profile = HardwareProfileFromJson(ReadFile(profile_path), profile_path);
  if (name.empty()) {
    if (!profile.cuda_device || !(profile.cuda_device->memory_bytes > 0.0)) {
      throw UsageError("the profile '" + profile_path + "' (" + profile.backend +
                       ") does not say how much memory the device has: name the device with --accelerator");
    }
    accelerator.name = profile.device.empty() ? std::string("profiled device") : profile.device;
    accelerator.vendor = "measured";
    accelerator.memory_bytes = profile.cuda_device->memory_bytes;
  }
  // The measured dense GEMM rate replaces every catalogue peak: MFU then applies to what this device reached.
  accelerator.source = "measured profile " + profile_path;
  for (double& peak : accelerator.dense_flops_per_second) peak = profile.peak_flops;
  accelerator.memory_bytes_per_second = profile.bandwidth_bytes_per_s;
  return accelerator;
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

}  // namespace scaleplan::cli
