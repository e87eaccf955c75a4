#include "cli/plan_support.h"

#include <algorithm>
#include <optional>

#include "cli/cli_common.h"
#include "core/bundled_data.h"
#include "core/hardware_profile.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan::cli {

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
  const std::optional<RecomputeChoice> choice = TryParseRecomputeChoice(text);
  if (!choice) throw UsageError("--recompute must be auto, none, selective or full, not '" + text + "'");
  return *choice;
}

Accelerator ResolveAccelerator(const std::string& name, const std::string& profile_path,
                               const std::string& hardware_path) {
  std::optional<HardwareCatalogue> user_catalogue;
  if (!hardware_path.empty()) user_catalogue = ReadHardwareCatalogueFile(hardware_path);
  const HardwareCatalogue& catalogue = user_catalogue ? *user_catalogue : BundledHardwareCatalogue();
  Accelerator accelerator;
  if (name.empty() && user_catalogue) {
    if (user_catalogue->accelerators().size() != 1) {
      throw UsageError("--hardware " + hardware_path + " holds " +
                       std::to_string(user_catalogue->accelerators().size()) +
                       " accelerators: name one with --accelerator");
    }
    accelerator = user_catalogue->accelerators().front();
  } else if (!name.empty()) {
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
  std::string why;
  const std::optional<Accelerator> measured =
      AcceleratorFromProfile(name.empty() ? nullptr : &accelerator, profile, profile_path, &why);
  if (!measured) throw UsageError(why + ": name the device with --accelerator");
  return *measured;
}

}  // namespace scaleplan::cli
