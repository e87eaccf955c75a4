// Runs for the Python module: a CSV file through the command line's reader, the bundled Chinchilla runs, or columns
// (a pandas DataFrame's or a dict's arrays, numbers read in place) through the same column rules, selection and checks
// (core/runs_table.h RunsFromColumnarTable), so that every message reads as the command line's would for the same
// table written to CSV.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/bundled_data.h"
#include "core/csv.h"
#include "core/error.h"
#include "core/runs_table.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// The column names and run selection, as the command line's --n-col ... --group-by bind them. A malformed filter or
// line range is a usage error, worded as the command line words it ("--filter: reason: 'text'").
RunsColumns MakeColumns(const std::string& n, const std::string& d, const std::string& c, const std::string& loss,
                        const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
                        const std::string& exclude_lines, bool skip_bad_rows) {
  RunsColumns columns;
  columns.params = n;
  columns.tokens = d;
  columns.compute = c;
  columns.loss = loss;
  for (const std::string& text : filters) {
    try {
      columns.selection.filters.push_back(ParseRunFilter(text));
    } catch (const InputError& error) {
      throw UsageError("--filter: " + error.message() + ": '" + text + "'");
    }
  }
  if (!exclude_lines.empty()) {
    try {
      columns.selection.excluded_lines = ParseLineRanges(exclude_lines);
    } catch (const InputError& error) {
      throw UsageError("--exclude-lines: " + error.message() + ": '" + exclude_lines + "'");
    }
  }
  columns.selection.group_by = group_by;
  columns.selection.skip_bad_rows = skip_bad_rows;
  return columns;
}

// One column as the runs reader takes it. A float64 or int64 array (native byte order, any stride: a DataFrame's
// column, a view) is read where it lies, without a copy; other floating-point and integer arrays are converted to
// float64 or int64 once, the converted array kept alive in `kept`; anything else (strings, objects, booleans) becomes
// text cell by cell through str(), None as an empty cell.
std::variant<std::vector<std::string>, NumberColumn> ColumnOf(const py::array& column, std::vector<py::array>* kept) {
  const char kind = column.dtype().kind();
  const bool is_float = kind == 'f';
  if (is_float || kind == 'i' || kind == 'u') {
    py::array numbers = column;
    const bool in_place =
        is_float ? py::isinstance<py::array_t<double>>(column) : py::isinstance<py::array_t<std::int64_t>>(column);
    if (!in_place) {
      numbers = is_float ? py::array(py::array_t<double, py::array::forcecast>::ensure(column))
                         : py::array(py::array_t<std::int64_t, py::array::forcecast>::ensure(column));
      kept->push_back(numbers);
    }
    NumberColumn out;
    out.data = numbers.data();
    out.stride_bytes = numbers.strides(0);
    out.integers = !is_float;
    return out;
  }
  std::vector<std::string> cells;
  cells.reserve(static_cast<size_t>(column.size()));
  for (const py::handle item : column.attr("ravel")().attr("tolist")()) {
    cells.push_back(item.is_none() ? std::string() : std::string(py::str(item)));
  }
  return cells;
}

// Runs from named columns of equal length (core/runs_table.h RunsFromColumnarTable: the command line's column rules,
// selection, checks and messages). Row i is numbered as line i + 2, as if the table were written to CSV with its
// header on line 1 (pandas' to_csv(index=False)), so that messages and --exclude-lines agree with the command line on
// that file. The library reads the arrays without the GIL.
RunsTable RunsFromColumns(const std::string& source, const std::vector<std::string>& names,
                          const std::vector<py::array>& arrays, const RunsColumns& columns) {
  if (names.size() != arrays.size()) throw UsageError("runs: as many column names as columns are needed");
  if (names.empty()) throw InputError("no columns: the runs table is empty", InputLocation{source});
  ColumnarTable table;
  table.source = source;
  table.header = names;
  table.header_line = 1;
  table.num_rows = static_cast<size_t>(arrays[0].size());
  std::vector<py::array> kept;  // converted copies of arrays not read in place
  for (size_t k = 0; k < arrays.size(); ++k) {
    if (arrays[k].ndim() != 1) {
      throw InputError(
          "column '" + names[k] + "' must be one-dimensional, not " + std::to_string(arrays[k].ndim()) + "-dimensional",
          InputLocation{source});
    }
    if (arrays[k].size() != arrays[0].size()) {
      throw InputError("column '" + names[k] + "' has " + std::to_string(arrays[k].size()) + " values and column '" +
                           names[0] + "' " + std::to_string(arrays[0].size()) + ": columns must have equal lengths",
                       InputLocation{source});
    }
    table.columns.push_back(ColumnOf(arrays[k], &kept));
  }
  py::gil_scoped_release release;
  return RunsFromColumnarTable(table, columns);
}

