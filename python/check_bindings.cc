// Golden checks for the Python module (`scaleplan check`): refit, compare, and the JSON the command line prints,
// built by the same fitting/ functions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/file.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/golden.h"
#include "fitting/law_table.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// As cli/check_command.cc: refits the runs with the golden's law and options and compares every recorded quantity.
// Returns (the comparison's JSON, ""), or (None, why) for a refit that is not usable, which the package raises as a
// FitError.
py::tuple Check(const RunsTable& table, const std::string& golden_path, int num_threads, bool check_intervals,
                const GoldenTolerances& tolerances, const py::object& callback) {
  if (num_threads < 0) throw UsageError("threads must be 0 (all cores) or positive");
  std::string why;
  if (!tolerances.Check(&why)) throw UsageError(why);
  const Golden golden = ParseGolden(ReadWholeFile(golden_path), golden_path);
  if (check_intervals && !golden.bootstrap) {
    throw UsageError("check_intervals: " + golden_path + " has no intervals (" + NoIntervalsReason(golden) + ")");
  }
  PythonProgress progress(callback);
  std::optional<Golden> now;
  if (golden.law_name != "chinchilla") {
    // Kaplan and IsoFLOP goldens: the law's own refit (fitting/golden.h), no intervals.
    std::string refit_why;
    {
      py::gil_scoped_release release;
      now = RefitGolden(golden, table, num_threads, &refit_why);
    }
    if (!now) return py::make_tuple(py::none(), refit_why);
  } else {
    MultiStartOptions fit_options = golden.fit_options;
    fit_options.num_threads = num_threads;
    ChinchillaFit fit;
    std::optional<ChinchillaBootstrap> bootstrap;
    {
      py::gil_scoped_release release;
      fit = FitChinchilla(table, fit_options, golden.grid, progress.Stage("fit"));
      if (check_intervals && fit.search.usable) {
        BootstrapOptions bootstrap_options = *golden.bootstrap;
        bootstrap_options.num_threads = num_threads;
        bootstrap = BootstrapChinchilla(table, fit, bootstrap_options, progress.Stage("bootstrap"));
      }
    }
    progress.RethrowIfFailed();
    if (!fit.search.usable) return py::make_tuple(py::none(), "the refit is not usable: " + fit.search.status);
    if (bootstrap && bootstrap->intervals.empty()) return py::make_tuple(py::none(), "no bootstrap resample converged");
    std::vector<double> budgets;
    for (const GoldenPrediction& prediction : golden.predictions) budgets.push_back(prediction.compute_flops);
    now = MakeGoldenRecord(fit, table, bootstrap ? &*bootstrap : nullptr, budgets);
  }
  GoldenComparison comparison;
  try {
    comparison = CompareWithGolden(golden, *now, tolerances, check_intervals);
  } catch (const InputError& error) {
    throw UsageError(error.what());  // an rtol name that matches nothing
  }
  return py::make_tuple(GoldenComparisonToJson(golden_path, golden, table, comparison).dump(2), "");
}

// As cli/check_command.cc for a golden of a law of fitting/law_table.h with a reader of its own (data-constrained,
// dictionary, sparse, moe, routing, hyperparams): the runs read from `path` (empty: the law's bundled runs) by
// LoadGoldenLawRuns, refitted by RefitGolden and compared by CompareWithGolden. Returns as Check.
py::tuple CheckLawRuns(const std::string& path, const std::string& golden_path, int num_threads,
                       const GoldenTolerances& tolerances) {
  if (num_threads < 0) throw UsageError("threads must be 0 (all cores) or positive");
  std::string why;
  if (!tolerances.Check(&why)) throw UsageError(why);
  const Golden golden = ParseGolden(ReadWholeFile(golden_path), golden_path);
  const LawRuns runs = LoadGoldenLawRuns(golden, path, RunsColumns{});
  std::optional<Golden> now;
  {
    py::gil_scoped_release release;
    now = RefitGolden(golden, runs, num_threads, &why);
  }
  if (!now) return py::make_tuple(py::none(), why);
  GoldenComparison comparison;
  try {
    comparison = CompareWithGolden(golden, *now, tolerances, false);
  } catch (const InputError& error) {
    throw UsageError(error.what());  // an rtol name that matches nothing
  }
  return py::make_tuple(GoldenComparisonToJson(golden_path, golden, runs.view, comparison).dump(2), "");
}

GoldenTolerances Tolerances(std::optional<double> rtol_params, std::optional<double> rtol_predictions,
                            std::optional<double> rtol_intervals,
                            const std::vector<std::pair<std::string, double>>& rtol) {
  GoldenTolerances tolerances;
  if (rtol_params) tolerances.params_rtol = *rtol_params;
  if (rtol_predictions) tolerances.predictions_rtol = *rtol_predictions;
  if (rtol_intervals) tolerances.intervals_rtol = *rtol_intervals;
  tolerances.overrides = rtol;
  return tolerances;
}

}  // namespace

void BindCheck(py::module_& module) {
  module.def(
      "check_law_runs",
      [](const std::string& path, const std::string& golden, int threads, std::optional<double> rtol_params,
         std::optional<double> rtol_predictions, std::optional<double> rtol_intervals,
         const std::vector<std::pair<std::string, double>>& rtol) {
        return CheckLawRuns(path, golden, threads, Tolerances(rtol_params, rtol_predictions, rtol_intervals, rtol));
      },
      py::arg("path"), py::arg("golden"), py::arg("threads"), py::arg("rtol_params"), py::arg("rtol_predictions"),
      py::arg("rtol_intervals"), py::arg("rtol"));
  // Whether the golden's law reads its runs with a reader of its own (then check_law_runs checks it), and its law.
  module.def("golden_law", [](const std::string& golden_path) {
    const Golden golden = ParseGolden(ReadWholeFile(golden_path), golden_path);
    const TableLaw* law = FindTableLaw(golden.law_name);
    return py::make_tuple(golden.law_name, law != nullptr && law->own_reader);
  });
  module.def(
      "check",
      [](const RunsTable& table, const std::string& golden, int threads, bool check_intervals,
         std::optional<double> rtol_params, std::optional<double> rtol_predictions,
         std::optional<double> rtol_intervals, const std::vector<std::pair<std::string, double>>& rtol,
         const py::object& progress) {
        GoldenTolerances tolerances;
        if (rtol_params) tolerances.params_rtol = *rtol_params;
        if (rtol_predictions) tolerances.predictions_rtol = *rtol_predictions;
        if (rtol_intervals) tolerances.intervals_rtol = *rtol_intervals;
        tolerances.overrides = rtol;
        return Check(table, golden, threads, check_intervals, tolerances, progress);
      },
      py::arg("runs"), py::arg("golden"), py::arg("threads"), py::arg("check_intervals"), py::arg("rtol_params"),
      py::arg("rtol_predictions"), py::arg("rtol_intervals"), py::arg("rtol"), py::arg("progress"));
  module.def("golden_source", [](const std::string& golden_path) {
    return ParseGolden(ReadWholeFile(golden_path), golden_path).data_source;
  });

  const GoldenTolerances tolerance_defaults;
  py::dict defaults;
  defaults["rtol_params"] = tolerance_defaults.params_rtol;
  defaults["rtol_predictions"] = tolerance_defaults.predictions_rtol;
  defaults["rtol_intervals"] = tolerance_defaults.intervals_rtol;
  module.attr("CHECK_DEFAULTS") = defaults;
}

}  // namespace scaleplan::python
