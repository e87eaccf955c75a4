#include "core/chinchilla_law.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"
#include "core/statistics.h"
#include "core/units.h"

namespace scaleplan {

bool ChinchillaLaw::Check(std::string* why) const {
  const std::pair<const char*, double> values[] = {{"E", E}, {"A", A}, {"B", B}, {"alpha", alpha}, {"beta", beta}};
  for (const auto& [name, value] : values) {
    if (!std::isfinite(value) || value <= 0.0) {
      if (why != nullptr) *why = std::string(name) + " must be finite and positive, got " + std::to_string(value);
      return false;
    }
  }
  const double scale = AllocationScale();
  if (!(std::isfinite(scale) && scale > 0.0)) {
    if (why != nullptr) {
      *why = "the law has no compute-optimal allocation: G = (alpha A / (beta B))^(1 / (alpha + beta)) = " +
             FormatScientific(scale) + " is out of range";
    }
    return false;
  }
  return true;
}

bool CheckAllocation(const Allocation& allocation, std::string* why) {
  auto fail = [why](const std::string& reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  if (!(std::isfinite(allocation.num_params) && allocation.num_params >= 1.0)) {
    return fail("N = " + FormatScientific(allocation.num_params) + " parameters is out of range");
  }
  if (!(std::isfinite(allocation.num_tokens) && allocation.num_tokens >= 1.0)) {
    return fail("D = " + FormatScientific(allocation.num_tokens) + " tokens is out of range");
  }
  if (!std::isfinite(allocation.loss_nats)) return fail("the loss is not finite");
  return true;
}

void RequireUsableAllocation(const Allocation& allocation, const std::string& law_description) {
  std::string why;
  if (!CheckAllocation(allocation, &why)) {
    throw InputError(law_description + " gives no usable plan at " + FormatScientific(allocation.compute_flops) +
                     " FLOPs: " + why + " (check the law's coefficients)");
  }
}

double ChinchillaLaw::Loss(double num_params, double num_tokens) const {
  return E + A / std::pow(num_params, alpha) + B / std::pow(num_tokens, beta);
}

double ChinchillaLaw::AllocationScale() const {
  return std::pow(alpha * A / (beta * B), 1.0 / (alpha + beta));
}

static Allocation MakeAllocation(const ChinchillaLaw& law, double num_params, double num_tokens) {
  Allocation out;
  out.num_params = num_params;
  out.num_tokens = num_tokens;
  out.compute_flops = 6.0 * num_params * num_tokens;
  out.tokens_per_param = num_tokens / num_params;
  out.loss_nats = law.Loss(num_params, num_tokens);
  return out;
}

Allocation ChinchillaLaw::ComputeOptimal(double compute_flops) const {
  SCALEPLAN_CHECK(compute_flops > 0.0, "compute must be positive");
  const double scale = AllocationScale();
  const double half_budget = compute_flops / 6.0;
  const double num_params = scale * std::pow(half_budget, ExponentParams());
  const double num_tokens = std::pow(half_budget, ExponentTokens()) / scale;
  Allocation out = MakeAllocation(*this, num_params, num_tokens);
  out.compute_flops = compute_flops;  // exact, rather than the rounded product
  return out;
}

Allocation ChinchillaLaw::ComputeOptimalForParams(double num_params) const {
  SCALEPLAN_CHECK(num_params > 0.0, "parameter count must be positive");
  // Invert N = G (C/6)^a:  C = 6 (N/G)^(1/a).
  const double compute_flops = 6.0 * std::pow(num_params / AllocationScale(), 1.0 / ExponentParams());
  Allocation out = ComputeOptimal(compute_flops);
  out.num_params = num_params;
  out.num_tokens = compute_flops / (6.0 * num_params);
  out.tokens_per_param = out.num_tokens / num_params;
  out.loss_nats = Loss(out.num_params, out.num_tokens);
  return out;
}

Allocation ChinchillaLaw::ForParamsAndCompute(double num_params, double compute_flops) const {
  SCALEPLAN_CHECK(num_params > 0.0 && compute_flops > 0.0, "parameters and compute must be positive");
  Allocation out = MakeAllocation(*this, num_params, compute_flops / (6.0 * num_params));
  out.compute_flops = compute_flops;
  return out;
}

std::optional<Allocation> ChinchillaLaw::LeastComputeForLoss(double loss_nats) const {
  if (!(loss_nats > E)) return std::nullopt;
  const double scale = AllocationScale();
  const double k = A * std::pow(scale, -alpha) + B * std::pow(scale, beta);
  const double frontier_exponent = alpha * beta / (alpha + beta);
  const double compute_flops = 6.0 * std::pow(k / (loss_nats - E), 1.0 / frontier_exponent);
  if (!std::isfinite(compute_flops) || !(compute_flops > 0)) return std::nullopt;  // an infinite loss: no plan
  return ComputeOptimal(compute_flops);
}

const std::vector<NamedLaw>& PublishedLaws() {
  static const std::vector<NamedLaw> laws = {
      {"hoffmann", "Hoffmann et al. 2022, Approach 3, paper body (rounded)", {1.69, 406.4, 410.7, 0.34, 0.28}},
      {"hoffmann-unrounded",
       "Hoffmann et al. 2022, Approach 3, unrounded (a=6.0073404, b=6.0179186, e=0.5267228)",
       {std::exp(0.5267228), std::exp(6.0073404), std::exp(6.0179186), 0.33917084, 0.2849083}},
      {"epoch", "Besiroglu et al. 2024 (Epoch AI) replication, point estimate on 240 runs",
       {1.817, 482.01, 2085.43, 0.3478, 0.3658}},
  };
  return laws;
}

std::optional<NamedLaw> FindPublishedLaw(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const NamedLaw& law : PublishedLaws()) {
    if (law.name == lower) return law;
  }
  return std::nullopt;
}

std::optional<AllocationIntervals> IntervalsOfAllocation(
    const std::vector<ChinchillaLaw>& laws, double confidence,
    const std::function<std::optional<Allocation>(const ChinchillaLaw&)>& plan) {
  std::vector<double> params, tokens, ratio, compute, loss;
  for (const ChinchillaLaw& law : laws) {
    const std::optional<Allocation> a = plan(law);
    if (!a) continue;
    params.push_back(a->num_params);
    tokens.push_back(a->num_tokens);
    ratio.push_back(a->tokens_per_param);
    compute.push_back(a->compute_flops);
    loss.push_back(a->loss_nats);
  }
  if (params.empty()) return std::nullopt;
  auto interval = [confidence](std::vector<double> values) {
    const auto [lower, upper] = PercentileInterval(std::move(values), confidence);
    return Interval{lower, upper};
  };
  AllocationIntervals out;
  out.num_laws = static_cast<int>(params.size());
  out.num_params = interval(std::move(params));
  out.num_tokens = interval(std::move(tokens));
  out.tokens_per_param = interval(std::move(ratio));
  out.compute_flops = interval(std::move(compute));
  out.loss = interval(std::move(loss));
  return out;
}

}  // namespace scaleplan
