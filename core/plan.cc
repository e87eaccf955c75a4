#include "core/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/bundled_data.h"
#include "core/error.h"
#include "core/extrapolation.h"
#include "core/file.h"
#include "core/hardware_profile.h"
#include "core/option_range.h"
#include "core/units.h"

namespace scaleplan {
namespace {

constexpr double kSecondsPerDay = 86400.0;

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format, value);
  return text;
}

// The Chinchilla allocation seen as a data-constrained one with unlimited data.
DataConstrainedAllocation WrapChinchilla(const Allocation& allocation) {
  DataConstrainedAllocation out;
  out.allocation = allocation;
  out.chinchilla = allocation;
  out.effective_tokens = allocation.num_tokens;
  out.effective_params = allocation.num_params;
  return out;
}

// The plan before inference, for each mode.
DataConstrainedAllocation BaseAllocation(const PlanLaw& law, const PlanRequest& request) {
  const ChinchillaLaw& chinchilla = law.saved.law;
  const DataConstrainedLaw& constrained = law.data_constrained;
  const double unique_tokens = request.options.unique_tokens;
  if (!law.saved.HasChinchillaForm()) {
    // Kaplan, IsoFLOP and expression fits: the compute-optimal frontier (a budget, a size, a target loss); a size on
    // a budget needs L(N, D), which Approach 2 does not have; repeated data and inference need Chinchilla's form.
    const std::string refused = "this " + law.saved.law_name +
                                " fit plans along its compute-optimal frontier only "
                                "(--compute, --params, --target-loss)";
    if (unique_tokens > 0.0 || request.options.inference_tokens > 0.0) {
      throw UsageError(refused +
                       "; a unique-token limit or an inference demand needs a law of Chinchilla's form (a "
                       "chinchilla or data-constrained fit, or --law)");
    }
    switch (request.mode) {
      case PlanMode::PARAMS:
        return WrapChinchilla(law.saved.ComputeOptimalForParams(request.num_params));
      case PlanMode::PARAMS_AND_COMPUTE: {
        if (law.saved.law_name == "isoflop") {
          throw UsageError(refused + "; a model size on a budget needs a loss L(N, D), which an IsoFLOP fit has not");
        }
        Allocation fixed;
        fixed.num_params = request.num_params;
        fixed.compute_flops = request.compute_flops;
        fixed.num_tokens = request.compute_flops / (6.0 * request.num_params);
        fixed.tokens_per_param = fixed.num_tokens / fixed.num_params;
        fixed.loss_nats = law.saved.law_name == "kaplan"
                              ? law.saved.kaplan.Loss(fixed.num_params, fixed.num_tokens)
                              : law.saved.expression.Loss(fixed.num_params, fixed.num_tokens);
        return WrapChinchilla(fixed);
      }
      case PlanMode::TARGET_LOSS: {
        if (law.saved.law_name == "expression") {
          const ExpressionSearch search = ExpressionLeastComputeForLoss(law.saved.expression, request.loss_target);
          if (!search.allocation) {
            throw UsageError("target loss " + FormatSignificant(request.loss_target, 6) +
                             " is not reachable under this expression fit: " + search.why);
          }
          return WrapChinchilla(*search.allocation);
        }
        const std::optional<Allocation> reached = law.saved.LeastComputeForLoss(request.loss_target);
        if (!reached) {
          throw UsageError("target loss " + FormatSignificant(request.loss_target, 6) +
                           " is not reachable under this " + law.saved.law_name + " fit" +
                           (law.saved.law_name == "isoflop" && law.saved.isoflop.has_frontier
                                ? " (its loss frontier never goes below E = " +
                                      FormatSignificant(law.saved.isoflop.frontier.E, 4) + ")"
                                : std::string()));
        }
        return WrapChinchilla(*reached);
      }
      default:
        return WrapChinchilla(law.saved.ComputeOptimal(request.compute_flops));
    }
  }
  switch (request.mode) {
    case PlanMode::COMPUTE_OPTIMAL:
    case PlanMode::WITHIN_BUDGET:
      return PlanDataConstrained(constrained, request.compute_flops, unique_tokens);
    case PlanMode::PARAMS:
    case PlanMode::PARAMS_AND_COMPUTE: {
      const Allocation plain = request.mode == PlanMode::PARAMS
                                   ? chinchilla.ComputeOptimalForParams(request.num_params)
                                   : chinchilla.ForParamsAndCompute(request.num_params, request.compute_flops);
      if (!(unique_tokens > 0.0)) return WrapChinchilla(plain);
      DataConstrainedAllocation out =
          EvaluateDataConstrained(constrained, request.num_params, plain.num_tokens, unique_tokens);
      out.allocation.compute_flops = plain.compute_flops;
      return out;
    }
    case PlanMode::TARGET_LOSS:
      break;
  }
  const double loss_target = request.loss_target;
  if (!(unique_tokens > 0.0)) {
    const std::optional<Allocation> plain = chinchilla.LeastComputeForLoss(loss_target);
    if (!plain) {
      char text[200];
      std::snprintf(text, sizeof text, "target loss %g is not above the irreducible loss E = %.4g of this law",
                    loss_target, chinchilla.E);
      throw UsageError(text);
    }
    return WrapChinchilla(*plain);
  }
  const std::optional<DataConstrainedAllocation> limited =
      LeastComputeForLossDataConstrained(constrained, loss_target, unique_tokens);
  if (!limited) {
    char text[240];
    std::snprintf(text, sizeof text,
                  "target loss %g is not reachable with %s unique tokens: the data-constrained law never goes below "
                  "%.4f there",
                  loss_target, FormatQuantity(unique_tokens).c_str(),
                  DataConstrainedLossFloor(constrained, unique_tokens));
    throw UsageError(text);
  }
  return *limited;
}

