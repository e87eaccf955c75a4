// Fits for the Python module: the laws `scaleplan fit --law chinchilla|kaplan|isoflop` fits, each by the function the
// command line calls (fitting/law_fits.h), so that a fit's JSON is `fit --format json` byte for byte. The GIL is
// released while the library works; progress reaches an optional Python callback.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/budgets.h"
#include "core/chinchilla_law.h"
#include "core/error.h"
#include "core/file.h"
#include "core/runs_table.h"
#include "fitting/bootstrap.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/fit_json.h"
#include "fitting/isoflop_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_fits.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// What scaleplan.fit passes down: the command line's fit options, by the same names.
struct FitRequest {
  std::string law = "chinchilla";
  MultiStartOptions options;   // delta, starts, exhaustive, threads
  std::string grid_spec;       // "" = the law's default grid
  BootstrapOptions bootstrap;  // bootstrap.num_resamples == 0: no bootstrap
  std::vector<double> budgets{kDefaultAllocationBudgetFlops};
  bool budgets_given = false;  // as --compute: only budgets asked for get extrapolation warnings
  double budget_tolerance = kDefaultBudgetTolerance;
  int min_budget_runs = kDefaultIsoFlopMinBudgetRuns;
  bool keep_extrapolated = false;
};

// One fitted law: its JSON as `fit --format json` prints it, and the Chinchilla law itself when that was the fit.
struct FitOutcome {
  std::string law_name;
  std::string json_text;
  bool usable = false;
  std::string status;
  std::optional<ChinchillaLaw> chinchilla;
};

void CheckRequest(const FitRequest& request) {
  const std::vector<std::string> known = {"chinchilla", "kaplan", "isoflop"};
  if (std::find(known.begin(), known.end(), request.law) == known.end()) {
    throw UsageError("law must be chinchilla, kaplan or isoflop, not '" + request.law + "'");
  }
  // The numbers as the command line reads --delta, --ci, --compute and --budget-tolerance.
  CheckedKeyword(request.options.huber_delta, Range::POSITIVE, "--delta");
  CheckedKeyword(request.bootstrap.confidence, Range::OPEN_FRACTION, "--ci");
  for (double budget : request.budgets) CheckedKeyword(budget, Range::POSITIVE, "--compute");
  CheckedKeyword(request.budget_tolerance, Range::OPEN_FRACTION, "--budget-tolerance");
  std::string why;
  if (request.bootstrap.num_resamples != 0) {
    if (request.bootstrap.num_resamples < kMinBootstrapResamples) {
      throw UsageError("bootstrap must be 0 (none) or at least " + std::to_string(kMinBootstrapResamples) +
                       " resamples, not " + std::to_string(request.bootstrap.num_resamples));
    }
    if (!request.bootstrap.Check(&why)) throw UsageError(why);
  }
  if (request.min_budget_runs < 3) {
    throw UsageError("min_budget_runs must be at least 3 (a parabola has 3 coefficients)");
  }
}

// The options of a law's fit (fitting/law_fits.h): the request's, with the progress of each stage.
LawFitOptions LawOptions(const RunsTable& table, const FitRequest& request, const InitGrid& grid,
                         PythonProgress* progress) {
  LawFitOptions options;
  options.search = request.options;
  options.grid = grid;
  options.bootstrap = request.bootstrap;
  options.budgets = request.budgets;
  options.warn_beyond_runs = WarnsBeyondFittedRuns(request.budgets_given, table);  // none for a group, as the CLI
  options.budget_tolerance = request.budget_tolerance;
  options.min_budget_runs = request.min_budget_runs;
  options.keep_extrapolated = request.keep_extrapolated;
  options.fit_progress = progress->Stage("fit");
  options.bootstrap_progress = progress->Stage("bootstrap");
  return options;
}

FitOutcome FitChinchillaLaw(const RunsTable& table, const FitRequest& request, PythonProgress* progress) {
  const LawFitOptions options = LawOptions(
      table, request, ResolveGrid(request.options, request.grid_spec, ChinchillaModel::HoffmannGrid()), progress);
  ChinchillaFitReport report;
  {
    py::gil_scoped_release release;
    report = MakeChinchillaFitReport(table, options);
  }
  return {"chinchilla", report.json.dump(2), report.fit.search.usable, report.fit.search.status, report.fit.law};
}

FitOutcome FitKaplanLaw(const RunsTable& table, const FitRequest& request, PythonProgress* progress) {
  const LawFitOptions options =
      LawOptions(table, request, ResolveGrid(request.options, request.grid_spec, KaplanModel::DefaultGrid()), progress);
  KaplanFitReport report;
  {
    py::gil_scoped_release release;
    report = MakeKaplanFitReport(table, options);
  }
  return {"kaplan", report.json.dump(2), report.fit.search.usable, report.fit.search.status, std::nullopt};
}

