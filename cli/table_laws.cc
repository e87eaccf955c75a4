#include "cli/table_laws.h"

#include <iostream>

#include "cli/cli_common.h"
#include "core/error.h"
#include "fitting/golden.h"

namespace scaleplan::cli {

int SaveTableLawGolden(const std::string& law_name, const std::string& runs_path, const LawRunsOptions& runs_options,
                       const TableLawOptions& options, const std::string& golden_path) {
  const TableLaw* law = FindTableLaw(law_name);
  SCALEPLAN_CHECK(law != nullptr, "--save-golden of a law of fitting/law_table.h");
  RefuseToOverwriteInput(golden_path);
  const LawRuns runs = LoadLawRuns(law_name, runs_path.empty() ? runs_path : InputPath(runs_path), runs_options);
  const TableLawFit fit = FitTableLaw(*law, runs, options);
  if (!fit.usable) {
    std::cerr << "scaleplan fit: error: --save-golden: the " << law_name << " fit is not usable: " << fit.status
              << '\n';
    return kExitFitFailed;
  }
  const Golden golden = MakeTableLawGoldenRecord(*law, fit, runs, options, runs_options);
  WriteFileAtomically(golden_path, GoldenToJson(golden).dump(2) + "\n");
  return kExitOk;
}

}  // namespace scaleplan::cli