// The inference costing of a request: its options with the device's peak and price when there is a device.
InferenceCostOptions InferenceOptions(const PlanOptions& options) {
  InferenceCostOptions out = options.inference;
  out.inference_tokens = options.inference_tokens;
  out.training_mfu = options.training.mfu;
  if (options.accelerator) {
    out.peak_flops_per_second = options.accelerator->DenseFlopsPerSecond(options.training.compute_type);
    out.training_price_usd_per_hour = options.training.price_usd_per_hour > 0.0
                                          ? options.training.price_usd_per_hour
                                          : options.accelerator->price_usd_per_hour;
  }
  std::string why;
  if (!out.Check(&why)) throw UsageError(why);
  return out;
}

// The allocation stage: the data-constrained base plan, then the inference-aware one with inference tokens.
void AllocationStage(const PlanLaw& law, const PlanRequest& request, Plan* plan) {
  const PlanOptions& options = request.options;
  if (request.mode == PlanMode::WITHIN_BUDGET && !(options.inference_tokens > 0.0)) {
    throw UsageError("a plan within the training budget needs inference tokens");
  }
  const DataConstrainedAllocation base = BaseAllocation(law, request);
  plan->allocation = base.allocation;
  if (options.unique_tokens > 0.0) plan->data = base;
  if (!(options.inference_tokens > 0.0)) return;
  const InferenceCostOptions inference = InferenceOptions(options);
  switch (request.mode) {
    case PlanMode::COMPUTE_OPTIMAL:
      plan->inference =
          PlanInferenceAwareForCompute(law.data_constrained, options.unique_tokens, request.compute_flops, inference);
      break;
    case PlanMode::WITHIN_BUDGET:
      plan->inference = PlanInferenceAwareWithinBudget(law.data_constrained, options.unique_tokens,
                                                       request.compute_flops, inference);
      break;
    default: {
      const std::optional<InferenceAwarePlan> aware =
          PlanInferenceAware(law.data_constrained, options.unique_tokens, base.allocation.loss_nats, inference);
      SCALEPLAN_CHECK(aware.has_value(), "the loss of a plan must be reachable");
      plan->inference = *aware;
    }
  }
  plan->allocation = plan->inference->allocation;
}

