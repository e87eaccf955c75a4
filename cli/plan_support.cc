#include "cli/plan_support.h"

#include <algorithm>
#include <optional>

#include "cli/cli_common.h"
#include "core/bundled_data.h"
#include "core/hardware_profile.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan::cli {

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
  // A named device takes the profile's peaks only when the profile measured that kind of device (the plan's
  // warnings say so otherwise: ProfileDeviceMismatch).
  if (!name.empty()) return ProfiledAccelerator(accelerator, profile, profile_path, nullptr);
  std::string why;
  const std::optional<Accelerator> measured = AcceleratorFromProfile(nullptr, profile, profile_path, &why);
  if (!measured) throw UsageError(why + ": name the device with --accelerator");
  return *measured;
}

}  // namespace scaleplan::cli
