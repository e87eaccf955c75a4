#include "core/kaplan_law.h"

#include <cmath>

#include "core/error.h"

namespace scaleplan {

bool KaplanLaw::Check(std::string* why) const {
  const std::pair<const char*, double> values[] = {
      {"N_c", n_c}, {"D_c", d_c}, {"alpha_N", alpha_n}, {"alpha_D", alpha_d}};
  for (const auto& [name, value] : values) {
    if (!std::isfinite(value) || value <= 0.0) {
      if (why != nullptr) *why = std::string(name) + " must be finite and positive, got " + std::to_string(value);
      return false;
    }
  }
  return true;
}

double KaplanLaw::Loss(double num_params, double num_tokens) const {
  return std::pow(std::pow(n_c / num_params, alpha_n / alpha_d) + d_c / num_tokens, alpha_d);
}

Allocation KaplanLaw::ComputeOptimal(double compute_flops) const {
  SCALEPLAN_CHECK(compute_flops > 0.0, "compute must be positive");
  const double p = alpha_n / alpha_d;
  const double num_params = std::pow(p * std::pow(n_c, p) * compute_flops / (6.0 * d_c), 1.0 / (p + 1.0));
  Allocation out;
  out.num_params = num_params;
  out.num_tokens = compute_flops / (6.0 * num_params);
  out.compute_flops = compute_flops;
  out.tokens_per_param = out.num_tokens / num_params;
  out.loss_nats = Loss(out.num_params, out.num_tokens);
  return out;
}

}  // namespace scaleplan
