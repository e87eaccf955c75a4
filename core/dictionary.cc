#include "core/dictionary.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "core/scalar_search.h"
#include "core/statistics.h"
#include "core/units.h"

namespace scaleplan {
namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr double kSecondsPerHour = 3600.0;
constexpr double kHarvestBytesPerElement = 2.0;  // 16-bit subject weights and cached activations
constexpr int kMaxKCandidates = 257;             // wider k ranges are sampled on a log grid

bool Fail(std::string* why, const std::string& message) {
  if (why != nullptr) *why = message;
  return false;
}

bool PositiveFinite(double value) { return std::isfinite(value) && value > 0.0; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Bytes of the two row kernels for `rows` active rows per token (gpu_probe/kernel_cost.h at B = 1).
double GatherBytes(double rows, double d) { return 4.0 * rows * d + 8.0 * rows + 4.0 * d; }
double ScatterBytes(double rows, double d) { return 8.0 * rows * d + 4.0 * d + 8.0 * rows; }
double TopKBytes(double n, double rows) { return 4.0 * n + 8.0 * rows; }

// A ratio for messages, e.g. "3.2x".
std::string Times(double ratio) { return FormatQuantity(ratio, 3) + "x"; }

}  // namespace

const char* DictionaryKernelsName(DictionaryKernels kernels) {
  return kernels == DictionaryKernels::SPARSE ? "sparse" : "dense";
}

const char* AuxKRuleName(AuxKRule rule) {
  switch (rule) {
    case AuxKRule::HALF_D_MODEL: return "half-d";
    case AuxKRule::TWICE_K: return "2k";
    case AuxKRule::NONE: return "none";
  }
  return "none";
}

std::optional<AuxKRule> TryParseAuxKRule(std::string_view name) {
  const std::string lower = Lowercase(name);
  for (AuxKRule rule : {AuxKRule::HALF_D_MODEL, AuxKRule::TWICE_K, AuxKRule::NONE}) {
    if (lower == AuxKRuleName(rule)) return rule;
  }
  return std::nullopt;
}

bool DictionaryShape::Check(std::string* why) const {
  if (!(std::isfinite(d_model) && d_model >= 1.0)) return Fail(why, "d_model must be at least 1");
  if (!(std::isfinite(k) && k >= 1.0)) return Fail(why, "k must be at least 1");
  if (!(std::isfinite(num_latents) && num_latents > k)) {
    return Fail(why, "the number of latents must exceed k (n = " + FormatQuantity(num_latents) +
                         ", k = " + FormatQuantity(k) + ")");
  }
  return true;
}

bool DictionaryOptions::Check(std::string* why) const {
  if (!(std::isfinite(batch_tokens) && batch_tokens >= 1.0)) return Fail(why, "the batch must be at least 1 token");
  if (param_type != NumericType::FP32 && param_type != NumericType::BF16 && param_type != NumericType::FP16) {
    return Fail(why, std::string("dictionary weights must be fp32, bf16 or fp16, not ") + NumericTypeName(param_type));
  }
  if (!(mfu > 0.0 && mfu <= 1.0)) return Fail(why, "the MFU must lie in (0, 1]");
  if (!(bandwidth_efficiency > 0.0 && bandwidth_efficiency <= 1.0)) {
    return Fail(why, "the bandwidth efficiency must lie in (0, 1]");
  }
  if (!(dead_fraction >= 0.0 && dead_fraction <= 1.0)) return Fail(why, "the dead fraction must lie in [0, 1]");
  if (!(usable_memory_fraction > 0.0 && usable_memory_fraction <= 1.0)) {
    return Fail(why, "the usable memory fraction must lie in (0, 1]");
  }
  if (num_devices < 0) return Fail(why, "the device count must be 0 (the fewest that fit) or positive");
  if (!(std::isfinite(price_usd_per_hour) && price_usd_per_hour >= 0.0)) {
    return Fail(why, "the price per device-hour must be a non-negative number");
  }
  return true;
}

double AuxLatents(const DictionaryShape& shape, AuxKRule rule, double dead_fraction) {
  double aux = 0.0;
  switch (rule) {
    case AuxKRule::HALF_D_MODEL: aux = std::exp2(std::round(std::log2(std::max(shape.d_model / 2.0, 1.0)))); break;
    case AuxKRule::TWICE_K: aux = 2.0 * shape.k; break;
    case AuxKRule::NONE: aux = 0.0; break;
  }
  const double pool = std::floor(dead_fraction * shape.num_latents);
  return std::clamp(aux, 0.0, std::max(std::min(pool, shape.num_latents - shape.k), 0.0));
}

double OptimizerBytesPerParamStep(NumericType param_type) {
  const double p = BytesPerElement(param_type);
  const bool master = p < 4.0;
  // Weight read and write (16-bit: the fp32 master read and written, the 16-bit copy written), gradient read and
  // cleared, two fp32 moments read and written.
  const double weight = master ? 4.0 + 4.0 + p : 2.0 * p;
  return weight + 2.0 * p + 16.0;
}

double StateBytesPerParam(NumericType param_type) {
  const double p = BytesPerElement(param_type);
  return 2.0 * p + (p < 4.0 ? 4.0 : 0.0) + 8.0;
}

DictionaryTokenCost DictionaryCostPerToken(const DictionaryShape& shape, DictionaryKernels kernels,
                                           const DictionaryOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(shape.Check(&why), why);
  const double d = shape.d_model, n = shape.num_latents, k = shape.k;
  const double aux = AuxLatents(shape, options.aux_k, options.dead_fraction);
  DictionaryTokenCost cost;
  // The AuxK path, identical for both kinds: a TopK over the dead pool's scores and the four row kernels with k_aux
  // rows, whose row traffic is shared by the step's tokens (at most one pass over the pool per kernel and step).
  if (aux > 0.0) {
    const double pool = options.dead_fraction * n;
    const double rows = std::min(aux, pool / options.batch_tokens);
    cost.sparse_flops += 8.0 * d * aux;
    cost.topk_bytes += TopKBytes(pool, aux);
    cost.gather_bytes += 2.0 * (4.0 * rows * d + 8.0 * aux + 4.0 * d);
    cost.scatter_bytes += 2.0 * (8.0 * rows * d + 4.0 * d + 8.0 * aux);
  }
  cost.topk_bytes += TopKBytes(n, k);
  if (kernels == DictionaryKernels::SPARSE) {
    cost.gemm_flops = 2.0 * d * n;
    cost.sparse_flops += 8.0 * d * k;
    cost.gather_bytes += 2.0 * GatherBytes(k, d);
    cost.scatter_bytes += 2.0 * ScatterBytes(k, d);
  } else {
    cost.gemm_flops = 10.0 * d * n;
  }
  cost.optimizer_bytes = OptimizerBytesPerParamStep(options.param_type) * 2.0 * n * d / options.batch_tokens;
  return cost;
}

double DictionaryFlopsPerToken(const DictionaryShape& shape, DictionaryKernels kernels,
                               const DictionaryOptions& options) {
  return DictionaryCostPerToken(shape, kernels, options).Flops();
}

DictionaryMemory EstimateDictionaryMemory(const DictionaryShape& shape, DictionaryKernels kernels,
                                          const DictionaryOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(shape.Check(&why), why);
  const double d = shape.d_model, n = shape.num_latents, k = shape.k, b = options.batch_tokens;
  const double p = BytesPerElement(options.param_type);
  DictionaryMemory memory;
  memory.num_params = 2.0 * n * d;
  memory.weight_bytes = memory.num_params * p;
  memory.gradient_bytes = memory.num_params * p;
  memory.optimizer_bytes = memory.num_params * (StateBytesPerParam(options.param_type) - 2.0 * p);
  const double aux = AuxLatents(shape, options.aux_k, options.dead_fraction);
  memory.sharded_activation_bytes = b * (4.0 * n + 8.0 * (k + aux));
  if (kernels == DictionaryKernels::DENSE) memory.sharded_activation_bytes += b * 8.0 * n;
  memory.replicated_activation_bytes = 3.0 * 4.0 * b * d;
  return memory;
}

double DictionaryMemoryPerDevice(const DictionaryMemory& memory, std::int64_t num_devices) {
  SCALEPLAN_CHECK(num_devices >= 1, "at least one device");
  return memory.ShardedBytes() / static_cast<double>(num_devices) + memory.replicated_activation_bytes;
}

std::int64_t MinDevicesForDictionary(const DictionaryMemory& memory, double usable_bytes) {
  const double room = usable_bytes - memory.replicated_activation_bytes;
  if (!(room > 0.0)) return 0;
  const double devices = std::ceil(memory.ShardedBytes() / room);
  if (!(devices < 4.6e18)) return 0;
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(devices));
}

