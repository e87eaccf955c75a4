// One fitting machinery for every law: a law is a model (a log-space prediction per sample, templated for automatic
// differentiation), a parameter grid of starting points, and plausibility bounds. The objective is always
//
//   SUM over samples of  w_i * Huber_delta( log L_hat_i - log L_i )            (Hoffmann et al. 2022, D.2)
//
// with Huber_delta(r) = r^2/2 for |r| <= delta, delta (|r| - delta/2) otherwise, and w_i = 1 unless a bootstrap
// resample repeats or omits a sample. It is minimised with Ceres' L-BFGS (GradientProblem) from many starts:
//   - exhaustive: from every grid point, each to convergence; the best local optimum is kept;
//   - default: every grid point's objective is evaluated (cheap), and L-BFGS runs from the `num_starts` best of them.
// The starts are independent and their results are stored by index, so the outcome is bit-identical whatever the
// thread count.
#ifndef SCALEPLAN_FITTING_MULTISTART_H_
#define SCALEPLAN_FITTING_MULTISTART_H_

#include <cmath>
#include <concepts>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <ceres/ceres.h>

namespace scaleplan {

// A Cartesian grid of starting points: one axis of values per parameter, in the model's parameter order.
struct InitGrid {
  std::vector<std::string> names;
  std::vector<std::vector<double>> axes;

  size_t Size() const;
  std::vector<double> Point(size_t index) const;  // mixed radix, last axis fastest
  bool Check(std::string* why) const;
};

// Overrides axes of `base` from a spec such as "alpha=0:2:0.5,e=-1:1:0.25" (lo:hi:step, inclusive) or
// "alpha=0.3" (one value). Throws InputError naming `option` and the offending part.
InitGrid ParseGridSpec(const std::string& spec, const InitGrid& base, const std::string& option = "--grid");

// The grid as text, "a=0:25:5,b=...", for saved fits and messages.
std::string FormatGrid(const InitGrid& grid);

// Candidate starting points: a grid, or an explicit list (a bootstrap resample starts from the full-data optima).
struct StartSet {
  std::vector<std::string> names;  // parameter names, in the model's order
  size_t size = 0;
  std::function<std::vector<double>(size_t)> point;
  std::vector<std::pair<double, double>> ranges;  // per parameter, to flag optima outside; empty = not reported

  static StartSet FromGrid(const InitGrid& grid);  // the grid must outlive the set
  static StartSet FromList(std::vector<std::string> names, std::vector<std::vector<double>> points);
};

struct MultiStartOptions {
  double huber_delta = 1e-3;  // Huber threshold on the log-residual (Hoffmann et al. 2022)
  int num_starts = 64;        // default mode: L-BFGS from this many best-screened grid points
  bool exhaustive = false;    // L-BFGS from every grid point (slow; the reference the default must match)
  int num_threads = 0;        // 0 = all hardware threads; results do not depend on it
  int max_iterations = 2000;  // per start
  double best_tolerance = 1e-9;  // a start "reached the best optimum" when within this relative objective
  double solver_tolerance = 1e-15;  // L-BFGS relative function tolerance (parameter and gradient: 100x this)

