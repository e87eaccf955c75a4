// What every subcommand shares: exit codes, the error-to-exit-code mapping, and output helpers.
#ifndef SCALEPLAN_CLI_CLI_COMMON_H_
#define SCALEPLAN_CLI_CLI_COMMON_H_

#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace scaleplan::cli {

// Documented in README.md ("Exit codes"). Scripts depend on them: never renumber.
enum ExitCode : int {
  kExitOk = 0,
  kExitCheckFailed = 1,   // `check` found drift; a plan is infeasible under the given limits
  kExitUsage = 2,         // unknown option, missing or conflicting arguments
  kExitInputError = 3,    // bad input: a missing, unreadable or malformed file (CSV, JSON) or value
  kExitFitFailed = 4,     // the fit did not converge to a usable optimum
  kExitIoError = 5,       // an output file could not be written (the old file, if any, is left untouched)
  kExitInternal = 70,     // a bug: please report it with the command line
};

// Thrown for a usage problem found after option parsing (conflicting options, a missing positional argument).
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown when an output file cannot be written.
struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `body`, mapping every exception kind to its exit code with one line on stderr:
// "scaleplan <command>: error: <message>". Usage errors also print "Try 'scaleplan <command> --help'.".
int RunGuarded(const std::string& command, const std::function<int()>& body);

// Parses `args` into `vm` against `options` (and positional `positional`), throwing UsageError on failure.
void ParseOptions(const std::vector<std::string>& args, const boost::program_options::options_description& options,
                  const boost::program_options::positional_options_description& positional,
                  boost::program_options::variables_map* vm);

// Prints "Usage: ..." help: `synopsis`, the option table and `examples` (one per line).
void PrintHelp(const std::string& synopsis, const boost::program_options::options_description& options,
               const std::vector<std::string>& examples);

// Writes `contents` to `path` atomically (temporary file in the same folder, then rename). Throws IoError.
// "-" writes to stdout.
void WriteFileAtomically(const std::string& path, const std::string& contents);

// Reads a whole input file. Throws InputError naming the path when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_CLI_COMMON_H_