DictionaryKernelRates DictionaryRatesFromProfile(const HardwareProfile& profile, double d_model, double k,
                                                 const std::string& label) {
  DictionaryKernelRates rates;
  rates.source = label;
  rates.peak_flops_per_second = profile.peak_flops;
  rates.stream_bytes_per_second = profile.bandwidth_bytes_per_s;
  // The nearest measurement of one kernel: log distance in d (and k), then the largest n, then the fastest.
  auto pick = [&](const char* name, bool by_k, bool flops) -> double {
    const KernelMeasurement* best = nullptr;
    double best_distance = 0.0;
    for (const KernelMeasurement& m : profile.kernels) {
      const double rate = flops ? m.flops_per_second : m.bytes_per_second;
      if (m.name != name || !(rate > 0.0) || m.d <= 0) continue;
      double distance = std::abs(std::log(static_cast<double>(m.d) / d_model));
      if (by_k && m.k > 0) distance += std::abs(std::log(static_cast<double>(m.k) / k));
      const double best_rate = best == nullptr ? 0.0 : (flops ? best->flops_per_second : best->bytes_per_second);
      const bool better = best == nullptr || distance < best_distance - 1e-12 ||
                          (distance <= best_distance + 1e-12 &&
                           (m.n > best->n || (m.n == best->n && rate > best_rate)));
      if (better) {
        best = &m;
        best_distance = distance;
      }
    }
    if (best != nullptr) return flops ? best->flops_per_second : best->bytes_per_second;
    rates.notes.push_back(std::string("the profile has no ") + name + " measurement: " +
                          (flops ? "its best GEMM rate (peak_flops)" : "its triad bandwidth") + " stands in");
    return flops ? profile.peak_flops : profile.bandwidth_bytes_per_s;
  };
  rates.gemm_flops_per_second = pick("encoder_gemm", false, true);
  rates.topk_bytes_per_second = pick("topk", true, false);
  rates.gather_bytes_per_second = pick("decoder_gather", true, false);
  rates.scatter_bytes_per_second = pick("scatter_add", true, false);
  return rates;
}

DictionaryTokenTime DictionaryTimePerToken(const DictionaryTokenCost& cost, const Accelerator& accelerator,
                                           const DictionaryOptions& options, const DictionaryKernelRates* measured) {
  DictionaryTokenTime time;
  if (measured != nullptr) {
    SCALEPLAN_CHECK(measured->gemm_flops_per_second > 0.0 && measured->topk_bytes_per_second > 0.0 &&
                        measured->gather_bytes_per_second > 0.0 && measured->scatter_bytes_per_second > 0.0 &&
                        measured->stream_bytes_per_second > 0.0,
                    "measured rates must be positive");
    time.gemm_seconds = cost.gemm_flops / measured->gemm_flops_per_second;
    time.topk_seconds = cost.topk_bytes / measured->topk_bytes_per_second;
    time.gather_seconds = cost.gather_bytes / measured->gather_bytes_per_second;
    time.scatter_seconds = cost.scatter_bytes / measured->scatter_bytes_per_second;
    time.optimizer_seconds = cost.optimizer_bytes / measured->stream_bytes_per_second;
    return time;
  }
  const double flops_per_second = accelerator.DenseFlopsPerSecond(options.compute_type) * options.mfu;
  const double bytes_per_second = accelerator.memory_bytes_per_second * options.bandwidth_efficiency;
  SCALEPLAN_CHECK(flops_per_second > 0.0, "the accelerator has no dense peak for the compute type");
  SCALEPLAN_CHECK(bytes_per_second > 0.0, "the accelerator has no memory bandwidth");
  time.gemm_seconds = cost.gemm_flops / flops_per_second;
  time.topk_seconds = cost.topk_bytes / bytes_per_second;
  time.gather_seconds = cost.gather_bytes / bytes_per_second;
  time.scatter_seconds = cost.scatter_bytes / bytes_per_second;
  time.optimizer_seconds = cost.optimizer_bytes / bytes_per_second;
  return time;
}

