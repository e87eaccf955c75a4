// Extrapolation validation (`scaleplan validate`) and sparse-dictionary plans (`scaleplan dictionary`) for the Python
// module: the JSON the command line prints, built by the same core/ and fitting/ functions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/bundled_data.h"
#include "core/dictionary.h"
#include "core/error.h"
#include "core/hyperparams_runs.h"
#include "core/runs_table.h"
#include "fitting/chinchilla_fit.h"
#include "fitting/hyperparams_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_table.h"
#include "fitting/law_validation.h"
#include "fitting/sparse_fit.h"
#include "fitting/validation.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// What scaleplan.validate passes down: the command line's `validate` options, by their names there.
struct ValidateArguments {
  std::string law = "chinchilla";             // --law
  std::optional<double> holdout_above_flops;  // --holdout-above
  bool leave_one_budget_out = false;          // --leave-one-budget-out
  std::optional<double> budget_tolerance;     // --budget-tolerance (none: the law's default)
  std::optional<int> min_budget_runs;         // --min-budget-runs (none: the law's default)
  MultiStartOptions options;                  // --delta, --starts, --exhaustive, --threads
  std::string grid_spec;                      // --grid
  bool keep_extrapolated_minima = false;      // isoflop: --keep-extrapolated-minima
  LawRunsOptions runs;                        // the columns, the selection, --u-col and the sparse options
  bool sparse_options_given = false;          // --u-col, --sparsity-col, --n-is-dense or --tokens-per-step given
  HyperparamsColumns hyperparams;             // hyperparams: --batch-col, --lr-col, --seq-len
  std::optional<double> near_optimal;         // hyperparams: --near-optimal
};

bool IsTableLawWithOwnReader(const std::string& law) {
  const TableLaw* entry = FindTableLaw(law);
  return entry != nullptr && entry->own_reader && law != "hyperparams";
}

// The checks the command line makes of its options before it reads any run (cli/validate_command.cc and, for
// hyperparams, cli/hyperparams_command.cc), with the keywords' names. Returns the hold-out threshold (0: leave one
// budget out) and the validation options with the law's defaults.
double CheckValidateArguments(const ValidateArguments& arguments, ValidationOptions* validation) {
  const std::string& law = arguments.law;
  const std::vector<std::string>& laws = ValidationLawNames();
  if (std::find(laws.begin(), laws.end(), law) == laws.end()) {
    std::string known;
    for (size_t k = 0; k < laws.size(); ++k) {
      known += (k == 0 ? "" : k + 1 == laws.size() ? " or " : ", ") + laws[k];
    }
    throw UsageError("validate: law must be " + known + ", not '" + law + "'");
  }
  const bool hyperparams = law == "hyperparams";
  if (!hyperparams && (!arguments.hyperparams.batch.empty() || !arguments.hyperparams.learning_rate.empty() ||
                       arguments.hyperparams.seq_len != 0 || arguments.near_optimal)) {
    throw UsageError("batch_col, lr_col, seq_len and near_optimal go with law='hyperparams'");
  }
  if (arguments.sparse_options_given && !IsTableLawWithOwnReader(law)) {
    throw UsageError("u_col, sparsity_col, n_is_dense and tokens_per_step go with law='data-constrained' or 'sparse'");
  }
  if (arguments.keep_extrapolated_minima && law != "isoflop") {
    throw UsageError("keep_extrapolated_minima goes with law='isoflop'");
  }
  if (law == "frantar2023-t5") {
    if (arguments.holdout_above_flops || arguments.leave_one_budget_out || arguments.budget_tolerance ||
        arguments.min_budget_runs) {
      throw UsageError(
          "law='frantar2023-t5' validates on the bundled T5 runs' held-out run: it takes no "
          "holdout_above, leave_one_budget_out, budget_tolerance or min_budget_runs");
    }
    return 0.0;
  }
  if (arguments.holdout_above_flops.has_value() == arguments.leave_one_budget_out) {
    throw UsageError("give one of holdout_above (a compute threshold in FLOPs) and leave_one_budget_out=True");
  }
  if (arguments.holdout_above_flops && !hyperparams && law != "isoflop" &&
      (arguments.budget_tolerance || arguments.min_budget_runs)) {
    throw UsageError(
        "budget_tolerance and min_budget_runs go with leave_one_budget_out=True (or law='isoflop' or "
        "'hyperparams')");
  }
  if (arguments.holdout_above_flops) CheckedKeyword(*arguments.holdout_above_flops, Range::POSITIVE, "--holdout-above");
  if (arguments.budget_tolerance) {
    validation->budget_tolerance =
        CheckedKeyword(*arguments.budget_tolerance, Range::OPEN_FRACTION, "--budget-tolerance");
  }
  if (arguments.min_budget_runs) {
    validation->min_budget_runs = *arguments.min_budget_runs;
  } else if (law == "isoflop") {
    validation->min_budget_runs = kDefaultIsoFlopMinBudgetRuns;
  }
  std::string why;
  if (!validation->Check(&why)) throw UsageError(why);
  const double tokens_per_step = arguments.runs.sparse.tokens_per_step;
  if (!(tokens_per_step >= 0) || !std::isfinite(tokens_per_step))
    throw UsageError("--tokens-per-step must be positive");
  return arguments.holdout_above_flops.value_or(0.0);
}

