// Runs the real `scaleplan` binary from a CLI test (the test target defines SCALEPLAN_BINARY).
#ifndef SCALEPLAN_TESTS_CLI_CLI_TESTING_H_
#define SCALEPLAN_TESTS_CLI_CLI_TESTING_H_

#include <string>

#include "tests/testing.h"

namespace scaleplan::testing {

// `scaleplan ARGS`, through the shell (quote paths inside ARGS).
inline CommandResult RunScaleplan(const std::string& args) {
  return RunCommand(std::string(SCALEPLAN_BINARY) + " " + args);
}

}  // namespace scaleplan::testing

#endif  // SCALEPLAN_TESTS_CLI_CLI_TESTING_H_