void AddWarnings(const PlanLaw& law, Plan* plan) {
  const double compute = plan->allocation.compute_flops;
  FitRanges ranges = law.saved.Ranges();
  if (ranges.num_params_max == 0.0) ranges.num_params_max = law.params_max;
  if (const auto warning = ExtrapolationWarning(ranges, plan->allocation)) plan->warnings.push_back(*warning);
  const double epochs = plan->data ? plan->allocation.num_tokens / plan->data->unique_tokens : 0.0;
  if (epochs > 1.0 + law.data_constrained.R_D_star) {
    plan->warnings.push_back("repeats the data " + Format("%.3g", epochs) +
                             " times: beyond about R_D* = " + Format("%.3g", law.data_constrained.R_D_star) +
                             " repetitions more epochs add almost nothing (Muennighoff et al. 2023)");
  }
  // Where the returns end: past this budget the loss is within kSaturationToleranceNats of the floor that no compute
  // goes below with these unique tokens.
  const double saturation =
      plan->data ? DataConstrainedSaturationFlops(law.data_constrained, plan->data->unique_tokens) : 0.0;
  if (saturation > 0.0 && compute >= saturation) {
    plan->warnings.push_back(
        "extra compute buys almost nothing here: with " + FormatQuantity(plan->data->unique_tokens) +
        " unique tokens the loss comes within " + FormatSignificant(kSaturationToleranceNats, 2) + " of its floor, " +
        Format("%.4f", DataConstrainedLossFloor(law.data_constrained, plan->data->unique_tokens)) + ", from " +
        Format("%.3g", saturation) + " FLOPs on: more unique data, not compute, lowers it");
  }
  // Without a unique-token limit, a plan may ask for more text than exists: say so past the largest open corpora.
  if (!plan->data && plan->allocation.num_tokens > kLargestOpenCorpusTokens) {
    plan->warnings.push_back("trains on " + FormatQuantity(plan->allocation.num_tokens) +
                             " tokens, more than the largest open text corpora hold (about " +
                             FormatQuantity(kLargestOpenCorpusTokens) +
                             ", FineWeb, Penedo et al. 2024): plan the repetition with --unique-tokens");
  }
}

// The model the layout search plans: the given architecture, else a practical shape for N with the overrides.
TransformerShape FrontierShape(const PlanOptions& options, double num_params) {
  if (options.arch_shape) return *options.arch_shape;
  const std::optional<TransformerShape> proposed = ProposeFrontierShape(num_params);
  if (!proposed) {
    throw UsageError("no practical transformer shape for " + FormatQuantity(num_params) +
                     " parameters: give --arch or the shape options (--layers, --d-model, --heads, --ffn)");
  }
  if (options.shape_overrides.Any()) return ApplyShapeOverrides(*proposed, options.shape_overrides, {"shape options"});
  return *proposed;
}

FrontierPlan FrontierStage(const PlanOptions& options, const Allocation& allocation, const TransformerShape& shape,
                           double global_batch_tokens) {
  const Accelerator& accelerator = *options.accelerator;
  FrontierRequest request;
  request.shape = shape;
  request.num_tokens = allocation.num_tokens;
  request.global_batch_tokens = global_batch_tokens;
  request.precision = options.training.compute_type;
  request.num_devices = options.training.num_accelerators;
  request.max_days = options.training.max_days;
  request.price_usd_per_hour = options.training.price_usd_per_hour;
  request.usable_memory_fraction = options.training.usable_memory_fraction;
  request.fixed = options.fixed_layout;
  request.interconnect_source = accelerator.interconnect_is_bus_bandwidth ? "profile"
                                : !options.profile_given                  ? "catalogue"
                                                                          : "catalogue (not the profile's)";
  std::string why;
  if (!request.Check(&why)) throw UsageError(why);
  const std::string problem = FixedLayoutProblem(request.fixed, request.shape, accelerator, request.num_devices);
  if (!problem.empty()) throw UsageError("--layout: " + problem);
  return PlanFrontier(request, accelerator);
}

