// Small helpers shared by the benchmarks: medians of timed runs, and running the Python reference.
#ifndef SCALEPLAN_BENCH_BENCH_UTIL_H_
#define SCALEPLAN_BENCH_BENCH_UTIL_H_

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/statistics.h"

namespace scaleplan::bench {

// Median wall-clock seconds of `repeats` calls of `body`.
template <class F>
double MedianSeconds(int repeats, F&& body) {
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Median(seconds);
}

// What `command` prints on stdout.
inline std::string Capture(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    pclose(pipe);
  }
  return out;
}

// Runs bench/reference/chinchilla_reference.py ARGS with the first python3 that has SciPy, and returns the seconds
// it reports (its own timer, interpreter start-up excluded), or 0 when no such python is installed.
inline double PythonReferenceSeconds(const std::string& source_dir, const std::string& args) {
  const std::string output =
      Capture("for p in python3 /usr/bin/python3; do $p -c 'import scipy' 2>/dev/null && exec $p " + source_dir +
              "/bench/reference/chinchilla_reference.py " + args + " 2>/dev/null; done");
  const auto json = nlohmann::json::parse(output, nullptr, false);
  return json.is_object() ? json.value("seconds", 0.0) : 0.0;
}

}  // namespace scaleplan::bench

#endif  // SCALEPLAN_BENCH_BENCH_UTIL_H_
