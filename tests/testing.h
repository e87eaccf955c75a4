// Helpers shared by every test: the fixed seed and paths into the source tree.
#ifndef SCALEPLAN_TESTS_TESTING_H_
#define SCALEPLAN_TESTS_TESTING_H_

#include <cstdint>
#include <string>

namespace scaleplan::testing {

// The one seed every test's random generator starts from (set by the shared main; override with
// SCALEPLAN_TEST_SEED=<n> to explore).
std::uint64_t TestSeed();

// Absolute path of a file in the source tree, e.g. SourcePath("data/chinchilla_runs.csv").
std::string SourcePath(const std::string& relative);

// Writes `contents` to a fresh file in the test's temporary folder and returns its path.
std::string WriteTempFile(const std::string& name, const std::string& contents);

}  // namespace scaleplan::testing

#endif  // SCALEPLAN_TESTS_TESTING_H_
