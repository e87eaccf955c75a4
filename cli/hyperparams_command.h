// `fit --law hyperparams` (cli/hyperparams_command.cc), which `fit` hands its whole command line to, and the
// `--hyperparams` option of `plan`.
#ifndef SCALEPLAN_CLI_HYPERPARAMS_COMMAND_H_
#define SCALEPLAN_CLI_HYPERPARAMS_COMMAND_H_

#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
#include "core/hyperparams.h"
#include "core/training_plan.h"

namespace scaleplan::cli {

// Whether `fit`'s arguments ask for --law hyperparams ("--law hyperparams" or "--law=hyperparams").
bool AsksForHyperparamsLaw(const std::vector<std::string>& args);

// The command, with `fit`'s arguments (run inside fit's guard: errors map to exit codes there).
int FitHyperparamsLaw(const std::vector<std::string>& args);

// `--hyperparams deepseek|steplaw|FIT.json`: the law it names. Throws UsageError for an empty name, InputError for
// a file that is not a usable hyper-parameter fit.
HyperparamsLaw ResolveHyperparamsLaw(const std::string& choice);

// `--hyperparams` (default deepseek), bound to *choice.
void AddHyperparamsOption(boost::program_options::options_description* options, std::string* choice);

// The hyper-parameters of one plan: C = the plan's compute (6 N D), N and D its allocation, the sequence length and
// non-embedding N of the practical shape the memory model chose for N (4,096 tokens and all parameters when it has
// none), and the plan's loss for the critical batch. For DeepSeek's law a note says how far their C = M D (attention
// included) lies from 6 N D at that shape: M / 6N = 1 + seq_len / (6 d_model) for a plain transformer.
Hyperparams PlanHyperparams(const HyperparamsLaw& law, const Allocation& allocation, const ModelMemory& memory);

// The plan JSON keys batch_tokens, batch_sequences, learning_rate, num_steps, warmup_steps, hyperparams_source,
// critical_batch_tokens (0 without a loss), hyperparams_warnings (outside the law's range, beyond the critical batch)
// and hyperparams_notes, added to *out. The plan's own "warnings" stay the allocation's.
void AddHyperparamsJson(const Hyperparams& hyperparams, nlohmann::ordered_json* out);

// "\n  hyper-parameters (LABEL): batch 1.02M tokens (248 x 4,096-token sequences), learning rate 9.86e-04, 18749
// steps, 1874 warm-up (SOURCE)\n" and a line per warning.
std::string HyperparamsTableText(const Hyperparams& hyperparams, const std::string& label);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_HYPERPARAMS_COMMAND_H_
