#include "core/sparse_plans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.h"

namespace scaleplan {
namespace {

// The MoE plan's JSON holds the plan's numbers under the command's keys, in the command's order.
TEST(SparsePlansTest, MoePlanJsonHoldsThePlan) {
  MoePlanOptions options;
  options.expansion_rate = 16.0;
  const MoePlan plan = PlanFineGrainedMoeAtGranularity(KrajewskiMoeLaw(), 1e22, 8.0, options);
  const nlohmann::ordered_json json = MoePlanToJson(plan, "krajewski2024", 1e22, options);
  std::string keys;
  for (auto it = json.begin(); it != json.end(); ++it) keys += it.key() + " ";
  EXPECT_EQ(keys,
            "law compute_flops num_params num_active_params num_tokens granularity loss training_flops expansion_rate "
            "num_experts d_model num_blocks ");
  EXPECT_EQ(json["law"], "krajewski2024");
  EXPECT_EQ(json["granularity"].get<double>(), 8.0);
  EXPECT_EQ(json["num_experts"].get<double>(), 16.0 * 8.0);  // E G
  // Eq. 9 at the plan's N and D (Krajewski et al.'s coefficients), and the budget spent.
  const double n = json["num_params"].get<double>(), d = json["num_tokens"].get<double>();
  const double loss = 0.47 + (2.1 / std::pow(8.0, 0.58) + 18.1) / std::pow(n, 0.115) + 30.8 / std::pow(d, 0.147);
  EXPECT_NEAR(json["loss"].get<double>(), loss, 1e-12);
  EXPECT_NEAR(json["training_flops"].get<double>() / 1e22, 1.0, 1e-6);
}

// Clark et al. 2022 Table 3: S-Base's cutoff 10^(-b / c) = 10^(0.108 / 0.009) = 10^12; at E = 1 the routed model is
// the dense one (loss = dense loss, N_bar = N); the plans run router by router, then N, then E.
TEST(SparsePlansTest, RoutingPlansJsonFollowsClarkTable3) {
  const nlohmann::ordered_json json = RoutingPlansToJson(ClarkRoutingLaws(), "clark2022", {1.3e9, 1.3e10}, {1, 64});
  EXPECT_EQ(json["law"], "routing");
  EXPECT_EQ(json["source"], "clark2022");
  EXPECT_NEAR(json["cutoffs"]["S-Base"].get<double>() / 1e12, 1.0, 1e-12);
  ASSERT_EQ(json["plans"].size(), 3u * 2u * 2u);
  const nlohmann::ordered_json& dense = json["plans"][0];
  EXPECT_EQ(dense["router"], "S-Base");
  EXPECT_EQ(dense["num_params"].get<double>(), 1.3e9);
  EXPECT_EQ(dense["num_experts"].get<double>(), 1.0);
  EXPECT_NEAR(dense["saturated_experts"].get<double>(), 1.847, 1e-12);  // E^(1) = E_start
  EXPECT_NEAR(dense["loss"].get<double>(), dense["dense_loss"].get<double>(), 1e-15);
  EXPECT_NEAR(dense["effective_multiplier"].get<double>(), 1.0, 1e-12);
  // log10 L = a x + b s + c x s + d with x = log10 N, s = log10 E^; E = 64 lowers the loss below N_cutoff.
  const nlohmann::ordered_json& routed = json["plans"][1];
  const double x = std::log10(1.3e9);
  const double s = std::log10(1.0 / (1.0 / (64.0 - 1.0 + 1.0 / (1.0 / 1.847 - 1.0 / 314.478)) + 1.0 / 314.478));
  EXPECT_NEAR(routed["loss"].get<double>(), std::pow(10.0, -0.082 * x - 0.108 * s + 0.009 * x * s + 1.104), 1e-12);
  EXPECT_GT(routed["effective_multiplier"].get<double>(), 1.0);
  EXPECT_EQ(json["plans"][4]["router"], "RL-R");
  EXPECT_EQ(json["plans"][8]["router"], "Hash");
}

// A law whose routing helps at every size has no cutoff (null); one whose dense loss does not fall with N has no
// effective parameter count (null).
TEST(SparsePlansTest, RoutingPlansJsonWritesNullForNoCutoffAndNoEffectiveSize) {
  const RoutingLaw helps_everywhere{-0.08, -0.1, -0.001, 1.1, 1.8, 300.0};
  const RoutingLaw flat_dense{0.01, -0.1, 0.0, 1.1, 1.8, 300.0};
  const nlohmann::ordered_json json =
      RoutingPlansToJson({{"A", helps_everywhere}, {"B", flat_dense}}, "fit.json", {1e9}, {8});
  EXPECT_TRUE(json["cutoffs"]["A"].is_null());
  EXPECT_TRUE(json["plans"][1]["effective_params"].is_null());
  EXPECT_TRUE(json["plans"][1]["effective_multiplier"].is_null());
}

TEST(SparsePlansTest, SelectRoutersKeepsTheOrderNamedAndRefusesAnUnknownRouter) {
  const RouterLaws chosen = SelectRouters(ClarkRoutingLaws(), {"Hash", "S-Base"});
  ASSERT_EQ(chosen.size(), 2u);
  EXPECT_EQ(chosen[0].first, "Hash");
  EXPECT_EQ(chosen[1].first, "S-Base");
  EXPECT_EQ(SelectRouters(ClarkRoutingLaws(), {}).size(), 3u);
  try {
    SelectRouters(ClarkRoutingLaws(), {"Nope"});
    FAIL() << "an unknown router was accepted";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "--router: the law has no router 'Nope' (it has S-Base, RL-R, Hash)");
  }
}

}  // namespace
}  // namespace scaleplan