// The JSON of `validate --group-by --format json`, or the command line's exit 3 as an InputError naming the runs when
// no group could be validated (each group's verdict is in its "status").
template <typename Grouped>
std::string GroupedJson(const Grouped& result, const RunsTable& table) {
  if (!result.AnyValidated()) {
    std::string verdicts;
    for (const auto& group : result.groups) verdicts += "; " + group.label + ": " + group.verdict;
    throw InputError("no group could be validated" + verdicts, InputLocation{table.source});
  }
  return result.json.dump(2);
}

// Each group's leave-one-budget-out folds reported as progress("validate", done, total).
GroupFoldProgress GroupStage(PythonProgress* progress) {
  return [progress](const std::string&) { return FoldProgress(progress->Stage("validate")); };
}

TableLawOptions TableLawSearch(const ValidateArguments& arguments) {
  TableLawOptions options;
  options.search = arguments.options;
  options.grid_spec = arguments.grid_spec;
  return options;
}

// `validate --format json` of chinchilla, kaplan and isoflop, over a runs table read as the command line reads it.
// Returns (the JSON, "").
py::tuple ValidateTable(const RunsTable& table, const ValidateArguments& arguments, const py::object& callback) {
  ValidationOptions validation;
  const double threshold_flops = CheckValidateArguments(arguments, &validation);
  const std::string& law = arguments.law;
  if (law != "chinchilla" && law != "kaplan" && law != "isoflop") {
    throw UsageError("validate: law='" + law + "' reads its runs with the " + law +
                     " law's own reader: give a CSV "
                     "path or None (its bundled runs), not a table");
  }
  PythonProgress progress(callback);
  std::string json;
  if (!table.group_columns.empty()) {  // group_by: `validate --group-by`
    if (law == "isoflop") {
      py::gil_scoped_release release;
      json = GroupedJson(
          ValidateIsoFlopBudgetsByGroup(table, threshold_flops, validation, arguments.keep_extrapolated_minima), table);
    } else if (law == "kaplan") {
      ResolveGrid(arguments.options, arguments.grid_spec, KaplanModel::DefaultGrid());  // validates the fit options
      const LawRuns runs = LawRunsOfTable("kaplan", table);
      const LawFitter fitter = TableLawFitter(*FindTableLaw("kaplan"), runs, TableLawSearch(arguments));
      py::gil_scoped_release release;
      json = GroupedJson(ValidateRunsByGroup(runs.view, fitter, threshold_flops, validation, GroupStage(&progress)),
                         table);
    } else {
      const LawFitter fitter = ChinchillaFitter(
          arguments.options, ResolveGrid(arguments.options, arguments.grid_spec, ChinchillaModel::HoffmannGrid()));
      py::gil_scoped_release release;
      json = GroupedJson(ValidateRunsByGroup(table, fitter, threshold_flops, validation, GroupStage(&progress)), table);
    }
    progress.RethrowIfFailed();
    return py::make_tuple(json, "");
  }
  if (law == "isoflop") {
    py::gil_scoped_release release;
    const IsoFlopValidation result =
        ValidateIsoFlopBudgets(table, threshold_flops, validation, arguments.keep_extrapolated_minima);
    json =
        IsoFlopValidationToJson(table, threshold_flops, validation, arguments.keep_extrapolated_minima, result).dump(2);
  } else if (law == "kaplan") {
    TableLawOptions options;
    options.search = arguments.options;
    options.grid_spec = arguments.grid_spec;
    ResolveGrid(arguments.options, arguments.grid_spec, KaplanModel::DefaultGrid());  // validates the fit options
    const LawRuns runs = LawRunsOfTable("kaplan", table);
    RunsValidation result;
    {
      py::gil_scoped_release release;
      result = ValidateLawRuns(*FindTableLaw("kaplan"), runs, options, threshold_flops, validation,
                               progress.Stage("validate"));
    }
    progress.RethrowIfFailed();
    json = result.json.dump(2);
  } else {
    const LawFitter fitter = ChinchillaFitter(
        arguments.options, ResolveGrid(arguments.options, arguments.grid_spec, ChinchillaModel::HoffmannGrid()));
    RunsValidation result;
    {
      py::gil_scoped_release release;
      result = ValidateRuns(table, fitter, threshold_flops, validation, progress.Stage("validate"));
    }
    progress.RethrowIfFailed();
    json = result.json.dump(2);
  }
  return py::make_tuple(json, "");
}

