#include "gpu_probe/timing.h"

#include <algorithm>
#include <chrono>

#include "core/error.h"

namespace scaleplan::probe {

bool TimingOptions::Check(std::string* why) const {
  if (warmup < 0) {
    if (why != nullptr) *why = "warm-up calls must not be negative";
    return false;
  }
  if (repeats < 1) {
    if (why != nullptr) *why = "at least one timed repeat is needed";
    return false;
  }
  if (calls_per_sample < 1) {
    if (why != nullptr) *why = "at least one call per timed sample is needed";
    return false;
  }
  return true;
}

TimingSummary Summarize(std::vector<double> seconds) {
  SCALEPLAN_CHECK(!seconds.empty(), "Summarize needs at least one sample");
  std::sort(seconds.begin(), seconds.end());
  const std::size_t middle = seconds.size() / 2;
  TimingSummary summary;
  summary.seconds_median =
      seconds.size() % 2 == 1 ? seconds[middle] : 0.5 * (seconds[middle - 1] + seconds[middle]);
  summary.seconds_best = seconds.front();
  return summary;
}

std::vector<double> TimeCalls(const TimingOptions& options, const std::function<void()>& body) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  for (int i = 0; i < options.warmup; ++i) body();
  std::vector<double> seconds;
  seconds.reserve(static_cast<std::size_t>(options.repeats));
  for (int i = 0; i < options.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    for (int call = 0; call < options.calls_per_sample; ++call) body();
    const auto stop = std::chrono::steady_clock::now();
    seconds.push_back(std::chrono::duration<double>(stop - start).count() / options.calls_per_sample);
  }
  return seconds;
}

}  // namespace scaleplan::probe
