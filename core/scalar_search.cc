#include "core/scalar_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace scaleplan {
namespace {
constexpr double kInfinity = std::numeric_limits<double>::infinity();
}  // namespace

ScalarMinimum MinimizeScanGolden(const std::function<double(double)>& f, double lo, double hi, int num_points,
                                 double x_tolerance) {
  SCALEPLAN_CHECK(num_points >= 3 && lo < hi && std::isfinite(lo) && std::isfinite(hi),
                  "the scan needs lo < hi and at least 3 points");
  const auto value = [&f](double x) {
    const double v = f(x);
    return std::isnan(v) ? kInfinity : v;
  };
  const double step = (hi - lo) / (num_points - 1);
  ScalarMinimum best{lo, value(lo)};
  int best_index = 0;
  for (int i = 1; i < num_points; ++i) {
    const double x = i == num_points - 1 ? hi : lo + i * step;
    const double v = value(x);
    if (v < best.value) {
      best = {x, v};
      best_index = i;
    }
  }
  if (!std::isfinite(best.value)) return best;

  // Golden-section search on the bracket of the best grid point's neighbours.
  constexpr double kInverseGolden = 0.6180339887498949;  // (sqrt(5) - 1) / 2
  double a = lo + std::max(0, best_index - 1) * step;
  double b = best_index + 1 >= num_points - 1 ? hi : lo + (best_index + 1) * step;
  double c = b - kInverseGolden * (b - a);
  double d = a + kInverseGolden * (b - a);
  double fc = value(c);
  double fd = value(d);
  for (int iteration = 0; iteration < 200 && b - a > x_tolerance; ++iteration) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - kInverseGolden * (b - a);
      fc = value(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + kInverseGolden * (b - a);
      fd = value(d);
    }
    if (fc < best.value) best = {c, fc};
    if (fd < best.value) best = {d, fd};
  }
  return best;
}

}  // namespace scaleplan