// `validate --format json` of a law whose runs a reader of its own reads from `path` ("" = the law's bundled runs):
// data-constrained, sparse, moe, dictionary, routing, hyperparams, and frantar2023-t5 (the bundled T5 runs only).
// Returns (the JSON, ""), or (None, why) for frantar2023-t5's fit that is not usable (the command line's exit 4),
// which the package raises as a FitError.
py::tuple ValidateLawFile(const std::string& path, const ValidateArguments& arguments, const py::object& callback) {
  ValidationOptions validation;
  const double threshold_flops = CheckValidateArguments(arguments, &validation);
  const std::string& law = arguments.law;
  if ((law == "frantar2023-t5" || law == "hyperparams") && !arguments.runs.columns.selection.group_by.empty()) {
    throw UsageError("validate: law='" + law + "' takes no group_by (select runs with filter)");
  }
  if (law == "frantar2023-t5") {
    if (!path.empty()) throw UsageError("law='frantar2023-t5' validates on the bundled T5 runs: it takes no runs");
    const InitGrid grid = ResolveGrid(arguments.options, arguments.grid_spec, SparseModel::DefaultGrid());
    SparseHeldOutValidation result;
    {
      py::gil_scoped_release release;
      result = ValidateFrantarT5HeldOut(arguments.options, grid);
    }
    if (!result.fit.search.usable) {
      return py::make_tuple(py::none(), "the sparse fit is not usable: " + result.fit.search.status);
    }
    return py::make_tuple(SparseHeldOutToJson(result).dump(2), "");
  }
  if (law == "hyperparams") {
    if (path.empty()) throw UsageError("law='hyperparams' needs a runs file: there are no bundled sweeps");
    HyperparamsFitOptions options;
    options.budget_tolerance = validation.budget_tolerance;
    if (arguments.min_budget_runs) options.min_budget_runs = *arguments.min_budget_runs;
    if (arguments.near_optimal) {
      options.near_optimal_tolerance = CheckedKeyword(*arguments.near_optimal, Range::OPEN_FRACTION, "--near-optimal");
    }
    std::string why;
    if (!options.Check(&why)) throw UsageError(why);
    const HyperparamsRuns runs = LoadHyperparamsRunsCsv(path, arguments.hyperparams);
    HyperparamsValidation result;
    {
      py::gil_scoped_release release;
      result = ValidateHyperparamsSweep(runs, options, threshold_flops);
    }
    return py::make_tuple(HyperparamsValidationToJson(runs, options, threshold_flops, result).dump(2), "");
  }
  if (!IsTableLawWithOwnReader(law)) {
    throw UsageError("validate: law='" + law +
                     "' reads the Chinchilla runs table: give a DataFrame, a dict of "
                     "arrays, a CSV path or None (the bundled runs)");
  }
  const TableLaw& entry = *FindTableLaw(law);
  if (path.empty() && !entry.bundled_runs) {
    throw UsageError("law='" + law + "' needs a runs file (no " + law + " runs are bundled)");
  }
  ResolveGrid(arguments.options, arguments.grid_spec, entry.default_grid);  // validates the fit options
  const LawRuns runs = LoadLawRuns(law, path, arguments.runs);
  const TableLawOptions options = TableLawSearch(arguments);
  PythonProgress progress(callback);
  if (!runs.view.group_columns.empty()) {  // group_by: `validate --group-by`, on the runs' view
    CheckLawRunsHaveCompute(entry, runs);
    const LawFitter fitter = TableLawFitter(entry, runs, options);
    std::string json;
    {
      py::gil_scoped_release release;
      json = GroupedJson(ValidateRunsByGroup(runs.view, fitter, threshold_flops, validation, GroupStage(&progress)),
                         runs.view);
    }
    progress.RethrowIfFailed();
    return py::make_tuple(json, "");
  }
  RunsValidation result;
  {
    py::gil_scoped_release release;
    result = ValidateLawRuns(entry, runs, options, threshold_flops, validation, progress.Stage("validate"));
  }
  progress.RethrowIfFailed();
  return py::make_tuple(result.json.dump(2), "");
}

