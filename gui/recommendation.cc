#include "gui/recommendation.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "core/units.h"

namespace scaleplan::gui {
namespace {

constexpr double kSecondsPerHour = 3600.0;
constexpr double kHoursPerDay = 24.0;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Trim(std::string_view text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string Printf(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

// Time units a budget may be given in, and whether they count device-time (true) or wall-clock time (false).
struct TimeUnit {
  const char* name;
  double hours;
  bool per_device;
};
constexpr TimeUnit kTimeUnits[] = {
    {"gpu-days", kHoursPerDay, true},      {"gpu-day", kHoursPerDay, true},     {"gpu days", kHoursPerDay, true},
    {"device-days", kHoursPerDay, true},   {"gpu-hours", 1.0, true},            {"gpu-hour", 1.0, true},
    {"gpu hours", 1.0, true},              {"device-hours", 1.0, true},         {"days", kHoursPerDay, false},
    {"day", kHoursPerDay, false},          {"hours", 1.0, false},               {"hour", 1.0, false},
    {"weeks", 7 * kHoursPerDay, false},    {"week", 7 * kHoursPerDay, false},
};

}  // namespace

Accelerator ResolvePlanAccelerator(const PlanSettings& settings, const HardwareCatalogue& catalogue,
                                   std::string* warning) {
  std::string why;
  if (settings.accelerator == kMeasuredAccelerator) {
    if (!settings.profile) {
      throw InputError("no hardware profile to plan on: run the probe or load a profile", InputLocation{"accelerator"});
    }
    std::optional<Accelerator> measured =
        AcceleratorFromProfile(nullptr, settings.profile->profile, settings.profile->label, &why);
    if (!measured) throw InputError(why + ": choose a catalogue accelerator", InputLocation{"accelerator"});
    return *measured;
  }
  if (catalogue.accelerators().empty()) throw InputError("the accelerator catalogue is empty");
  const Accelerator& named = settings.accelerator.empty()
                                 ? catalogue.accelerators().front()
                                 : catalogue.Find(settings.accelerator, InputLocation{"accelerator"});
  if (!settings.profile) return named;
  // A CPU's 67 GFLOP/s is not an A100's peak: a profile of another device keeps the catalogue's peaks.
  std::string mismatch;
  Accelerator device = ProfiledAccelerator(named, settings.profile->profile, settings.profile->label, &mismatch);
  if (!mismatch.empty() && warning != nullptr) {
    *warning = mismatch + " (choose '" + MeasuredAcceleratorTitle(settings.profile->profile) +
               "' to plan on the measured device)";
  }
  return device;
}

std::string MeasuredAcceleratorTitle(const HardwareProfile& profile) {
  return "Measured: " + (profile.device.empty() ? std::string("profiled device") : profile.device);
}

Recommendation Recommend(const LawSource& source, double budget_flops, const PlanSettings& settings,
                         const HardwareCatalogue& catalogue) {
  std::string why;
  // A law without Chinchilla's L(N, D) form plans along its compute-optimal frontier only, as `plan --fit` does.
  const bool frontier_only = source.plan_law && !source.plan_law->saved.HasChinchillaForm();
  if (source.moe_law && !source.moe_law->Check(&why)) throw InputError("the law cannot plan: " + why);
  if (!frontier_only && !source.moe_law && !source.law.Check(&why)) throw InputError("the law cannot plan: " + why);
  if (!(budget_flops > 0) || !std::isfinite(budget_flops)) {
    throw InputError("the budget must be a positive number of FLOPs", InputLocation{"budget"});
  }
  if (!settings.training.Check(&why)) throw InputError(why, InputLocation{"hardware"});
  if (!(settings.target_days >= 0) || !std::isfinite(settings.target_days)) {
    throw InputError("the target days must be 0 (no limit) or positive", InputLocation{"days"});
  }
  Recommendation plan;
  std::string profile_warning;
  plan.accelerator = ResolvePlanAccelerator(settings, catalogue, &profile_warning);
  if (!profile_warning.empty()) plan.warnings.push_back(profile_warning);
  const Accelerator& accelerator = plan.accelerator;

  if (!(settings.inference_tokens >= 0) || !std::isfinite(settings.inference_tokens)) {
    throw InputError("inference tokens must be 0 (none) or positive", InputLocation{"inference tokens"});
  }
  if (!(settings.unique_tokens >= 0) || !std::isfinite(settings.unique_tokens)) {
    throw InputError("the unique-token limit must be 0 (unlimited) or positive", InputLocation{"unique tokens"});
  }

  plan.budget_flops = budget_flops;
  DataConstrainedLaw constrained;
  if (source.plan_law) constrained = source.plan_law->data_constrained;  // a data-constrained fit's R_D*, R_N*
  constrained.base = source.law;
  if (source.moe_law) {
    if (settings.unique_tokens > 0 || settings.inference_tokens > 0) {
      throw UsageError(
          "a fine-grained MoE law (krajewski2024 or a moe fit) plans a budget only: a unique-token limit or an "
          "inference demand needs a law of Chinchilla's form");
    }
    plan.moe = PlanFineGrainedMoe(*source.moe_law, budget_flops);  // as `plan --law krajewski2024`
    // Marked where it is (the window's frontier chart draws this law through plans a quarter decade apart).
    plan.mode = "fine-grained-moe";
    plan.allocation.num_params = plan.moe->num_params;
    plan.allocation.num_tokens = plan.moe->num_tokens;
    plan.allocation.compute_flops = plan.moe->training_flops;
    plan.allocation.tokens_per_param = plan.moe->num_tokens / plan.moe->num_params;
    plan.allocation.loss_nats = plan.moe->loss_nats;
    plan.warnings.push_back(
        "the memory and time are those of a dense model of the MoE's total parameters on its training FLOPs; "
        "'scaleplan plan --law krajewski2024 --accelerator NAME' lays the MoE itself out");
  } else if (frontier_only) {
    PlanRequest request;
    request.compute_flops = budget_flops;
    request.options.unique_tokens = settings.unique_tokens;
    request.options.inference_tokens = settings.inference_tokens;
    plan.allocation = AllocatePlan(*source.plan_law, request).allocation;  // refuses U and inference as `plan` does
  } else if (settings.inference_tokens > 0) {
    InferenceCostOptions cost;
    cost.inference_tokens = settings.inference_tokens;
    cost.training_mfu = settings.training.mfu;
    cost.peak_flops_per_second = accelerator.DenseFlopsPerSecond(settings.training.compute_type);
    cost.training_price_usd_per_hour = settings.training.price_usd_per_hour > 0 ? settings.training.price_usd_per_hour
                                                                                : accelerator.price_usd_per_hour;
    if (!cost.Check(&why)) throw InputError(why, InputLocation{"inference"});
    plan.inference = PlanInferenceAwareForCompute(constrained, settings.unique_tokens, budget_flops, cost);
    plan.mode = "inference-aware";
    plan.allocation = plan.inference->allocation;
    plan.epochs = plan.inference->epochs;
  } else if (settings.unique_tokens > 0) {
    const DataConstrainedAllocation limited = PlanDataConstrained(constrained, budget_flops, settings.unique_tokens);
    plan.mode = "data-constrained";
    plan.allocation = limited.allocation;
    plan.epochs = limited.epochs;
    plan.data_limited = limited.data_limited;
  } else {
    plan.allocation = source.law.ComputeOptimal(budget_flops);
    if (!source.bootstrap_laws.empty()) {
      plan.intervals = IntervalsOfAllocation(source.bootstrap_laws, source.confidence,
                                             [budget_flops](const ChinchillaLaw& law) -> std::optional<Allocation> {
                                               return law.ComputeOptimal(budget_flops);
                                             });
    }
  }
  RequireUsableAllocation(plan.allocation, source.description);
  if (source.fitted_compute_max > 0) {
    const double factor = budget_flops / source.fitted_compute_max;
    if (factor > kExtrapolationWarningFactor) {
      plan.warnings.push_back("extrapolates " + Printf("%.3g", factor) + "x beyond the largest fitted run (" +
                              FormatScientific(source.fitted_compute_max) + " FLOPs)");
    }
  }
  // The hardware side exactly as `scaleplan plan --accelerator` computes it, for 6 N D of the allocation.
  TrainingPlanOptions training = settings.training;
  training.max_days = settings.target_days;
  plan.hardware = PlanTrainingHardware(plan.allocation.num_params, plan.allocation.compute_flops, accelerator, training,
                                       settings.recompute);
  plan.hyperparams = PlanHyperparams(DeepSeekHyperparamsLaw(), plan.allocation, plan.hardware.memory);
  return plan;
}

std::optional<double> ParseBudget(std::string_view text, const Accelerator& accelerator,
                                  const TrainingPlanOptions& options, std::string* why) {
  auto fail = [why](const std::string& reason) -> std::optional<double> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  std::string body = Trim(text);
  if (body.empty()) return fail("empty budget: give FLOPs (1e24, 5.76e23) or time (300 GPU-days)");
  const std::string lower = Lower(body);
  for (const char* suffix : {"flops", "flop"}) {
    const std::string s(suffix);
    if (lower.size() > s.size() && lower.compare(lower.size() - s.size(), s.size(), s) == 0) {
      body = Trim(std::string_view(body).substr(0, body.size() - s.size()));
      std::string reason;
      auto value = TryParseQuantity(body, &reason);
      if (!value) return fail("not a budget: '" + std::string(text) + "': " + reason);
      if (*value <= 0) return fail("the budget must be positive: '" + std::string(text) + "'");
      return value;
    }
  }
  for (const TimeUnit& unit : kTimeUnits) {
    const std::string name(unit.name);
    if (lower.size() <= name.size() || lower.compare(lower.size() - name.size(), name.size(), name) != 0) continue;
    const std::string number = Trim(std::string_view(body).substr(0, body.size() - name.size()));
    std::string reason;
    auto amount = TryParseQuantity(number, &reason);
    if (!amount) return fail("not a budget: '" + std::string(text) + "': " + reason);
    if (*amount <= 0) return fail("the budget must be positive: '" + std::string(text) + "'");
    const double peak = accelerator.DenseFlopsPerSecond(options.compute_type);
    if (peak <= 0) {
      return fail(accelerator.name + " has no dense " + NumericTypeName(options.compute_type) +
                  " peak to convert time into FLOPs");
    }
    if (!(options.mfu > 0 && options.mfu <= 1)) return fail("MFU must lie in (0, 1]");
    double devices = 1.0;
    if (!unit.per_device) {
      if (options.num_accelerators <= 0) {
        return fail("wall-clock time needs a device count: set the count, or give GPU-days");
      }
      devices = static_cast<double>(options.num_accelerators);
    }
    return *amount * unit.hours * kSecondsPerHour * devices * peak * options.mfu;
  }
  std::string reason;
  auto value = TryParseQuantity(body, &reason);
  if (!value) {
    return fail("not a budget: '" + std::string(text) + "' (" + reason +
                "); give FLOPs (1e24, 5.76e23) or time (300 GPU-days, 30 days)");
  }
  if (*value <= 0) return fail("the budget must be positive: '" + std::string(text) + "'");
  return value;
}

std::string FormatShape(const ModelMemory& memory, double num_params) {
  if (!memory.has_shape) {
    return "no practical shape for " + FormatQuantity(num_params) +
           " parameters (outside 1M..1P): the model state alone is counted, 16 bytes per parameter";
  }
  const TransformerShape& s = memory.shape;
  const double shape_params = static_cast<double>(memory.shape_params);
  char buffer[200];
  std::snprintf(buffer, sizeof buffer, "%lld layers x %lld wide, %lld heads, d_ff %lld (%s, %+.1f%%)",
                static_cast<long long>(s.num_layers), static_cast<long long>(s.d_model),
                static_cast<long long>(s.num_heads), static_cast<long long>(s.d_ff),
                FormatQuantity(shape_params).c_str(), 100.0 * (shape_params / num_params - 1.0));
  return buffer;
}

std::string FormatDuration(double days) {
  if (!std::isfinite(days) || days <= 0) return "-";
  if (days < 1.0) return Printf("%.3g hours", days * kHoursPerDay);
  if (days >= 365.25) {
    const double years = days / 365.25;
    if (years < 999.5) return Printf("%.3g years", years);  // 999.5 would print as "1e+03"
    // Three significant digits in whole years with thousands separators: "7,930 years", not "7.93e+03 years".
    const double scale = std::pow(10.0, std::floor(std::log10(years)) - 2.0);
    std::string digits = Printf("%.0f", std::round(years / scale) * scale);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3) digits.insert(static_cast<size_t>(at), ",");
    return digits + " years";
  }
  return Printf("%.3g days", days);
}

std::string MemoryVerdict(const TrainingHardware& hardware) {
  const TrainingPlan& verdict = hardware.verdict;
  if (hardware.time.num_accelerators <= 0) {
    std::string out = "does not fit";
    for (const std::string& reason : verdict.reasons) out += ": " + reason;
    return out;
  }
  std::string out = (hardware.time.feasible ? "fits: " : "does not fit: ") +
                    FormatBytes(hardware.memory_bytes_per_device) + " of " + FormatBytes(hardware.usable_memory_bytes) +
                    " per device on " + std::to_string(hardware.time.num_accelerators) + " x " + verdict.accelerator;
  if (hardware.memory.has_shape) out += " (" + std::string(RecomputationName(hardware.memory.recomputation)) +
                                        " recomputation)";
  for (const std::string& reason : verdict.reasons) out += "; " + reason;
  return out;
}

nlohmann::ordered_json RecommendationToJson(const Recommendation& plan, const LawSource& source,
                                            const PlanSettings& settings) {
  nlohmann::ordered_json out;
  out["mode"] = plan.mode;
  out["num_params"] = plan.allocation.num_params;
  out["num_tokens"] = plan.allocation.num_tokens;
  out["compute_flops"] = plan.allocation.compute_flops;
  out["tokens_per_param"] = plan.allocation.tokens_per_param;
  out["loss"] = plan.allocation.loss_nats;
  const ChinchillaLaw& law = source.law;
  out["law"] = {{"source", source.description}, {"E", law.E},         {"A", law.A},
                {"B", law.B},                   {"alpha", law.alpha}, {"beta", law.beta}};
  if (source.moe_law) {  // the coefficients of `plan --law krajewski2024` or `plan --fit MOE.json`
    const FineGrainedMoeLaw& moe = *source.moe_law;
    out["law"] = {{"source", source.description},
                  {"name", "moe"},
                  {"a", moe.a},
                  {"alpha", moe.alpha},
                  {"b", moe.b},
                  {"beta", moe.beta},
                  {"g", moe.g},
                  {"gamma", moe.gamma},
                  {"c", moe.c}};
  }
  if (plan.moe) {
    out["num_active_params"] = plan.moe->num_active_params;
    out["granularity"] = plan.moe->granularity;
  }
  if (source.plan_law) {  // the keys of `plan --fit/--law`'s law
    out["law"] = {{"source", source.description}};
    const nlohmann::ordered_json coefficients = SavedLawCoefficients(source.plan_law->saved);
    for (const auto& [key, value] : coefficients.items()) out["law"][key] = value;
  }
  out["warnings"] = plan.warnings;
  AddHyperparamsJson(plan.hyperparams, &out);
  out["budget_flops"] = plan.budget_flops;
  if (plan.intervals) {
    const AllocationIntervals& i = *plan.intervals;
    auto pair = [](const Interval& interval) {
      return nlohmann::ordered_json::array({interval.lower, interval.upper});
    };
    out["intervals"] = {{"confidence", source.confidence}, {"num_laws", i.num_laws},
                        {"num_params", pair(i.num_params)}, {"num_tokens", pair(i.num_tokens)},
                        {"tokens_per_param", pair(i.tokens_per_param)}, {"loss", pair(i.loss)}};
  }
  out["unique_tokens"] = settings.unique_tokens;
  out["epochs"] = plan.epochs;
  out["inference_tokens"] = settings.inference_tokens;
  if (plan.inference) {
    const InferenceAwarePlan& inference = *plan.inference;
    out["inference"] = {{"lifetime_flops", inference.cost.total_flops},
                        {"chinchilla_num_params", inference.chinchilla.num_params},
                        {"chinchilla_num_tokens", inference.chinchilla.num_tokens},
                        {"chinchilla_lifetime_flops", inference.chinchilla_cost.total_flops},
                        {"flops_saving_fraction", inference.flops_saving_fraction},
                        {"cost_saving_fraction", inference.cost_saving_fraction}};
  }
  // The hardware keys of `scaleplan plan --accelerator NAME --format json`, with its names and values.
  const TrainingHardware& h = plan.hardware;
  out["memory_bytes"] = h.memory.memory.TotalBytes();
  out["model_state_bytes"] = h.memory.memory.ModelStateBytes();
  AddTrainingHardwareJson(h, settings.training.mfu, &out);
  out["device_source"] = plan.accelerator.source;
  if (h.memory.has_shape) {
    const TransformerShape& s = h.memory.shape;
    out["shape"] = {{"num_layers", s.num_layers},       {"d_model", s.d_model},
                    {"num_heads", s.num_heads},         {"d_ff", s.d_ff},
                    {"glu", s.glu},                     {"vocab_size", s.vocab_size},
                    {"context_length", s.context_length}, {"num_params", h.memory.shape_params}};
  } else {
    out["shape"] = nullptr;
  }
  return out;
}

std::string RecommendationToCsv(const Recommendation& plan) {
  auto number = [](double value) { return Printf("%.17g", value); };
  std::string header =
      "compute_flops,num_params,num_tokens,tokens_per_param,loss,num_layers,d_model,num_heads,d_ff,shape_params,"
      "recomputation,accelerator,num_accelerators,days,gpu_hours,cost_usd,memory_bytes_per_device,feasible,mode,"
      "epochs\n";
  const Allocation& a = plan.allocation;
  std::string row = number(a.compute_flops) + "," + number(a.num_params) + "," + number(a.num_tokens) + "," +
                    number(a.tokens_per_param) + "," + number(a.loss_nats) + ",";
  const TrainingHardware& h = plan.hardware;
  if (h.memory.has_shape) {
    const TransformerShape& s = h.memory.shape;
    row += std::to_string(s.num_layers) + "," + std::to_string(s.d_model) + "," + std::to_string(s.num_heads) +
           "," + std::to_string(s.d_ff) + "," + std::to_string(h.memory.shape_params) + ",";
  } else {
    row += ",,,,,";
  }
  row += std::string(RecomputationName(h.memory.recomputation)) + "," + h.verdict.accelerator + "," +
         std::to_string(h.time.num_accelerators) + "," + number(h.time.days) + "," + number(h.time.device_hours) +
         "," + number(h.time.cost_usd) + "," + number(h.memory_bytes_per_device) + "," +
         (h.time.feasible ? "true" : "false");
  row += "," + plan.mode + "," + number(plan.epochs);
  return header + row + "\n";
}

}  // namespace scaleplan::gui
