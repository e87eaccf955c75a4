// Extrapolation validation for the Python module (`scaleplan validate`): the JSON the command line prints, built by
// the same fitting/ functions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>

#include "core/error.h"
#include "core/runs_table.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/validation.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// As cli/validate_command.cc: a hold-out above a compute threshold, or each budget held out in turn.
std::string Validate(const RunsTable& table, std::optional<double> holdout_above_flops, bool leave_one_budget_out,
                     const ValidationOptions& validation, const MultiStartOptions& options,
                     const std::string& grid_spec, const py::object& callback) {
  if (holdout_above_flops.has_value() == leave_one_budget_out) {
    throw UsageError("give one of holdout_above (a compute threshold in FLOPs) and leave_one_budget_out=True");
  }
  if (holdout_above_flops && !(*holdout_above_flops > 0)) throw UsageError("holdout_above must be positive");
  std::string why;
  if (!validation.Check(&why)) throw UsageError(why);
  const InitGrid grid = ResolveGrid(options, grid_spec, ChinchillaModel::HoffmannGrid());
  const LawFitter fitter = ChinchillaFitter(options, grid);
  PythonProgress progress(callback);
  nlohmann::ordered_json json;
  if (holdout_above_flops) {
    ValidationFold fold;
    {
      py::gil_scoped_release release;
      fold = HoldOutAbove(table, *holdout_above_flops, fitter);
    }
    json = HoldOutToJson(table, fitter.name, *holdout_above_flops, fold);
  } else {
    LeaveOneBudgetOutResult result;
    {
      py::gil_scoped_release release;
      result = LeaveOneBudgetOut(table, fitter, validation, progress.Stage("validate"));
    }
    progress.RethrowIfFailed();
    json = LeaveOneBudgetOutToJson(table, fitter.name, validation, result);
  }
  return json.dump(2);
}

}  // namespace

void BindTools(py::module_& module) {
  module.def(
      "validate",
      [](const RunsTable& table, std::optional<double> holdout_above, bool leave_one_budget_out,
         double budget_tolerance, int min_budget_runs, double delta, const std::string& grid, int starts,
         bool exhaustive, int threads, const py::object& progress) {
        ValidationOptions validation;
        validation.budget_tolerance = budget_tolerance;
        validation.min_budget_runs = min_budget_runs;
        MultiStartOptions options;
        options.huber_delta = delta;
        options.num_starts = starts;
        options.exhaustive = exhaustive;
        options.num_threads = threads;
        return Validate(table, holdout_above, leave_one_budget_out, validation, options, grid, progress);
      },
      py::arg("runs"), py::arg("holdout_above"), py::arg("leave_one_budget_out"), py::arg("budget_tolerance"),
      py::arg("min_budget_runs"), py::arg("delta"), py::arg("grid"), py::arg("starts"), py::arg("exhaustive"),
      py::arg("threads"), py::arg("progress"));
  const ValidationOptions validation_defaults;
  py::dict defaults;
  defaults["budget_tolerance"] = validation_defaults.budget_tolerance;
  defaults["min_budget_runs"] = validation_defaults.min_budget_runs;
  module.attr("TOOL_DEFAULTS") = defaults;
}

}  // namespace scaleplan::python