// What scaleplan.dictionary passes down, by the command line's option names.
struct DictionaryArguments {
  double d_model = 0.0, compute = 0.0, gpu_hours = 0.0, target_loss = 0.0, latents = 0.0, k = 0.0;
  std::optional<std::pair<double, double>> k_range;
  std::string budget;  // "total" or "training"
  std::string accelerator;
  DictionaryRequest request;  // subject and options already set
};

// As cli/dictionary_command.cc with the prior's laws and a catalogue device: the goal, the request, the plan.
std::string PlanDictionaryJson(DictionaryArguments arguments) {
  DictionaryRequest& request = arguments.request;
  // The numbers as the command line reads its options: positive (0 = not given, for the goals and k).
  CheckedKeyword(arguments.d_model, Range::POSITIVE, "--d-model");
  const std::pair<double, const char*> given[] = {{arguments.compute, "--compute"},
                                                  {arguments.gpu_hours, "--gpu-hours"},
                                                  {arguments.target_loss, "--target-loss"},
                                                  {arguments.latents, "--latents"},
                                                  {arguments.k, "--k"},
                                                  {request.subject.num_params, "--subject-params"}};
  for (const auto& [value, option] : given) {
    if (value != 0) CheckedKeyword(value, Range::POSITIVE, option);
  }
  if (arguments.k_range) {
    CheckedKeyword(arguments.k_range->first, Range::POSITIVE, "--k-range");
    CheckedKeyword(arguments.k_range->second, Range::POSITIVE, "--k-range");
  }
  CheckedKeyword(request.options.mfu, Range::FRACTION, "--mfu");
  if (!(arguments.d_model > 0))
    throw UsageError("--d-model is required: the width of the activations the dictionary learns");
  const int goals = (arguments.compute > 0) + (arguments.gpu_hours > 0) + (arguments.target_loss > 0);
  if (goals == 0 && !(arguments.latents > 0)) {
    throw UsageError("nothing to plan: give --compute, --gpu-hours, --target-loss or --latents (with --d-model)");
  }
  if (arguments.k > 0 && arguments.k_range) throw UsageError("give --k or --k-range, not both");
  if (arguments.budget != "total" && arguments.budget != "training") {
    throw UsageError("--budget must be 'total' or 'training', not '" + arguments.budget + "'");
  }
  std::string why;
  if (!request.options.Check(&why)) throw UsageError(why);
  request.d_model = arguments.d_model;
  request.compute_flops = arguments.compute;
  request.device_hours = arguments.gpu_hours;
  request.target_loss = arguments.target_loss;
  if (arguments.latents > 0) {
    request.goal = DictionaryGoal::LATENTS;
    request.num_latents = arguments.latents;
  } else {
    request.goal = arguments.compute > 0     ? DictionaryGoal::COMPUTE
                   : arguments.gpu_hours > 0 ? DictionaryGoal::DEVICE_HOURS
                                             : DictionaryGoal::TARGET_LOSS;
  }
  if (arguments.k > 0) request.k = arguments.k;
  if (arguments.k_range) std::tie(request.k_min, request.k_max) = *arguments.k_range;
  request.budget_includes_harvest = arguments.budget == "total";
  const HardwareCatalogue& catalogue = BundledHardwareCatalogue();
  const std::string wanted = arguments.accelerator.empty() ? kDefaultDictionaryAccelerator : arguments.accelerator;
  const Accelerator* found = catalogue.TryFind(wanted);
  if (found == nullptr) {
    std::string known;
    for (const std::string& entry : catalogue.Names()) known += (known.empty() ? "" : ", ") + entry;
    throw UsageError("unknown --accelerator '" + wanted + "' (known: " + known + ")");
  }
  request.accelerator = *found;
  if (!request.Check(&why)) throw UsageError(why);
  const std::string description = DescribeDictionaryDevice(request.accelerator, request.options, nullptr);
  DictionaryPlan plan;
  {
    py::gil_scoped_release release;
    plan = PlanDictionary(request);
  }
  return DictionaryPlanToJson(plan, request, description).dump(2);
}

}  // namespace

