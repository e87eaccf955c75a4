// The measurement protocol: warm-up calls, then timed repeats; report the median and the best.
#ifndef SCALEPLAN_GPU_PROBE_TIMING_H_
#define SCALEPLAN_GPU_PROBE_TIMING_H_

#include <functional>
#include <string>
#include <vector>

namespace scaleplan::probe {

struct TimingOptions {
  int warmup = 1;   // untimed calls first: page faults, cache and clock ramp-up, cuBLAS heuristics
  int repeats = 5;  // timed samples; the median is reported, and the best
  int calls_per_sample = 1;  // back-to-back calls per timed sample, for kernels too short to time one by one;
                             // reported seconds are per call

  bool Check(std::string* why) const;
};

struct TimingSummary {
  double seconds_median = 0.0;
  double seconds_best = 0.0;
};

// Median (mean of the middle two for an even count) and minimum of `seconds`, which must not be empty.
TimingSummary Summarize(std::vector<double> seconds);

// Calls `body` options.warmup times, then takes options.repeats samples, each timing options.calls_per_sample calls
// with a steady clock; returns the seconds per call of each sample.
std::vector<double> TimeCalls(const TimingOptions& options, const std::function<void()>& body);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_TIMING_H_
