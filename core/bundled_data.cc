#include "core/bundled_data.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "core/error.h"

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

RunsTable BundledChinchillaRuns(const RunSelection& selection) {
  if (!selection.Selects() && selection.group_by.empty()) return BundledChinchillaRuns();
  // Besiroglu et al.'s selection first (the same 5 runs whatever the user selects), then the user's.
  const RunsTable full = BundledChinchillaRuns();
  std::vector<int> kept_lines;
  for (const TrainingRun& run : full.runs) kept_lines.push_back(run.line);
  RunsColumns columns;
  columns.selection = selection;
  RunsTable table = ParseRunsCsv(embedded::kChinchillaRunsCsv, kBundledChinchillaLabel, columns);
  std::vector<TrainingRun> runs;
  for (const TrainingRun& run : table.runs) {
    if (std::find(kept_lines.begin(), kept_lines.end(), run.line) != kept_lines.end()) runs.push_back(run);
  }
  if (runs.empty()) throw InputError("no runs left: the selection keeps none of the 240 bundled runs");
  table.runs = runs;
  table.notes.insert(table.notes.end() - (selection.Selects() ? 1 : 0), full.notes.back());  // before 'selected'
  return table;
}

const HardwareCatalogue& BundledHardwareCatalogue() {
  static const HardwareCatalogue catalogue =
      ParseHardwareCatalogue(embedded::kHardwareCatalogueJson, "<bundled hardware catalogue>");
  return catalogue;
}

}  // namespace scaleplan