std::string DescribeDictionaryDevice(const Accelerator& accelerator, const DictionaryOptions& options,
                                     const DictionaryKernelRates* measured) {
  if (measured != nullptr) {
    const DictionaryKernelRates& r = *measured;
    return accelerator.name + ": speeds from the " + r.source + ": encoder GEMM " +
           FormatQuantity(r.gemm_flops_per_second) + " FLOP/s, TopK " + FormatBytes(r.topk_bytes_per_second) +
           "/s, gather " + FormatBytes(r.gather_bytes_per_second) + "/s, scatter-add " +
           FormatBytes(r.scatter_bytes_per_second) + "/s, triad " + FormatBytes(r.stream_bytes_per_second) +
           "/s; memory " + FormatBytes(accelerator.memory_bytes);
  }
  char text[256];
  std::snprintf(text, sizeof text,
                " (catalogue): %s FLOP/s %s dense x MFU %.2f; %s/s x %.2f for memory-bound kernels; %s",
                FormatQuantity(accelerator.DenseFlopsPerSecond(options.compute_type)).c_str(),
                NumericTypeName(options.compute_type), options.mfu,
                FormatBytes(accelerator.memory_bytes_per_second).c_str(), options.bandwidth_efficiency,
                FormatBytes(accelerator.memory_bytes).c_str());
  return accelerator.name + text;
}

bool SubjectModel::Check(std::string* why) const {
  if (!(std::isfinite(num_params) && num_params >= 0.0)) return Fail(why, "the subject size must be non-negative");
  if (!(layers_fraction > 0.0 && layers_fraction <= 1.0)) {
    return Fail(why, "the hooked layer's depth fraction must lie in (0, 1]");
  }
  if (shape && !shape->Check(why)) return false;
  return true;
}

double HarvestFlopsPerToken(const SubjectModel& subject) {
  if (subject.shape) {
    const TransformerShape& s = *subject.shape;
    const ParameterCounts counts = CountParameters(s);
    const double attention = 4.0 * static_cast<double>(s.num_layers) * static_cast<double>(s.num_heads) *
                             static_cast<double>(s.HeadDim()) * static_cast<double>(s.context_length);
    return subject.layers_fraction * (2.0 * static_cast<double>(counts.active_non_embedding) + attention);
  }
  return 2.0 * subject.num_params * subject.layers_fraction;
}

double HarvestWeightBytes(const SubjectModel& subject) {
  if (subject.shape) {
    const ParameterCounts counts = CountParameters(*subject.shape);
    return kHarvestBytesPerElement * (subject.layers_fraction * static_cast<double>(counts.non_embedding) +
                                      static_cast<double>(counts.token_embedding));
  }
  return kHarvestBytesPerElement * subject.layers_fraction * subject.num_params;
}

// ---------------------------------------------------------------------------------------------------------------
// Laws.

double LatentsSparsityLaw::Loss(double num_latents, double k) const {
  const double ln_n = std::log(num_latents), ln_k = std::log(k);
  return std::exp(alpha + beta_k * ln_k + beta_n * ln_n + gamma * ln_k * ln_n) + Irreducible(k);
}

double LatentsSparsityLaw::Irreducible(double k) const { return std::exp(zeta + eta * std::log(k)); }

double LatentsSparsityLaw::LatentsExponent(double k) const { return -(beta_n + gamma * std::log(k)); }

bool LatentsSparsityLaw::Check(std::string* why) const {
  const std::pair<const char*, double> values[] = {{"alpha", alpha}, {"beta_k", beta_k}, {"beta_n", beta_n},
                                                   {"gamma", gamma}, {"zeta", zeta},     {"eta", eta}};
  for (const auto& [name, value] : values) {
    if (!std::isfinite(value)) return Fail(why, std::string(name) + " must be finite");
  }
  return true;
}

double DictionaryLaws::ConvergenceTokens(double num_latents) const {
  return convergence_tokens * std::pow(num_latents / convergence_latents, convergence_exponent);
}

double DictionaryLaws::Loss(double num_latents, double k, double num_tokens) const {
  const double converged_loss = converged.Loss(num_latents, k);
  if (!has_token_term) return converged_loss;
  return converged_loss + token_coefficient * std::pow(num_tokens, -token_exponent);
}

bool DictionaryLaws::Check(std::string* why) const {
  if (!converged.Check(why)) return false;
  if (has_token_term && !(PositiveFinite(token_coefficient) && PositiveFinite(token_exponent))) {
    return Fail(why, "the token term needs a positive coefficient and exponent");
  }
  if (!(PositiveFinite(convergence_tokens) && PositiveFinite(convergence_latents) &&
        std::isfinite(convergence_exponent))) {
    return Fail(why, "the tokens-to-convergence rule needs positive constants");
  }
  return true;
}

DictionaryLaws PriorDictionaryLaws() { return DictionaryLaws{}; }

// ---------------------------------------------------------------------------------------------------------------
// Allocation.

