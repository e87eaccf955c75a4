// What an IsoFLOP fit (Hoffmann et al. 2022, Approach 2; fitting/isoflop_fit.h) gives to plan with. Approach 2 has
// no L(N, D): it fits the compute-optimal allocation directly,
//
//   N_opt(C) = k_N C^a,   D_opt(C) = k_D C^b,
//
// and, to predict a loss at a budget, the frontier of the budgets' minimum losses,
//
//   L_opt(C) = E + K C^-gamma,
//
// fitted to the parabola minima of the budgets the exponents were fitted to.
#ifndef SCALEPLAN_CORE_ISOFLOP_LAW_H_
#define SCALEPLAN_CORE_ISOFLOP_LAW_H_

#include <string>

#include "core/chinchilla_law.h"

namespace scaleplan {

// L_opt(C) = E + K C^-gamma.
struct LossFrontier {
  double E = 0.0;      // nats/token, >= 0
  double K = 0.0;      // > 0
  double gamma = 0.0;  // > 0
  double Loss(double compute_flops) const;
};

struct IsoFlopLaw {
  double coeff_params = 0.0;     // k_N
  double exponent_params = 0.0;  // a
  double coeff_tokens = 0.0;     // k_D
  double exponent_tokens = 0.0;  // b
  bool has_frontier = false;     // false: no loss is predicted (fewer than 3 budgets, or the frontier fit failed)
  LossFrontier frontier;

  // k_N, k_D positive and finite, a and b finite; the frontier (when present) with E >= 0, K > 0, gamma > 0.
  bool Check(std::string* why) const;
  // N_opt, D_opt = k_N C^a, k_D C^b; tokens per parameter; the frontier's loss (NaN without a frontier). Note that
  // 6 N_opt D_opt equals C only as far as the two fitted power laws agree; compute_flops is the budget asked for.
  Allocation ComputeOptimal(double compute_flops) const;
};

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_ISOFLOP_LAW_H_
