// A saved law of the user's own form (`fit --law-expr ... --out FIT.json`) as the planner uses it: the expression
// with its fitted parameters, and the compute-optimal allocation found by search, since such a law has no closed form.
//
// Under a budget C = 6 N D the compute-optimal plan is the minimum over N of
//
//   f(x) = L(N, C / (6 N)),   N = e^x,
//
// searched in x = log N over [kExpressionMinParams, min(kExpressionMaxParams, C / 6)] (at least one token): f on 401
// points evenly spaced in x, then, around the best of them, the root of df/dx by bisection (forward-mode derivatives
// of the expression) where df/dx changes sign across the two neighbours, else golden-section search (a law with a
// kink, min or max or abs, at its optimum). A best point on the bracket's edge is no optimum (the loss keeps falling
// beyond it): refused, never returned. Only laws of N, D and C plan: C is read as 6 N D (the fit read it from the
// runs, which may count FLOPs otherwise); U, S and named columns have no value in a plan.
#ifndef SCALEPLAN_CORE_EXPRESSION_LAW_H_
#define SCALEPLAN_CORE_EXPRESSION_LAW_H_

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/expression.h"

namespace scaleplan {

// The model sizes the search considers: a thousand parameters to 1e16 (about 25,000 times Llama 3 405B).
inline constexpr double kExpressionMinParams = 1e3;
inline constexpr double kExpressionMaxParams = 1e16;
// The budgets searched for a size (--params) or a target loss: 1e10 to 1e40 FLOPs.
inline constexpr double kExpressionMinComputeFlops = 1e10;
inline constexpr double kExpressionMaxComputeFlops = 1e40;

struct ExpressionLaw {
  std::string text;                      // the expression as saved
  std::vector<std::string> param_names;  // the fitted parameters
  std::vector<double> params;            // their values, then N, D and C when evaluated
  ExpressionProgram program;             // parameters 0..P-1 the fitted ones, P, P+1, P+2 the values of N, D, C
  std::string other_column;              // the first name that is neither a parameter nor N, D, C; "" when it plans

  // Bound (ReadSavedExpressionLaw or MakeExpressionLaw) and reading only N, D and C.
  bool Plans() const { return !program.code.empty() && other_column.empty(); }
  // L(N, D) with C = 6 N D (a precondition: Plans()).
  double Loss(double num_params, double num_tokens) const;
};

// Parses `text` ("saved fit" labels its errors) and binds each name: a parameter of `param_names` (valued `params`),
// N, D or C, or else another column (recorded in other_column). Throws ExpressionError for a malformed expression and
// a size mismatch of names and values as a broken precondition.
ExpressionLaw MakeExpressionLaw(const std::string& text, const std::vector<std::string>& param_names,
                                const std::vector<double>& params, const std::string& source = "expression");

// The law of a saved expression fit (`fit --law-expr ... --out`, fitting/expression_fit.h): its `expression` and
// `parameters` {name: value}. Throws InputError naming `source` and the key for a missing or mistyped key or an
// expression that does not parse.
ExpressionLaw ReadSavedExpressionLaw(const nlohmann::json& doc, const std::string& source);

// Where a search found no plan, and why (one sentence, for the refusal).
struct ExpressionSearch {
  std::optional<Allocation> allocation;
  std::string why;  // when there is no allocation
};

// The compute-optimal allocation at `compute_flops` (the search above). No allocation when the budget leaves no
// bracket (below 6e3 FLOPs), the law is not finite anywhere on it, or the best size is on the bracket's edge.
ExpressionSearch ExpressionComputeOptimal(const ExpressionLaw& law, double compute_flops);

// The compute-optimal allocation whose N_opt is `num_params`: the budget in [kExpressionMinComputeFlops,
// kExpressionMaxComputeFlops] where N_opt(C) first reaches it (budgets a decade apart, then bisection in log C).
ExpressionSearch ExpressionComputeOptimalForParams(const ExpressionLaw& law, double num_params);

// The least budget whose compute-optimal loss is `loss_nats` (the same scan and bisection on L_opt(C)).
ExpressionSearch ExpressionLeastComputeForLoss(const ExpressionLaw& law, double loss_nats);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_EXPRESSION_LAW_H_
