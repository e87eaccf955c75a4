#include "core/statistics.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace scaleplan {
namespace {

double SortedQuantile(const std::vector<double>& sorted, double q) {
  const double position = q * static_cast<double>(sorted.size() - 1);
  const size_t lower = static_cast<size_t>(std::floor(position));
  const size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(lower);
  return sorted[lower] + fraction * (sorted[upper] - sorted[lower]);
}

}  // namespace

std::pair<double, double> PercentileInterval(std::vector<double> values, double confidence) {
  SCALEPLAN_CHECK(!values.empty(), "no values");
  SCALEPLAN_CHECK(confidence > 0 && confidence < 1, "confidence must lie in (0, 1)");
  std::sort(values.begin(), values.end());
  const double tail = (1.0 - confidence) / 2.0;
  return {SortedQuantile(values, tail), SortedQuantile(values, 1.0 - tail)};
}

double Median(std::vector<double> values) {
  SCALEPLAN_CHECK(!values.empty(), "no values");
  std::sort(values.begin(), values.end());
  return SortedQuantile(values, 0.5);
}

}  // namespace scaleplan
