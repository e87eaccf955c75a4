// Drives the real `scaleplan fit --law isoflop` on runs whose loss is an exact parabola in log N per budget, so every
// budget's minimum is known: the exponent with and without extrapolated minima against a least-squares regression
// computed here, unusable budgets as null, and the bootstrap (runs resampled within each budget) with its budgets
// left out and degenerate resamples counted from the resamples.
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fitting/bootstrap.h"
#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

struct Budget {
  double compute_flops;
  double params_opt;              // where the loss is lowest
  std::vector<double> params;     // the sizes sampled
  double curvature;               // loss = 2 + curvature (ln N - ln N_opt)^2; negative: opens downwards
};

// Runs N = 0.1 C^0.5 x {1/4 .. 4} at 1e19, 1e20 and 1e22 FLOPs (minimum inside, at 1.3x the rule, between two
// sampled sizes so that no resample puts it on the edge of its range); at 1e21 sizes up to 2x that rule
// with the minimum at 6x it (extrapolated); at 1e18 a parabola opening downwards.
std::vector<Budget> Budgets() {
  std::vector<Budget> budgets;
  const auto rule = [](double c) { return 0.1 * std::sqrt(c); };
  for (double c : {1e19, 1e20, 1e22}) {
    const double n = rule(c);
    budgets.push_back({c, 1.3 * n, {n / 4, n / 2, n, 2 * n, 4 * n}, 0.05});
  }
  const double n21 = rule(1e21);
  budgets.push_back({1e21, 6 * n21, {n21 / 4, n21 / 2, n21, 1.5 * n21, 2 * n21}, 0.05});
  const double n18 = rule(1e18);
  budgets.push_back({1e18, n18, {n18 / 4, n18 / 2, n18, 2 * n18, 4 * n18}, -0.05});
  return budgets;
}

std::string Csv(const std::vector<Budget>& budgets) {
  std::string text = "N,D,C,loss\n";
  char line[200];
  for (const Budget& b : budgets) {
    for (double n : b.params) {
      const double t = std::log(n) - std::log(b.params_opt);
      std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%.17g\n", n, b.compute_flops / (6 * n), b.compute_flops,
                    2.0 + b.curvature * t * t);
      text += line;
    }
  }
  return text;
}

// The slope of the least-squares line of log N_opt on log C.
double HandSlope(const std::vector<Budget>& budgets) {
  double mean_x = 0, mean_y = 0;
  for (const Budget& b : budgets) {
    mean_x += std::log(b.compute_flops) / budgets.size();
    mean_y += std::log(b.params_opt) / budgets.size();
  }
  double sxy = 0, sxx = 0;
  for (const Budget& b : budgets) {
    sxy += (std::log(b.compute_flops) - mean_x) * (std::log(b.params_opt) - mean_y);
    sxx += (std::log(b.compute_flops) - mean_x) * (std::log(b.compute_flops) - mean_x);
  }
  return sxy / sxx;
}

class IsoFlopCli : public ::testing::Test {
 protected:
  void SetUp() override { path_ = testing::WriteTempFile("isoflop_profiles.csv", Csv(Budgets())); }
  std::string path_;
};

