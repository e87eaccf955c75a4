// `scaleplan fit --law hyperparams` and `scaleplan plan --hyperparams`, through the real binary.
#include <cmath>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

// A noise-free sweep: at C = 1e18, 1e19, 1e20 a 3 x 3 grid (factor 2 in batch and learning rate) centred on
// B* = 0.5 C^0.30 and eta* = 0.6 C^-0.15, loss 3 (1 + 0.01 x^2 + 0.01 y^2) with x, y the log distances from the
// optimum. A step of ln 2 costs 0.48% > 0.25%, so each region is the centre alone: the fit must return 0.30, 0.5,
// -0.15 and 0.6 to the precision the file is written in (10 digits).
std::string ExactSweep() {
  std::string csv = "compute,batch_tokens,learning_rate,loss\n";
  for (double c : {1e18, 1e19, 1e20}) {
    const double b_star = 0.5 * std::pow(c, 0.30), lr_star = 0.6 * std::pow(c, -0.15);
    for (int i = -1; i <= 1; ++i) {
      for (int j = -1; j <= 1; ++j) {
        const double x = i * std::log(2.0), y = j * std::log(2.0);
        char line[160];
        std::snprintf(line, sizeof line, "%.10g,%.10g,%.10g,%.10g\n", c, b_star * std::pow(2.0, i),
                      lr_star * std::pow(2.0, j), 3.0 * (1 + 0.01 * x * x + 0.01 * y * y));
        csv += line;
      }
    }
  }
  return csv;
}

TEST(HyperparamsCli, FitsASweepAndReportsTheKeys) {
  const std::string path = WriteTempFile("sweep.csv", ExactSweep());
  const CommandResult result = RunScaleplan("fit --law hyperparams '" + path + "' --format json --bootstrap=50");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_NEAR(json.at("batch_exponent").get<double>(), 0.30, 1e-8);
  EXPECT_NEAR(json.at("batch_coefficient").get<double>() / 0.5, 1.0, 1e-7);
  EXPECT_NEAR(json.at("lr_exponent").get<double>(), -0.15, 1e-8);
  EXPECT_NEAR(json.at("lr_coefficient").get<double>() / 0.6, 1.0, 1e-7);
  ASSERT_EQ(json.at("budgets").size(), 3u);
  EXPECT_EQ(json["budgets"][0].at("runs_used").get<int>(), 1);
  EXPECT_EQ(json["budgets"][0].at("num_runs").get<int>(), 9);
  EXPECT_NEAR(json["budgets"][1].at("batch_tokens").get<double>() / (0.5 * std::pow(1e19, 0.30)), 1.0, 1e-8);
  for (const char* key : {"batch_exponent", "batch_coefficient", "lr_exponent", "lr_coefficient"}) {
    const auto& interval = json.at("intervals").at(key);
    EXPECT_LE(interval[0].get<double>(), interval[1].get<double>()) << key;
  }
}

TEST(HyperparamsCli, RefusesMarinRunsWithAVerdict) {
  const CommandResult result = RunScaleplan(
      "fit --law hyperparams '" + SourcePath("data/marin2026_isoflop_dclm.csv") +
      "' --c-col throughput/total_gflops --n-col parameter_count --loss-col eval/paloma/macro_loss "
      "--batch-col trainer.train_batch_size --seq-len 4096 --lr-col optimizer.learning_rate");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_TRUE(result.out.empty()) << result.out;
  EXPECT_NE(result.err.find("learning rate is a function of batch and model size in every budget: it was set by a "
                            "rule, not swept"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(Lines(result.err).size(), 1u) << result.err;
}

TEST(HyperparamsCli, BadInputGetsOneLocatedLineAndExitThree) {
  const std::string zero_lr = WriteTempFile("bad.csv", "C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,2e5,-1e-3,3.1\n");
  CommandResult result = RunScaleplan("fit --law hyperparams '" + zero_lr + "'");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("bad.csv:3: column 3 ('lr')"), std::string::npos) << result.err;
  EXPECT_EQ(Lines(result.err).size(), 1u) << result.err;

  const std::string one_budget =
      WriteTempFile("one.csv", "C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,2e5,1e-3,3.1\n1e18,1e5,2e-3,3.2\n"
                               "1e18,2e5,2e-3,3.3\n");
  result = RunScaleplan("fit --law hyperparams '" + one_budget + "'");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("one.csv: a law of batch and learning rate in compute needs sweeps at 2 or more"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace scaleplan::testing
