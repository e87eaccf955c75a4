#include "core/bundled_data.h"

#include <string_view>

namespace scaleplan {
namespace embedded {
extern const std::string_view kChinchillaRunsCsv;
extern const std::string_view kHardwareCatalogueJson;
}  // namespace embedded

RunsTable BundledChinchillaRunsAll() {
  return ParseRunsCsv(embedded::kChinchillaRunsCsv, kBundledChinchillaLabel);
}

RunsTable BundledChinchillaRuns() {
  // Besiroglu et al. 2024, section 2: the five runs with the highest loss are outliers of the SVG reconstruction.
  constexpr int kEpochDroppedRuns = 5;
  RunsTable table = DropHighestLoss(BundledChinchillaRunsAll(), kEpochDroppedRuns);
  table.notes.push_back("dropped the 5 highest-loss runs (Besiroglu et al. 2024 selection): 240 runs");
  return table;
}

const HardwareCatalogue& BundledHardwareCatalogue() {
  static const HardwareCatalogue catalogue =
      ParseHardwareCatalogue(embedded::kHardwareCatalogueJson, "<bundled hardware catalogue>");
  return catalogue;
}

}  // namespace scaleplan