DictionaryAllocation AllocateDictionaryBudget(const DictionaryLaws& laws, double k, double budget,
                                              const std::function<double(double)>& cost_per_token) {
  SCALEPLAN_CHECK(k >= 1.0 && PositiveFinite(budget), "k >= 1 and a positive budget");
  const double x_lo = std::log(std::max(kMinLatentsFactor * k, k + 1.0));
  const double x_hi = std::log(kMaxLatents);
  DictionaryAllocation out;
  if (!(x_lo < x_hi)) return out;

  if (!laws.has_token_term) {
    // Converged training: spend the budget on the largest n it trains to convergence.
    auto spend = [&](double x) { return laws.ConvergenceTokens(std::exp(x)) * cost_per_token(std::exp(x)); };
    if (spend(x_lo) > budget) return out;
    double x = x_lo;
    if (laws.converged.LatentsExponent(k) > 0.0) {
      if (spend(x_hi) <= budget) {
        x = x_hi;
        out.at_latents_limit = true;
      } else {
        double lo = x_lo, hi = x_hi;
        for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
          const double mid = 0.5 * (lo + hi);
          (spend(mid) <= budget ? lo : hi) = mid;
        }
        x = lo;
      }
    }
    out.reachable = true;
    out.num_latents = std::exp(x);
    out.num_tokens = laws.ConvergenceTokens(out.num_latents);
    out.loss = laws.converged.Loss(out.num_latents, k);
    return out;
  }

  auto tokens_at = [&](double x) { return budget / cost_per_token(std::exp(x)); };
  if (tokens_at(x_lo) < 1.0) return out;
  auto loss_at = [&](double x) {
    const double tokens = tokens_at(x);
    if (!(tokens >= 1.0)) return std::numeric_limits<double>::infinity();
    return laws.Loss(std::exp(x), k, tokens);
  };
  constexpr int kScanPoints = 241;
  const double step = (x_hi - x_lo) / (kScanPoints - 1);
  const double x = MinimizeScanGolden(loss_at, x_lo, x_hi, kScanPoints, 1e-12).x;
  out.reachable = true;
  out.num_latents = std::exp(x);
  out.num_tokens = tokens_at(x);
  out.loss = loss_at(x);
  out.at_latents_limit = x >= x_hi - 2.0 * step;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Plans.

const char* DictionaryGoalName(DictionaryGoal goal) {
  switch (goal) {
    case DictionaryGoal::COMPUTE: return "compute";
    case DictionaryGoal::DEVICE_HOURS: return "device_hours";
    case DictionaryGoal::TARGET_LOSS: return "target_loss";
    case DictionaryGoal::LATENTS: return "latents";
  }
  return "compute";
}

bool DictionaryRequest::Check(std::string* why) const {
  if (!(std::isfinite(d_model) && d_model >= 1.0)) return Fail(why, "d_model must be at least 1");
  switch (goal) {
    case DictionaryGoal::COMPUTE:
      if (!PositiveFinite(compute_flops)) return Fail(why, "the compute budget must be positive");
      break;
    case DictionaryGoal::DEVICE_HOURS:
      if (!PositiveFinite(device_hours)) return Fail(why, "the device-hour budget must be positive");
      break;
    case DictionaryGoal::TARGET_LOSS:
      if (!PositiveFinite(target_loss)) return Fail(why, "the target loss must be positive");
      break;
    case DictionaryGoal::LATENTS:
      if (!(std::isfinite(num_latents) && num_latents >= 2.0 && num_latents <= kMaxLatents)) {
        return Fail(why, "the number of latents must lie in [2, 1e12]");
      }
      if (compute_flops > 0.0 && device_hours > 0.0) return Fail(why, "give a FLOP or a device-hour budget, not both");
      if (compute_flops < 0.0 || device_hours < 0.0) return Fail(why, "budgets must be positive");
      break;
  }
  if (k != 0.0) {
    if (!(std::isfinite(k) && k >= 1.0)) return Fail(why, "k must be at least 1");
    if (goal == DictionaryGoal::LATENTS && !(k < num_latents)) return Fail(why, "k must be below the number of latents");
  } else {
    if (!(std::isfinite(k_min) && std::isfinite(k_max) && k_min >= 1.0 && k_min <= k_max)) {
      return Fail(why, "the k range needs 1 <= k_min <= k_max");
    }
    if (std::floor(k_max) < std::ceil(k_min)) return Fail(why, "the k range holds no whole number");
  }
  if (!subject.Check(why)) return false;
  if (!laws.Check(why)) return false;
  for (const DictionaryLaws& law : bootstrap_laws) {
    if (!law.Check(why)) return false;
  }
  if (!(confidence > 0.0 && confidence < 1.0)) return Fail(why, "the interval level must lie in (0, 1)");
  if (!options.Check(why)) return false;
  if (!(accelerator.memory_bytes > 0.0)) return Fail(why, "the device needs a memory size");
  if (!measured) {
    if (!(accelerator.DenseFlopsPerSecond(options.compute_type) > 0.0)) {
      return Fail(why, "the device '" + accelerator.name + "' has no dense " +
                           NumericTypeName(options.compute_type) + " peak");
    }
    if (!(accelerator.memory_bytes_per_second > 0.0)) return Fail(why, "the device needs a memory bandwidth");
  }
  return true;
}

namespace {

// The whole numbers of [lo, hi], at most kMaxKCandidates of them (log-spaced, ends included, when wider).
std::vector<double> KCandidates(double lo, double hi) {
  const double first = std::ceil(lo), last = std::floor(hi);
  std::vector<double> out;
  if (last - first + 1 <= kMaxKCandidates) {
    for (double k = first; k <= last; k += 1.0) out.push_back(k);
    return out;
  }
  for (int i = 0; i < kMaxKCandidates; ++i) {
    const double k = std::round(first * std::pow(last / first, i / (kMaxKCandidates - 1.0)));
    if (out.empty() || k > out.back()) out.push_back(k);
  }
  return out;
}

// Per-token prices of a plan in the budget's unit.
struct TokenPrices {
  const DictionaryRequest& request;
  bool include_harvest = false;
  double harvest_flops_per_token = 0.0;
  double harvest_seconds_per_token = 0.0;

