#include "gui/dictionary_plan.h"

#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/units.h"

namespace scaleplan::gui {
namespace {

constexpr DictionaryGoal kGoals[] = {DictionaryGoal::COMPUTE, DictionaryGoal::DEVICE_HOURS,
                                     DictionaryGoal::TARGET_LOSS, DictionaryGoal::LATENTS};

}  // namespace

std::optional<DictionaryGoal> TryParseDictionaryGoal(std::string_view name) {
  for (DictionaryGoal goal : kGoals) {
    if (name == DictionaryGoalName(goal)) return goal;
  }
  return std::nullopt;
}

std::optional<DictionaryKernels> TryParseDictionaryKernels(std::string_view name) {
  for (DictionaryKernels kernels : {DictionaryKernels::SPARSE, DictionaryKernels::DENSE}) {
    if (name == DictionaryKernelsName(kernels)) return kernels;
  }
  return std::nullopt;
}

double DictionaryGoalValue(const DictionaryRequest& request) {
  switch (request.goal) {
    case DictionaryGoal::COMPUTE: return request.compute_flops;
    case DictionaryGoal::DEVICE_HOURS: return request.device_hours;
    case DictionaryGoal::TARGET_LOSS: return request.target_loss;
    case DictionaryGoal::LATENTS: return request.num_latents;
  }
  return 0.0;
}

void SetDictionaryGoal(DictionaryGoal goal, double value, DictionaryRequest* request) {
  request->goal = goal;
  request->compute_flops = goal == DictionaryGoal::COMPUTE ? value : 0.0;
  request->device_hours = goal == DictionaryGoal::DEVICE_HOURS ? value : 0.0;
  request->target_loss = goal == DictionaryGoal::TARGET_LOSS ? value : 0.0;
  request->num_latents = goal == DictionaryGoal::LATENTS ? value : 0.0;
}

double DefaultDictionaryGoalValue(DictionaryGoal goal) {
  switch (goal) {
    case DictionaryGoal::COMPUTE: return kStartDictionaryComputeFlops;
    case DictionaryGoal::DEVICE_HOURS: return 1000.0;
    case DictionaryGoal::TARGET_LOSS: return 0.15;
    case DictionaryGoal::LATENTS: return 1e6;
  }
  return 0.0;
}

DictionarySettings DefaultDictionarySettings() {
  DictionarySettings settings;
  settings.request.d_model = kStartDictionaryDModel;
  SetDictionaryGoal(DictionaryGoal::COMPUTE, kStartDictionaryComputeFlops, &settings.request);
  return settings;
}

DictionaryRecommendation RecommendDictionary(const DictionarySettings& settings, const HardwareCatalogue& catalogue) {
  DictionaryRecommendation out;
  out.request = settings.request;
  DictionaryRequest& request = out.request;
  request.accelerator = catalogue.Find(settings.accelerator, InputLocation{"accelerator"});
  request.measured.reset();
  std::string why;
  if (!(std::isfinite(request.d_model) && request.d_model >= 1.0)) {
    throw InputError("d_model must be at least 1");
  }
  if (settings.profile) {
    // As `scaleplan dictionary --profile`: the speeds measured nearest this d and k.
    const HardwareProfile& profile = settings.profile->profile;
    const double k_for_rates = request.k > 0 ? request.k : std::sqrt(request.k_min * request.k_max);
    const std::string label = "measured profile " + settings.profile->label + " (" + profile.device + ")";
    request.measured = DictionaryRatesFromProfile(profile, request.d_model, k_for_rates, label);
  }
  out.device = DescribeDictionaryDevice(request.accelerator, request.options,
                                        request.measured ? &*request.measured : nullptr);
  if (!request.Check(&why)) throw InputError(why);
  out.plan = PlanDictionary(request);
  if (request.measured) {
    for (const std::string& note : request.measured->notes) out.plan.notes.push_back(note);
  }
  return out;
}

}  // namespace scaleplan::gui
