// One Run* function per subcommand. Each takes the arguments after the subcommand name and returns an exit code
// (cli_common.h). main.cc only dispatches.
#ifndef SCALEPLAN_CLI_COMMANDS_H_
#define SCALEPLAN_CLI_COMMANDS_H_

#include <string>
#include <vector>

namespace scaleplan::cli {

int RunFit(const std::vector<std::string>& args);
int RunPlan(const std::vector<std::string>& args);
int RunPlot(const std::vector<std::string>& args);
int RunProbe(const std::vector<std::string>& args);
int RunSweep(const std::vector<std::string>& args);
int RunValidate(const std::vector<std::string>& args);
int RunCheck(const std::vector<std::string>& args);
int RunDictionary(const std::vector<std::string>& args);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_COMMANDS_H_
