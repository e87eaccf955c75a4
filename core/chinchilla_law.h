// The Chinchilla parametric loss (Hoffmann et al. 2022, eq. 2) and compute-optimal allocation under C = 6 N D.
//
//   L(N, D) = E + A / N^alpha + B / D^beta        N = all parameters (embeddings included), D = training tokens
//
// Allocation (Hoffmann et al. 2022, eq. 4): minimising L subject to 6 N D = C gives
//   G = (alpha A / (beta B))^(1/(alpha+beta)),  a = beta/(alpha+beta),  b = alpha/(alpha+beta)
//   N_opt(C) = G (C/6)^a,   D_opt(C) = G^-1 (C/6)^b
// and on that frontier the loss is L_opt(C) = E + K (C/6)^(-alpha beta/(alpha+beta)), K = A G^-alpha + B G^beta.
#ifndef SCALEPLAN_CORE_CHINCHILLA_LAW_H_
#define SCALEPLAN_CORE_CHINCHILLA_LAW_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/statistics.h"

namespace scaleplan {

// One training configuration and its predicted loss.
struct Allocation {
  double num_params = 0.0;
  double num_tokens = 0.0;
  double compute_flops = 0.0;  // 6 N D
  double tokens_per_param = 0.0;
  double loss_nats = 0.0;
};

// Whether an allocation is a plan that can be reported: N and D finite and at least one parameter and one token,
// the loss finite. A law with extreme coefficients (a hand-edited file, say A = 1e300 with alpha = 5) puts the
// optimum of 1e23 FLOPs at 1e57 parameters on 1e-35 tokens; front ends refuse such a plan, naming the law, instead
// of printing it. *why (if given) says which number is out of range.
bool CheckAllocation(const Allocation& allocation, std::string* why);

// Throws InputError when CheckAllocation fails, naming the law: "fit from f.json gives no usable plan at 1.00e+22
// FLOPs: D = 1.87e-36 tokens is out of range (check the law's coefficients)". `plan`, `sweep` and the desktop
// planner call it on every plan they show.
void RequireUsableAllocation(const Allocation& allocation, const std::string& law_description);

struct ChinchillaLaw {
  double E = 0.0;      // irreducible loss, nats/token
  double A = 0.0;      // parameter term coefficient
  double B = 0.0;      // data term coefficient
  double alpha = 0.0;  // parameter exponent
  double beta = 0.0;   // data exponent

  // True when every coefficient is finite and positive and the allocation scale G below is a finite positive
  // number (the allocation formulas need both; alpha = 1e-300, say, sends G to 0).
  bool Check(std::string* why) const;

  double Loss(double num_params, double num_tokens) const;

  double ExponentParams() const { return beta / (alpha + beta); }  // a in N_opt ∝ C^a
  double ExponentTokens() const { return alpha / (alpha + beta); }  // b in D_opt ∝ C^b
  double AllocationScale() const;                                    // G

  // The compute-optimal N and D for `compute_flops` (closed form).
  Allocation ComputeOptimal(double compute_flops) const;

  // The compute budget for which `num_params` is compute-optimal, and its allocation.
  Allocation ComputeOptimalForParams(double num_params) const;

  // A fixed model size trained on a fixed budget: D = C / (6 N).
  Allocation ForParamsAndCompute(double num_params, double compute_flops) const;

  // The least compute that reaches `loss_nats`, with its allocation (closed form on the frontier). Returns nullopt
  // when the target is at or below the irreducible loss E, which no finite compute reaches.
  std::optional<Allocation> LeastComputeForLoss(double loss_nats) const;
};

// Published coefficients, for `--law NAME`.
struct NamedLaw {
  std::string name;
  std::string description;
  ChinchillaLaw law;
};

// hoffmann (paper body, rounded), hoffmann-unrounded, epoch (Besiroglu et al. 2024 point estimate).
const std::vector<NamedLaw>& PublishedLaws();

// Looks a published law up by name (case-insensitive). Returns nullopt for an unknown name.
std::optional<NamedLaw> FindPublishedLaw(const std::string& name);

// Intervals of a plan's numbers over bootstrap laws: `plan(law)` computes the same plan (a budget, a size, a target
// loss) under one law; a law under which the plan does not exist (a target loss below its E) is skipped.
struct AllocationIntervals {
  Interval num_params, num_tokens, tokens_per_param, compute_flops, loss;
  int num_laws = 0;  // laws that gave a plan
};
std::optional<AllocationIntervals> IntervalsOfAllocation(
    const std::vector<ChinchillaLaw>& laws, double confidence,
    const std::function<std::optional<Allocation>(const ChinchillaLaw&)>& plan);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_CHINCHILLA_LAW_H_
