// `scaleplan fit --law hyperparams` and `scaleplan plan --hyperparams`, through the real binary.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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

  // Two budgets, but the second sweeps the batch at one learning rate only: one budget locates an optimum.
  const std::string one_usable = WriteTempFile(
      "half.csv", "C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,2e5,1e-3,3.1\n1e18,1e5,2e-3,3.2\n1e18,2e5,2e-3,3.3\n"
                  "1e19,1e6,1e-3,2.5\n1e19,2e6,1e-3,2.6\n1e19,4e6,1e-3,2.7\n1e19,8e6,1e-3,2.8\n");
  result = RunScaleplan("fit --law hyperparams '" + one_usable + "'");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_NE(result.err.find("half.csv: needs at least 2 budgets that sweep both batch and learning rate; found 1"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(Lines(result.err).size(), 1u) << result.err;
}


// Every plan carries DeepSeek's batch and learning rate by default: at C = 1e20, B = 1.0171e6 tokens and
// eta = 9.8600e-4 (issue 16's check values), 248 sequences of 4,096 tokens, steps = ceil(D / (248 x 4096)) and
// warm-up min(2000, steps / 10).
TEST(HyperparamsCli, PlansCarryTheDefaultLawsNumbers) {
  const CommandResult result = RunScaleplan("plan --law hoffmann --compute 1e20 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  EXPECT_NEAR(json.at("batch_tokens").get<double>() / 1.0171e6, 1.0, 1e-4);
  EXPECT_NEAR(json.at("learning_rate").get<double>() / 9.8600e-4, 1.0, 1e-4);
  EXPECT_EQ(json.at("batch_sequences").get<long long>(), 248);
  const double steps = std::ceil(json.at("num_tokens").get<double>() / (248.0 * 4096.0));
  EXPECT_EQ(json.at("num_steps").get<double>(), steps);
  EXPECT_EQ(json.at("warmup_steps").get<double>(), std::min(2000.0, std::floor(steps / 10)));
  EXPECT_NE(json.at("hyperparams_source").get<std::string>().find("DeepSeek LLM 2024"), std::string::npos);
  EXPECT_TRUE(json.at("hyperparams_warnings").empty()) << json["hyperparams_warnings"];
  // The table says it in one line per plan.
  const CommandResult table = RunScaleplan("plan --law hoffmann --compute 1e20");
  EXPECT_NE(table.out.find("batch 1.02M tokens (248 x 4096-token sequences), learning rate 0.000986"),
            std::string::npos)
      << table.out;

  // Step Law: B = 0.58 D^0.571 from the plan's own D.
  const CommandResult step = RunScaleplan("plan --law hoffmann --compute 1e20 --format json --hyperparams steplaw");
  ASSERT_EQ(step.exit_code, 0) << step.err;
  const nlohmann::json s = nlohmann::json::parse(step.out);
  EXPECT_NEAR(s.at("batch_tokens").get<double>() / (0.58 * std::pow(s.at("num_tokens").get<double>(), 0.571)), 1.0,
              1e-12);
  EXPECT_NE(s.at("hyperparams_source").get<std::string>().find("Step Law"), std::string::npos);
}

TEST(HyperparamsCli, PlansReadAFittedLaw) {
  const std::string sweep = WriteTempFile("sweep.csv", ExactSweep());
  const std::string fit = WriteTempFile("hp.json", "");
  CommandResult result = RunScaleplan("fit --law hyperparams '" + sweep + "' --out '" + fit + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  result = RunScaleplan("plan --law hoffmann --compute 1e19,1e22 --format json --hyperparams '" + fit + "'");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json inside = nlohmann::json::parse(lines[0]);
  EXPECT_NEAR(inside.at("batch_tokens").get<double>() / (0.5 * std::pow(1e19, 0.30)), 1.0, 1e-7);
  EXPECT_NEAR(inside.at("learning_rate").get<double>() / (0.6 * std::pow(1e19, -0.15)), 1.0, 1e-7);
  EXPECT_TRUE(inside.at("hyperparams_warnings").empty());
  // 1e22 is 100x beyond the largest budget the sweep had (1e20): a warning that says so.
  const nlohmann::json beyond = nlohmann::json::parse(lines[1]);
  ASSERT_EQ(beyond.at("hyperparams_warnings").size(), 1u);
  EXPECT_NE(beyond["hyperparams_warnings"][0].get<std::string>().find("is 100x above the range"), std::string::npos)
      << beyond["hyperparams_warnings"][0];

  const CommandResult missing = RunScaleplan("plan --compute 1e20 --hyperparams '" + sweep + "'");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("not valid JSON"), std::string::npos) << missing.err;
}


// `sweep --hyperparams` adds five columns after the device's (before any interval columns), number for number the
// plan's; without the option the sweep's columns are unchanged.
TEST(HyperparamsCli, SweepColumnsMatchThePlan) {
  const CommandResult sweep = RunScaleplan("sweep --law epoch --compute 1e21,1e24 --hyperparams steplaw");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  const std::vector<std::string> lines = Lines(sweep.out);
  ASSERT_EQ(lines.size(), 3u);
  const std::vector<std::string> header = Split(lines[0]);
  ASSERT_EQ(header.size(), 25u);
  EXPECT_EQ(header[20], "batch_tokens");
  EXPECT_EQ(header[24], "warmup_steps");
  const std::vector<std::string> row = Split(lines[2]);
  const CommandResult plan = RunScaleplan("plan --law epoch --compute 1e24 --hyperparams steplaw --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const nlohmann::json json = nlohmann::json::parse(plan.out);
  EXPECT_EQ(std::strtod(row[20].c_str(), nullptr), json["batch_tokens"].get<double>());
  EXPECT_EQ(std::strtoll(row[21].c_str(), nullptr, 10), json["batch_sequences"].get<long long>());
  EXPECT_EQ(std::strtod(row[22].c_str(), nullptr), json["learning_rate"].get<double>());
  EXPECT_EQ(std::strtoll(row[23].c_str(), nullptr, 10), json["num_steps"].get<long long>());
  EXPECT_EQ(std::strtoll(row[24].c_str(), nullptr, 10), json["warmup_steps"].get<long long>());
  EXPECT_EQ(Split(Lines(RunScaleplan("sweep --law epoch --compute 1e21").out).at(0)).size(), 20u);
}

// A sweep at 4 budgets (1e18 .. 1e21) on a 5 x 5 grid (factor 1.5 in batch and learning rate) around optima that
// wander off the power laws B* = 0.5 C^0.30 and eta* = 0.6 C^-0.15 by up to 15%, so that the held-out optima are not
// the laws' values; the loss is 3 (1 + 0.002 x^2 + 0.002 y^2), so each near-optimal region holds several runs.
std::string WanderingSweep() {
  std::string csv = "compute,batch_tokens,learning_rate,loss\n";
  int b = 0;
  for (double c : {1e18, 1e19, 1e20, 1e21}) {
    const double b_star = 0.5 * std::pow(c, 0.30) * std::exp(0.15 * std::sin(1.3 * b + 0.4));
    const double lr_star = 0.6 * std::pow(c, -0.15) * std::exp(0.15 * std::cos(2.1 * b++));
    for (int i = -2; i <= 2; ++i) {
      for (int j = -2; j <= 2; ++j) {
        const double batch = 0.5 * std::pow(c, 0.30) * std::pow(1.5, i),
                     lr = 0.6 * std::pow(c, -0.15) * std::pow(1.5, j);
        const double x = std::log(batch / b_star), y = std::log(lr / lr_star);
        char line[160];
        std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%.17g\n", c, batch, lr,
                      3.0 * (1 + 0.002 * x * x + 0.002 * y * y));
        csv += line;
      }
    }
  }
  return csv;
}

// The CSV's header and the rows of the budgets for which keep(C) holds.
std::string SweepRows(const std::string& csv, const std::function<bool(double)>& keep) {
  std::string out, line;
  std::stringstream in(csv);
  std::getline(in, line);
  out = line + "\n";
  while (std::getline(in, line)) {
    if (keep(std::stod(line.substr(0, line.find(','))))) out += line + "\n";
  }
  return out;
}

TEST(HyperparamsCli, ValidatePredictsHeldOutOptimaWithTheLawsOfTheTrainingBudgets) {
  const std::string csv = WanderingSweep();
  const std::string all = WriteTempFile("wandering_sweep.csv", csv);
  // Each budget's measured optimum, as fit --law hyperparams defines it on all runs.
  const nlohmann::json full =
      nlohmann::json::parse(RunScaleplan("fit --law hyperparams '" + all + "' --format json").out);
  ASSERT_EQ(full.at("budgets").size(), 4u);

  // Hold-out: the laws of the budgets at or below 3e19 (fitted on a file of those runs alone), at 1e20 and 1e21.
  const std::string train = WriteTempFile("wandering_train.csv", SweepRows(csv, [](double c) { return c <= 3e19; }));
  const nlohmann::json fit =
      nlohmann::json::parse(RunScaleplan("fit --law hyperparams '" + train + "' --format json 2>/dev/null").out);
  const CommandResult result =
      RunScaleplan("validate --law hyperparams '" + all + "' --holdout-above 3e19 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json validated = nlohmann::json::parse(result.out);
  EXPECT_EQ(validated.at("mode"), "holdout");
  ASSERT_EQ(validated.at("folds").size(), 2u);
  double sum_b = 0, sum_sq_b = 0, sum_lr = 0, sum_sq_lr = 0;
  for (size_t k = 0; k < 2; ++k) {
    const nlohmann::json& budget = full["budgets"][k + 2];
    const nlohmann::json& fold = validated["folds"][k];
    ASSERT_TRUE(fold.at("usable").get<bool>()) << fold.dump(2);
    const double c = budget.at("compute_flops").get<double>();
    EXPECT_NEAR(fold.at("budget_flops").get<double>() / c, 1.0, 1e-12);
    const double batch =
        fit.at("batch_coefficient").get<double>() * std::pow(c, fit.at("batch_exponent").get<double>());
    const double lr = fit.at("lr_coefficient").get<double>() * std::pow(c, fit.at("lr_exponent").get<double>());
    const double r_b = std::log(batch / budget.at("batch_tokens").get<double>());
    const double r_lr = std::log(lr / budget.at("learning_rate").get<double>());
    EXPECT_NEAR(fold.at("batch_tokens_predicted").get<double>() / batch, 1.0, 1e-9);
    EXPECT_NEAR(fold.at("learning_rate_observed").get<double>() / budget.at("learning_rate").get<double>(), 1.0, 1e-12);
    EXPECT_NEAR(fold.at("log_error_batch").get<double>(), r_b, 1e-9);
    EXPECT_NEAR(fold.at("log_error_lr").get<double>(), r_lr, 1e-9);
    EXPECT_NEAR(fold.at("extrapolation_factor").get<double>(), c / full["budgets"][1].at("compute_flops").get<double>(),
                1e-9);
    sum_b += r_b;
    sum_sq_b += r_b * r_b;
    sum_lr += r_lr;
    sum_sq_lr += r_lr * r_lr;
  }
  const nlohmann::json& pooled = validated.at("pooled");
  EXPECT_EQ(pooled.at("num_usable"), 2);
  EXPECT_NEAR(pooled.at("rmse_log_batch").get<double>(), std::sqrt(sum_sq_b / 2), 1e-9);
  EXPECT_NEAR(pooled.at("bias_log_batch").get<double>(), sum_b / 2, 1e-9);
  EXPECT_NEAR(pooled.at("rmse_log_lr").get<double>(), std::sqrt(sum_sq_lr / 2), 1e-9);
  EXPECT_NEAR(pooled.at("bias_log_lr").get<double>(), sum_lr / 2, 1e-9);
  EXPECT_GT(pooled.at("rmse_log_batch").get<double>(), 0.01);  // the optima do wander off the laws

  // Leave one budget out: the 1e19 budget by the laws of the other three.
  const std::string others =
      WriteTempFile("wandering_others.csv", SweepRows(csv, [](double c) { return c < 5e18 || c > 5e19; }));
  const nlohmann::json others_fit =
      nlohmann::json::parse(RunScaleplan("fit --law hyperparams '" + others + "' --format json 2>/dev/null").out);
  const nlohmann::json loo = nlohmann::json::parse(
      RunScaleplan("validate --law hyperparams '" + all + "' --leave-one-budget-out --format json").out);
  ASSERT_EQ(loo.at("folds").size(), 4u);
  const nlohmann::json& fold = loo["folds"][1];
  EXPECT_EQ(fold.at("num_budgets_trained"), 3);
  const double c = full["budgets"][1].at("compute_flops").get<double>();
  const double lr =
      others_fit.at("lr_coefficient").get<double>() * std::pow(c, others_fit.at("lr_exponent").get<double>());
  EXPECT_NEAR(fold.at("log_error_lr").get<double>(),
              std::log(lr / full["budgets"][1].at("learning_rate").get<double>()), 1e-9);

  // Nothing above the threshold, and no mode: one message each.
  CommandResult r = RunScaleplan("validate --law hyperparams '" + all + "' --holdout-above 1e22");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no budget of at least 4 runs lies above --holdout-above 1e+22 FLOPs"), std::string::npos)
      << r.err;
  r = RunScaleplan("validate --law hyperparams '" + all + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give one of --holdout-above C and --leave-one-budget-out"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace scaleplan::testing