TEST_F(IsoFlopCli, ExtrapolatedMinimaAreLeftOutOfTheExponentUnlessKept) {
  const std::vector<Budget> all = Budgets();
  const std::vector<Budget> inside = {all[0], all[1], all[2]};
  const std::vector<Budget> with_extrapolated = {all[0], all[1], all[2], all[3]};
  const double hand_inside = HandSlope(inside);
  const double hand_all = HandSlope(with_extrapolated);
  ASSERT_NEAR(hand_inside, 0.5, 1e-12);
  ASSERT_GT(std::fabs(hand_all - hand_inside), 0.02);  // the extrapolated budget moves the exponent

  Result r = RunScaleplan("fit '" + path_ + "' --law isoflop --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_NEAR(json["exponent_params"].get<double>(), hand_inside, 1e-6);
  EXPECT_EQ(json["num_budgets_used"].get<int>(), 3);
  EXPECT_EQ(json["num_budgets_extrapolated"].get<int>(), 1);

  r = RunScaleplan("fit '" + path_ + "' --law isoflop --keep-extrapolated-minima --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json = nlohmann::json::parse(r.out);
  EXPECT_NEAR(json["exponent_params"].get<double>(), hand_all, 1e-6);
  EXPECT_EQ(json["num_budgets_used"].get<int>(), 4);

  // Budgets in ascending compute: 1e18 (downwards), 1e19, 1e20, 1e21 (extrapolated), 1e22.
  const auto& budgets = json["budgets"];
  ASSERT_EQ(budgets.size(), 5u);
  EXPECT_NEAR(budgets[3]["num_params"].get<double>() / all[3].params_opt, 1.0, 1e-6);
  EXPECT_FALSE(budgets[3]["minimum_inside"].get<bool>());
  EXPECT_TRUE(budgets[0]["num_params"].is_null());
  EXPECT_TRUE(budgets[0]["loss"].is_null());
  EXPECT_FALSE(budgets[0]["used"].get<bool>());

  const Result table = RunScaleplan("fit '" + path_ + "' --law isoflop");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("3 of 5 budgets used in the exponent fit (1 with an extrapolated minimum left out"),
            std::string::npos)
      << table.out;
  EXPECT_EQ(table.out.find("0.0000"), std::string::npos) << "an unusable budget printed as a number";
}

TEST_F(IsoFlopCli, BootstrapResamplesWithinBudgetsAndCountsBudgetsLeftOut) {
  constexpr int kResamples = 60;
  constexpr int kSeed = 11;
  const Result r = RunScaleplan("fit '" + path_ + "' --law isoflop --format json --bootstrap=" +
                                std::to_string(kResamples) + " --seed " + std::to_string(kSeed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // From the resamples themselves. The budgets, in ascending compute: 1e18 (opens downwards), 1e19, 1e20, 1e21
  // (extrapolated), 1e22 (the file holds them as rows 20-24, 0-4, 5-9, 15-19 and 10-14, each in ascending N). Budget
  // b of resample i draws its 5 runs with replacement from the stream of index 5 i + b. A budget keeps its (exact)
  // minimum while 3 of its 5 sizes are drawn, one of them below the minimum (the sizes 1/4, 1/2, 1 of the rule) and
  // one above (2 and 4); the 1e18 and 1e21 budgets never have one inside. A resample with fewer than 2 budgets kept
  // is degenerate.
  const std::vector<int> used_by_full_fit = {1, 2, 4};
  int degenerate = 0, used_total = 0;
  std::vector<int> resamples_used(5, 0);
  for (int i = 0; i < kResamples; ++i) {
    int kept = 0;
    for (int budget : used_by_full_fit) {
      const std::vector<int> counts = ResampleCounts(5, kSeed, 5 * i + budget);
      int below = 0, above = 0;
      for (int k = 0; k < 5; ++k) (k < 3 ? below : above) += counts[static_cast<size_t>(k)] > 0;
      const bool keeps = below + above >= 3 && below > 0 && above > 0;
      kept += keeps;
      resamples_used[static_cast<size_t>(budget)] += keeps;
    }
    used_total += kept;
    degenerate += kept < 2;
  }
  ASSERT_GT(degenerate, 0);
  ASSERT_LT(used_total, 3 * kResamples);  // some budget is left out of some resample
  EXPECT_EQ(json["bootstrap"]["degenerate"].get<int>(), degenerate);
  EXPECT_EQ(json["bootstrap"]["failed"].get<int>(), 0);
  EXPECT_EQ(json["bootstrap"]["resamples_in_intervals"].get<int>(), kResamples - degenerate);
  EXPECT_EQ(json["bootstrap"]["resampling"].get<std::string>(), "within each budget");
  EXPECT_EQ(json["bootstrap"]["budgets_used_full"].get<int>(), 3);
  EXPECT_NEAR(json["bootstrap"]["budgets_used_mean"].get<double>(), static_cast<double>(used_total) / kResamples,
              1e-12);
  EXPECT_NEAR(json["bootstrap"]["budgets_left_out_mean"].get<double>(),
              static_cast<double>(3 * kResamples - used_total) / kResamples, 1e-12);
  for (size_t b = 0; b < 5; ++b) {
    EXPECT_EQ(json["budgets"][b]["resamples_used"].get<int>(), resamples_used[b]) << "budget " << b;
  }
  // Every resample that keeps 2 budgets or more has a = 0.5 exactly, however many it kept.
  EXPECT_NEAR(json["intervals"]["exponent_params"][0].get<double>(), 0.5, 1e-6);
  EXPECT_NEAR(json["intervals"]["exponent_params"][1].get<double>(), 0.5, 1e-6);

  const Result table = RunScaleplan("fit '" + path_ + "' --law isoflop --bootstrap=" + std::to_string(kResamples) +
                                    " --seed " + std::to_string(kSeed));
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find(std::to_string(kResamples - degenerate) + " of " + std::to_string(kResamples) +
                           " resamples in the intervals, " + std::to_string(degenerate) + " degenerate"),
            std::string::npos)
      << table.out;
}

}  // namespace
}  // namespace scaleplan
