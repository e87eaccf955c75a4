// Extrapolation validation (`scaleplan validate`) and sparse-dictionary plans (`scaleplan dictionary`) for the Python
// module: the JSON the command line prints, built by the same core/ and fitting/ functions.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "core/bundled_data.h"
#include "core/dictionary.h"
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
  if (holdout_above_flops) CheckedKeyword(*holdout_above_flops, Range::POSITIVE, "--holdout-above");
  CheckedKeyword(validation.budget_tolerance, Range::OPEN_FRACTION, "--budget-tolerance");
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
