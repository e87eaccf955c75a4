// scaleplan._core: the module definition, its exceptions and the progress bridge.

#include <pybind11/pybind11.h>

#include "core/error.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// The exception classes, created once when the module is imported (they live as long as the interpreter).
PyObject* g_input_error = nullptr;
PyObject* g_usage_error = nullptr;

PyObject* NewError(py::module_& module, const char* name, const char* doc, PyObject* base) {
  const std::string qualified = std::string("scaleplan.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, base, nullptr);
  if (type == nullptr) throw py::error_already_set();
  module.add_object(name, py::handle(type));
  return type;
}

}  // namespace

void BindErrors(py::module_& module) {
  PyObject* base = NewError(module, "Error", "Base of every error scaleplan raises.", PyExc_Exception);
  g_input_error = NewError(module, "InputError",
                           "Bad input: a missing, unreadable or malformed file, column or value. The message names "
                           "the file (or table), line, column and text, as the command line prints it (exit code 3).",
                           base);
  g_usage_error = NewError(module, "UsageError",
                           "A bad argument: an unknown law, an option out of range, a malformed grid or filter (the "
                           "command line's exit code 2).",
                           base);
  NewError(module, "OutputError",
           "An output could not be written (the command line's exit code 5): the message names the target file and "
           "the reason, as the command line's 'cannot write 'PATH' (reason)'. Nothing is left half-written.",
           base);
  NewError(module, "FitError",
           "The fit did not reach a usable optimum (the command line's exit code 4). Its `fit` attribute holds the "
           "unusable result, with the reason in fit.status.",
           base);
  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const InputError& error) {
      PyErr_SetString(g_input_error, error.what());
    } catch (const UsageError& error) {
      PyErr_SetString(g_usage_error, error.what());
    }
  });
}

double CheckedKeyword(double value, Range range, const std::string& option) {
  return CheckOptionValue(value, range, option, py::repr(py::float_(value)).cast<std::string>());
}

PythonProgress::~PythonProgress() {
  // Both hold Python objects: release them with the GIL held (the owner destroys this with the GIL held).
  failure_.reset();
  callback_ = py::object();
}

ProgressCallback PythonProgress::Stage(const std::string& stage) {
  if (callback_.is_none()) return nullptr;
  return [this, stage](int done, int total) {
    py::gil_scoped_acquire acquire;
    if (failure_) return;
    try {
      callback_(stage, done, total);
    } catch (py::error_already_set& error) {
      failure_.emplace(std::move(error));
    }
  };
}

void PythonProgress::RethrowIfFailed() {
  if (!failure_) return;
  py::error_already_set error = std::move(*failure_);
  failure_.reset();
  throw error;
}

}  // namespace scaleplan::python

PYBIND11_MODULE(_core, module) {
  module.doc() =
      "scaleplan's C++ core (scaleplan_core, scaleplan_fitting). Use it through the scaleplan package, whose "
      "functions document their arguments.";
  scaleplan::python::BindErrors(module);
  scaleplan::python::BindRuns(module);
  scaleplan::python::BindFits(module);
  scaleplan::python::BindTools(module);
  scaleplan::python::BindCheck(module);
  scaleplan::python::BindPlans(module);
}
