// A robust one-dimensional minimiser, shared by every allocation that has no closed form (data-constrained,
// inference-aware, dictionary).
#ifndef SCALEPLAN_CORE_SCALAR_SEARCH_H_
#define SCALEPLAN_CORE_SCALAR_SEARCH_H_

#include <functional>

namespace scaleplan {

// The 1-D search every allocation beyond the closed form uses.
struct ScalarMinimum {
  double x = 0.0;
  double value = 0.0;  // f(x)
};

// Minimises f over [lo, hi]: evaluates f on `num_points` evenly spaced points, then narrows the bracket around the
// best of them (its two neighbours) by golden-section search to |bracket| <= x_tolerance. Non-finite values count
// as +infinity, so f may return infinity where it is undefined. Finds the global minimum when f is unimodal at the
// grid's resolution (the allocation objectives are), and otherwise the best minimum the grid resolves.
ScalarMinimum MinimizeScanGolden(const std::function<double(double)>& f, double lo, double hi, int num_points = 401,
                                 double x_tolerance = 1e-11);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_SCALAR_SEARCH_H_