void BindTools(py::module_& module) {
  // validate(law, runs, path, ...): `runs` (a Runs) for chinchilla, kaplan and isoflop, else `path`.
  module.def(
      "validate",
      [](const std::string& law, const RunsTable* table, const std::string& path, std::optional<double> holdout_above,
         bool leave_one_budget_out, std::optional<double> budget_tolerance, std::optional<int> min_budget_runs,
         double delta, const std::string& grid, int starts, bool exhaustive, int threads, bool keep_extrapolated_minima,
         const std::string& n, const std::string& d, const std::string& c, const std::string& loss,
         const std::vector<std::string>& filters, const std::vector<std::string>& group_by,
         const std::string& exclude_lines, bool skip_bad_rows, const std::string& u_col,
         const std::string& sparsity_col, bool n_is_dense, std::optional<double> tokens_per_step,
         const std::string& batch_col, const std::string& lr_col, double seq_len, std::optional<double> near_optimal,
         const py::object& progress) {
        ValidateArguments arguments;
        arguments.law = law;
        arguments.holdout_above_flops = holdout_above;
        arguments.leave_one_budget_out = leave_one_budget_out;
        arguments.budget_tolerance = budget_tolerance;
        arguments.min_budget_runs = min_budget_runs;
        arguments.options.huber_delta = delta;
        arguments.options.num_starts = starts;
        arguments.options.exhaustive = exhaustive;
        arguments.options.num_threads = threads;
        arguments.grid_spec = grid;
        arguments.keep_extrapolated_minima = keep_extrapolated_minima;
        const RunsColumns columns = MakeRunsColumns(n, d, c, loss, filters, group_by, exclude_lines, skip_bad_rows);
        arguments.runs.columns = columns;
        arguments.runs.unique_tokens_column = u_col;
        arguments.runs.sparse.sparsity_column = sparsity_col;
        arguments.runs.sparse.params_are_dense = n_is_dense;
        if (tokens_per_step) arguments.runs.sparse.tokens_per_step = *tokens_per_step;
        arguments.sparse_options_given = !u_col.empty() || !sparsity_col.empty() || n_is_dense || tokens_per_step;
        arguments.hyperparams.runs = columns;
        arguments.hyperparams.batch = batch_col;
        arguments.hyperparams.learning_rate = lr_col;
        arguments.hyperparams.seq_len = CheckedKeyword(seq_len, Range::NON_NEGATIVE, "--seq-len");
        arguments.near_optimal = near_optimal;
        return table ? ValidateTable(*table, arguments, progress) : ValidateLawFile(path, arguments, progress);
      },
      py::arg("law"), py::arg("runs"), py::arg("path"), py::arg("holdout_above"), py::arg("leave_one_budget_out"),
      py::arg("budget_tolerance"), py::arg("min_budget_runs"), py::arg("delta"), py::arg("grid"), py::arg("starts"),
      py::arg("exhaustive"), py::arg("threads"), py::arg("keep_extrapolated_minima"), py::arg("n"), py::arg("d"),
      py::arg("c"), py::arg("loss"), py::arg("filters"), py::arg("group_by"), py::arg("exclude_lines"),
      py::arg("skip_bad_rows"), py::arg("u_col"), py::arg("sparsity_col"), py::arg("n_is_dense"),
      py::arg("tokens_per_step"), py::arg("batch_col"), py::arg("lr_col"), py::arg("seq_len"), py::arg("near_optimal"),
      py::arg("progress"));
  // Whether validate(law=...) reads its runs with a reader of its own (a CSV path or None, not a table), for the
  // laws validate takes (False for the others).
  module.def("validation_reads_own_runs", [](const std::string& law) {
    return law == "hyperparams" || law == "frantar2023-t5" || IsTableLawWithOwnReader(law);
  });
  module.attr("VALIDATION_LAWS") = ValidationLawNames();
  module.def(
      "dictionary",
      [](double d_model, double compute, double gpu_hours, double target_loss, double latents, double k,
         std::optional<std::pair<double, double>> k_range, const std::string& budget, double subject_params,
         std::optional<double> subject_layers_fraction, const std::string& accelerator, const py::object& count,
         std::optional<double> mfu, std::optional<double> price, std::optional<double> batch_tokens) {
        DictionaryArguments arguments;
        arguments.d_model = d_model;
        arguments.compute = compute;
        arguments.gpu_hours = gpu_hours;
        arguments.target_loss = target_loss;
        arguments.latents = latents;
        arguments.k = k;
        arguments.k_range = k_range;
        arguments.budget = budget;
        arguments.accelerator = accelerator;
        DictionaryRequest& request = arguments.request;
        request.subject.num_params = subject_params;
        if (subject_layers_fraction) request.subject.layers_fraction = *subject_layers_fraction;
        request.options.num_devices =
            CheckCountOption(count.cast<double>(), 0, std::numeric_limits<std::int64_t>::max(), "--count",
                             py::str(count).cast<std::string>());
        if (mfu) request.options.mfu = *mfu;
        if (price) request.options.price_usd_per_hour = *price;
        if (batch_tokens) request.options.batch_tokens = *batch_tokens;
        return PlanDictionaryJson(arguments);
      },
      py::arg("d_model"), py::arg("compute"), py::arg("gpu_hours"), py::arg("target_loss"), py::arg("latents"),
      py::arg("k"), py::arg("k_range"), py::arg("budget"), py::arg("subject_params"),
      py::arg("subject_layers_fraction"), py::arg("accelerator"), py::arg("count"), py::arg("mfu"), py::arg("price"),
      py::arg("batch_tokens"));
  const DictionaryRequest dictionary_defaults;
  py::dict dictionary;
  dictionary["k_range"] = py::make_tuple(dictionary_defaults.k_min, dictionary_defaults.k_max);
  dictionary["budget"] = dictionary_defaults.budget_includes_harvest ? "total" : "training";
  dictionary["accelerator"] = kDefaultDictionaryAccelerator;
  dictionary["count"] = dictionary_defaults.options.num_devices;
  dictionary["mfu"] = dictionary_defaults.options.mfu;
  dictionary["batch_tokens"] = dictionary_defaults.options.batch_tokens;
  dictionary["subject_layers_fraction"] = dictionary_defaults.subject.layers_fraction;
  module.attr("DICTIONARY_DEFAULTS") = dictionary;

  const ValidationOptions validation_defaults;
  py::dict defaults;
  defaults["budget_tolerance"] = validation_defaults.budget_tolerance;
  defaults["min_budget_runs"] = validation_defaults.min_budget_runs;
  module.attr("TOOL_DEFAULTS") = defaults;
}

}  // namespace scaleplan::python
