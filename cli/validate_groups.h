// `validate --group-by COL[,COL]` (cli/validate_command.cc) for any law that predicts each run's loss: the built-in
// laws of `validate --law` and the expression laws of `validate --law-expr` (cli/expression_command.cc).
#ifndef SCALEPLAN_CLI_VALIDATE_GROUPS_H_
#define SCALEPLAN_CLI_VALIDATE_GROUPS_H_

#include "cli/shared_options.h"
#include "core/runs_table.h"
#include "fitting/validation.h"

namespace scaleplan::cli {

// One validation per group of runs (the runs --filter COL=VALUE would pick; `table` holds the group columns and
// values), each exactly as `validate` of that group alone with `fitter`, printed one after another and then side by
// side; in JSON one object {"source", "group_by", "law", "groups": [{"group": {column: value}, "num_runs", ...the
// group's validation...}]}. A group that cannot be validated (no run above --holdout-above, too few below it, no
// budget large enough to hold out) carries its verdict ("usable": false, "status") and the others still print.
// threshold_flops > 0: hold-out; 0: leave one budget out. The validation and its JSON are fitting/law_validation.h's
// ValidateRunsByGroup, which the Python module's validate(group_by=...) calls too; this prints them. Exit 3 only when no group could be validated; 4 when a
// validated group's fit was not usable.
int ValidateGroups(const RunsTable& table, const LawFitter& fitter, double threshold_flops,
                   const ValidationOptions& validation, OutputFormat output);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_VALIDATE_GROUPS_H_
