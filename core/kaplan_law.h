// The joint loss law of Kaplan et al. 2020 ("Scaling Laws for Neural Language Models", eq. 1.5):
//
//   L(N, D) = [ (N_c / N)^(alpha_N / alpha_D) + D_c / D ]^alpha_D        N = NON-embedding parameters
//
// Allocation under C = 6 N D: with p = alpha_N / alpha_D, minimising (N_c/N)^p + 6 D_c N / C over N gives
//   N_opt(C) = (p N_c^p C / (6 D_c))^(1/(p+1)),  so  N_opt ∝ C^a with a = alpha_D / (alpha_N + alpha_D).
// (Kaplan et al.'s better-known N ∝ C^0.73 comes from their L(N, S_min) form with the critical batch size, not from
// this L(N, D) form.)
#ifndef SCALEPLAN_CORE_KAPLAN_LAW_H_
#define SCALEPLAN_CORE_KAPLAN_LAW_H_

#include <string>

#include "core/chinchilla_law.h"

namespace scaleplan {

struct KaplanLaw {
  double n_c = 6.4e13;    // N_c, non-embedding parameters
  double d_c = 1.8e13;    // D_c, tokens
  double alpha_n = 0.076;
  double alpha_d = 0.103;

  bool Check(std::string* why) const;
  double Loss(double num_params, double num_tokens) const;
  double ExponentParams() const { return alpha_d / (alpha_n + alpha_d); }
  double ExponentTokens() const { return alpha_n / (alpha_n + alpha_d); }
  Allocation ComputeOptimal(double compute_flops) const;
};

// Kaplan et al. 2020's published coefficients (the defaults above).
inline KaplanLaw PublishedKaplanLaw() { return KaplanLaw{}; }

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_KAPLAN_LAW_H_
