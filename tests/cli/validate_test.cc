// Drives the real `scaleplan validate`: the JSON report against counts taken from the bundled runs, exit codes.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bundled_data.h"
#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

TEST(Validate, HoldOutReportMatchesTheRunsItSplits) {
  const Result r = RunScaleplan("validate --holdout-above 3e20 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // Count the split from the bundled runs directly.
  int above = 0;
  double train_max = 0, heldout_max = 0;
  for (const TrainingRun& run : BundledChinchillaRuns().runs) {
    if (run.compute_flops > 3e20) {
      ++above;
      heldout_max = std::max(heldout_max, run.compute_flops);
    } else {
      train_max = std::max(train_max, run.compute_flops);
    }
  }
  EXPECT_EQ(json["mode"], "holdout");
  ASSERT_EQ(json["folds"].size(), 1u);
  const auto& fold = json["folds"][0];
  EXPECT_EQ(fold["num_heldout"].get<int>(), above);
  EXPECT_EQ(fold["num_train"].get<int>(), 240 - above);
  EXPECT_DOUBLE_EQ(fold["extrapolation_factor"].get<double>(), heldout_max / train_max);
  EXPECT_TRUE(fold["usable"].get<bool>());
  EXPECT_GT(fold["rmse_log"].get<double>(), 0.0);
  EXPECT_LE(std::abs(fold["bias_log"].get<double>()), fold["rmse_log"].get<double>());
  EXPECT_LE(fold["rmse_log"].get<double>(), fold["max_abs_log"].get<double>());
}

TEST(Validate, LeaveOneBudgetOutTableListsTheNineBudgets) {
  const Result r = RunScaleplan("validate --leave-one-budget-out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("leave-one-budget-out: 9 budgets of at least 7 runs"), std::string::npos) << r.out;
  int rows = 0;
  for (size_t at = r.out.find("\n  budget "); at != std::string::npos; at = r.out.find("\n  budget ", at + 1)) ++rows;
  EXPECT_EQ(rows, 9);
  EXPECT_NE(r.out.find("all budgets          130"), std::string::npos) << r.out;
}

TEST(Validate, ErrorsAndHelp) {
  for (const char* args : {"validate", "validate --holdout-above 1e21 --leave-one-budget-out",
                           "validate --holdout-above abc", "validate --holdout-above 1e21 --min-budget-runs 3",
                           "validate --leave-one-budget-out --budget-tolerance -1",
                           "validate --format xml --holdout-above 1e21"}) {
    const Result r = RunScaleplan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
  }
  const Result nothing_above = RunScaleplan("validate --holdout-above 1e30");
  EXPECT_EQ(nothing_above.exit_code, 3);
  EXPECT_NE(nothing_above.err.find("no run lies above the hold-out threshold 1e+30 FLOPs"), std::string::npos);
  const Result too_few = RunScaleplan("validate --holdout-above 1e18");
  EXPECT_EQ(too_few.exit_code, 3);
  EXPECT_NE(too_few.err.find("leaves 0 runs to fit on, but the chinchilla law needs at least 6"), std::string::npos);
  const Result help = RunScaleplan("validate --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos);
}

// A MoE run's C is 6 N D with N its total parameters: the nominal compute, which validate holds runs out by, says so
// (not the MoE's training compute, which follows the active parameters), and the threshold splits the runs on it.
TEST(Validate, MoeComputeIsNamedNominal) {
  const std::string runs = testing::SourcePath("tests/bad_input/moe_plain.csv");
  const testing::CommandResult result =
      testing::RunScaleplan("validate '" + runs + "' --law moe --holdout-above 1e20 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  ASSERT_EQ(json["data"]["notes"].size(), 1u) << json["data"]["notes"].dump();
  EXPECT_EQ(json["data"]["notes"][0], "C is 6 N D with N the total parameters (nominal compute), not the MoE's "
                                      "training compute, which follows the active parameters");
  // 6 N_total D of the file's runs: 45 of its 60 at or below 1e20 (N 1e8..1e9 total, D 2e9..5e10).
  std::ifstream file(runs);
  std::string line;
  std::getline(file, line);  // total_params,granularity,tokens,loss
  int below = 0, total = 0;
  while (std::getline(file, line)) {
    const size_t first = line.find(','), second = line.find(',', first + 1), third = line.find(',', second + 1);
    const double compute = 6.0 * std::stod(line.substr(0, first)) * std::stod(line.substr(second + 1, third));
    below += compute <= 1e20;
    ++total;
  }
  EXPECT_EQ(total, 60);
  EXPECT_EQ(json["folds"][0]["num_train"].get<int>(), below);
  const testing::CommandResult help = testing::RunScaleplan("validate --help");
  EXPECT_NE(help.out.find("nominal compute, not the MoE's training"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace scaleplan
