// Plans for the Python module: core/plan.h's MakePlan and PlanToJson, the pipeline `scaleplan plan` calls, with the
// law resolved as the command resolves it (fitting/plan_law.h) and the cluster stage's options resolved by the same
// core functions (ResolvePlanModel, ParsePlanPrecision, ResolveAccelerator, ResolveHyperparamsLaw). Each plan is the
// JSON row `plan --format json` prints for the same options.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/architectures.h"
#include "core/error.h"
#include "core/parallel_layout.h"
#include "core/plan.h"
#include "core/sparse_laws.h"
#include "core/sparse_plans.h"
#include "core/training_plan.h"
#include "core/units.h"
#include "fitting/bootstrap.h"
#include "fitting/fit_json.h"
#include "fitting/hyperparams_fit.h"
#include "fitting/plan_law.h"
#include "fitting/sparse_fit.h"
#include "fitting/sparse_plan_law.h"
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
  // The cluster stage.
  std::string arch;                            // --arch
  std::string ffn_kind;                        // --ffn-kind ("" = the architecture's, or glu from scratch)
  std::string precision;                       // --precision ("" = TrainingPlanOptions' compute_type)
  std::string layout;                          // --layout
  std::string hardware;                        // --hardware (a catalogue file)
  std::string profile;                         // --profile
  std::string hyperparams;                     // --hyperparams ("" = PlanOptions' default law)
  AcceleratorOverrides accelerator_overrides;  // --peak-flops, --memory-bytes, ... (0 = the entry's)
};

// The text of a Python value in a message, as the command line quotes what was typed.
std::string ValueText(const py::handle& value) { return py::str(value).cast<std::string>(); }

// A keyword argument the command line binds with Range::NON_NEGATIVE, checked with the command line's message.
double NonNegative(const py::handle& value, const std::string& option) {
  return CheckedKeyword(value.cast<double>(), Range::NON_NEGATIVE, option);
}

// The numbers of plan() checked as the command line checks its options before anything is planned: every budget,
// size, target loss and token count positive and finite (0 = not given, for the single quantities), the MFU in
// (0, 1], the price and days 0 or positive, the interval level in (0, 1).
void CheckPlanNumbers(const PlanArguments& arguments) {
  for (double c : arguments.compute) CheckedKeyword(c, Range::POSITIVE, "--compute");
  for (double n : arguments.params) CheckedKeyword(n, Range::POSITIVE, "--params");
  for (double loss : arguments.target_loss) CheckedKeyword(loss, Range::POSITIVE, "--target-loss");
  if (arguments.tokens != 0) CheckedKeyword(arguments.tokens, Range::POSITIVE, "--tokens");
  const PlanOptions& plan = arguments.options;
  if (plan.unique_tokens != 0) CheckedKeyword(plan.unique_tokens, Range::POSITIVE, "--unique-tokens");
  if (plan.inference_tokens != 0) CheckedKeyword(plan.inference_tokens, Range::POSITIVE, "--inference-tokens");
  if (plan.mfu_given) CheckedKeyword(plan.training.mfu, Range::FRACTION, "--mfu");
  CheckedKeyword(plan.training.price_usd_per_hour, Range::NON_NEGATIVE, "--price-per-hour");
  CheckedKeyword(plan.training.max_days, Range::NON_NEGATIVE, "--max-days");
  if (arguments.ci_given) CheckedKeyword(arguments.bootstrap.confidence, Range::OPEN_FRACTION, "--ci");
}

// A whole-number keyword argument in [min_value, max_value], checked with the command line's messages
// (core/option_range.h CheckCountOption), the value quoted as Python writes it.
std::int64_t Count(const py::handle& value, const std::string& option, std::int64_t min_value, std::int64_t max_value) {
  return CheckCountOption(value.cast<double>(), min_value, max_value, option, ValueText(value));
}

