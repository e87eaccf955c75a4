// `fit --law hyperparams` and `validate --law hyperparams` (cli/hyperparams_command.cc), which `fit` and `validate`
// hand their whole command line to, and the `--hyperparams` option of `plan` and `sweep` (the numbers:
// core/hyperparams.h).
#ifndef SCALEPLAN_CLI_HYPERPARAMS_COMMAND_H_
#define SCALEPLAN_CLI_HYPERPARAMS_COMMAND_H_

#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include "core/hyperparams.h"

namespace scaleplan::cli {

// Whether `fit`'s arguments ask for --law hyperparams ("--law hyperparams" or "--law=hyperparams").
bool AsksForHyperparamsLaw(const std::vector<std::string>& args);

// The command, with `fit`'s arguments (run inside fit's guard: errors map to exit codes there).
int FitHyperparamsLaw(const std::vector<std::string>& args);

// `validate --law hyperparams RUNS.csv (--holdout-above C | --leave-one-budget-out)`, with `validate`'s arguments
// (run inside validate's guard): each held-out budget's optimal batch and learning rate against the laws fitted on
// the other budgets (fitting/hyperparams_fit.h ValidateHyperparams). Exit 4 when no budget could be predicted.
int ValidateHyperparamsLaw(const std::vector<std::string>& args);

// `--hyperparams deepseek|steplaw|FIT.json`: the law it names (fitting/hyperparams_fit.h ResolveHyperparamsLaw), a
// file noted as an input (InputPath). Throws UsageError for an empty name, InputError for a file that is not a usable
// hyper-parameter fit.
HyperparamsLaw ResolveHyperparamsLaw(const std::string& choice);

// `--hyperparams` (default deepseek), bound to *choice.
void AddHyperparamsOption(boost::program_options::options_description* options, std::string* choice);

// "\n  hyper-parameters (LABEL): batch 1.02M tokens (248 x 4,096-token sequences), learning rate 9.86e-04, 18749
// steps, 1874 warm-up (SOURCE)\n" and a line per warning.
std::string HyperparamsTableText(const Hyperparams& hyperparams, const std::string& label);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_HYPERPARAMS_COMMAND_H_