FitOutcome FitIsoFlopLaw(const RunsTable& table, const FitRequest& request, PythonProgress* progress) {
  ResolveGrid(request.options, request.grid_spec,
              ChinchillaModel::HoffmannGrid());  // validates the options, as the command line does
  const LawFitOptions options = LawOptions(table, request, InitGrid(), progress);
  IsoFlopFitReport report;
  {
    py::gil_scoped_release release;
    report = MakeIsoFlopFitReport(table, options);
  }
  return {"isoflop", report.json.dump(2), report.fit.usable, report.fit.status, std::nullopt};
}

FitOutcome FitLaw(const RunsTable& table, FitRequest request, const py::object& callback) {
  request.bootstrap.num_threads = request.options.num_threads;  // as the command line
  CheckRequest(request);
  PythonProgress progress(callback);
  FitOutcome outcome = request.law == "chinchilla" ? FitChinchillaLaw(table, request, &progress)
                       : request.law == "kaplan"   ? FitKaplanLaw(table, request, &progress)
                                                   : FitIsoFlopLaw(table, request, &progress);
  progress.RethrowIfFailed();
  return outcome;
}

// law.Loss(N, D) over two arrays of one shape (the package broadcasts them first), without the GIL.
py::array_t<double> PredictLoss(const ChinchillaLaw& law, const py::array_t<double, py::array::c_style>& num_params,
                                const py::array_t<double, py::array::c_style>& num_tokens) {
  if (num_params.size() != num_tokens.size()) throw UsageError("N and D must have the same number of values");
  py::array_t<double> out(std::vector<py::ssize_t>(num_params.shape(), num_params.shape() + num_params.ndim()));
  const double* n = num_params.data();
  const double* d = num_tokens.data();
  double* loss = out.mutable_data();
  const py::ssize_t size = num_params.size();
  {
    py::gil_scoped_release release;
    for (py::ssize_t i = 0; i < size; ++i) loss[i] = law.Loss(n[i], d[i]);
  }
  return out;
}

py::dict AllocationDict(const Allocation& a) {
  py::dict out;
  out["compute_flops"] = a.compute_flops;
  out["num_params"] = a.num_params;
  out["num_tokens"] = a.num_tokens;
  out["tokens_per_param"] = a.tokens_per_param;
  out["loss"] = a.loss_nats;
  return out;
}

}  // namespace

InitGrid ResolveGrid(const MultiStartOptions& options, const std::string& grid_spec, const InitGrid& default_grid) {
  // As the command line reads --delta, --starts and --threads (fit and validate alike).
  CheckedKeyword(options.huber_delta, Range::POSITIVE, "--delta");
  CheckCountOption(options.num_starts, 1, std::numeric_limits<int>::max(), "--starts",
                   std::to_string(options.num_starts));
  CheckCountOption(options.num_threads, 0, std::numeric_limits<int>::max(), "--threads",
                   std::to_string(options.num_threads));
  std::string why;
  if (!options.Check(&why)) throw UsageError(why);
  if (grid_spec.empty()) return default_grid;
  try {
    return ParseGridSpec(grid_spec, default_grid, "--grid");
  } catch (const InputError& error) {
    throw UsageError(error.what());  // a bad argument, not bad data
  }
}

