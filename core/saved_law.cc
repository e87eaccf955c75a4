#include "core/saved_law.h"

#include "core/error.h"

namespace scaleplan {

bool SavedLaw::Allocates() const { return HasChinchillaForm() || law_name == "kaplan" || law_name == "isoflop"; }

Allocation SavedLaw::ComputeOptimal(double compute_flops) const {
  SCALEPLAN_CHECK(Allocates(), "law '" + law_name + "' gives no allocation at a budget");
  if (law_name == "kaplan") return kaplan.ComputeOptimal(compute_flops);
  if (law_name == "isoflop") return isoflop.ComputeOptimal(compute_flops);
  return law.ComputeOptimal(compute_flops);
}

FitRanges SavedLaw::Ranges() const {
  return {compute_min, compute_max, num_params_min, num_params_max, num_tokens_min, num_tokens_max};
}

std::string CommandThatPlansWith(const std::string& law_name) {
  if (law_name == "dictionary") return "'scaleplan dictionary --fit FIT.json'";
  if (law_name == "sparse") return "'scaleplan plan --compute C --sparsity S --fit FIT.json' (the sparse planner)";
  if (law_name == "hyperparams") return "'scaleplan plan --hyperparams FIT.json' (it sets the batch and learning rate)";
  if (law_name == "moe" || law_name == "routing") {
    return "none yet for a fitted " + law_name +
           " law ('scaleplan plan --law krajewski2024 --compute C' plans with the published MoE law)";
  }
  if (law_name == "expression") return "none: an expression law has no closed-form allocation; use 'validate' or 'plot'";
  return "none";
}

}  // namespace scaleplan