  double Flops(double n, double k) const {
    const DictionaryShape shape{request.d_model, n, k};
    return DictionaryCostPerToken(shape, DictionaryKernels::SPARSE, request.options).Flops() +
           (include_harvest ? harvest_flops_per_token : 0.0);
  }
  double DeviceHours(double n, double k) const {
    const DictionaryShape shape{request.d_model, n, k};
    const DictionaryTokenCost cost = DictionaryCostPerToken(shape, DictionaryKernels::SPARSE, request.options);
    const DictionaryTokenTime time = DictionaryTimePerToken(cost, request.accelerator, request.options,
                                                            request.measured ? &*request.measured : nullptr);
    return (time.Total() + (include_harvest ? harvest_seconds_per_token : 0.0)) / kSecondsPerHour;
  }
};

double HarvestFlopsPerSecond(const DictionaryRequest& request) {
  const double peak = request.measured ? request.measured->peak_flops_per_second
                                       : request.accelerator.DenseFlopsPerSecond(request.options.compute_type);
  return peak * request.options.mfu;
}

// The least FLOP budget at which the allocation at k reaches `target` (token-term laws), by bisection in ln C.
DictionaryKCandidate LeastBudgetForLoss(const DictionaryLaws& laws, double k, double target,
                                        const std::function<double(double)>& cost) {
  DictionaryKCandidate out;
  out.k = k;
  double lo = std::log(cost(std::max(kMinLatentsFactor * k, k + 1.0))), hi = std::log(1e60);
  const DictionaryAllocation top = AllocateDictionaryBudget(laws, k, std::exp(hi), cost);
  if (!top.reachable || top.loss > target) return out;
  const DictionaryAllocation bottom = AllocateDictionaryBudget(laws, k, std::exp(lo), cost);
  if (!(bottom.reachable && bottom.loss <= target)) {
    for (int i = 0; i < 100 && hi - lo > 1e-10; ++i) {
      const double mid = 0.5 * (lo + hi);
      const DictionaryAllocation a = AllocateDictionaryBudget(laws, k, std::exp(mid), cost);
      (a.reachable && a.loss <= target ? hi : lo) = mid;
    }
  } else {
    hi = lo;
  }
  const DictionaryAllocation a = AllocateDictionaryBudget(laws, k, std::exp(hi), cost);
  out.reachable = a.reachable;
  out.num_latents = a.num_latents;
  out.num_tokens = a.num_tokens;
  out.loss = a.loss;
  out.budget = std::exp(hi);
  return out;
}

// The budget whose allocation at k is n latents (token-term laws): the compute-optimal tokens for n.
double BudgetWhereOptimal(const DictionaryLaws& laws, double k, double n, const std::function<double(double)>& cost) {
  double lo = std::log(cost(n)), hi = std::log(1e60);
  for (int i = 0; i < 100 && hi - lo > 1e-10; ++i) {
    const double mid = 0.5 * (lo + hi);
    const DictionaryAllocation a = AllocateDictionaryBudget(laws, k, std::exp(mid), cost);
    (a.reachable && a.num_latents >= n ? hi : lo) = mid;
  }
  return std::exp(hi);
}

}  // namespace

DictionaryCosts CostDictionary(const DictionaryRequest& request, DictionaryKernels kernels, double num_latents,
                               double k, double num_tokens) {
  const DictionaryShape shape{request.d_model, num_latents, k};
  const DictionaryOptions& options = request.options;
  DictionaryCosts out;
  out.kernels = kernels;
  out.num_latents = num_latents;
  out.k = k;
  out.aux_latents = AuxLatents(shape, options.aux_k, options.dead_fraction);
  out.num_tokens = num_tokens;
  out.loss = request.laws.Loss(num_latents, k, num_tokens);
  out.cost_per_token = DictionaryCostPerToken(shape, kernels, options);
  out.time_per_token = DictionaryTimePerToken(out.cost_per_token, request.accelerator, options,
                                              request.measured ? &*request.measured : nullptr);
  out.flops_per_token = out.cost_per_token.Flops();
  out.compute_flops = out.flops_per_token * num_tokens;
  out.optimizer_bytes_per_step = OptimizerBytesPerParamStep(options.param_type) * 2.0 * num_latents * request.d_model;
  out.harvest_storage_bytes = kHarvestBytesPerElement * num_tokens * request.d_model;
  out.memory = EstimateDictionaryMemory(shape, kernels, options);
  out.memory_bytes = out.memory.TotalBytes();

  const double usable = request.accelerator.memory_bytes * options.usable_memory_fraction;
  out.min_devices_for_memory = MinDevicesForDictionary(out.memory, usable);
  out.devices = options.num_devices > 0 ? options.num_devices : out.min_devices_for_memory;
  out.feasible = true;
  if (out.min_devices_for_memory == 0) {
    out.feasible = false;
    out.reasons.push_back("the batch buffers every device keeps whole (" +
                          FormatQuantity(out.memory.replicated_activation_bytes) + "B) do not fit in " +
                          FormatQuantity(usable) + "B of usable memory: use a smaller batch");
  } else if (out.devices < out.min_devices_for_memory) {
    out.feasible = false;
    out.reasons.push_back(std::to_string(out.devices) + " devices cannot hold the dictionary's " +
                          FormatQuantity(out.memory_bytes) + "B: it needs at least " +
                          std::to_string(out.min_devices_for_memory));
  }
  const std::int64_t devices = std::max<std::int64_t>(out.devices, 1);
  out.memory_bytes_per_device = DictionaryMemoryPerDevice(out.memory, devices);
  out.price_usd_per_hour =
      options.price_usd_per_hour > 0.0 ? options.price_usd_per_hour : request.accelerator.price_usd_per_hour;

  const double training_device_seconds = num_tokens * out.time_per_token.Total();
  out.training_days = training_device_seconds / static_cast<double>(devices) / kSecondsPerDay;
  double harvest_device_seconds = 0.0;
  if (request.subject.Known()) {
    out.harvest_flops_per_token = HarvestFlopsPerToken(request.subject);
    out.harvest_flops = out.harvest_flops_per_token * num_tokens;
    const double subject_devices = std::ceil(HarvestWeightBytes(request.subject) / usable);
    out.harvest_min_devices = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::min(subject_devices, 4e18)));
    out.harvest_devices = std::max(devices, out.harvest_min_devices);
    harvest_device_seconds = out.harvest_flops / HarvestFlopsPerSecond(request);
    out.harvest_days = harvest_device_seconds / static_cast<double>(out.harvest_devices) / kSecondsPerDay;
  }
  out.days = out.training_days + out.harvest_days;
  out.device_hours = (training_device_seconds + harvest_device_seconds) / kSecondsPerHour;
  out.cost_usd = out.device_hours * out.price_usd_per_hour;
  return out;
}

