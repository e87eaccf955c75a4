#include "core/isoflop_law.h"

#include <cmath>
#include <limits>

namespace scaleplan {

double LossFrontier::Loss(double compute_flops) const { return E + K * std::pow(compute_flops, -gamma); }

bool IsoFlopLaw::Check(std::string* why) const {
  const auto fail = [why](const char* message) {
    if (why != nullptr) *why = message;
    return false;
  };
  if (!(coeff_params > 0) || !std::isfinite(coeff_params)) return fail("k_N must be positive and finite");
  if (!(coeff_tokens > 0) || !std::isfinite(coeff_tokens)) return fail("k_D must be positive and finite");
  if (!std::isfinite(exponent_params) || !std::isfinite(exponent_tokens)) return fail("a and b must be finite");
  if (has_frontier) {
    if (!(frontier.E >= 0) || !std::isfinite(frontier.E)) return fail("the frontier's E must be finite and >= 0");
    if (!(frontier.K > 0) || !std::isfinite(frontier.K)) return fail("the frontier's K must be positive and finite");
    if (!(frontier.gamma > 0) || !std::isfinite(frontier.gamma)) {
      return fail("the frontier's gamma must be positive and finite");
    }
  }
  return true;
}

Allocation IsoFlopLaw::ComputeOptimal(double compute_flops) const {
  Allocation out;
  out.compute_flops = compute_flops;
  out.num_params = coeff_params * std::pow(compute_flops, exponent_params);
  out.num_tokens = coeff_tokens * std::pow(compute_flops, exponent_tokens);
  out.tokens_per_param = out.num_tokens / out.num_params;
  out.loss_nats = has_frontier ? frontier.Loss(compute_flops) : std::numeric_limits<double>::quiet_NaN();
  return out;
}

}  // namespace scaleplan
