#include "core/sparse_plans.h"

#include <algorithm>
#include <cmath>

#include "core/chinchilla_law.h"
#include "core/error.h"
#include "core/units.h"

namespace scaleplan {
namespace {

// The ranges of plain runs (N, D, C = 6 N D), as fitting/sparse_fit.h saves them in a fit's `data`.
template <typename Run, typename Params>
FitRanges RangesOf(const std::vector<Run>& runs, Params params) {
  RunsTable plain;
  for (const Run& run : runs) {
    TrainingRun training;
    training.num_params = params(run);
    training.num_tokens = run.num_tokens;
    training.compute_flops = 6.0 * params(run) * run.num_tokens;
    plain.runs.push_back(training);
  }
  return RangesOfRuns(plain);
}

Allocation NominalAllocation(double num_params, double num_tokens, double loss_nats) {
  Allocation allocation;
  allocation.num_params = num_params;
  allocation.num_tokens = num_tokens;
  allocation.compute_flops = 6.0 * num_params * num_tokens;
  allocation.tokens_per_param = num_tokens / num_params;
  allocation.loss_nats = loss_nats;
  return allocation;
}

}  // namespace

SparseLawRanges FrantarT5Ranges(double tokens_per_step) {
  SparseLawRanges ranges;
  ranges.runs =
      RangesOf(BundledFrantarT5Runs(tokens_per_step).runs, [](const SparseRun& run) { return run.num_nonzero_params; });
  return ranges;
}

SparseLawRanges ClarkRoutingRanges() {
  // N only: the bundled runs give no tokens (a routing law has no D term).
  SparseLawRanges ranges;
  const RoutingRunsTable table = BundledClarkRuns();
  for (const RoutingRun& run : table.runs) {
    const bool first = ranges.runs.num_params_max == 0.0;
    ranges.runs.num_params_min = first ? run.num_params : std::min(ranges.runs.num_params_min, run.num_params);
    ranges.runs.num_params_max = std::max(ranges.runs.num_params_max, run.num_params);
  }
  return ranges;
}

SparseLawRanges KrajewskiMoeRanges() { return {}; }

std::vector<std::string> MoePlanWarnings(const MoePlan& plan, const SparseLawRanges& ranges) {
  std::vector<std::string> clauses;
  if (const auto warning =
          ExtrapolationWarning(ranges.runs, NominalAllocation(plan.num_params, plan.num_tokens, plan.loss_nats))) {
    clauses.push_back(*warning);
  }
  // N at the end of the search: the law's optimum lies beyond it (a budget far outside any sensible range).
  if (plan.num_params >= kMoeSearchMaxParams * (1.0 - 1e-6) || plan.num_params <= kMoeSearchMinParams * (1.0 + 1e-6)) {
    clauses.push_back("N = " + FormatQuantity(plan.num_params) + " lies at the end of the sizes searched (" +
                      FormatQuantity(kMoeSearchMinParams) + " to " + FormatQuantity(kMoeSearchMaxParams) +
                      " parameters): the law's optimum lies beyond it, so this is not the compute-optimal plan");
  }
  // G: any step outside the fitted granularities (relative slack for the round trip through a file).
  const double g = plan.granularity;
  if (ranges.granularity_max > 0.0 && g > ranges.granularity_max * (1.0 + 1e-9)) {
    clauses.push_back("G = " + FormatSignificant(g, 3) + " is above the largest fitted granularity (" +
                      FormatSignificant(ranges.granularity_max, 3) + ")");
  } else if (ranges.granularity_min > 0.0 && g < ranges.granularity_min * (1.0 - 1e-9)) {
    clauses.push_back("G = " + FormatSignificant(g, 3) + " is below the smallest fitted granularity (" +
                      FormatSignificant(ranges.granularity_min, 3) + ")");
  }
  if (clauses.empty()) return {};
  std::string text = clauses.front();
  for (size_t k = 1; k < clauses.size(); ++k) text += "; " + clauses[k];
  return {text};
}

std::vector<std::string> SparsePlanWarnings(const SparsePlan& plan, const SparseLawRanges& ranges) {
  const auto warning =
      ExtrapolationWarning(ranges.runs, NominalAllocation(plan.num_nonzero_params, plan.num_tokens, plan.loss_nats));
  return warning ? std::vector<std::string>{*warning} : std::vector<std::string>{};
}

std::string SparseLawPlanner(const std::string& law_name) {
  if (law_name == "krajewski2024") {
    return "it is Krajewski et al. 2024's fine-grained MoE law: plan with it using 'scaleplan plan --law "
           "krajewski2024 --compute C' (the fine-grained MoE planner: N, active N, D and granularity)";
  }
  if (law_name == "clark2022") {
    return "it is Clark et al. 2022's routing law, which has no training-token term: 'scaleplan plan --law clark2022 "
           "--params N --experts E' gives each router's loss and effective parameter count";
  }
  if (law_name == "frantar2023-t5") {
    return "it is Frantar et al. 2023's weight-sparsity law: plan with it using 'scaleplan plan --compute C "
           "--sparsity S' (the sparse planner)";
  }
  return "";
}

void RequireUsableMoePlan(const MoePlan& plan, const std::string& law_label, double compute_flops) {
  Allocation allocation = NominalAllocation(plan.num_params, plan.num_tokens, plan.loss_nats);
  allocation.compute_flops = compute_flops;  // the budget asked for, as the dense planner names it
  RequireUsableAllocation(allocation, law_label);
}

void RequireMoePlanOptions(const MoePlanOptions& options) {
  std::string why;
  if (options.Check(&why)) return;
  InputLocation where{"--expansion-rate"};
  where.text = FormatSignificant(options.expansion_rate, 6);
  if (!(options.expansion_rate >= 1.0)) throw UsageError(FormatInputError("must be at least 1", where));
  throw UsageError(why);
}

std::vector<std::string> RoutingPlanWarnings(const std::vector<double>& num_params, const SparseLawRanges& ranges) {
  std::vector<std::string> warnings;
  for (const double n : num_params) {
    Allocation allocation;
    allocation.num_params = n;
    if (const auto warning = ExtrapolationWarning(ranges.runs, allocation)) {
      warnings.push_back("N " + FormatQuantity(n) + ": " + *warning);
    }
  }
  return warnings;
}

void RequireExpertCounts(const std::vector<double>& num_experts, const std::string& option) {
  for (const double e : num_experts) {
    if (e >= 1.0 && e <= 1e12 && e == std::floor(e)) continue;
    InputLocation where{option};
    where.text = FormatSignificant(e, 6);
    throw UsageError(FormatInputError("must be a whole number of at least 1", where));
  }
}

nlohmann::ordered_json MoePlanToJson(const MoePlan& plan, const std::string& law_label, double compute_flops,
                                     const MoePlanOptions& options, const SparseLawRanges& ranges) {
  nlohmann::ordered_json json;
  json["law"] = law_label;
  json["compute_flops"] = compute_flops;
  json["num_params"] = plan.num_params;
  json["num_active_params"] = plan.num_active_params;
  json["num_tokens"] = plan.num_tokens;
  json["granularity"] = plan.granularity;
  json["loss"] = plan.loss_nats;
  json["training_flops"] = plan.training_flops;
  json["expansion_rate"] = options.expansion_rate;
  json["num_experts"] = plan.shape.NumExperts();
  json["d_model"] = plan.shape.d_model;
  json["num_blocks"] = plan.shape.num_blocks;
  json["warnings"] = MoePlanWarnings(plan, ranges);
  return json;
}

nlohmann::ordered_json SparsePlanFieldsJson(const SparsePlan& plan) {
  return {{"sparsity", plan.sparsity},
          {"sparse_method", SparseMethodName(plan.method)},
          {"num_nonzero_params", plan.num_nonzero_params},
          {"num_params", plan.num_params},
          {"num_tokens", plan.num_tokens},
          {"loss", plan.loss_nats},
          {"training_flops", plan.training_flops},
          {"flops_fraction_of_dense", plan.flops_fraction},
          {"dense_equivalent_flops", plan.dense_equivalent_flops}};
}

nlohmann::ordered_json SparsePlanToJson(const SparsePlan& plan, const SparsePlan& dense, const std::string& law_label,
                                        double compute_flops, bool optimal_sparsity, double sparse_speedup,
                                        const SparseLawRanges& ranges) {
  nlohmann::ordered_json json = SparsePlanFieldsJson(plan);
  json["law"] = law_label;
  json["compute_flops"] = compute_flops;
  json["optimal_sparsity"] = optimal_sparsity;
  json["sparse_speedup"] = sparse_speedup;
  json["dense_loss"] = dense.loss_nats;
  json["dense"] = SparsePlanFieldsJson(dense);
  json["warnings"] = SparsePlanWarnings(plan, ranges);
  return json;
}

RouterLaws ClarkRoutingLaws() {
  return {{"S-Base", ClarkSBaseLaw()}, {"RL-R", ClarkRlrLaw()}, {"Hash", ClarkHashLaw()}};
}

RouterLaws SelectRouters(const RouterLaws& laws, const std::vector<std::string>& routers) {
  if (routers.empty()) return laws;
  RouterLaws chosen;
  for (const std::string& name : routers) {
    const auto found = std::find_if(laws.begin(), laws.end(), [&](const auto& law) { return law.first == name; });
    if (found == laws.end()) {
      std::string known;
      for (const auto& law : laws) known += (known.empty() ? "" : ", ") + law.first;
      throw UsageError("--router: the law has no router '" + name + "' (it has " + known + ")");
    }
    chosen.push_back(*found);
  }
  return chosen;
}

namespace {

nlohmann::ordered_json RoutingPlanJson(const std::string& router, const RoutingPlan& plan) {
  return {{"router", router},
          {"num_params", plan.num_params},
          {"num_experts", plan.num_experts},
          {"saturated_experts", plan.saturated_experts},
          {"loss", plan.loss_nats},
          {"dense_loss", plan.dense_loss_nats},
          {"effective_params", plan.effective_params > 0 ? nlohmann::ordered_json(plan.effective_params) : nullptr},
          {"effective_multiplier",
           plan.effective_params > 0 ? nlohmann::ordered_json(plan.effective_multiplier) : nullptr}};
}

}  // namespace

nlohmann::ordered_json RoutingPlansToJson(const RouterLaws& laws, const std::string& source,
                                          const std::vector<double>& num_params, const std::vector<double>& num_experts,
                                          const SparseLawRanges& ranges) {
  nlohmann::ordered_json json;
  json["law"] = "routing";
  json["source"] = source;
  json["cutoffs"] = nlohmann::ordered_json::object();
  json["plans"] = nlohmann::ordered_json::array();
  for (const auto& [router, law] : laws) {
    const double cutoff = RoutingCutoffParams(law);
    json["cutoffs"][router] = std::isfinite(cutoff) ? nlohmann::ordered_json(cutoff) : nullptr;
    for (const double n : num_params) {
      for (const double e : num_experts) json["plans"].push_back(RoutingPlanJson(router, PlanRoutedModel(law, n, e)));
    }
  }
  json["warnings"] = RoutingPlanWarnings(num_params, ranges);
  return json;
}

}  // namespace scaleplan