DictionaryPlan PlanDictionary(const DictionaryRequest& request) {
  std::string why;
  SCALEPLAN_CHECK(request.Check(&why), why);
  const DictionaryLaws& laws = request.laws;
  DictionaryPlan plan;
  plan.goal = request.goal;
  plan.law_label = laws.label;
  plan.prior = laws.prior;

  TokenPrices prices{request};
  const bool subject_known = request.subject.Known();
  prices.include_harvest = request.budget_includes_harvest && subject_known;
  plan.budget_includes_harvest = prices.include_harvest;
  if (subject_known) {
    prices.harvest_flops_per_token = HarvestFlopsPerToken(request.subject);
    prices.harvest_seconds_per_token = prices.harvest_flops_per_token / HarvestFlopsPerSecond(request);
  } else {
    plan.notes.push_back("the subject model's size is not known: producing the activations is not costed");
  }

  const std::vector<double> ks =
      request.k > 0.0 ? std::vector<double>{request.k} : KCandidates(request.k_min, request.k_max);
  const bool hours_budget = request.goal == DictionaryGoal::DEVICE_HOURS ||
                            (request.goal == DictionaryGoal::LATENTS && request.device_hours > 0.0);
  auto cost_for = [&](double k) -> std::function<double(double)> {
    if (hours_budget) return [&prices, k](double n) { return prices.DeviceHours(n, k); };
    return [&prices, k](double n) { return prices.Flops(n, k); };
  };

  // Candidates, then the best: the least loss, or for TARGET_LOSS the least FLOPs; ties go to the smaller k.
  auto better = [&](const DictionaryKCandidate& a, const DictionaryKCandidate& b) {
    if (!b.reachable) return a.reachable;
    if (!a.reachable) return false;
    if (request.goal == DictionaryGoal::TARGET_LOSS) return a.budget < b.budget * (1.0 - 1e-12);
    return a.loss < b.loss * (1.0 - 1e-12);
  };
  bool at_limit = false;
  switch (request.goal) {
    case DictionaryGoal::COMPUTE:
    case DictionaryGoal::DEVICE_HOURS: {
      const double budget = request.goal == DictionaryGoal::COMPUTE ? request.compute_flops : request.device_hours;
      plan.budget = budget;
      for (double k : ks) {
        const DictionaryAllocation a = AllocateDictionaryBudget(laws, k, budget, cost_for(k));
        plan.k_candidates.push_back({k, a.reachable, a.num_latents, a.num_tokens, a.loss, budget});
        if (a.reachable && a.at_latents_limit) at_limit = true;
      }
      break;
    }
    case DictionaryGoal::TARGET_LOSS: {
      for (double k : ks) {
        const auto cost = cost_for(k);
        DictionaryKCandidate c;
        c.k = k;
        if (!laws.has_token_term) {
          // Converged training: the smallest n whose converged loss reaches the target, on T_conv(n) tokens.
          const double x_lo = std::log(std::max(kMinLatentsFactor * k, k + 1.0)), x_hi = std::log(kMaxLatents);
          auto loss = [&](double x) { return laws.converged.Loss(std::exp(x), k); };
          double x = x_lo;
          bool reachable = loss(x_lo) <= request.target_loss;
          if (!reachable && laws.converged.LatentsExponent(k) > 0.0 && loss(x_hi) <= request.target_loss) {
            double lo = x_lo, hi = x_hi;
            for (int i = 0; i < 200 && hi - lo > 1e-13; ++i) {
              const double mid = 0.5 * (lo + hi);
              (loss(mid) <= request.target_loss ? hi : lo) = mid;
            }
            x = hi;
            reachable = true;
          }
          if (reachable) {
            c.reachable = true;
            c.num_latents = std::exp(x);
            c.num_tokens = laws.ConvergenceTokens(c.num_latents);
            c.loss = loss(x);
            c.budget = c.num_tokens * cost(c.num_latents);
          }
        } else {
          c = LeastBudgetForLoss(laws, k, request.target_loss, cost);
        }
        plan.k_candidates.push_back(c);
      }
      break;
    }
    case DictionaryGoal::LATENTS: {
      const double n = request.num_latents;
      const double budget = request.compute_flops > 0.0 ? request.compute_flops : request.device_hours;
      plan.budget = budget;
      for (double k : ks) {
        if (!(k < n)) continue;
        const auto cost = cost_for(k);
        DictionaryKCandidate c;
        c.k = k;
        c.num_latents = n;
        if (budget > 0.0) {
          c.num_tokens = budget / cost(n);
          c.budget = budget;
        } else if (!laws.has_token_term) {
          c.num_tokens = laws.ConvergenceTokens(n);
          c.budget = c.num_tokens * cost(n);
        } else {
          c.budget = BudgetWhereOptimal(laws, k, n, cost);
          c.num_tokens = c.budget / cost(n);
        }
        c.reachable = c.num_tokens >= 1.0;
        // Without a budget the candidates differ in tokens too: k is chosen by the converged loss alone.
        c.loss = budget > 0.0 ? laws.Loss(n, k, c.num_tokens) : laws.converged.Loss(n, k);
        plan.k_candidates.push_back(c);
      }
      break;
    }
  }

  const DictionaryKCandidate* chosen = nullptr;
  for (const DictionaryKCandidate& c : plan.k_candidates) {
    if (chosen == nullptr || better(c, *chosen)) chosen = &c;
  }
  if (chosen == nullptr || !chosen->reachable) {
    plan.reachable = false;
    switch (request.goal) {
      case DictionaryGoal::TARGET_LOSS: {
        double best_floor = std::numeric_limits<double>::infinity();
        for (double k : ks) best_floor = std::min(best_floor, laws.converged.Loss(kMaxLatents, k));
        // A fixed k is not a range: name it, so that the way out (another k, or none to search the range) shows.
        const std::string which = request.k > 0.0 ? "k = " + FormatQuantity(request.k) + " does not reach loss "
                                                  : "no k in range reaches loss ";
        plan.status = which + FormatQuantity(request.target_loss, 4) + ": the law's loss at 1e12 latents is at best " +
                      FormatQuantity(best_floor, 4);
        break;
      }
      case DictionaryGoal::LATENTS:
        plan.status = plan.k_candidates.empty() ? "every k in range is at least the number of latents"
                                                : "the budget does not pay for one token";
        break;
      default:
        plan.status = "the budget does not pay for the smallest dictionary (" +
                      FormatQuantity(kMinLatentsFactor * ks.front()) + " latents, k = " +
                      FormatQuantity(ks.front()) + ")" + (laws.has_token_term ? "" : " trained to convergence");
    }
    return plan;
  }
  plan.reachable = true;
  plan.status = "ok";
  // A dictionary has a whole number of latents. On a budget the optimum is rounded down and trains on the tokens
  // that spend the budget exactly (a fraction of a latent fewer, so slightly more tokens); for a target loss it is
  // rounded up (the target is still reached) on the tokens the law asked for, T_conv(n) when converged. A fixed n is
  // the user's.
  double n = chosen->num_latents, tokens = chosen->num_tokens;
  const double k = chosen->k;
  if (request.goal == DictionaryGoal::COMPUTE || request.goal == DictionaryGoal::DEVICE_HOURS) {
    n = std::max(std::floor(n + 1e-9), k + 1.0);
    tokens = plan.budget / cost_for(k)(n);
  } else if (request.goal == DictionaryGoal::TARGET_LOSS) {
    n = std::ceil(n - 1e-9);
    if (!laws.has_token_term) tokens = laws.ConvergenceTokens(n);
  }
  if (request.goal == DictionaryGoal::TARGET_LOSS) plan.budget = tokens * cost_for(k)(n);
  if (request.goal == DictionaryGoal::LATENTS) plan.budget = chosen->budget;
  plan.sparse = CostDictionary(request, DictionaryKernels::SPARSE, n, k, tokens);
  plan.dense = CostDictionary(request, DictionaryKernels::DENSE, n, k, tokens);
  plan.convergence_tokens = laws.ConvergenceTokens(n);

  // How k was chosen.
  if (request.k > 0.0) {
    plan.k_choice = "fixed at k = " + FormatQuantity(k);
  } else {
    const std::string range = std::string("[") + FormatQuantity(ks.front()) + ", " + FormatQuantity(ks.back()) + "]";
    plan.k_choice = (request.goal == DictionaryGoal::TARGET_LOSS ? "the least compute to reach the target for k in "
                                                                 : "the lowest predicted loss for k in ") +
                    range;
    if (ks.size() > 1 && k == ks.back()) {
      plan.notes.push_back("k sits at the top of its range: the law prefers more active latents; the range, which "
                           "is about how sparse (interpretable) the latents should be, bounds it");
    }
  }

  // Warnings.
  if (plan.prior) {
    plan.converged = tokens >= plan.convergence_tokens * (1.0 - 1e-9);
    if (!plan.converged) {
      plan.warnings.push_back("under-trained: " + FormatQuantity(tokens) + " tokens, but the prior's loss is for "
                              "training to convergence (" + FormatQuantity(plan.convergence_tokens) +
                              " tokens for this size): the loss shown is a lower bound");
    } else if (tokens > 1.5 * plan.convergence_tokens) {
      plan.notes.push_back("the prior counts no gain from tokens beyond convergence (" +
                           FormatQuantity(plan.convergence_tokens) + " tokens for this size)");
    }
  }
  if (laws.latents_max > 0.0 && n > laws.latents_max) {
    plan.warnings.push_back("extrapolation: " + FormatQuantity(n) + " latents is " + Times(n / laws.latents_max) +
                            " the largest dictionary behind the law (" + FormatQuantity(laws.latents_max) + ")");
  }
  if (laws.latents_min > 0.0 && n < laws.latents_min) {
    plan.warnings.push_back("extrapolation: " + FormatQuantity(n) + " latents is below the smallest fitted run (" +
                            FormatQuantity(laws.latents_min) + ")");
  }
  if (laws.k_min > 0.0 && laws.k_max > 0.0 && (k < laws.k_min || k > laws.k_max)) {
    plan.warnings.push_back("extrapolation: k = " + FormatQuantity(k) + " lies outside the fitted runs' k range [" +
                            FormatQuantity(laws.k_min) + ", " + FormatQuantity(laws.k_max) + "]");
  }
  if (laws.tokens_max > 0.0 && tokens > laws.tokens_max) {
    plan.warnings.push_back("extrapolation: " + FormatQuantity(tokens) + " tokens is " +
                            Times(tokens / laws.tokens_max) + " the most any fitted run saw (" +
                            FormatQuantity(laws.tokens_max) + ")");
  }
  if (laws.has_token_term && laws.tokens_per_latent_min > 0.0) {
    const double ratio = tokens / n;
    if (ratio < laws.tokens_per_latent_min || ratio > laws.tokens_per_latent_max) {
      plan.warnings.push_back("extrapolation: " + FormatQuantity(ratio) + " tokens per latent lies outside the fitted "
                              "runs' range [" + FormatQuantity(laws.tokens_per_latent_min) + ", " +
                              FormatQuantity(laws.tokens_per_latent_max) + "]: the token term is used beyond its data");
    }
  }
  if (at_limit && request.goal != DictionaryGoal::LATENTS && chosen->num_latents >= kMaxLatents * 0.99) {
    plan.warnings.push_back("the optimum sits at the search limit of 1e12 latents");
  }
  if (plan.sparse.loss >= 1.0) {
    plan.warnings.push_back("a normalised MSE of 1 or more reconstructs no better than the mean activation");
  }

  if (!request.bootstrap_laws.empty()) {
    std::vector<double> losses;
    losses.reserve(request.bootstrap_laws.size());
    for (const DictionaryLaws& law : request.bootstrap_laws) losses.push_back(law.Loss(n, k, tokens));
    plan.loss_interval = PercentileInterval(std::move(losses), request.confidence);
  }
  return plan;
}

