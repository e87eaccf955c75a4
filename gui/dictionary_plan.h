// What the Dictionary panel computes: a sparse-dictionary (sparse autoencoder) plan through PlanDictionary
// (core/dictionary.h), the function `scaleplan dictionary` calls, from the same options. Qt-free, so that the
// panel, the tests and the benchmark call exactly this.
//
// The device is the named catalogue entry; with a measured profile (the Hardware panel's, as `scaleplan dictionary
// --profile P.json`) the kernel speeds come from DictionaryRatesFromProfile for the plan's d and k (k fixed, or the
// geometric middle of the k range), and the profile's notes join the plan's.
#ifndef SCALEPLAN_GUI_DICTIONARY_PLAN_H_
#define SCALEPLAN_GUI_DICTIONARY_PLAN_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/dictionary.h"
#include "core/hardware.h"
#include "gui/recommendation.h"

namespace scaleplan::gui {

// `scaleplan dictionary`'s device when none is named.
inline constexpr char kDefaultDictionaryAccelerator[] = "H100-SXM";

// Everything the Dictionary panel binds. The request's defaults are the library's (and the command's).
struct DictionarySettings {
  // d_model, the goal and its number (compute_flops, device_hours, target_loss or num_latents), k (0 = choose in
  // [k_min, k_max]), subject.num_params (0 = unknown: no harvest cost), budget_includes_harvest and
  // options.num_devices (0 = the fewest that hold the dictionary). accelerator and measured are filled in from
  // the two fields below.
  DictionaryRequest request;
  std::string accelerator = kDefaultDictionaryAccelerator;  // catalogue name
  DictionaryKernels shown = DictionaryKernels::SPARSE;      // which kernels' costs the panel leads with
  std::optional<MeasuredProfile> profile;                   // measured kernel speeds, as `--profile`
};

// What a new window starts with (the first example of `scaleplan dictionary --help`): d_model 4096 and 1e20 FLOPs.
inline constexpr double kStartDictionaryDModel = 4096;
inline constexpr double kStartDictionaryComputeFlops = 1e20;
DictionarySettings DefaultDictionarySettings();
// The number a goal starts with when it is chosen (the value of another goal means nothing to it): 1e20 FLOPs, 1,000
// device-hours, a normalised MSE of 0.15, 1M latents.
double DefaultDictionaryGoalValue(DictionaryGoal goal);

// "compute", "device_hours", "target_loss", "latents" (DictionaryGoalName) and back.
std::optional<DictionaryGoal> TryParseDictionaryGoal(std::string_view name);
std::optional<DictionaryKernels> TryParseDictionaryKernels(std::string_view name);  // "sparse", "dense"

// The goal's number in `request` (FLOPs, device-hours, normalised MSE or latents), and setting it (clearing the
// other goals' numbers).
double DictionaryGoalValue(const DictionaryRequest& request);
void SetDictionaryGoal(DictionaryGoal goal, double value, DictionaryRequest* request);

struct DictionaryRecommendation {
  DictionaryRequest request;  // as planned: the accelerator and measured rates filled in
  DictionaryPlan plan;        // PlanDictionary(request), with the profile's notes added
  std::string device;         // one line: the device and where its speeds come from
  const DictionaryCosts& Shown(DictionaryKernels kernels) const {
    return kernels == DictionaryKernels::DENSE ? plan.dense : plan.sparse;
  }
};

// Throws InputError (naming the option) when the accelerator is unknown or the request does not check.
DictionaryRecommendation RecommendDictionary(const DictionarySettings& settings, const HardwareCatalogue& catalogue);

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_DICTIONARY_PLAN_H_
