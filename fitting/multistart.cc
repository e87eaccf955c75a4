#include "fitting/multistart.h"

#include <algorithm>
#include <mutex>
#include <numeric>
#include <sstream>

#include <glog/logging.h>

#include "core/error.h"
#include "core/units.h"
#include "core/parallel.h"

namespace scaleplan {

size_t InitGrid::Size() const {
  if (axes.empty()) return 0;
  size_t size = 1;
  for (const auto& axis : axes) size *= axis.size();
  return size;
}

std::vector<double> InitGrid::Point(size_t index) const {
  std::vector<double> point(axes.size());
  for (size_t k = axes.size(); k-- > 0;) {
    point[k] = axes[k][index % axes[k].size()];
    index /= axes[k].size();
  }
  return point;
}

bool InitGrid::Check(std::string* why) const {
  if (names.size() != axes.size() || axes.empty()) {
    if (why) *why = "the grid needs one named axis per parameter";
    return false;
  }
  for (size_t k = 0; k < axes.size(); ++k) {
    if (axes[k].empty()) {
      if (why) *why = "grid axis '" + names[k] + "' has no values";
      return false;
    }
  }
  if (Size() > 10'000'000) {
    if (why) *why = "the grid has more than 10 million points";
    return false;
  }
  return true;
}

InitGrid ParseGridSpec(const std::string& spec, const InitGrid& base, const std::string& option) {
  InitGrid grid = base;
  std::stringstream parts(spec);
  std::string part;
  while (std::getline(parts, part, ',')) {
    const InputLocation where{option, 0, 0, "", part};
    const size_t eq = part.find('=');
    if (eq == std::string::npos) throw InputError("expected NAME=LO:HI:STEP or NAME=VALUE", where);
    std::string name = part.substr(0, eq);
    name.erase(std::remove_if(name.begin(), name.end(), ::isspace), name.end());
    auto it = std::find(grid.names.begin(), grid.names.end(), name);
    if (it == grid.names.end()) {
      std::string known;
      for (const auto& n : grid.names) known += (known.empty() ? "" : ", ") + n;
      throw InputError("unknown grid parameter '" + name + "' (this law has " + known + ")", where);
    }
    std::vector<std::string> fields;
    std::stringstream range(part.substr(eq + 1));
    std::string field;
    while (std::getline(range, field, ':')) fields.push_back(field);
    std::vector<double> axis;
    if (fields.size() == 1) {
      axis.push_back(ParseQuantity(fields[0], where));
    } else if (fields.size() == 3) {
      const double lo = ParseQuantity(fields[0], where);
      const double hi = ParseQuantity(fields[1], where);
      const double step = ParseQuantity(fields[2], where);
      if (!(step > 0) || hi < lo) throw InputError("a range needs LO <= HI and STEP > 0", where);
      const double count = std::floor((hi - lo) / step + 1e-9) + 1;
      if (count > 1000) throw InputError("more than 1000 values on one grid axis", where);
      for (int i = 0; i < static_cast<int>(count); ++i) axis.push_back(lo + i * step);
    } else {
      throw InputError("expected NAME=LO:HI:STEP or NAME=VALUE", where);
    }
    grid.axes[static_cast<size_t>(it - grid.names.begin())] = axis;
  }
  std::string why;
  if (!grid.Check(&why)) throw InputError(why, InputLocation{option, 0, 0, "", spec});
  return grid;
}

std::string FormatGrid(const InitGrid& grid) {
  std::ostringstream out;
  for (size_t k = 0; k < grid.axes.size(); ++k) {
    const auto& axis = grid.axes[k];
    out << (k ? "," : "") << grid.names[k] << '=';
    // Shortest round-trip text: a golden records this and `check` refits from it, so a start must read back as
    // the value it was (6 significant digits turned 20/3 into 6.66667, and a refit could start elsewhere).
    if (axis.size() == 1) {
      out << FormatRoundTrip(axis[0]);
    } else {
      out << FormatRoundTrip(axis.front()) << ':' << FormatRoundTrip(axis.back()) << ':'
          << FormatRoundTrip((axis.back() - axis.front()) / double(axis.size() - 1));
    }
  }
  return out.str();
}

bool MultiStartOptions::Check(std::string* why) const {
  auto fail = [why](const std::string& message) {
    if (why) *why = message;
    return false;
  };
  if (!(huber_delta > 0) || !std::isfinite(huber_delta)) return fail("the Huber delta must be positive");
  if (num_starts < 1) return fail("the number of starts must be at least 1");
  if (num_threads < 0) return fail("the thread count must be 0 (all cores) or positive");
  if (max_iterations < 1) return fail("the iteration limit must be at least 1");
  if (!(best_tolerance >= 0)) return fail("the best-optimum tolerance must be non-negative");
  if (!(solver_tolerance > 0 && solver_tolerance < 1e-3)) return fail("the solver tolerance must lie in (0, 1e-3)");
  return true;
}

namespace {

// Ceres logs through glog; its line-search warnings (e.g. a constant interpolating polynomial on a flat stretch of
// the Huber objective) are expected and harmless here, so only errors are let through.
void QuietSolverLogging() {
  static std::once_flag once;
  std::call_once(once, [] { FLAGS_minloglevel = google::GLOG_ERROR; });
}

ceres::GradientProblemSolver::Options SolverOptions(const MultiStartOptions& options) {
  ceres::GradientProblemSolver::Options solver;
  solver.line_search_direction_type = ceres::LBFGS;
  solver.max_num_iterations = options.max_iterations;
  // Relative tolerances: the objective is a sum whose scale depends on the data, so nothing here is absolute
  // except the gradient test, which is set far below anything the data can resolve.
  solver.function_tolerance = options.solver_tolerance;
  solver.parameter_tolerance = 100 * options.solver_tolerance;
  solver.gradient_tolerance = 100 * options.solver_tolerance;
  solver.logging_type = ceres::SILENT;
  return solver;
}

}  // namespace

StartSet StartSet::FromGrid(const InitGrid& grid) {
  StartSet set;
  set.names = grid.names;
  set.size = grid.Size();
  set.point = [&grid](size_t i) { return grid.Point(i); };
  for (const auto& axis : grid.axes) {
    const auto [lo, hi] = std::minmax_element(axis.begin(), axis.end());
    set.ranges.emplace_back(*lo, *hi);
  }
  return set;
}

StartSet StartSet::FromList(std::vector<std::string> names, std::vector<std::vector<double>> points) {
  StartSet set;
  set.names = std::move(names);
  set.size = points.size();
  set.point = [list = std::move(points)](size_t i) { return list[i]; };
  return set;
}

namespace {

// True when two optima are the same point for practical purposes (within 1e-3 in every parameter, relative to
// max(1, |x|)): endpoints of different starts in one basin differ by far less, distinct basins by far more.
bool SamePoint(const std::vector<double>& x, const std::vector<double>& y) {
  for (size_t k = 0; k < x.size(); ++k) {
    if (std::fabs(x[k] - y[k]) > 1e-3 * std::max(1.0, std::fabs(x[k]))) return false;
  }
  return true;
}

}  // namespace

MultiStartResult RunMultiStart(int num_params, const std::function<double(const double*)>& objective,
                               const std::function<ceres::FirstOrderFunction*()>& make_function,
                               const StartSet& start_set, const MultiStartOptions& options,
                               const ProgressCallback& progress) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), why);
  SCALEPLAN_CHECK(start_set.size > 0, "no starting points");
  SCALEPLAN_CHECK(static_cast<int>(start_set.names.size()) == num_params,
                  "starts and model disagree on the parameter count");

  QuietSolverLogging();
  MultiStartResult result;
  result.param_names = start_set.names;
  result.num_grid_points = start_set.size;

  // 1. Screen every candidate (one objective evaluation each); start from all, or from the best num_starts.
  std::vector<double> screened(start_set.size, std::numeric_limits<double>::infinity());
  {
    constexpr size_t kChunk = 256;
    const int num_chunks = static_cast<int>((start_set.size + kChunk - 1) / kChunk);
    ParallelFor(num_chunks, options.num_threads, [&](int chunk) {
      const size_t end = std::min(start_set.size, static_cast<size_t>(chunk + 1) * kChunk);
      for (size_t i = static_cast<size_t>(chunk) * kChunk; i < end; ++i) {
        const double value = objective(start_set.point(i).data());
        screened[i] = std::isfinite(value) ? value : std::numeric_limits<double>::infinity();
      }
    });
  }
  std::vector<size_t> starts(start_set.size);
  std::iota(starts.begin(), starts.end(), size_t{0});
  if (!options.exhaustive && static_cast<size_t>(options.num_starts) < start_set.size) {
    std::partial_sort(starts.begin(), starts.begin() + options.num_starts, starts.end(), [&](size_t i, size_t j) {
      return screened[i] != screened[j] ? screened[i] < screened[j] : i < j;
    });
    starts.resize(static_cast<size_t>(options.num_starts));
  }

  // 2. L-BFGS from each start, results stored by index.
  std::vector<StartOutcome> outcomes(starts.size());
  const ceres::GradientProblemSolver::Options solver_options = SolverOptions(options);
  const int total = static_cast<int>(starts.size());
  ParallelFor(
      total, options.num_threads,
      [&](int s) {
        StartOutcome& out = outcomes[static_cast<size_t>(s)];
        out.grid_index = starts[static_cast<size_t>(s)];
        out.params = start_set.point(out.grid_index);
        out.start_objective = screened[out.grid_index];
        ceres::GradientProblem problem(make_function());
        ceres::GradientProblemSolver::Summary summary;
        ceres::Solve(solver_options, problem, out.params.data(), &summary);
        out.iterations = static_cast<int>(summary.iterations.size());
        out.objective = objective(out.params.data());
        bool finite = std::isfinite(out.objective);
        for (double p : out.params) finite = finite && std::isfinite(p);
        if (!finite) out.objective = std::numeric_limits<double>::infinity();
        out.converged = finite && summary.IsSolutionUsable() && summary.termination_type == ceres::CONVERGENCE;
      },
      progress ? [&](int done) { progress(done, total); } : std::function<void(int)>());

  // 3. The best converged optimum; ties go to the lower start index, so the choice is deterministic.
  result.num_starts = total;
  std::vector<const StartOutcome*> converged;
  for (const StartOutcome& out : outcomes) {
    result.start_points.push_back(start_set.point(out.grid_index));
    result.final_objectives.emplace_back(out.grid_index,
                                         out.converged ? out.objective : std::numeric_limits<double>::infinity());
    if (out.converged) converged.push_back(&out);
  }
  result.num_converged = static_cast<int>(converged.size());
  if (converged.empty()) {
    result.status = "no start converged (" + std::to_string(total) + " tried); the data may not determine this law";
    return result;
  }
  std::stable_sort(converged.begin(), converged.end(), [](const StartOutcome* x, const StartOutcome* y) {
    return x->objective != y->objective ? x->objective < y->objective : x->grid_index < y->grid_index;
  });
  const StartOutcome* best = converged.front();
  result.params = best->params;
  result.objective = best->objective;
  result.best_grid_index = best->grid_index;
  for (const StartOutcome* out : converged) {
    if (out->objective <= best->objective * (1.0 + options.best_tolerance)) ++result.num_at_best;
    const bool seen = std::any_of(result.local_optima.begin(), result.local_optima.end(),
                                  [&](const std::vector<double>& x) { return SamePoint(x, out->params); });
    if (!seen && result.local_optima.size() < kMaxLocalOptima) result.local_optima.push_back(out->params);
  }
  for (size_t k = 0; k < start_set.ranges.size(); ++k) {
    if (result.params[k] < start_set.ranges[k].first || result.params[k] > start_set.ranges[k].second) {
      result.outside_grid.push_back(start_set.names[k]);
    }
  }
  result.usable = true;
  result.status = "converged";
  return result;
}

}  // namespace scaleplan