// Reads the cluster stage's keyword arguments (the command line's option names, dashes as underscores; None or
// absent = not given) into *arguments, in the order cli/plan_command.cc resolves them, with its messages.
void ReadClusterArguments(const py::dict& cluster, PlanArguments* arguments) {
  PlanOptions& plan = arguments->options;
  py::dict rest;
  for (const auto& [key, value] : cluster) {
    if (!value.is_none()) rest[key] = value;
  }
  const auto take = [&rest](const std::string& name) -> std::optional<py::object> {
    if (!rest.contains(name)) return std::nullopt;
    py::object value = rest[py::str(name)];
    PyDict_DelItemString(rest.ptr(), name.c_str());
    return value;
  };
  const auto text = [&take](const std::string& name) {
    const std::optional<py::object> value = take(name);
    return value ? value->cast<std::string>() : std::string();
  };
  for (const ShapeOption& option : ShapeOptions()) {
    std::string name = option.name;
    for (char& c : name) c = c == '-' ? '_' : c;
    if (const std::optional<py::object> value = take(name)) {
      plan.shape_overrides.*option.field =
          Count(*value, std::string("--") + option.name, option.min_value, kMaxShapeOptionValue);
    }
  }
  arguments->arch = text("arch");
  arguments->ffn_kind = text("ffn_kind");
  arguments->precision = text("precision");
  arguments->layout = text("layout");
  arguments->hardware = text("hardware");
  arguments->profile = text("profile");
  arguments->hyperparams = text("hyperparams");
  AcceleratorOverrides& overrides = arguments->accelerator_overrides;
  if (const auto value = take("peak_flops")) overrides.peak_flops_per_second = NonNegative(*value, "--peak-flops");
  if (const auto value = take("memory_bytes")) overrides.memory_bytes = NonNegative(*value, "--memory-bytes");
  if (const auto value = take("intra_node_bandwidth")) {
    overrides.intra_node_bytes_per_second = NonNegative(*value, "--intra-node-bandwidth");
  }
  if (const auto value = take("inter_node_bandwidth")) {
    overrides.inter_node_bytes_per_second = NonNegative(*value, "--inter-node-bandwidth");
  }
  if (const auto value = take("devices_per_node")) {
    overrides.devices_per_node = Count(*value, "--devices-per-node", 0, std::int64_t{1} << 40);
  }
  if (const auto value = take("inference_mfu")) {
    plan.inference.inference_mfu = NonNegative(*value, "--inference-mfu");
  }
  if (const auto value = take("inference_price_per_hour")) {
    plan.inference.inference_price_usd_per_hour = NonNegative(*value, "--inference-price-per-hour");
  }
  if (const auto value = take("global_batch_tokens")) {
    plan.global_batch_tokens = CheckedKeyword(value->cast<double>(), Range::POSITIVE, "--global-batch-tokens");
  }
  if (!rest.empty()) {
    std::string names;
    for (const auto& [key, value] : rest) {
      if (!names.empty()) names += ", ";
      names += key.cast<std::string>();
    }
    throw UsageError("plan: unknown option(s) " + names);
  }
}

// As cli/plan_command.cc's ResolveClusterOptions: the model, the precision, the fixed layout and the overrides.
void ResolveClusterArguments(PlanArguments* arguments) {
  PlanOptions& plan = arguments->options;
  if (!arguments->ffn_kind.empty()) plan.shape_overrides.glu = ParseFfnKind(arguments->ffn_kind);
  plan.arch_shape = ResolvePlanModel(arguments->arch, plan.shape_overrides);
  if (!arguments->precision.empty()) plan.training.compute_type = ParsePlanPrecision(arguments->precision);
  if (!arguments->layout.empty()) {
    try {
      plan.fixed_layout = ParsePartialLayout(arguments->layout, {"--layout"});
    } catch (const InputError& error) {
      throw UsageError(error.what());
    }
  }
  std::string why;
  if (!arguments->accelerator_overrides.Check(&why)) throw UsageError(why);
}

