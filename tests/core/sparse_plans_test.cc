#include "core/sparse_plans.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/units.h"

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
            "num_experts d_model num_blocks warnings ");
  EXPECT_TRUE(json["warnings"].empty());  // no ranges given: nothing to check against
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

// The ranges of the bundled runs the published laws were fitted on: Frantar et al.'s T5 runs (N non-zero 1.3M to
// 84.9M, 250k to 1M steps of 65,536 tokens; the same numbers `fit --law sparse` saves in its data) and Clark et al.'s
// routing runs (dense N 16.5M to 1.31B); Krajewski et al.'s law has none recorded.
TEST(SparsePlansTest, PublishedLawsRangesAreTheirBundledRuns) {
  const SparseLawRanges t5 = FrantarT5Ranges();
  EXPECT_EQ(t5.runs.num_params_min, 1327104.0);
  EXPECT_EQ(t5.runs.num_params_max, 84934656.0);
  EXPECT_EQ(t5.runs.num_tokens_min, 250000.0 * 65536.0);
  EXPECT_EQ(t5.runs.num_tokens_max, 1000000.0 * 65536.0);
  EXPECT_DOUBLE_EQ(t5.runs.compute_max_flops, 6.0 * 84934656.0 * 1000000.0 * 65536.0);
  const SparseLawRanges clark = ClarkRoutingRanges();
  EXPECT_EQ(clark.runs.num_params_min, 16527360.0);
  EXPECT_EQ(clark.runs.num_params_max, 1308819456.0);
  EXPECT_EQ(clark.runs.num_tokens_max, 0.0);  // unknown: never checked
  const SparseLawRanges krajewski = KrajewskiMoeRanges();
  EXPECT_EQ(krajewski.runs.num_params_max, 0.0);
  EXPECT_EQ(krajewski.granularity_max, 0.0);
}

// An MoE plan beyond the fitted runs: core/extrapolation.h's clauses for N (total), D and C = 6 N_total D, then G,
// flagged as soon as it leaves the fitted granularities.
TEST(SparsePlansTest, MoePlanWarningsNameEveryCoordinateBeyondTheRuns) {
  const MoePlan plan = PlanFineGrainedMoe(KrajewskiMoeLaw(), 1e25);
  SparseLawRanges ranges;
  ranges.runs = {1.2e18, 9e20, 1e8, 3e9, 2e9, 5e10};
  ranges.granularity_min = 1.0;
  ranges.granularity_max = 16.0;
  const std::vector<std::string> warnings = MoePlanWarnings(plan, ranges);
  ASSERT_EQ(warnings.size(), 1u);
  char expected[400];
  std::snprintf(expected, sizeof expected,
                "extrapolates %.3gx (%.1f orders of magnitude) beyond the largest fitted run (9e+20 FLOPs); N is %.3gx "
                "the largest fitted model (3B parameters); D is %.3gx the most tokens of any fitted run (50B tokens); "
                "G = %.3g is above the largest fitted granularity (16)",
                6 * plan.num_params * plan.num_tokens / 9e20, std::log10(6 * plan.num_params * plan.num_tokens / 9e20),
                plan.num_params / 3e9, plan.num_tokens / 5e10, plan.granularity);
  EXPECT_EQ(warnings[0], expected);
  EXPECT_GT(plan.granularity, 16.0);

  // Within 10x in N, D and C, and G inside [1, 16]: no warning; G 1% above the largest fitted one: warned.
  const MoePlan inside = PlanFineGrainedMoeAtGranularity(KrajewskiMoeLaw(), 1e21, 8.0);
  SparseLawRanges around;
  around.runs = {inside.num_params * inside.num_tokens,
                 6 * inside.num_params * inside.num_tokens,
                 inside.num_params / 2,
                 inside.num_params * 2,
                 inside.num_tokens / 2,
                 inside.num_tokens * 2};
  around.granularity_min = 1.0;
  around.granularity_max = 16.0;
  EXPECT_TRUE(MoePlanWarnings(inside, around).empty());
  around.granularity_max = 8.0 / 1.01;
  const std::vector<std::string> above = MoePlanWarnings(inside, around);
  ASSERT_EQ(above.size(), 1u);
  EXPECT_EQ(above[0], "G = 8 is above the largest fitted granularity (7.92)");
  EXPECT_EQ(MoePlanToJson(inside, "moe.json", 1e21, {}, around)["warnings"][0], above[0]);
}