  bool Check(std::string* why) const;
};

// One start's outcome.
struct StartOutcome {
  size_t grid_index = 0;
  double start_objective = 0.0;
  double objective = std::numeric_limits<double>::infinity();
  bool converged = false;  // the solver reported convergence and a usable solution
  int iterations = 0;
  std::vector<double> params;
};

struct MultiStartResult {
  std::vector<std::string> param_names;
  std::vector<double> params;  // the best optimum, in the model's parameter order
  double objective = std::numeric_limits<double>::infinity();
  size_t num_grid_points = 0;
  int num_starts = 0;     // L-BFGS runs made
  int num_converged = 0;  // of those, how many converged
  int num_at_best = 0;    // of the converged, how many reached the best objective (within best_tolerance)
  size_t best_grid_index = 0;
  std::vector<std::string> outside_grid;  // parameters whose optimum lies outside their grid axis' range
  // Distinct converged optima (best first, at most kMaxLocalOptima), and the points L-BFGS started from (best
  // screened first): a bootstrap resample starts from these.
  std::vector<std::vector<double>> local_optima;
  std::vector<std::vector<double>> start_points;
  // Each L-BFGS run's start index (into the start set) and final objective (infinity when it did not converge).
  std::vector<std::pair<size_t, double>> final_objectives;
  bool usable = false;
  std::string status;  // why it is not usable, or "converged"
};

// Called with (starts done, starts total) during the L-BFGS phase.
using ProgressCallback = std::function<void(int, int)>;

inline constexpr size_t kMaxLocalOptima = 8;

// The law-independent part: screening, starts in parallel, the choice of the best. `objective(x)` evaluates the
// objective at x (double); `make_function()` returns a new Ceres first-order function (owned by the caller).
MultiStartResult RunMultiStart(int num_params, const std::function<double(const double*)>& objective,
                               const std::function<ceres::FirstOrderFunction*()>& make_function,
                               const StartSet& starts, const MultiStartOptions& options,
                               const ProgressCallback& progress = nullptr);

template <typename T>
T Huber(const T& residual, double delta) {
  using std::abs;
  const T magnitude = abs(residual);
  if (magnitude <= T(delta)) return T(0.5) * residual * residual;
  return T(delta) * (magnitude - T(0.5 * delta));
}

// log(exp(x) + exp(y)) without overflow, for doubles and Jets.
template <typename T>
T LogSumExp2(const T& x, const T& y) {
  using std::exp;
  using std::log;
  const T m = x > y ? x : y;
  return m + log(exp(x - m) + exp(y - m));
}

// log(exp(x) + exp(y) + exp(z)) without overflow, for doubles and Jets.
template <typename T>
T LogSumExp3(const T& x, const T& y, const T& z) {
  using std::exp;
  using std::log;
  T m = x;
  if (y > m) m = y;
  if (z > m) m = z;
  return m + log(exp(x - m) + exp(y - m) + exp(z - m));
}

// A model for FitMultiStart provides:
//   static constexpr int kNumParams;
//   int NumSamples() const;
//   double LogTarget(int sample) const;       // log of the observed loss
//   double Weight(int sample) const;          // multiplicity (1, or a bootstrap count)
//   template <typename T> T LogPrediction(const T* params, int sample) const;
// and optionally a hand-written objective with analytic gradient, used instead of automatic differentiation when
// present (tests check it against the automatic one):
//   double HuberObjective(const double* params, double delta, double* gradient_or_null) const;
template <class Model>
concept HasAnalyticObjective = requires(const Model& model, const double* params, double* gradient) {
  { model.HuberObjective(params, 1e-3, gradient) } -> std::convertible_to<double>;
};

// The summed Huber objective of a model, templated for automatic differentiation.
template <class Model>
class HuberObjective {
 public:
  HuberObjective(const Model& model, double delta) : model_(model), delta_(delta) {}

  template <typename T>
  bool operator()(const T* params, T* cost) const {
    T sum(0.0);
    const int n = model_.NumSamples();
    for (int i = 0; i < n; ++i) {
      const T residual = model_.LogPrediction(params, i) - T(model_.LogTarget(i));
      sum += T(model_.Weight(i)) * Huber(residual, delta_);
    }
    *cost = sum;
    return true;
  }

 private:
  const Model& model_;
  double delta_;
};

// Ceres' view of a model's analytic objective.
template <class Model>
class AnalyticHuberFunction final : public ceres::FirstOrderFunction {
 public:
  AnalyticHuberFunction(const Model& model, double delta) : model_(model), delta_(delta) {}
  bool Evaluate(const double* params, double* cost, double* gradient) const override {
    *cost = model_.HuberObjective(params, delta_, gradient);
    return std::isfinite(*cost);
  }
  int NumParameters() const override { return Model::kNumParams; }

 private:
  const Model& model_;
  double delta_;
};

// The objective of `model` at `params` (double), by whichever path the model offers.
template <class Model>
double EvaluateObjective(const Model& model, const double* params, double delta) {
  if constexpr (HasAnalyticObjective<Model>) {
    return model.HuberObjective(params, delta, nullptr);
  } else {
    double cost = 0.0;
    HuberObjective<Model>(model, delta)(params, &cost);
    return cost;
  }
}

// Fits `model` from `starts` (screened unless options.exhaustive).
template <class Model>
MultiStartResult FitMultiStart(const Model& model, const StartSet& starts, const MultiStartOptions& options,
                               const ProgressCallback& progress = nullptr) {
  const double delta = options.huber_delta;
  return RunMultiStart(
      Model::kNumParams, [&model, delta](const double* x) { return EvaluateObjective(model, x, delta); },
      [&model, delta]() -> ceres::FirstOrderFunction* {
        if constexpr (HasAnalyticObjective<Model>) {
          return new AnalyticHuberFunction<Model>(model, delta);
        } else {
          return new ceres::AutoDiffFirstOrderFunction<HuberObjective<Model>, Model::kNumParams>(
              new HuberObjective<Model>(model, delta));
        }
      },
      starts, options, progress);
}

template <class Model>
MultiStartResult FitMultiStart(const Model& model, const InitGrid& grid, const MultiStartOptions& options,
                               const ProgressCallback& progress = nullptr) {
  return FitMultiStart(model, StartSet::FromGrid(grid), options, progress);
}

}  // namespace scaleplan

#endif  // SCALEPLAN_FITTING_MULTISTART_H_