// Timed at a given MFU, with the count that finishes in kReferenceDays and a warning for a run over kLongRunDays.
// A count above the busy bound of the step (core/training_plan.h MaxBusyDevices) keeps devices idle whatever the
// layout: a chosen count is capped there (WithinBusyBound; the days follow from the capped count, and a max_days that
// needs more is not met), and a count above it, chosen or given, makes the plan infeasible with the reason. Up to the
// bound a given MFU stands for whatever layout reaches it (Llama 3 405B trained on 16,384 H100s with 2,048 sequences
// per step at about 40%).
MfuHardware MfuStage(const PlanOptions& options, const Allocation& allocation, double global_batch_tokens,
                     std::vector<std::string>* warnings) {
  const Accelerator& accelerator = *options.accelerator;
  MfuHardware hardware;
  static_cast<TrainingHardware&>(hardware) = PlanTrainingHardware(
      allocation.num_params, allocation.compute_flops, accelerator, options.training, options.recompute);
  const BusyDeviceBound bound = MaxBusyDevices(
      global_batch_tokens, hardware.memory.has_shape ? hardware.memory.shape.context_length : 0,
      accelerator.devices_per_node);
  if (bound.Exceeded(hardware.time.num_accelerators)) {
    const std::string limit = std::to_string(static_cast<std::int64_t>(bound.limit));
    const std::int64_t wanted = hardware.time.num_accelerators;
    const std::int64_t needed_for_days = hardware.time.min_devices_for_days;
    if (options.training.num_accelerators == 0) {
      static_cast<TrainingHardware&>(hardware) =
          PlanTrainingHardware(allocation.num_params, allocation.compute_flops, accelerator,
                               WithinBusyBound(options.training, hardware.time, bound), options.recompute);
      hardware.time.min_devices_for_days = needed_for_days;
    }
    hardware.time.feasible = false;
    hardware.verdict.feasible = false;
    hardware.verdict.reasons.push_back(
        std::to_string(wanted) + " devices " +
        (options.training.num_accelerators == 0 ? std::string("would be needed") : std::string("are given")) +
        ", but the global batch of " + std::to_string(bound.sequences) + " sequences (" +
        FormatQuantity(global_batch_tokens) + " tokens of " + std::to_string(bound.context_length) +
        ") keeps at most " + limit + " devices busy: each sequence splits over at most " +
        std::to_string(bound.tensor_ways) + " (tensor parallelism within a node) x " +
        std::to_string(bound.context_ways) +
        " (context parallelism) devices, and pipeline stages need a micro-batch each" +
        (options.training.num_accelerators == 0 ? "; timed on " + limit : std::string()) +
        " (a larger --global-batch-tokens, or fewer devices)");
  }
  const double per_device = hardware.peak_flops_per_second * options.training.mfu;
  if (per_device > 0.0) {
    hardware.devices_for_reference_days = static_cast<std::int64_t>(std::min(
        9e18, std::max(1.0, std::ceil(allocation.compute_flops / (per_device * kReferenceDays * kSecondsPerDay)))));
  }
  if (hardware.time.feasible && !(options.training.max_days > 0.0) && hardware.time.days > kLongRunDays) {
    warnings->push_back("takes " + Format("%.0f", hardware.time.days) + " days on " +
                        std::to_string(hardware.time.num_accelerators) + " devices, more than " +
                        Format("%.0f", kLongRunDays) + " (feasible only because no --max-days was given; " +
                        std::to_string(hardware.devices_for_reference_days) + " devices finish in " +
                        Format("%.0f", kReferenceDays) + " days)");
  }
  return hardware;
}

}  // namespace

const char* PlanModeName(PlanMode mode) {
  switch (mode) {
    case PlanMode::COMPUTE_OPTIMAL: return "compute-optimal";
    case PlanMode::WITHIN_BUDGET: return "within-budget";
    case PlanMode::PARAMS: return "params";
    case PlanMode::PARAMS_AND_COMPUTE: return "params-and-compute";
    case PlanMode::TARGET_LOSS: return "target-loss";
  }
  return "?";
}

RecomputeChoice ParseRecomputeChoice(const std::string& text) {
  const std::optional<RecomputeChoice> choice = TryParseRecomputeChoice(text);
  if (!choice) throw UsageError("--recompute must be auto, none, selective or full, not '" + text + "'");
  return *choice;
}

std::optional<AllocationIntervals> BootstrapAllocationIntervals(
    const PlanLaw& law, const std::function<Allocation(const PlanLaw& resampled)>& allocate) {
  if (law.saved.bootstrap_laws.empty()) return std::nullopt;
  // One copy for all the resampled laws, without the list of them (no plan reads it): only the coefficients change.
  PlanLaw resampled = law;
  resampled.saved.bootstrap_laws.clear();
  return IntervalsOfAllocation(law.saved.bootstrap_laws, law.saved.confidence,
                               [&](const ChinchillaLaw& sample) -> std::optional<Allocation> {
                                 resampled.saved.law = sample;
                                 resampled.data_constrained.base = sample;
                                 try {
                                   return allocate(resampled);
                                 } catch (const UsageError&) {
                                   return std::nullopt;
                                 }
                               });
}

bool Plan::Failed() const {
  if (hardware && !hardware->time.feasible) return true;
  return frontier && !(frontier->feasible && frontier->meets_max_days.value_or(true));
}

