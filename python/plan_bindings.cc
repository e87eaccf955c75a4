// Plans for the Python module: core/plan.h's MakePlan and PlanToJson, the pipeline `scaleplan plan` calls, with the
// law resolved as the command resolves it (fitting/plan_law.h). Each plan is the JSON row `plan --format json`
// prints for the same options.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "core/bundled_data.h"
#include "core/error.h"
#include "core/plan.h"
#include "core/training_plan.h"
#include "fitting/bootstrap.h"
#include "fitting/plan_law.h"
#include "python/bindings.h"

namespace py = pybind11;

namespace scaleplan::python {
namespace {

// What scaleplan.plan passes down, by the command line's option names.
struct PlanArguments {
  std::vector<double> compute;      // --compute
  std::vector<double> params;       // --params
  std::vector<double> target_loss;  // --target-loss
  double tokens = 0.0;              // --tokens (with --params)
  std::string fit_text;             // a saved fit's JSON (a Fit or a file the package read)
  std::string fit_source;           // its name in messages and in the plan's law
  std::string law_name;             // --law
  PlanOptions options;
  std::string accelerator;     // --accelerator
  std::string recompute;       // --recompute
  BootstrapOptions bootstrap;  // --bootstrap (num_resamples 0: none), --seed, --ci
  bool ci_given = false;
};

// As cli/plan_command.cc: the law, then one request per budget, size or target loss.
std::vector<std::string> MakePlans(PlanArguments arguments, const py::object& callback) {
  PlanOptions& shared = arguments.options;
  if (!arguments.target_loss.empty() && (!arguments.compute.empty() || !arguments.params.empty())) {
    throw UsageError("target_loss cannot be combined with compute or params");
  }
  if (arguments.tokens > 0 && arguments.params.empty()) throw UsageError("tokens needs params (a fixed model size)");
  if (arguments.tokens > 0 && !arguments.compute.empty()) throw UsageError("tokens cannot be combined with compute");
  std::string why;
  if (!shared.training.Check(&why)) throw UsageError(why);
  if (!arguments.recompute.empty()) {  // "" keeps PlanOptions' default
    const std::optional<RecomputeChoice> recompute = TryParseRecomputeChoice(arguments.recompute);
    if (!recompute) {
      throw UsageError("--recompute must be auto, none, selective or full, not '" + arguments.recompute + "'");
    }
    shared.recompute = *recompute;
  }
  const TrainingPlanOptions training_defaults;
  if (arguments.accelerator.empty() && (shared.training.num_accelerators != training_defaults.num_accelerators ||
                                        shared.training.max_days > 0.0 || shared.training.price_usd_per_hour > 0.0)) {
    throw UsageError("count, max_days and price_per_hour need an accelerator");
  }
  if (!arguments.accelerator.empty()) {
    const HardwareCatalogue& catalogue = BundledHardwareCatalogue();
    const Accelerator* found = catalogue.TryFind(arguments.accelerator);
    if (found == nullptr) {
      std::string known;
      for (const std::string& entry : catalogue.Names()) known += (known.empty() ? "" : ", ") + entry;
      throw UsageError("unknown --accelerator '" + arguments.accelerator + "' (known: " + known + ")");
    }
    shared.accelerator = *found;
  }
  if (!arguments.fit_text.empty() && !arguments.law_name.empty()) {
    throw UsageError("give either --fit or --law, not both");
  }
  PythonProgress progress(callback);
  std::vector<Plan> rows;
  PlanLaw law;
  {
    py::gil_scoped_release release;
    law = arguments.fit_text.empty() ? ResolvePlanLaw("", arguments.law_name)
                                     : PlanLawFromSavedFit(arguments.fit_text, arguments.fit_source);
  }
  if (arguments.bootstrap.num_resamples != 0) {
    if (arguments.bootstrap.num_resamples < kMinBootstrapResamples) {
      throw UsageError("bootstrap must be 0 (none) or at least " + std::to_string(kMinBootstrapResamples) +
                       " resamples");
    }
    if (!arguments.bootstrap.Check(&why)) throw UsageError(why);
    if (!arguments.law_name.empty() || !arguments.fit_text.empty()) {
      throw UsageError(
          "--bootstrap resamples the bundled runs; with --fit, save the fit with 'fit --bootstrap' "
          "instead (published laws have no runs to resample)");
    }
    py::gil_scoped_release release;
    AddBundledBootstrap(arguments.bootstrap, progress.Stage("bootstrap"), &law);
  } else if (arguments.ci_given) {
    if (!(arguments.bootstrap.confidence > 0 && arguments.bootstrap.confidence < 1)) {
      throw UsageError("--ci must lie in (0, 1)");
    }
    law.saved.confidence = arguments.bootstrap.confidence;
  }
  progress.RethrowIfFailed();
  {
    py::gil_scoped_release release;
    const auto add = [&](PlanMode mode, double n, double c, double l) {
      rows.push_back(MakePlan(law, PlanRequest{mode, n, c, l, shared}));
    };
    if (!arguments.target_loss.empty()) {
      for (double target : arguments.target_loss) add(PlanMode::TARGET_LOSS, 0, 0, target);
    } else if (!arguments.params.empty()) {
      for (double n : arguments.params) {
        if (arguments.tokens > 0) {
          add(PlanMode::PARAMS_AND_COMPUTE, n, 6.0 * n * arguments.tokens, 0);
        } else if (!arguments.compute.empty()) {
          for (double c : arguments.compute) add(PlanMode::PARAMS_AND_COMPUTE, n, c, 0);
        } else {
          add(PlanMode::PARAMS, n, 0, 0);
        }
      }
    } else {
      const std::vector<double> budgets =
          arguments.compute.empty() ? std::vector<double>{kDefaultPlanComputeFlops} : arguments.compute;
      for (double c : budgets) {
        add(PlanMode::COMPUTE_OPTIMAL, 0, c, 0);
        if (shared.inference_tokens > 0.0) add(PlanMode::WITHIN_BUDGET, 0, c, 0);
      }
    }
  }
  std::vector<std::string> out;
  for (const Plan& row : rows) out.push_back(PlanToJson(row, law, shared).dump());
  return out;
}

}  // namespace

void BindPlans(py::module_& module) {
  module.def(
      "plan",
      [](const std::vector<double>& compute, const std::vector<double>& params, const std::vector<double>& target_loss,
         double tokens, const std::string& fit_text, const std::string& fit_source, const std::string& law,
         double unique_tokens, double inference_tokens, const std::string& accelerator, std::int64_t count,
         std::optional<double> mfu, double price_per_hour, double max_days, const std::string& recompute, bool shape,
         int bootstrap, std::uint64_t seed, std::optional<double> ci, const py::object& progress) {
        PlanArguments arguments;
        arguments.compute = compute;
        arguments.params = params;
        arguments.target_loss = target_loss;
        arguments.tokens = tokens;
        arguments.fit_text = fit_text;
        arguments.fit_source = fit_source;
        arguments.law_name = law;
        arguments.options.unique_tokens = unique_tokens;
        arguments.options.inference_tokens = inference_tokens;
        arguments.accelerator = accelerator;
        arguments.options.training.num_accelerators = count;
        arguments.options.mfu_given = mfu.has_value();
        if (mfu) arguments.options.training.mfu = *mfu;
        arguments.options.training.price_usd_per_hour = price_per_hour;
        arguments.options.training.max_days = max_days;
        arguments.options.propose_shapes = shape;
        arguments.recompute = recompute;
        arguments.bootstrap.num_resamples = bootstrap;
        arguments.bootstrap.seed = seed;
        arguments.ci_given = ci.has_value();
        if (ci) arguments.bootstrap.confidence = *ci;
        return MakePlans(arguments, progress);
      },
      py::arg("compute"), py::arg("params"), py::arg("target_loss"), py::arg("tokens"), py::arg("fit_text"),
      py::arg("fit_source"), py::arg("law"), py::arg("unique_tokens"), py::arg("inference_tokens"),
      py::arg("accelerator"), py::arg("count"), py::arg("mfu"), py::arg("price_per_hour"), py::arg("max_days"),
      py::arg("recompute"), py::arg("shape"), py::arg("bootstrap"), py::arg("seed"), py::arg("ci"),
      py::arg("progress"));

  const TrainingPlanOptions training;
  const BootstrapOptions bootstrap;
  py::dict defaults;
  defaults["compute"] = kDefaultPlanComputeFlops;
  defaults["count"] = training.num_accelerators;
  defaults["mfu"] = training.mfu;
  defaults["price_per_hour"] = training.price_usd_per_hour;
  defaults["max_days"] = training.max_days;
  defaults["seed"] = bootstrap.seed;
  module.attr("PLAN_DEFAULTS") = defaults;
}

}  // namespace scaleplan::python
