// A law read back from a saved fit (`scaleplan fit --out FIT.json`; the reader is fitting/fit_json.h), in the form
// the planner uses it (core/plan.h): only the law's coefficients are needed to plan; the rest is kept for display,
// extrapolation warnings and intervals.
#ifndef SCALEPLAN_CORE_SAVED_LAW_H_
#define SCALEPLAN_CORE_SAVED_LAW_H_

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
#include "core/data_constrained.h"
#include "core/expression_law.h"
#include "core/extrapolation.h"
#include "core/isoflop_law.h"
#include "core/kaplan_law.h"

namespace scaleplan {

// The laws a saved fit names in its `law` key (README, "Saved fits"). The first four, and expressions of N, D and C,
// give an allocation at a budget and so plan (`plan --fit`); the others are read by their own commands.
inline constexpr const char* kSavedLawNames[] = {"chinchilla", "kaplan", "isoflop", "data-constrained", "dictionary",
                                                 "sparse",     "moe",    "routing", "hyperparams",      "expression"};

struct SavedLaw {
  std::string law_name = "chinchilla";  // the file's `law` (a file without one is a Chinchilla fit)
  ChinchillaLaw law;                    // chinchilla; data-constrained: its base law
  KaplanLaw kaplan;                     // law_name "kaplan"
  IsoFlopLaw isoflop;                   // law_name "isoflop"
  DataConstrainedLaw data_constrained;  // law_name "data-constrained": the base law (= law) with the fitted R_D*, R_N*
  ExpressionLaw expression;             // law_name "expression": the expression with its fitted parameters
  nlohmann::json payload;               // the whole file, for the laws read by their own commands
  std::string description;              // "fit of <source> (240 runs)"
  double compute_min = 0.0;             // compute range of the fitted runs (0 when unknown)
  double compute_max = 0.0;
  double num_params_min = 0.0, num_params_max = 0.0;  // N range of the fitted runs (0 when unknown)
  double num_tokens_min = 0.0, num_tokens_max = 0.0;  // D range
  std::vector<ChinchillaLaw> bootstrap_laws;          // empty when the fit had no bootstrap
  double confidence = 0.95;                           // the fit's interval level

  // Chinchilla, Kaplan, IsoFLOP and data-constrained fits give an allocation at a budget, and so does an expression
  // of N, D and C only (by search: core/expression_law.h); the others do not.
  bool Allocates() const;
  // The law's L(N, D) form is Chinchilla's (chinchilla, data-constrained): every plan mode works with it.
  bool HasChinchillaForm() const { return law_name == "chinchilla" || law_name == "data-constrained"; }
  // The compute-optimal allocation at `compute_flops` (a precondition: Allocates()). Data-constrained: without a
  // unique-token limit, its base law's. An expression law throws InputError (naming `description`) where the search
  // finds no optimum (the loss still falling at the edge of the sizes searched).
  Allocation ComputeOptimal(double compute_flops) const;
  // The compute-optimal allocation whose N_opt is `num_params` (the budget that makes it optimal), and the least
  // compute whose compute-optimal loss is `loss_nats` (nullopt when the law never goes that low: at or below
  // Chinchilla's E or the IsoFLOP frontier's E, or an IsoFLOP fit without a frontier). Preconditions: Allocates(),
  // a positive argument. An expression law: InputError where no budget from 1e10 to 1e40 FLOPs makes the size optimal.
  Allocation ComputeOptimalForParams(double num_params) const;
  std::optional<Allocation> LeastComputeForLoss(double loss_nats) const;
  FitRanges Ranges() const;
};

// The law's formula with its coefficients, one line as `plan` prints it ("L(N, D) = 1.82 + 482 / N^0.348 + ...").
std::string SavedLawFormula(const SavedLaw& saved);

// The law's coefficients as a plan's JSON shows them: {name, E, A, B, alpha, beta} for Chinchilla's form (with
// R_D_star, R_N_star for data-constrained), {name, N_c, D_c, alpha_N, alpha_D} for Kaplan, {name, coeff_params,
// exponent_params, coeff_tokens, exponent_tokens, frontier: {E, K, gamma} or null} for IsoFLOP, {name, expression,
// parameters {name: value}} for an expression, {name} otherwise.
nlohmann::ordered_json SavedLawCoefficients(const SavedLaw& saved);

// How to plan with a law that does not allocate at a budget, the clause after the colon of `plan --fit`'s refusal:
// "plan with it using 'scaleplan dictionary --fit FIT.json'", "no command plans with a fitted moe law yet (...)".
std::string CommandThatPlansWith(const std::string& law_name);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_SAVED_LAW_H_