Plan AllocatePlan(const PlanLaw& law, const PlanRequest& request) {
  // The quantities the mode asks about, refused as the command line refuses its options (a front end that checked
  // them already never gets here with a bad one).
  const auto check = [](double value, const char* option) {
    CheckOptionValue(value, Range::POSITIVE, option, FormatSignificant(value, 6));
  };
  if (request.mode != PlanMode::PARAMS && request.mode != PlanMode::TARGET_LOSS) {
    check(request.compute_flops, "--compute");
  }
  if (request.mode == PlanMode::PARAMS || request.mode == PlanMode::PARAMS_AND_COMPUTE) {
    check(request.num_params, "--params");
  }
  if (request.mode == PlanMode::TARGET_LOSS) check(request.loss_target, "--target-loss");
  Plan plan;
  plan.mode = PlanModeName(request.mode);
  AllocationStage(law, request, &plan);
  // A budget's plan under an inference demand keeps the budget's compute-optimal loss and trains a smaller model on
  // more than the budget: it is not the compute-optimal plan, and says so.
  if (request.mode == PlanMode::COMPUTE_OPTIMAL && plan.inference) plan.mode = "inference-aware";
  if (request.mode == PlanMode::COMPUTE_OPTIMAL || request.mode == PlanMode::WITHIN_BUDGET ||
      request.mode == PlanMode::PARAMS_AND_COMPUTE) {
    plan.budget_flops = request.compute_flops;
  }
  return plan;
}

Allocation ChinchillaComparison(const Plan& plan) {
  if (plan.inference) return plan.inference->chinchilla;
  if (plan.data) return plan.data->chinchilla;
  return plan.allocation;
}

Plan MakePlan(const PlanLaw& law, const PlanRequest& request) {
  const PlanOptions& options = request.options;
  Plan plan = AllocatePlan(law, request);
  RequireUsableAllocation(plan.allocation, law.saved.description);
  plan.intervals = BootstrapAllocationIntervals(
      law, [&](const PlanLaw& resampled) { return AllocatePlan(resampled, request).allocation; });
  AddWarnings(law, &plan);

  // One shape per plan, of which the memory, the hyper-parameters' notes and the hardware all speak: with a layout
  // search, the searched model; timed at an MFU on a device, the practical shape that fits it on the fewest devices
  // (as the hardware stage's own memory estimate chooses it); without a device, the practical shape for N.
  const bool layout_search = options.accelerator && !options.mfu_given && options.accelerator->HasInterconnect();
  const std::optional<TransformerShape> searched_shape =
      layout_search ? std::optional<TransformerShape>(FrontierShape(options, plan.allocation.num_params)) : std::nullopt;
  const Accelerator* memory_device = options.accelerator && !layout_search ? &*options.accelerator : nullptr;
  plan.memory = EstimateModelMemory(plan.allocation.num_params, memory_device, options.recompute,
                                    options.training.usable_memory_fraction,
                                    searched_shape ? &*searched_shape : nullptr);
  plan.hyperparams = PlanHyperparams(options.hyperparams, plan.allocation, plan.memory);
  if (options.accelerator) {
    if (layout_search) {
      // The layout search takes the plan's global batch: the one given, else the hyper-parameter law's.
      const double batch = options.global_batch_tokens > 0.0 ? options.global_batch_tokens
                                                             : plan.hyperparams->batch_tokens;
      plan.frontier = FrontierStage(options, plan.allocation, *searched_shape, batch);
    } else {
      if (!options.mfu_given) {
        plan.warnings.push_back(options.accelerator->name + " has no interconnect figures: timed at the default MFU " +
                                FormatSignificant(options.training.mfu, 3) + " instead of a layout search");
      }
      const double batch =
          options.global_batch_tokens > 0.0 ? options.global_batch_tokens : plan.hyperparams->batch_tokens;
      plan.hardware = MfuStage(options, plan.allocation, batch, &plan.warnings);
    }
  }
  if (options.propose_shapes && plan.allocation.num_params >= 1e6 && plan.allocation.num_params <= 1e15) {
    plan.shapes = ProposeFrontierShapes(plan.allocation.num_params);
  }
  return plan;
}

namespace {

nlohmann::ordered_json ShapeToJson(const ShapeProposal& proposal) {
  const TransformerShape& s = proposal.shape;
  return {{"num_layers", s.num_layers},   {"d_model", s.d_model},         {"num_heads", s.num_heads},
          {"num_kv_heads", s.KvHeads()},  {"head_dim", s.HeadDim()},      {"d_ff", s.d_ff},
          {"glu", s.glu},                 {"vocab_size", s.vocab_size},   {"context_length", s.context_length},
          {"num_params", proposal.num_params}, {"relative_error", proposal.relative_error}};
}

}  // namespace

