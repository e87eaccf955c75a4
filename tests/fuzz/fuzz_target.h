// What every fuzz target shares. A target parses the input with one reader and returns 0; an InputError (the
// documented outcome of bad input, core/error.h) is caught by the target, anything else surfaces: another exception
// ends the process (libFuzzer reports it as a crash), and so does a broken FUZZ_EXPECT, which states what the reader
// promises about what it accepted (finite, positive, in range).
#ifndef SCALEPLAN_TESTS_FUZZ_FUZZ_TARGET_H_
#define SCALEPLAN_TESTS_FUZZ_FUZZ_TARGET_H_

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace scaleplan::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

[[noreturn]] inline void ExpectationFailed(const char* file, int line, const char* condition) {
  std::fprintf(stderr, "%s:%d: accepted input broke: %s\n", file, line, condition);
  std::abort();
}

inline bool FinitePositive(double value) { return std::isfinite(value) && value > 0.0; }
inline bool FiniteNonNegative(double value) { return std::isfinite(value) && value >= 0.0; }

// A reader keeps what it reads: every number and true/false that `written` (the reader's result written back as
// JSON) holds at a path where `input` (the text it read) holds a number or true/false too is the same value there,
// and arrays found at the same path have the same length. Catches a value narrowed on the way in (an integer
// wrapped into an int, 2.5 read as 2). Strings are not compared: readers may normalise them.
template <typename Input, typename Written>
void ExpectKeptValues(const Input& input, const Written& written, const std::string& path = "") {
  const auto fail = [&path](const char* what) {
    std::fprintf(stderr, "at '%s': %s\n", path.empty() ? "/" : path.c_str(), what);
    std::abort();
  };
  if (written.is_object()) {
    if (!input.is_object()) return;
    for (auto it = written.begin(); it != written.end(); ++it) {
      const auto found = input.find(it.key());
      if (found != input.end()) ExpectKeptValues(*found, it.value(), path + "/" + it.key());
    }
  } else if (written.is_array()) {
    if (!input.is_array()) return;
    if (input.size() != written.size()) fail("an array read back with another length");
    for (std::size_t i = 0; i < written.size(); ++i) {
      ExpectKeptValues(input[i], written[i], path + "/" + std::to_string(i));
    }
  } else if (written.is_number() && input.is_number()) {
    if (input.template get<double>() != written.template get<double>()) fail("a number read back changed");
  } else if (written.is_boolean() && input.is_boolean()) {
    if (input.template get<bool>() != written.template get<bool>()) fail("true/false read back changed");
  }
}

}  // namespace scaleplan::fuzz

#define FUZZ_EXPECT(condition)                                                           \
  do {                                                                                   \
    if (!(condition)) ::scaleplan::fuzz::ExpectationFailed(__FILE__, __LINE__, #condition); \
  } while (false)

#endif  // SCALEPLAN_TESTS_FUZZ_FUZZ_TARGET_H_
