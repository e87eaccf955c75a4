#include "core/sparse_plans.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace scaleplan {

nlohmann::ordered_json MoePlanToJson(const MoePlan& plan, const std::string& law_label, double compute_flops,
                                     const MoePlanOptions& options) {
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
                                          const std::vector<double>& num_params,
                                          const std::vector<double>& num_experts) {
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
  return json;
}

}  // namespace scaleplan
