// The module's other tools: the dictionary fit, validation and golden checks (filled in below as they are bound).
#include <pybind11/pybind11.h>

#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {

void BindTools(py::module_& /*module*/) {}

}  // namespace scaleplan::python
