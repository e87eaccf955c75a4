// Data compiled into the binary, so that `scaleplan fit` and `scaleplan plan` work with no files at hand.
// Provenance of each file: data/README.md.
#ifndef SCALEPLAN_CORE_BUNDLED_DATA_H_
#define SCALEPLAN_CORE_BUNDLED_DATA_H_

#include <string>

#include "core/hardware.h"
#include "core/runs_table.h"

namespace scaleplan {

// The label that names the bundled Chinchilla runs in messages and saved fits.
inline const std::string kBundledChinchillaLabel = "<bundled Chinchilla runs, Besiroglu et al. 2024>";

// The 245 runs of Hoffmann et al. 2022, Figure 4, as reconstructed by Besiroglu et al. 2024 (data/chinchilla_runs.csv).
RunsTable BundledChinchillaRunsAll();

// The same with Besiroglu et al.'s selection: the 5 highest-loss runs (loss >= 3.447) dropped, 240 runs left.
RunsTable BundledChinchillaRuns();

// The same 240 runs with a selection applied (--filter, --exclude-lines, --group-by; lines are data/chinchilla_runs.csv's).
RunsTable BundledChinchillaRuns(const RunSelection& selection);

// The accelerator catalogue (data/hardware.json), parsed once.
const HardwareCatalogue& BundledHardwareCatalogue();

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_BUNDLED_DATA_H_
