// Small statistics shared by the fitters and the front ends.
#ifndef SCALEPLAN_CORE_STATISTICS_H_
#define SCALEPLAN_CORE_STATISTICS_H_

#include <utility>
#include <vector>

namespace scaleplan {

// A central interval.
struct Interval {
  double lower = 0.0;
  double upper = 0.0;
};

// The central percentile interval at `confidence` (e.g. 0.95 -> the 2.5th and 97.5th percentiles), by linear
// interpolation between order statistics (the usual "type 7" definition). `values` must not be empty.
std::pair<double, double> PercentileInterval(std::vector<double> values, double confidence);

// The median (the 50th percentile by the same definition).
double Median(std::vector<double> values);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_STATISTICS_H_
