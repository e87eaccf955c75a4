#include "core/hyperparams.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/transformer.h"
#include "core/units.h"

namespace scaleplan {
namespace {

bool Positive(double value) { return std::isfinite(value) && value > 0; }

// x^e, or 1 when the exponent is zero (so that an unused quantity may be 0).
double PowerOrOne(double x, double exponent) { return exponent == 0.0 ? 1.0 : std::pow(x, exponent); }

// "1.2e+25 FLOPs is 6e+05x above the budgets the law was fitted on (1e+17 to 2e+19 FLOPs)"
std::string RangeWarning(const std::string& law_source, const std::string& what, double value, double lo, double hi,
                         const std::string& unit) {
  const double factor = value < lo ? lo / value : value / hi;
  return law_source + ": " + what + " " + FormatScientific(value) + unit + " is " + FormatSignificant(factor, 3) +
         "x " + (value < lo ? "below" : "above") + " the range the law was fitted on (" + FormatScientific(lo) +
         " to " + FormatScientific(hi) + unit + "): its batch and learning rate are extrapolated";
}

}  // namespace

HyperparamsLaw DeepSeekHyperparamsLaw() {
  HyperparamsLaw law;
  law.name = "deepseek";
  law.source = "DeepSeek LLM 2024 (arXiv 2401.02954)";
  law.lr_coefficient = 0.3118;
  law.lr_compute_exponent = -0.1250;
  law.batch_coefficient = 0.2920;
  law.batch_compute_exponent = 0.3271;
  law.min_compute_flops = 1e17;
  law.max_compute_flops = 1e24;
  law.fitted_min_compute_flops = 1e17;
  law.fitted_max_compute_flops = 2e19;
  return law;
}

HyperparamsLaw StepLawHyperparamsLaw() {
  HyperparamsLaw law;
  law.name = "steplaw";
  law.source = "Step Law, Li et al. 2025 (arXiv 2503.04715)";
  law.lr_coefficient = 1.79;
  law.lr_params_exponent = -0.713;
  law.lr_tokens_exponent = 0.307;
  law.batch_coefficient = 0.58;
  law.batch_tokens_exponent = 0.571;
  // The grid (N 6e7 to 1e9, D 2e9 to 1e11), widened by 10x each way before a warning.
  law.min_params = 6e6;
  law.max_params = 1e10;
  law.min_tokens = 2e8;
  law.max_tokens = 1e12;
  return law;
}

double LawLearningRate(const HyperparamsLaw& law, double compute_flops, double num_params_nonembedding,
                       double num_tokens) {
  return law.lr_coefficient * PowerOrOne(compute_flops, law.lr_compute_exponent) *
         PowerOrOne(num_params_nonembedding, law.lr_params_exponent) * PowerOrOne(num_tokens, law.lr_tokens_exponent);
}

double LawBatchTokens(const HyperparamsLaw& law, double compute_flops, double num_tokens) {
  return law.batch_coefficient * PowerOrOne(compute_flops, law.batch_compute_exponent) *
         PowerOrOne(num_tokens, law.batch_tokens_exponent);
}

DeepSeekScale DeepSeekOptimalScale(double compute_flops) {
  return {0.1715 * std::pow(compute_flops, 0.5243), 5.8316 * std::pow(compute_flops, 0.4757)};
}

double DeepSeekFlopsPerToken(double num_layers, double d_model, double seq_len) {
  return 72.0 * num_layers * d_model * d_model + 12.0 * num_layers * d_model * seq_len;
}

double CriticalBatchTokens(double loss_nats) {
  SCALEPLAN_CHECK(Positive(loss_nats), "the critical batch needs a positive loss");
  return kCriticalBatchScaleTokens / std::pow(loss_nats, 1.0 / kCriticalBatchExponent);
}

bool HyperparamsRequest::Check(std::string* why) const {
  const auto fail = [&](const std::string& text) {
    if (why != nullptr) *why = text;
    return false;
  };
  if (!Positive(compute_flops)) return fail("the compute must be positive");
  if (!Positive(num_params)) return fail("the parameter count must be positive");
  if (!(num_params_nonembedding == 0.0 || Positive(num_params_nonembedding))) {
    return fail("the non-embedding parameter count must be positive (or 0 for all parameters)");
  }
  if (!Positive(num_tokens)) return fail("the token count must be positive");
  if (!(Positive(seq_len) && seq_len == std::floor(seq_len))) {
    return fail("the sequence length must be a positive whole number of tokens");
  }
  if (!(std::isnan(loss_nats) || loss_nats >= 0)) return fail("the loss must not be negative");
  return true;
}

Hyperparams ChooseHyperparams(const HyperparamsLaw& law, const HyperparamsRequest& request) {
  std::string why;
  SCALEPLAN_CHECK(request.Check(&why), why);
  const double n_nonembedding =
      request.num_params_nonembedding > 0 ? request.num_params_nonembedding : request.num_params;
  Hyperparams out;
  out.source = law.source;
  out.seq_len = request.seq_len;
  out.learning_rate = LawLearningRate(law, request.compute_flops, n_nonembedding, request.num_tokens);
  out.batch_tokens = LawBatchTokens(law, request.compute_flops, request.num_tokens);
  SCALEPLAN_CHECK(Positive(out.learning_rate) && Positive(out.batch_tokens),
                  "the law gives a non-positive or non-finite batch or learning rate");
  // Whole sequences, at least one; steps cover every token (the last step may be partial).
  const double sequences = std::max(1.0, std::round(out.batch_tokens / request.seq_len));
  out.batch_sequences = static_cast<std::int64_t>(std::min(sequences, 9e18));
  const double steps = std::ceil(request.num_tokens / (static_cast<double>(out.batch_sequences) * request.seq_len));
  out.num_steps = static_cast<std::int64_t>(std::clamp(steps, 1.0, 9e18));
  out.warmup_steps = std::min<std::int64_t>(
      kWarmupSteps, static_cast<std::int64_t>(std::floor(kMaxWarmupFraction * static_cast<double>(out.num_steps))));

  // The law's range.
  const double c = request.compute_flops;
  if (law.min_compute_flops > 0 && (c < law.min_compute_flops || c > law.max_compute_flops)) {
    const double lo = law.fitted_min_compute_flops > 0 ? law.fitted_min_compute_flops : law.min_compute_flops;
    const double hi = law.fitted_max_compute_flops > 0 ? law.fitted_max_compute_flops : law.max_compute_flops;
    out.warnings.push_back(RangeWarning(law.source, "compute", c, lo, hi, " FLOPs"));
  }
  if (law.min_params > 0 && (n_nonembedding < law.min_params || n_nonembedding > law.max_params)) {
    out.warnings.push_back(RangeWarning(law.source, "N (non-embedding)", n_nonembedding, law.min_params * 10,
                                        law.max_params / 10, " parameters"));
  }
  if (law.min_tokens > 0 && (request.num_tokens < law.min_tokens || request.num_tokens > law.max_tokens)) {
    out.warnings.push_back(RangeWarning(law.source, "D", request.num_tokens, law.min_tokens * 10,
                                        law.max_tokens / 10, " tokens"));
  }
  // The critical batch.
  if (std::isfinite(request.loss_nats) && request.loss_nats > 0) {
    out.critical_batch_tokens = CriticalBatchTokens(request.loss_nats);
    if (out.batch_tokens > out.critical_batch_tokens) {
      // A note, not a warning: Kaplan et al.'s B_crit is on their data and tokenizer, and the batch laws fitted
      // since (DeepSeek's, Li et al.'s) put the loss-optimal batch above it at nearly every frontier budget.
      out.notes.push_back("the batch of " + FormatQuantity(out.batch_tokens) + " tokens exceeds the critical batch " +
                          FormatQuantity(out.critical_batch_tokens) + " tokens at loss " +
                          FormatSignificant(request.loss_nats, 4) +
                          " (Kaplan et al. 2020: B_crit = 2e8 / L^(1/0.21), on their data and tokenizer, so "
                          "indicative): beyond it, more data parallelism buys fewer steps than it costs in tokens");
    }
  }
  return out;
}

Hyperparams PlanHyperparams(const HyperparamsLaw& law, const Allocation& allocation, const ModelMemory& memory) {
  HyperparamsRequest request;
  request.compute_flops = allocation.compute_flops;
  request.num_params = allocation.num_params;
  request.num_tokens = allocation.num_tokens;
  request.loss_nats = allocation.loss_nats;
  if (memory.has_shape) {
    request.seq_len = static_cast<double>(memory.shape.context_length);
    request.num_params_nonembedding = static_cast<double>(CountParameters(memory.shape).non_embedding);
  }
  std::string why;
  if (!request.Check(&why)) throw InputError("cannot choose hyper-parameters for this plan: " + why);
  Hyperparams out = ChooseHyperparams(law, request);
  if (law.name == "deepseek" && memory.has_shape) {
    // DeepSeek's M at this shape against the plan's 6 N (N all parameters): C_DeepSeek / C_plan = M / 6N.
    const double m = DeepSeekFlopsPerToken(static_cast<double>(memory.shape.num_layers),
                                           static_cast<double>(memory.shape.d_model), request.seq_len);
    const double ratio = m / (6.0 * allocation.num_params);
    out.notes.push_back("DeepSeek's C is M D with M = 72 n_layer d^2 + 12 n_layer d l_seq (attention included, "
                        "embeddings not): at this shape (" +
                        std::to_string(memory.shape.num_layers) + " x " + std::to_string(memory.shape.d_model) +
                        ", " + FormatSignificant(request.seq_len, 6) + "-token sequences) M = " +
                        FormatScientific(m) + " FLOPs per token, " + FormatSignificant(ratio, 4) +
                        "x the 6N used here; with their C the batch would be " +
                        FormatSignificant(std::pow(ratio, law.batch_compute_exponent), 4) +
                        "x and the learning rate " + FormatSignificant(std::pow(ratio, law.lr_compute_exponent), 4) +
                        "x");
  }
  return out;
}

void AddHyperparamsJson(const Hyperparams& hyperparams, nlohmann::ordered_json* out) {
  nlohmann::ordered_json& json = *out;
  json["batch_tokens"] = hyperparams.batch_tokens;
  json["batch_sequences"] = hyperparams.batch_sequences;
  json["learning_rate"] = hyperparams.learning_rate;
  json["num_steps"] = hyperparams.num_steps;
  json["warmup_steps"] = hyperparams.warmup_steps;
  json["hyperparams_source"] = hyperparams.source;
  json["critical_batch_tokens"] = hyperparams.critical_batch_tokens;
  json["hyperparams_warnings"] = hyperparams.warnings;
  json["hyperparams_notes"] = hyperparams.notes;
}

}  // namespace scaleplan
