// The Python module's C++ side (scaleplan._core): bindings of scaleplan_core and scaleplan_fitting, one file per
// topic. The pure-Python package (python/scaleplan/) gives them their documented signatures; python/README in the
// top-level README's "Python module" section says how to build and use it.
#ifndef SCALEPLAN_PYTHON_BINDINGS_H_
#define SCALEPLAN_PYTHON_BINDINGS_H_

#include <pybind11/pybind11.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/option_range.h"
#include "core/runs_table.h"
#include "fitting/multistart.h"

namespace scaleplan::python {

// A bad argument to a module function (a law name, an option out of range, a malformed grid): core/error.h's, which
// the command line reports as a usage error. Raised in Python as scaleplan.UsageError.
using UsageError = ::scaleplan::UsageError;

// A number keyword checked as the command line checks its option `option` (core/units.h CheckOptionValue: UsageError
// "--compute: must be positive: '-1e+23'"), the value written as Python writes it. Returns the value.
double CheckedKeyword(double value, Range range, const std::string& option);

// scaleplan.Error and its subclasses InputError, UsageError, FitError, and the translation of the library's errors.
void BindErrors(pybind11::module_& module);
void BindRuns(pybind11::module_& module);   // runs_bindings.cc
void BindFits(pybind11::module_& module);   // fit_bindings.cc
void BindTools(pybind11::module_& module);  // tools_bindings.cc: validate
void BindCheck(pybind11::module_& module);  // check_bindings.cc
void BindPlans(pybind11::module_& module);  // plan_bindings.cc

// The columns and run selection of the command line's --n-col, --d-col, --c-col, --loss-col, --filter, --group-by,
// --exclude-lines and --skip-bad-rows ("" = detect the column); a malformed filter or line range is a UsageError
// worded as the command line words it (runs_bindings.cc).
RunsColumns MakeRunsColumns(const std::string& n, const std::string& d, const std::string& c, const std::string& loss,
                            const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
                            const std::string& exclude_lines, bool skip_bad_rows);

// The fit options checked (UsageError) and the start grid: `default_grid` with the axes `grid_spec` overrides
// ("alpha=0:2:0.25,e=-1:1:0.5", the command line's --grid), as the command line resolves them.
InitGrid ResolveGrid(const MultiStartOptions& options, const std::string& grid_spec, const InitGrid& default_grid);

// A Python progress callback called as callback(stage, done, total) from the library's worker threads while the
// GIL is released: each call takes the GIL. The first exception the callback raises stops further calls and is
// raised again by RethrowIfFailed() once the work is done (with the GIL held).
class PythonProgress {
 public:
  explicit PythonProgress(pybind11::object callback) : callback_(std::move(callback)) {}
  ~PythonProgress();
  PythonProgress(const PythonProgress&) = delete;
  PythonProgress& operator=(const PythonProgress&) = delete;

  // The library's callback for one stage ("fit", "bootstrap"); empty when there is no Python callback.
  ProgressCallback Stage(const std::string& stage);
  void RethrowIfFailed();

 private:
  pybind11::object callback_;
  std::optional<pybind11::error_already_set> failure_;
};

}  // namespace scaleplan::python

#endif  // SCALEPLAN_PYTHON_BINDINGS_H_