void BindFits(py::module_& module) {
  py::class_<ChinchillaLaw>(module, "Law",
                            "The Chinchilla law L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022, eq. "
                            "2), N all parameters, D training tokens, L in nats per token.")
      .def(py::init([](double E, double A, double B, double alpha, double beta) {
             const ChinchillaLaw law{E, A, B, alpha, beta};
             std::string why;
             if (!law.Check(&why)) throw UsageError("not a usable law: " + why);
             return law;
           }),
           py::arg("E"), py::arg("A"), py::arg("B"), py::arg("alpha"), py::arg("beta"))
      .def_readonly("E", &ChinchillaLaw::E)
      .def_readonly("A", &ChinchillaLaw::A)
      .def_readonly("B", &ChinchillaLaw::B)
      .def_readonly("alpha", &ChinchillaLaw::alpha)
      .def_readonly("beta", &ChinchillaLaw::beta)
      .def_property_readonly("exponent_params", &ChinchillaLaw::ExponentParams, "a in N_opt ~ C^a")
      .def_property_readonly("exponent_tokens", &ChinchillaLaw::ExponentTokens, "b in D_opt ~ C^b")
      .def("predict", &PredictLoss, py::arg("N"), py::arg("D"),
           "The loss at N parameters and D tokens, over two float64 arrays of one shape.")
      .def(
          "allocate",
          [](const ChinchillaLaw& law, double c) {
            return AllocationDict(law.ComputeOptimal(CheckedKeyword(c, Range::POSITIVE, "--compute")));
          },
          py::arg("C"), "The compute-optimal allocation of C FLOPs under C = 6 N D (Hoffmann et al. eq. 4).")
      .def(
          "least_compute_for_loss",
          [](const ChinchillaLaw& law, double loss) -> py::object {
            const std::optional<Allocation> a =
                law.LeastComputeForLoss(CheckedKeyword(loss, Range::POSITIVE, "--target-loss"));
            return a ? py::object(AllocationDict(*a)) : py::object(py::none());
          },
          py::arg("loss"), "The least compute reaching the loss, with its allocation; None at or below E.")
      .def("__repr__", [](const ChinchillaLaw& law) {
        return "Law(E=" + py::repr(py::float_(law.E)).cast<std::string>() +
               ", A=" + py::repr(py::float_(law.A)).cast<std::string>() +
               ", B=" + py::repr(py::float_(law.B)).cast<std::string>() +
               ", alpha=" + py::repr(py::float_(law.alpha)).cast<std::string>() +
               ", beta=" + py::repr(py::float_(law.beta)).cast<std::string>() + ")";
      });

  py::class_<FitOutcome>(module, "FitOutcome")
      .def_readonly("law_name", &FitOutcome::law_name)
      .def_readonly("json", &FitOutcome::json_text)
      .def_readonly("usable", &FitOutcome::usable)
      .def_readonly("status", &FitOutcome::status)
      .def_readonly("law", &FitOutcome::chinchilla);

  module.def(
      "fit",
      [](const RunsTable& table, const std::string& law, double delta, const std::string& grid, int starts,
         bool exhaustive, int threads, int bootstrap, std::uint64_t seed, double ci, const std::vector<double>& compute,
         double budget_tolerance, int min_budget_runs, bool keep_extrapolated_minima, const py::object& progress) {
        FitRequest request;
        request.law = law;
        request.options.huber_delta = delta;
        request.grid_spec = grid;
        request.options.num_starts = starts;
        request.options.exhaustive = exhaustive;
        request.options.num_threads = threads;
        request.bootstrap.num_resamples = bootstrap;
        request.bootstrap.seed = seed;
        request.bootstrap.confidence = ci;
        if (!compute.empty()) {
          request.budgets = compute;
          request.budgets_given = true;
        }
        request.budget_tolerance = budget_tolerance;
        request.min_budget_runs = min_budget_runs;
        request.keep_extrapolated = keep_extrapolated_minima;
        return FitLaw(table, request, progress);
      },
      py::arg("runs"), py::arg("law"), py::arg("delta"), py::arg("grid"), py::arg("starts"), py::arg("exhaustive"),
      py::arg("threads"), py::arg("bootstrap"), py::arg("seed"), py::arg("ci"), py::arg("compute"),
      py::arg("budget_tolerance"), py::arg("min_budget_runs"), py::arg("keep_extrapolated_minima"),
      py::arg("progress"));

  // The same Chinchilla fit with no Python around it: the reference the speed benchmark compares fit() with.
  module.def(
      "time_chinchilla_fit",
      [](const RunsTable& table, int threads) {
        MultiStartOptions options;
        options.num_threads = threads;
        py::gil_scoped_release release;
        return FitChinchilla(table, options).search.objective;
      },
      py::arg("runs"), py::arg("threads"));

  // The defaults of the options structs, which the package's signatures read (never copied).
  const MultiStartOptions fit_defaults;
  const BootstrapOptions bootstrap_defaults;
  py::dict defaults;
  defaults["delta"] = fit_defaults.huber_delta;
  defaults["starts"] = fit_defaults.num_starts;
  defaults["exhaustive"] = fit_defaults.exhaustive;
  defaults["threads"] = fit_defaults.num_threads;
  defaults["bootstrap_resamples"] = bootstrap_defaults.num_resamples;
  defaults["seed"] = bootstrap_defaults.seed;
  defaults["ci"] = bootstrap_defaults.confidence;
  defaults["compute"] = kDefaultAllocationBudgetFlops;
  defaults["budget_tolerance"] = kDefaultBudgetTolerance;
  defaults["min_budget_runs"] = kDefaultIsoFlopMinBudgetRuns;
  defaults["min_bootstrap_resamples"] = kMinBootstrapResamples;
  module.attr("FIT_DEFAULTS") = defaults;

  // A saved fit (`fit --out`): checked by the reader `plan --fit` uses; returns the Chinchilla law (None for the
  // other laws) and the file's text.
  module.def(
      "read_saved_fit",
      [](const std::string& path) {
        const std::string text = ReadWholeFile(path);
        const SavedLaw saved = ParseSavedFit(text, path);
        return py::make_tuple(saved.law_name == "chinchilla" ? py::cast(saved.law) : py::object(py::none()), text);
      },
      py::arg("path"));

  module.def("read_file", &ReadWholeFile, py::arg("path"), "A whole file, with the readers' error (InputError).");
  module.def("saved_fit_law", &SavedFitLawName, py::arg("path"),
             "The law a saved fit's file names (fitting/fit_json.h SavedFitLawName; \"\" for a file that is not one).");

  py::dict laws;
  for (const NamedLaw& named : PublishedLaws()) {
    laws[py::str(named.name)] = py::make_tuple(named.law, named.description);
  }
  module.attr("PUBLISHED_LAWS") = laws;
}

}  // namespace scaleplan::python
