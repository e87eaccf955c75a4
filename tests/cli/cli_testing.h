// Runs the real `scaleplan` binary from a CLI test (the test target defines SCALEPLAN_BINARY).
#ifndef SCALEPLAN_TESTS_CLI_CLI_TESTING_H_
#define SCALEPLAN_TESTS_CLI_CLI_TESTING_H_

#include <sstream>
#include <string>
#include <vector>

#include "tests/testing.h"

namespace scaleplan::testing {

// `scaleplan ARGS`, through the shell (quote paths inside ARGS).
inline CommandResult RunScaleplan(const std::string& args) {
  return RunCommand(std::string(SCALEPLAN_BINARY) + " " + args);
}

// The lines of `text` (a CSV or JSON-lines output).
inline std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream stream(text);
  std::string line;
  while (std::getline(stream, line)) lines.push_back(line);
  return lines;
}

// The comma-separated fields of one CSV line (no quoting: the sweep writes none); a trailing comma is an empty field.
inline std::vector<std::string> Split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream stream(line);
  std::string field;
  while (std::getline(stream, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

}  // namespace scaleplan::testing

#endif  // SCALEPLAN_TESTS_CLI_CLI_TESTING_H_