void AddDictionaryLawsJson(const DictionaryLaws& laws, nlohmann::ordered_json* out) {
  const LatentsSparsityLaw& c = laws.converged;
  (*out)["converged"] = {{"alpha", c.alpha}, {"beta_k", c.beta_k}, {"beta_n", c.beta_n},
                         {"gamma", c.gamma}, {"zeta", c.zeta},     {"eta", c.eta}};
  if (laws.has_token_term) {
    (*out)["token_term"] = {{"B", laws.token_coefficient}, {"beta", laws.token_exponent}};
  } else {
    (*out)["convergence_tokens"] = {{"tokens", laws.convergence_tokens},
                                    {"latents", laws.convergence_latents},
                                    {"exponent", laws.convergence_exponent}};
  }
}

namespace {

nlohmann::ordered_json LawsToJson(const DictionaryLaws& laws) {
  nlohmann::ordered_json out;
  out["label"] = laws.label;
  out["prior"] = laws.prior;
  AddDictionaryLawsJson(laws, &out);
  return out;
}

nlohmann::ordered_json CostsToJson(const DictionaryCosts& c, bool subject_known) {
  nlohmann::ordered_json out;
  out["kernels"] = DictionaryKernelsName(c.kernels);
  // Counts are written as integers: the optimum n is continuous in the law, the dictionary has a whole number of
  // latents (the other numbers are the optimum's; rounding moves them by under 1e-5 relative).
  out["num_latents"] = std::llround(c.num_latents);
  out["k"] = std::llround(c.k);
  out["num_tokens"] = c.num_tokens;
  out["compute_flops"] = c.compute_flops;
  out["harvest_flops"] = subject_known ? nlohmann::ordered_json(c.harvest_flops) : nlohmann::ordered_json(nullptr);
  out["loss"] = c.loss;
  out["memory_bytes"] = c.memory_bytes;
  out["memory_bytes_per_device"] = c.memory_bytes_per_device;
  out["devices"] = c.devices;
  out["days"] = c.days;
  out["training_days"] = c.training_days;
  out["harvest_days"] = c.harvest_days;
  out["harvest_devices"] = c.harvest_devices;
  out["harvest_min_devices"] = c.harvest_min_devices;
  out["device_hours"] = c.device_hours;
  out["cost_usd"] = c.cost_usd;
  out["price_usd_per_hour"] = c.price_usd_per_hour;
  out["flops_per_token"] = c.flops_per_token;
  out["harvest_flops_per_token"] = c.harvest_flops_per_token;
  out["aux_latents"] = std::llround(c.aux_latents);
  out["num_params"] = c.memory.num_params;
  out["optimizer_bytes_per_step"] = c.optimizer_bytes_per_step;
  out["harvest_storage_bytes"] = c.harvest_storage_bytes;
  out["time_per_token_seconds"] = {{"gemm", c.time_per_token.gemm_seconds},
                                   {"topk", c.time_per_token.topk_seconds},
                                   {"gather", c.time_per_token.gather_seconds},
                                   {"scatter", c.time_per_token.scatter_seconds},
                                   {"optimizer", c.time_per_token.optimizer_seconds}};
  out["feasible"] = c.feasible;
  out["reasons"] = c.reasons;
  return out;
}

}  // namespace

