// `fit --law-expr EXPR --param NAME=LO:HI:STEP ...` (cli/expression_command.cc): a law of the user's own form
// (fitting/expression_fit.h), which `fit` hands its whole command line to.
#ifndef SCALEPLAN_CLI_EXPRESSION_COMMAND_H_
#define SCALEPLAN_CLI_EXPRESSION_COMMAND_H_

#include <string>
#include <vector>

#include "core/runs_table.h"

namespace scaleplan::cli {

// Whether `fit`'s arguments ask for an expression law ("--law-expr EXPR" or "--law-expr=EXPR").
bool AsksForExpressionLaw(const std::vector<std::string>& args);

// The command, with `fit`'s arguments (run inside fit's guard: errors map to exit codes there).
int FitExpressionLawCommand(const std::vector<std::string>& args);

// `validate --law-expr EXPR --param ...` or `validate --fit FIT.json` (a saved expression fit): whether validate's
// arguments ask for it, and the command (run inside validate's guard).
bool AsksForExpressionValidation(const std::vector<std::string>& args);
int ValidateExpressionLaw(const std::vector<std::string>& args);

// `check --golden GOLDEN.json` where the golden records an expression fit (`fit --law-expr ... --save-golden`): whether
// check's arguments name such a golden, and the command (run inside check's guard).
bool AsksForExpressionGolden(const std::vector<std::string>& args);
int CheckExpressionGolden(const std::vector<std::string>& args);

// `plot residuals --fit FIT.json` with a saved expression fit (fitting/fit_json.h SavedFitLawName says which fits are):
// the law's loss on each run of `table` (read from `runs_path`, "" for the bundled runs), with *label set to where
// the law comes from.
std::vector<double> PredictSavedExpressionFit(const std::string& fit_path, const RunsTable& table,
                                              const std::string& runs_path, std::string* label);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_EXPRESSION_COMMAND_H_