nlohmann::ordered_json PlanToJson(const Plan& plan, const PlanLaw& law, const PlanOptions& options) {
  nlohmann::ordered_json out;
  out["mode"] = plan.mode;
  out["num_params"] = plan.allocation.num_params;
  out["num_tokens"] = plan.allocation.num_tokens;
  out["compute_flops"] = plan.allocation.compute_flops;
  out["tokens_per_param"] = plan.allocation.tokens_per_param;
  out["loss"] = plan.allocation.loss_nats;
  out["law"] = {{"source", law.saved.description}};
  const nlohmann::ordered_json coefficients = SavedLawCoefficients(law.saved);
  for (auto it = coefficients.begin(); it != coefficients.end(); ++it) out["law"][it.key()] = it.value();
  if (plan.intervals) {
    const AllocationIntervals& in = *plan.intervals;
    const auto pair = [](const Interval& i) { return nlohmann::ordered_json{i.lower, i.upper}; };
    out["intervals"] = {{"num_params", pair(in.num_params)},
                        {"num_tokens", pair(in.num_tokens)},
                        {"tokens_per_param", pair(in.tokens_per_param)},
                        {"compute_flops", pair(in.compute_flops)},
                        {"loss", pair(in.loss)}};
    out["interval_level"] = law.saved.confidence;
    out["interval_laws"] = in.num_laws;
  }
  out["warnings"] = plan.warnings;
  if (plan.hyperparams) AddHyperparamsJson(*plan.hyperparams, &out);
  const ModelMemory& memory = plan.hardware ? plan.hardware->memory : plan.memory;
  out["memory_bytes"] = memory.memory.TotalBytes();
  out["model_state_bytes"] = memory.memory.ModelStateBytes();
  if (plan.data) {
    const double unique_tokens = plan.data->unique_tokens;
    out["unique_tokens"] = unique_tokens;
    out["epochs"] = plan.allocation.num_tokens / unique_tokens;
    out["effective_tokens"] = law.data_constrained.EffectiveTokens(plan.allocation.num_tokens, unique_tokens);
    out["effective_params"] =
        law.data_constrained.EffectiveParams(plan.allocation.num_params, plan.allocation.num_tokens, unique_tokens);
    out["data_limited"] = plan.data->data_limited;
    out["R_D_star"] = law.data_constrained.R_D_star;
    out["R_N_star"] = law.data_constrained.R_N_star;
    if (!plan.inference) {  // with inference tokens, below: the plan without them
      out["chinchilla_num_params"] = ChinchillaComparison(plan).num_params;
      out["chinchilla_num_tokens"] = ChinchillaComparison(plan).num_tokens;
    }
  }
  if (plan.inference) {
    const InferenceAwarePlan& aware = *plan.inference;
    if (plan.budget_flops > 0.0) out["budget_flops"] = plan.budget_flops;
    out["inference_tokens"] = aware.inference_tokens;
    out["chinchilla_num_params"] = ChinchillaComparison(plan).num_params;
    out["chinchilla_num_tokens"] = ChinchillaComparison(plan).num_tokens;
    out["training_flops"] = aware.cost.training_flops;
    out["inference_flops"] = aware.cost.inference_flops;
    out["total_flops"] = aware.cost.total_flops;
    out["chinchilla_total_flops"] = aware.chinchilla_cost.total_flops;
    out["flops_saving_fraction"] = aware.flops_saving_fraction;
    if (plan.hardware) {
      const double inference_price = options.inference.inference_price_usd_per_hour > 0.0
                                         ? options.inference.inference_price_usd_per_hour
                                         : plan.hardware->time.price_usd_per_hour;
      out["inference_gpu_hours"] = aware.cost.inference_device_hours;
      out["inference_cost_usd"] = aware.cost.inference_device_hours * inference_price;
      out["lifetime_cost_usd"] = aware.cost.cost_usd;
      out["chinchilla_lifetime_cost_usd"] = aware.chinchilla_cost.cost_usd;
      out["cost_saving_fraction"] = aware.cost_saving_fraction;
    }
  }
  if (plan.hardware) {
    AddTrainingHardwareJson(*plan.hardware, options.training.mfu, &out);
    out["mfu_source"] = "given";
    out["devices_for_90_days"] = plan.hardware->devices_for_reference_days;
  }
  if (plan.frontier) {
    AddFrontierPlanJson(*plan.frontier, &out);
    const TransformerShape& s = plan.frontier->shape;
    out["architecture"] = {{"name", options.arch_name.empty() ? "proposed" : options.arch_name},
                           {"num_layers", s.num_layers},
                           {"d_model", s.d_model},
                           {"num_heads", s.num_heads},
                           {"num_kv_heads", s.KvHeads()},
                           {"d_ff", s.d_ff},
                           {"vocab_size", s.vocab_size},
                           {"seq_len", s.context_length},
                           {"num_experts", s.num_experts},
                           {"active_experts", s.active_experts},
                           {"num_params", plan.frontier->counts.total},
                           {"num_active_params", plan.frontier->counts.active}};
    out["precision"] = NumericTypeName(options.training.compute_type);
  }
  if (!plan.shapes.empty()) {
    nlohmann::ordered_json shapes = nlohmann::ordered_json::array();
    for (const ShapeProposal& proposal : plan.shapes) shapes.push_back(ShapeToJson(proposal));
    out["shapes"] = shapes;
  }
  return out;
}