nlohmann::ordered_json DictionaryPlanToJson(const DictionaryPlan& plan, const DictionaryRequest& request,
                                            const std::string& device_description) {
  nlohmann::ordered_json out;
  out["mode"] = DictionaryGoalName(plan.goal);
  out["law"] = plan.law_label;
  out["prior"] = plan.prior;
  out["reachable"] = plan.reachable;
  out["status"] = plan.status;
  out["d_model"] = std::llround(request.d_model);
  const bool hours =
      plan.goal == DictionaryGoal::DEVICE_HOURS || (plan.goal == DictionaryGoal::LATENTS && request.device_hours > 0.0);
  out["budget"] = plan.budget;
  out["budget_unit"] = hours ? "device_hours" : "flops";
  out["budget_includes_harvest"] = plan.budget_includes_harvest;
  if (plan.goal == DictionaryGoal::TARGET_LOSS) out["target_loss"] = request.target_loss;
  if (plan.reachable) {
    const bool subject_known = request.subject.Known();
    nlohmann::ordered_json sparse = CostsToJson(plan.sparse, subject_known);
    for (auto& [key, value] : sparse.items()) out[key] = value;
    out["loss_interval"] = plan.loss_interval
                               ? nlohmann::ordered_json{plan.loss_interval->first, plan.loss_interval->second}
                               : nlohmann::ordered_json(nullptr);
    out["converged"] = plan.converged;
    out["convergence_tokens"] = plan.convergence_tokens;
    out["k_choice"] = plan.k_choice;
    out["dense"] = CostsToJson(plan.dense, subject_known);
    out["sparse_savings"] = {{"flops", plan.dense.compute_flops / plan.sparse.compute_flops},
                             {"days", plan.sparse.days > 0 ? plan.dense.days / plan.sparse.days : 0.0}};
  }
  out["accelerator"] = request.accelerator.name;
  out["device"] = device_description;
  out["subject_params"] = request.subject.num_params;
  out["subject_layers_fraction"] = request.subject.layers_fraction;
  out["laws"] = LawsToJson(request.laws);
  out["notes"] = plan.notes;
  out["warnings"] = plan.warnings;
  return out;
}

}  // namespace scaleplan