// As cli/plan_command.cc: the law, then one request per budget, size or target loss.
std::vector<std::string> MakePlans(PlanArguments arguments, const py::object& callback) {
  PlanOptions& shared = arguments.options;
  CheckPlanNumbers(arguments);
  ResolveClusterArguments(&arguments);
  if (!arguments.target_loss.empty() && (!arguments.compute.empty() || !arguments.params.empty())) {
    throw UsageError("target_loss cannot be combined with compute or params");
  }
  if (arguments.tokens > 0 && arguments.params.empty() && !shared.arch_shape) {
    throw UsageError("tokens needs params or arch (a model whose size is fixed)");
  }
  std::string why;
  if (!shared.training.Check(&why)) throw UsageError(why);
  if (!arguments.recompute.empty()) {  // "" keeps PlanOptions' default
    shared.recompute = ParseRecomputeChoice(arguments.recompute);  // core/plan.h, as the command line
  }
  if (!arguments.hyperparams.empty()) {
    py::gil_scoped_release release;
    shared.hyperparams = ResolveHyperparamsLaw(arguments.hyperparams);
  }
  shared.arch_name = arguments.arch;
  shared.profile_given = !arguments.profile.empty();
  const TrainingPlanOptions training_defaults;
  const bool device_given = !arguments.accelerator.empty() || !arguments.profile.empty() || !arguments.hardware.empty();
  if (!device_given && (shared.training.num_accelerators != training_defaults.num_accelerators ||
                        shared.training.max_days > 0.0 || shared.training.price_usd_per_hour > 0.0)) {
    throw UsageError("count, max_days and price_per_hour need an accelerator (or profile or hardware)");
  }
  if (device_given) {
    shared.accelerator =
        ApplyAcceleratorOverrides(ResolveAccelerator(arguments.accelerator, arguments.profile, arguments.hardware),
                                  arguments.accelerator_overrides, {"--accelerator"});
  } else if (arguments.accelerator_overrides.Any() || !arguments.layout.empty()) {
    throw UsageError("the hardware overrides and layout need an accelerator (or hardware)");
  }
  RequireShapeOptionsUsed(shared);
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
  // The model sizes: the architecture's (which sets N), else params.
  if (shared.arch_shape && !arguments.params.empty() && arguments.target_loss.empty()) {
    throw UsageError("params: the architecture (arch or the shape options) already sets N");
  }
  if (arguments.tokens > 0 && !arguments.compute.empty()) throw UsageError("tokens cannot be combined with compute");
  const std::vector<double> sizes =
      !arguments.target_loss.empty() ? std::vector<double>{}
      : shared.arch_shape ? std::vector<double>{static_cast<double>(CountParameters(*shared.arch_shape).total)}
                          : arguments.params;
  {
    py::gil_scoped_release release;
    const auto add = [&](PlanMode mode, double n, double c, double l) {
      rows.push_back(MakePlan(law, PlanRequest{mode, n, c, l, shared}));
    };
    if (!arguments.target_loss.empty()) {
      for (double target : arguments.target_loss) add(PlanMode::TARGET_LOSS, 0, 0, target);
    } else if (!sizes.empty()) {
      for (double n : sizes) {
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
  // A profile of another device (a CPU's, for an H100 plan) is not applied: every row says so.
  const std::string mismatch = PlanProfileMismatch(arguments.accelerator, arguments.profile);
  if (!mismatch.empty()) {
    for (Plan& row : rows) row.warnings.push_back(mismatch);
  }
  std::vector<std::string> out;
  for (const Plan& row : rows) out.push_back(PlanToJson(row, law, shared).dump());
  return out;
}

// A number keyword that must lie in [lo, hi], worded as the command line's option `option` words it.
double KeywordInRange(double value, double lo, double hi, const std::string& option) {
  if (!(value >= lo && value <= hi)) {
    InputLocation where{option};
    where.text = py::repr(py::float_(value)).cast<std::string>();
    throw UsageError(
        FormatInputError("must lie in [" + FormatSignificant(lo, 6) + ", " + FormatSignificant(hi, 6) + "]", where));
  }
  return value;
}

// A saved fit of `law` for `function`: UsageError for a fit of another law (a file that is not a saved fit is left to
// the law's reader, which raises InputError naming it).
void CheckSavedFitLaw(const std::string& path, const std::string& law, const std::string& function) {
  const std::string found = SavedFitLawName(path);
  if (!found.empty() && found != law) {
    throw UsageError(function + ": fit takes a " + law + " fit ('scaleplan fit --law " + law +
                     " --out FIT.json'), not " + path + ", a " + found + " fit");
  }
}

// scaleplan.plan_moe: `plan --law krajewski2024 | --fit MOE.json --compute C [--granularity G] [--expansion-rate E]
// --format json` (cli/sparse_plan.cc) without an accelerator.
std::string PlanMoeJson(double compute_flops, const std::string& fit_path, std::optional<double> granularity,
                        double expansion_rate) {
  CheckedKeyword(compute_flops, Range::POSITIVE, "--compute");
  MoePlanOptions options;
  options.expansion_rate = expansion_rate;
  RequireMoePlanOptions(options);
  if (granularity) KeywordInRange(*granularity, 1.0, options.max_granularity, "--granularity");
  if (!fit_path.empty()) CheckSavedFitLaw(fit_path, "moe", "plan_moe");
  // The law and the ranges its plans are checked against, as `plan` resolves them (fitting/sparse_plan_law.h).
  const MoePlanLaw law = ResolveMoePlanLaw(fit_path, false);
  MoePlan plan;
  {
    py::gil_scoped_release release;
    plan = granularity ? PlanFineGrainedMoeAtGranularity(law.law, compute_flops, *granularity, options)
                       : PlanFineGrainedMoe(law.law, compute_flops, options);
  }
  RequireUsableMoePlan(plan, law.label, compute_flops);
  return MoePlanToJson(plan, law.label, compute_flops, options, law.ranges).dump(2);
}

// scaleplan.plan_routed: `plan --law clark2022 | --fit ROUTING.json --params N[,N] --experts E[,E] [--router R[,R]]
// --format json` (cli/sparse_plan.cc).
std::string PlanRoutedJson(const std::vector<double>& params, const std::vector<double>& experts,
                           const std::string& fit_path, const std::vector<std::string>& routers) {
  if (params.empty()) throw UsageError("plan_routed needs at least one dense (per-token) parameter count N");
  if (experts.empty()) throw UsageError("plan_routed needs at least one expert count E");
  for (const double n : params) CheckedKeyword(n, Range::POSITIVE, "--params");
  RequireExpertCounts(experts);
  if (!fit_path.empty()) CheckSavedFitLaw(fit_path, "routing", "plan_routed");
  const RoutingPlanLaws laws = ResolveRoutingPlanLaws(fit_path, fit_path.empty() ? "clark2022" : "", routers);
  return RoutingPlansToJson(laws.laws, laws.label, params, experts, laws.ranges).dump(2);
}

// A number keyword that must lie in [lo, hi), worded as the command line's option `option` words it.
double KeywordInHalfOpenRange(double value, double lo, double hi, const std::string& option) {
  if (!(value >= lo && value < hi)) {
    InputLocation where{option};
    where.text = py::repr(py::float_(value)).cast<std::string>();
    throw UsageError(
        FormatInputError("must lie in [" + FormatSignificant(lo, 6) + ", " + FormatSignificant(hi, 6) + ")", where));
  }
  return value;
}

// scaleplan.plan_sparse: `plan [--fit SPARSE.json] --compute C (--sparsity S | --optimal-sparsity) [--sparse-method
// M] ... --format json` (cli/sparse_plan.cc) without an accelerator, its checks in the command's order and words.
std::string PlanSparseJson(double compute_flops, const std::string& fit_path, std::optional<double> sparsity,
                           bool optimal_sparsity, double max_sparsity, const std::string& method_name,
                           const SparseTrainingOptions& training) {
  CheckedKeyword(compute_flops, Range::POSITIVE, "--compute");
  if (!fit_path.empty()) CheckSavedFitLaw(fit_path, "sparse", "plan_sparse");
  if (sparsity.has_value() == optimal_sparsity) {
    throw UsageError((fit_path.empty() ? std::string() : fit_path + ": a sparse fit plans at a sparsity: ") +
                     "give one of --sparsity S and --optimal-sparsity");
  }
  SparseMethod method = SparseMethod::STATIC;
  try {
    method = ParseSparseMethod(method_name, "--sparse-method");
  } catch (const InputError& error) {
    throw UsageError(error.what());
  }
  if (method == SparseMethod::DENSE) throw UsageError("--sparse-method dense: plan a dense model with plain 'plan'");
  CheckedKeyword(training.speedup, Range::POSITIVE, "--sparse-speedup");
  std::string why;
  if (!training.Check(&why)) throw UsageError(why);
  KeywordInHalfOpenRange(max_sparsity, 0.0, 1.0, "--max-sparsity");
  // The law and the ranges its plans are checked against, as `plan` resolves them (fitting/sparse_plan_law.h).
  const SparsePlanLaw law = ResolveSparsePlanLaw(fit_path);
  if (sparsity) KeywordInHalfOpenRange(*sparsity, 0.0, 1.0, "--sparsity");
  SparsePlan plan, dense;
  {
    py::gil_scoped_release release;
    plan = optimal_sparsity ? PlanOptimalSparsity(law.law, compute_flops, method, training, max_sparsity)
                            : PlanSparseAtSparsity(law.law, compute_flops, *sparsity, method, training);
    dense = PlanSparseAtSparsity(law.law, compute_flops, 0.0, SparseMethod::DENSE, training);
  }
  return SparsePlanToJson(plan, dense, law.label, compute_flops, optimal_sparsity, training.speedup, law.ranges)
      .dump(2);
}

}  // namespace

void BindPlans(py::module_& module) {
  module.def("plan_moe", &PlanMoeJson, py::arg("compute"), py::arg("fit"), py::arg("granularity"),
             py::arg("expansion_rate"));
  module.def("plan_routed", &PlanRoutedJson, py::arg("params"), py::arg("experts"), py::arg("fit"), py::arg("routers"));
  module.def(
      "plan_sparse",
      [](double compute, const std::string& fit, std::optional<double> sparsity, bool optimal_sparsity,
         double max_sparsity, const std::string& sparse_method, double update_interval, double update_end,
         double prune_begin, double prune_end, double sparse_speedup) {
        SparseTrainingOptions training;
        training.update_interval_steps = update_interval;
        training.update_end_fraction = update_end;
        training.prune_begin_fraction = prune_begin;
        training.prune_end_fraction = prune_end;
        training.speedup = sparse_speedup;
        return PlanSparseJson(compute, fit, sparsity, optimal_sparsity, max_sparsity, sparse_method, training);
      },
      py::arg("compute"), py::arg("fit"), py::arg("sparsity"), py::arg("optimal_sparsity"), py::arg("max_sparsity"),
      py::arg("sparse_method"), py::arg("update_interval"), py::arg("update_end"), py::arg("prune_begin"),
      py::arg("prune_end"), py::arg("sparse_speedup"));
  const MoePlanOptions moe_defaults;
  const SparseTrainingOptions training_defaults;
  py::dict sparse_defaults;
  sparse_defaults["expansion_rate"] = moe_defaults.expansion_rate;
  sparse_defaults["max_granularity"] = moe_defaults.max_granularity;
  sparse_defaults["max_sparsity"] = kDefaultMaxSparsity;
  sparse_defaults["sparse_method"] = SparseMethodName(SparseMethod::STATIC);
  sparse_defaults["update_interval"] = training_defaults.update_interval_steps;
  sparse_defaults["update_end"] = training_defaults.update_end_fraction;
  sparse_defaults["prune_begin"] = training_defaults.prune_begin_fraction;
  sparse_defaults["prune_end"] = training_defaults.prune_end_fraction;
  sparse_defaults["sparse_speedup"] = training_defaults.speedup;
  module.attr("SPARSE_PLAN_DEFAULTS") = sparse_defaults;
  module.def(
      "plan",
      [](const std::vector<double>& compute, const std::vector<double>& params, const std::vector<double>& target_loss,
         double tokens, const std::string& fit_text, const std::string& fit_source, const std::string& law,
         double unique_tokens, double inference_tokens, const std::string& accelerator, const py::object& count,
         std::optional<double> mfu, double price_per_hour, double max_days, const std::string& recompute, bool shape,
         int bootstrap, std::uint64_t seed, std::optional<double> ci, const py::dict& cluster,
         const py::object& progress) {
        PlanArguments arguments;
        ReadClusterArguments(cluster, &arguments);
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
        arguments.options.training.num_accelerators =
            Count(count, "--count", 0, std::numeric_limits<std::int64_t>::max());
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
      py::arg("recompute"), py::arg("shape"), py::arg("bootstrap"), py::arg("seed"), py::arg("ci"), py::arg("cluster"),
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
  defaults["precision"] = NumericTypeName(training.compute_type);
  const InferenceCostOptions inference;
  defaults["inference_mfu"] = inference.inference_mfu;
  defaults["inference_price_per_hour"] = inference.inference_price_usd_per_hour;
  module.attr("PLAN_DEFAULTS") = defaults;
  py::list shape_options;
  for (const ShapeOption& option : ShapeOptions()) shape_options.append(option.name);
  module.attr("SHAPE_OPTIONS") = shape_options;
}

}  // namespace scaleplan::python