NumericType ParsePlanPrecision(const std::string& text) {
  const std::optional<NumericType> precision = TryParseNumericType(text);
  if (!precision || (*precision != NumericType::BF16 && *precision != NumericType::FP8)) {
    throw UsageError("--precision: must be bf16 or fp8: '" + text + "'");
  }
  return *precision;
}

Accelerator ResolveAccelerator(const std::string& name, const std::string& profile_path,
                               const std::string& hardware_path) {
  std::optional<HardwareCatalogue> user_catalogue;
  if (!hardware_path.empty()) user_catalogue = ReadHardwareCatalogueFile(hardware_path);
  const HardwareCatalogue& catalogue = user_catalogue ? *user_catalogue : BundledHardwareCatalogue();
  Accelerator accelerator;
  if (name.empty() && user_catalogue) {
    if (user_catalogue->accelerators().size() != 1) {
      throw UsageError("--hardware " + hardware_path + " holds " +
                       std::to_string(user_catalogue->accelerators().size()) +
                       " accelerators: name one with --accelerator");
    }
    accelerator = user_catalogue->accelerators().front();
  } else if (!name.empty()) {
    const Accelerator* found = catalogue.TryFind(name);
    if (found == nullptr) {
      std::string known;
      for (const std::string& entry : catalogue.Names()) known += (known.empty() ? "" : ", ") + entry;
      throw UsageError("unknown --accelerator '" + name + "' (known: " + known + ")");
    }
    accelerator = *found;
  }
  if (profile_path.empty()) return accelerator;

  const HardwareProfile profile = HardwareProfileFromJson(ReadWholeFile(profile_path), profile_path);
  // A named device takes the profile's peaks only when the profile measured that kind of device (the plan's
  // warnings say so otherwise: PlanProfileMismatch).
  if (!name.empty()) return ProfiledAccelerator(accelerator, profile, profile_path, nullptr);
  std::string why;
  const std::optional<Accelerator> measured = AcceleratorFromProfile(nullptr, profile, profile_path, &why);
  if (!measured) throw UsageError(why + ": name the device with --accelerator");
  return *measured;
}

std::string PlanProfileMismatch(const std::string& name, const std::string& profile_path) {
  if (name.empty() || profile_path.empty()) return "";
  return ProfileDeviceMismatch(name, HardwareProfileFromJson(ReadWholeFile(profile_path), profile_path), profile_path);
}

void RequireShapeOptionsUsed(const PlanOptions& options) {
  if (options.arch_shape || !options.shape_overrides.Any()) return;
  if (options.accelerator && !options.mfu_given) return;  // the layout search's proposed shape takes them
  std::string name = "ffn-kind";
  for (const ShapeOption& option : ShapeOptions()) {
    if (options.shape_overrides.*option.field) {
      name = option.name;
      break;
    }
  }
  throw UsageError("--" + name +
                   " is a shape option of the layout search (the model laid out on --accelerator, without --mfu): "
                   "nothing uses it here" +
                   (name == "experts" ? std::string("; a routing law's expert counts go with --law clark2022 or a "
                                                    "routing fit ('plan --law clark2022 --params N --experts E')")
                                      : std::string()));
}

}  // namespace scaleplan
