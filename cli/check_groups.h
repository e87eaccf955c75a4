// `check RUNS.csv --golden GOLDEN.json` where the golden records one fit per group (`fit --group-by COL
// --save-golden`, fitting/golden_groups.h): the runs are read grouped by the golden's columns and each group is
// checked against its own golden.
#ifndef SCALEPLAN_CLI_CHECK_GROUPS_H_
#define SCALEPLAN_CLI_CHECK_GROUPS_H_

#include <string>

#include "cli/shared_options.h"
#include "core/runs_table.h"
#include "fitting/golden.h"

namespace scaleplan::cli {

// Whether `golden_path` holds a grouped golden (a file that cannot be read or parsed is not: check's own reader
// reports it).
bool IsGroupedGoldenFile(const std::string& golden_path);

// The command (run inside check's guard). `columns.selection.group_by`, when given, must be the golden's columns;
// otherwise they are taken from the golden. A golden of a law with a reader of its own (data-constrained, dictionary,
// sparse, moe, routing, hyperparams) reads the runs with that reader (`runs_path` empty: the law's bundled runs, when the golden was recorded
// from them; `unique_column`: --u-col of a data-constrained golden). Exit 0 when every group holds, kExitCheckFailed
// when a group drifted, is missing from the runs or is not in the golden, kExitFitFailed when no group drifted but a
// refit was not usable. With `junit_path`, JUnit XML there too: one test suite per group.
int CheckGroupedGoldenCommand(const std::string& golden_path, const std::string& runs_path, RunsColumns columns,
                              const std::string& unique_column, const GoldenTolerances& tolerances,
                              bool check_intervals, int num_threads, OutputFormat output,
                              const std::string& junit_path);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_CHECK_GROUPS_H_