// A weight-sparse plan is checked in N non-zero, D and 6 N_non-zero D, as a sparse fit's data counts its runs.
TEST(SparsePlansTest, SparsePlanWarningsUseTheNonZeroParameters) {
  const SparsePlan plan = PlanSparseAtSparsity(FrantarT5Law(), 1e24, 0.5, SparseMethod::STATIC);
  const std::vector<std::string> warnings = SparsePlanWarnings(plan, FrantarT5Ranges());
  ASSERT_EQ(warnings.size(), 1u);
  char clause[160];
  std::snprintf(clause, sizeof clause, "N is %.3gx the largest fitted model (84.9M parameters)",
                plan.num_nonzero_params / 84934656.0);
  EXPECT_NE(warnings[0].find(clause), std::string::npos) << warnings[0];
  EXPECT_TRUE(
      SparsePlanWarnings(PlanSparseAtSparsity(FrantarT5Law(), 1e19, 0.5, SparseMethod::STATIC), FrantarT5Ranges())
          .empty());
}

// Routing plans: one warning per N beyond Clark et al.'s runs, in the JSON's `warnings`.
TEST(SparsePlansTest, RoutingPlanWarningsFlagSizesBeyondTheRuns) {
  const nlohmann::ordered_json json =
      RoutingPlansToJson(ClarkRoutingLaws(), "clark2022", {1.3e9, 1e12}, {1, 8}, ClarkRoutingRanges());
  ASSERT_EQ(json["warnings"].size(), 1u);
  char expected[160];
  std::snprintf(expected, sizeof expected, "N 1T: N is %.3gx the largest fitted model (1.31B parameters)",
                1e12 / 1308819456.0);
  EXPECT_EQ(json["warnings"][0], expected);
}

// At 1e40 FLOPs the loss still falls at the largest size searched (1e16 total parameters): the plan is the search's
// bound, and says so even for a law with no recorded range.
TEST(SparsePlansTest, AnMoePlanAtTheSearchBoundIsFlagged) {
  const FineGrainedMoeLaw law = KrajewskiMoeLaw();
  const MoePlan plan = PlanFineGrainedMoe(law, 1e40);
  ASSERT_NEAR(plan.num_params / 1e16, 1.0, 1e-6);
  // Brute force: ten times the size on the tokens the budget then buys has a lower loss.
  const MoeShape bigger = MoeShapeForParams(1e17, plan.granularity);
  EXPECT_LT(law.Loss(1e17, 1e40 / bigger.TrainingFlopsPerToken(), plan.granularity), plan.loss_nats);
  const std::vector<std::string> warnings = MoePlanWarnings(plan, KrajewskiMoeRanges());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(
      warnings[0],
      "N = 10P lies at the end of the sizes searched (1K to 10P parameters): the law's optimum lies beyond it, so "
      "this is not the compute-optimal plan");
  EXPECT_TRUE(MoePlanWarnings(PlanFineGrainedMoe(law, 1e22), KrajewskiMoeRanges()).empty());
}

// A budget whose MoE optimum is below one token is no plan (InputError, exit code 3), as for the dense planner.
TEST(SparsePlansTest, AnMoePlanBelowOneTokenIsRefused) {
  const MoePlan plan = PlanFineGrainedMoe(KrajewskiMoeLaw(), 1e-5);
  ASSERT_LT(plan.num_tokens, 1.0);
  try {
    RequireUsableMoePlan(plan, "krajewski2024", 1e-5);
    FAIL() << "a plan of " << plan.num_tokens << " tokens was accepted";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "krajewski2024 gives no usable plan at 1.00e-05 FLOPs: D = " + FormatScientific(plan.num_tokens) +
                  " tokens is out of range (check the law's coefficients)");
  }
  EXPECT_NO_THROW(RequireUsableMoePlan(PlanFineGrainedMoe(KrajewskiMoeLaw(), 1e22), "krajewski2024", 1e22));
}

TEST(SparsePlansTest, OptionChecksAreWordedAsTheirOptions) {
  MoePlanOptions options;
  options.expansion_rate = 0.0;
  try {
    RequireMoePlanOptions(options);
    FAIL() << "expansion rate 0 was accepted";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "--expansion-rate: must be at least 1: '0'");
  }
  EXPECT_NO_THROW(RequireExpertCounts({1, 8, 512}));
  for (const double bad : {1.5, 0.0, -2.0}) {
    try {
      RequireExpertCounts({1, bad});
      FAIL() << bad << " experts were accepted";
    } catch (const UsageError& error) {
      EXPECT_EQ(std::string(error.what()),
                "--experts: must be a whole number of at least 1: '" + FormatSignificant(bad, 6) + "'");
    }
  }
  EXPECT_NE(SparseLawPlanner("krajewski2024").find("'scaleplan plan --law krajewski2024 --compute C'"),
            std::string::npos);
  EXPECT_NE(SparseLawPlanner("clark2022").find("--params N --experts E"), std::string::npos);
  EXPECT_EQ(SparseLawPlanner("hoffmann"), "");
}

}  // namespace
}  // namespace scaleplan
