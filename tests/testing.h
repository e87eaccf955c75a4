// Helpers shared by every test: the fixed seed and paths into the source tree.
#ifndef SCALEPLAN_TESTS_TESTING_H_
#define SCALEPLAN_TESTS_TESTING_H_

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

namespace scaleplan::testing {

// The one seed every test's random generator starts from (set by the shared main; override with
// SCALEPLAN_TEST_SEED=<n> to explore).
std::uint64_t TestSeed();

// Absolute path of a file in the source tree, e.g. SourcePath("data/chinchilla_runs.csv").
std::string SourcePath(const std::string& relative);

// Writes `contents` to a fresh file in the test's temporary folder and returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents);

// The whole contents of a file ("" when it cannot be read).
std::string ReadWholeFile(const std::string& path);

// Whether a search found the optimum that an exhaustive search (L-BFGS from every start) found: its objective is
// not worse by more than 1e-9 relative, and not better by more than 1e-8 (which would mean the exhaustive search
// missed it). Landing 1e-9 below the reference is the optimiser's tolerance, not a miss: where L-BFGS stops near the
// optimum moves with the compiler's optimisation level.
::testing::AssertionResult SameOptimum(double found_objective, double exhaustive_objective);

// A finished command: its exit code (-1 if it did not exit normally), what it printed, and the peak resident memory
// of its largest process.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::uint64_t peak_rss_bytes = 0;
};

// Runs `command_line` through the shell with no standard input, capturing stdout and stderr separately.
CommandResult RunCommand(const std::string& command_line);

}  // namespace scaleplan::testing

#endif  // SCALEPLAN_TESTS_TESTING_H_