template <typename T>
py::array_t<T> Column(const RunsTable& table, T TrainingRun::*member) {
  py::array_t<T> out(static_cast<py::ssize_t>(table.runs.size()));
  T* data = out.mutable_data();
  for (size_t i = 0; i < table.runs.size(); ++i) data[i] = table.runs[i].*member;
  return out;
}

}  // namespace

RunsColumns MakeRunsColumns(const std::string& n, const std::string& d, const std::string& c, const std::string& loss,
                            const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
                            const std::string& exclude_lines, bool skip_bad_rows) {
  return MakeColumns(n, d, c, loss, filters, group_by, exclude_lines, skip_bad_rows);
}

void BindRuns(py::module_& module) {
  py::class_<RunsTable>(module, "Runs",
                        "Training runs as the library reads them: N, D, C and loss per run, with the source, the "
                        "notes the reader made and its warnings.")
      .def_readonly("source", &RunsTable::source)
      .def_readonly("notes", &RunsTable::notes)
      .def_readonly("warnings", &RunsTable::warnings)
      .def_readonly("group_columns", &RunsTable::group_columns)
      .def_readonly("group_values", &RunsTable::group_values)
      .def_readonly("params_column", &RunsTable::params_column)
      .def_readonly("tokens_column", &RunsTable::tokens_column)
      .def_readonly("compute_column", &RunsTable::compute_column)
      .def_readonly("loss_column", &RunsTable::loss_column)
      .def_property_readonly("num_params", [](const RunsTable& t) { return Column(t, &TrainingRun::num_params); })
      .def_property_readonly("num_tokens", [](const RunsTable& t) { return Column(t, &TrainingRun::num_tokens); })
      .def_property_readonly("compute_flops", [](const RunsTable& t) { return Column(t, &TrainingRun::compute_flops); })
      .def_property_readonly("loss_nats", [](const RunsTable& t) { return Column(t, &TrainingRun::loss_nats); })
      .def_property_readonly("lines", [](const RunsTable& t) { return Column(t, &TrainingRun::line); })
      .def_property_readonly("groups", [](const RunsTable& t) { return Column(t, &TrainingRun::group); })
      .def("split", &SplitRunsByGroup, "One table per group (group_by), in order of first appearance.")
      .def("group_label", [](const RunsTable& t) { return t.group_values.size() == 1 ? GroupLabel(t, 0) : ""; })
      .def("__len__", [](const RunsTable& t) { return t.runs.size(); });

  module.def(
      "runs_from_csv",
      [](const std::string& path, const std::string& n, const std::string& d, const std::string& c,
         const std::string& loss, const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
         const std::string& exclude_lines, bool skip_bad_rows) {
        return LoadRunsCsv(path, MakeColumns(n, d, c, loss, filters, group_by, exclude_lines, skip_bad_rows));
      },
      py::arg("path"), py::arg("n"), py::arg("d"), py::arg("c"), py::arg("loss"), py::arg("filters"),
      py::arg("group_by"), py::arg("exclude_lines"), py::arg("skip_bad_rows"));
  module.def(
      "runs_from_columns",
      [](const std::string& source, const std::vector<std::string>& names, const std::vector<py::array>& arrays,
         const std::string& n, const std::string& d, const std::string& c, const std::string& loss,
         const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
         const std::string& exclude_lines, bool skip_bad_rows) {
        return RunsFromColumns(source, names, arrays,
                               MakeColumns(n, d, c, loss, filters, group_by, exclude_lines, skip_bad_rows));
      },
      py::arg("source"), py::arg("names"), py::arg("arrays"), py::arg("n"), py::arg("d"), py::arg("c"), py::arg("loss"),
      py::arg("filters"), py::arg("group_by"), py::arg("exclude_lines"), py::arg("skip_bad_rows"));
  module.def(
      "bundled_runs",
      [](const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
         const std::string& exclude_lines) {
        return BundledChinchillaRuns(MakeColumns("", "", "", "", filters, group_by, exclude_lines, false).selection);
      },
      py::arg("filters"), py::arg("group_by"), py::arg("exclude_lines"));
  module.attr("BUNDLED_CHINCHILLA_LABEL") = kBundledChinchillaLabel;
}

}  // namespace scaleplan::python
