// `fit --save-golden` for the laws of fitting/law_table.h (data-constrained, dictionary, sparse, moe, routing,
// hyperparams): one path for all of them, called by fit, `fit --law hyperparams` and `dictionary --runs`.
#ifndef SCALEPLAN_CLI_TABLE_LAWS_H_
#define SCALEPLAN_CLI_TABLE_LAWS_H_

#include <string>

#include "fitting/law_table.h"

namespace scaleplan::cli {

// Reads the law's runs from `runs_path` (empty: its bundled runs) with `runs_options`, fits them with `options`
// through the law's table entry and writes the golden (fitting/golden.h) to `golden_path` atomically. Returns
// kExitOk, or kExitFitFailed with one line on stderr when the fit is not usable (no file is written). Throws
// InputError for runs the law cannot read.
int SaveTableLawGolden(const std::string& law_name, const std::string& runs_path, const LawRunsOptions& runs_options,
                       const TableLawOptions& options, const std::string& golden_path);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_TABLE_LAWS_H_
