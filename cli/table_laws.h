// `fit --save-golden` and `fit --group-by` for the laws of fitting/law_table.h (data-constrained, dictionary, sparse,
// moe, routing, hyperparams): one path for all of them, called by fit, `fit --law hyperparams` and `dictionary --runs`.
#ifndef SCALEPLAN_CLI_TABLE_LAWS_H_
#define SCALEPLAN_CLI_TABLE_LAWS_H_

#include <string>

#include "cli/shared_options.h"
#include "fitting/law_table.h"

namespace scaleplan::cli {

// Reads the law's runs from `runs_path` (empty: its bundled runs) with `runs_options`, fits them with `options`
// through the law's table entry and writes the golden (fitting/golden.h) to `golden_path` atomically. Returns
// kExitOk, or kExitFitFailed with one line on stderr when the fit is not usable (no file is written). Throws
// InputError for runs the law cannot read.
int SaveTableLawGolden(const std::string& law_name, const std::string& runs_path, const LawRunsOptions& runs_options,
                       const TableLawOptions& options, const std::string& golden_path);

// `fit --law LAW --group-by COL[,COL]` for the laws of fitting/law_table.h: the law's runs read once with the
// grouping (runs_options.columns.selection.group_by), each group's runs read as `--filter COL=VALUE` reads them
// (LoadLawRunsOfGroup) and fitted through the law's table entry (the same fit on the same runs in the same order), and
// printed one group after another, then the coefficients side by side; in JSON one object {"law", "source",
// "group_by", "groups": [{"group": {column: value}, "num_runs", "usable", "status", "objective" (null for
// hyperparams), "parameters": {name: value}, with options.bootstrap "intervals" {name: [low, high]} and "bootstrap"
// {resamples, failed}}]}. A group that cannot be fitted (too few runs, runs that cannot identify
// the law) carries its verdict and the others still print. Exit 0 when a group was fitted, 4 when every group was
// fitted but none is usable, 3 when no group could be fitted.
// With `golden_path`, the groups' goldens in one file (fitting/golden_groups.h), each the golden `fit --law LAW
// --filter COL=VALUE --save-golden` records: written, before the fits print, only when every group has a usable fit;
// otherwise nothing is written or printed and one line names the group (exit 3 when it could not be fitted, 4 when
// its fit is not usable).
int FitTableLawGroups(const std::string& law_name, const std::string& runs_path, const LawRunsOptions& runs_options,
                      const TableLawOptions& options, OutputFormat output, const std::string& golden_path = "");

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_TABLE_LAWS_H_
