#include "fitting/hyperparams_fit.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// A generated sweep: at each budget C the optimum is B* = 0.5 C^0.30 tokens and eta* = 0.6 C^-0.15, and a grid of
// 7 batches (factor 2 apart) x 9 learning rates (factor sqrt 2 apart) is laid around it, shifted by a random part
// of a grid step so that the optimum falls between grid points. With x = ln B - ln B*, y = ln eta - ln eta*:
//   loss = L0(C) (1 + 0.004 x^2 + 0.01 y^2 + 0.002 x y) exp(sigma z),   L0 = 10 C^-0.05,  sigma = 0.0005.
// The constants differ from every published law, so a fit that returns them was not seeded with them.
constexpr double kBatchExponent = 0.30, kBatchCoefficient = 0.5;
constexpr double kLrExponent = -0.15, kLrCoefficient = 0.6;

std::string GeneratedSweepCsv(std::uint64_t seed, const std::vector<double>& budgets, double sigma = 0.0005) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> shift(-0.5, 0.5);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::string csv = "compute,batch_tokens,learning_rate,loss\n";
  for (double c : budgets) {
    const double b_star = kBatchCoefficient * std::pow(c, kBatchExponent);
    const double lr_star = kLrCoefficient * std::pow(c, kLrExponent);
    const double b_shift = shift(rng), lr_shift = shift(rng);
    for (int i = -3; i <= 3; ++i) {
      for (int j = -4; j <= 4; ++j) {
        const double b = b_star * std::pow(2.0, i + b_shift);
        const double lr = lr_star * std::pow(2.0, 0.5 * (j + lr_shift));
        const double x = std::log(b / b_star), y = std::log(lr / lr_star);
        const double loss =
            10.0 * std::pow(c, -0.05) * (1 + 0.004 * x * x + 0.01 * y * y + 0.002 * x * y) *
            std::exp(sigma * noise(rng));
        char line[200];
        std::snprintf(line, sizeof line, "%.10g,%.10g,%.10g,%.10g\n", c, b, lr, loss);
        csv += line;
      }
    }
  }
  return csv;
}

const std::vector<double> kBudgets = {1e17, 3e17, 1e18, 3e18, 1e19, 3e19, 1e20};

TEST(HyperparamsFit, RecoversTheGeneratingExponentsWithinTheirIntervals) {
  const HyperparamsRuns runs = ParseHyperparamsRunsCsv(GeneratedSweepCsv(testing::TestSeed(), kBudgets), "sweep.csv");
  ASSERT_EQ(runs.runs.size(), 7u * 63u);
  const HyperparamsFitOptions options;
  const auto budgets = HyperparamsBudgets(runs, options);
  ASSERT_EQ(budgets.size(), 7u);  // the same grouping as IsoFLOP finds the 7 budgets
  CheckHyperparamsSweep(runs, budgets);  // a real sweep passes
  const HyperparamsFit fit = FitHyperparams(runs, budgets, options);
  ASSERT_TRUE(fit.usable) << fit.status;
  EXPECT_EQ(fit.num_budgets_used, 7);
  BootstrapOptions bootstrap;
  bootstrap.num_resamples = 400;
  bootstrap.seed = testing::TestSeed();
  const HyperparamsBootstrap boot = BootstrapHyperparams(runs, budgets, options, bootstrap);
  EXPECT_EQ(boot.num_failed, 0);
  std::printf("batch exponent %.4f [%.4f, %.4f] (truth %.2f), lr exponent %.4f [%.4f, %.4f] (truth %.2f)\n",
              fit.batch_exponent, boot.batch_exponent.lower, boot.batch_exponent.upper, kBatchExponent,
              fit.lr_exponent, boot.lr_exponent.lower, boot.lr_exponent.upper, kLrExponent);
  std::printf("batch coefficient %.4g [%.4g, %.4g], lr coefficient %.4g [%.4g, %.4g]\n", fit.batch_coefficient,
              boot.batch_coefficient.lower, boot.batch_coefficient.upper, fit.lr_coefficient,
              boot.lr_coefficient.lower, boot.lr_coefficient.upper);
  EXPECT_LE(boot.batch_exponent.lower, kBatchExponent);
  EXPECT_GE(boot.batch_exponent.upper, kBatchExponent);
  EXPECT_LE(boot.lr_exponent.lower, kLrExponent);
  EXPECT_GE(boot.lr_exponent.upper, kLrExponent);
  EXPECT_NEAR(fit.batch_exponent, kBatchExponent, 0.03);
  EXPECT_NEAR(fit.lr_exponent, kLrExponent, 0.03);
  // The optimum at 1e19 FLOPs, from the fitted law, against the generating one: within a grid step's fraction.
  const double b_fit = fit.batch_coefficient * std::pow(1e19, fit.batch_exponent);
  const double lr_fit = fit.lr_coefficient * std::pow(1e19, fit.lr_exponent);
  EXPECT_NEAR(std::log(b_fit / (kBatchCoefficient * std::pow(1e19, kBatchExponent))), 0.0, 0.25);
  EXPECT_NEAR(std::log(lr_fit / (kLrCoefficient * std::pow(1e19, kLrExponent))), 0.0, 0.2);
}

// The region of one budget, by hand: 4 runs, the best loss 3.000; 3.005 is within 0.25% (threshold 3.0075), 3.01
// and 3.1 are not. The optimum is the geometric mean of the two near-optimal runs: B = sqrt(1e5 * 4e5) = 2e5,
// eta = sqrt(1e-3 * 4e-3) = 2e-3.
TEST(HyperparamsFit, BudgetOptimumIsTheCentreOfTheNearOptimalRegion) {
  const std::string csv =
      "C,batch_tokens,lr,loss\n"
      "1e18,1e5,1e-3,3.000\n1e18,4e5,4e-3,3.005\n1e18,4e5,1e-3,3.01\n1e18,1e5,4e-3,3.1\n"
      "1e19,1e6,1e-3,2.5\n1e19,2e6,1e-3,2.6\n1e19,1e6,2e-3,2.6\n1e19,2e6,2e-3,2.7\n";
  const HyperparamsRuns runs = ParseHyperparamsRunsCsv(csv, "two.csv");
  const auto budgets = HyperparamsBudgets(runs, {});
  ASSERT_EQ(budgets.size(), 2u);
  const HyperparamsFit fit = FitHyperparams(runs, budgets, {});
  ASSERT_TRUE(fit.usable) << fit.status;
  EXPECT_EQ(fit.budgets[0].num_near_optimal, 2);
  EXPECT_NEAR(fit.budgets[0].batch_tokens_opt / 2e5, 1.0, 1e-12);
  EXPECT_NEAR(fit.budgets[0].learning_rate_opt / 2e-3, 1.0, 1e-12);
  EXPECT_EQ(fit.budgets[1].num_near_optimal, 1);
  // Two budgets a decade apart: B_opt from 2e5 to 1e6 is exponent log10(5) = 0.69897; eta from 2e-3 to 1e-3 is
  // -log10(2) = -0.30103.
  EXPECT_NEAR(fit.batch_exponent, std::log10(5.0), 1e-12);
  EXPECT_NEAR(fit.lr_exponent, -std::log10(2.0), 1e-12);
  EXPECT_NEAR(fit.batch_coefficient * std::pow(1e18, fit.batch_exponent) / 2e5, 1.0, 1e-9);
  // Both budgets' regions touch the sweep's edges, which the fit says.
  EXPECT_TRUE(fit.budgets[0].optimum_on_edge);
  // The law read back from the fit's JSON gives the same numbers.
  const nlohmann::json json = nlohmann::json::parse(HyperparamsFitToJson(fit, nullptr, {}, "two.csv").dump());
  const HyperparamsLaw law = HyperparamsLawFromJson(json, "fit.json");
  EXPECT_NEAR(LawBatchTokens(law, 1e19, 0) / 1e6, 1.0, 1e-9);
  EXPECT_NEAR(LawLearningRate(law, 1e19, 0, 0) / 1e-3, 1.0, 1e-9);
  EXPECT_NEAR(law.min_compute_flops / 1e18, 1.0, 1e-12);
  EXPECT_NEAR(law.max_compute_flops / 1e19, 1.0, 1e-12);
}

// Marin's IsoFLOP runs set the batch per model size and the learning rate as 0.33 sqrt(batch) / d_model: no budget
// varies either independently of model size. The fit refuses them.
HyperparamsColumns MarinColumns() {
  HyperparamsColumns columns;
  columns.runs.compute = "throughput/total_gflops";
  columns.runs.params = "parameter_count";
  columns.runs.loss = "eval/paloma/macro_loss";
  columns.batch = "trainer.train_batch_size";
  columns.learning_rate = "optimizer.learning_rate";
  columns.seq_len = 4096;
  return columns;
}

TEST(HyperparamsFit, RefusesMarinRunsWhoseLearningRateFollowsARule) {
  for (const char* name : {"data/marin2026_isoflop_dclm.csv", "data/marin2026_isoflop_comma.csv"}) {
    const HyperparamsRuns runs = LoadHyperparamsRunsCsv(testing::SourcePath(name), MarinColumns());
    const auto budgets = HyperparamsBudgets(runs, {});
    EXPECT_EQ(budgets.size(), 7u) << name;  // 1e18 ... 1e20, 5 to 15 runs each
    try {
      CheckHyperparamsSweep(runs, budgets);
      ADD_FAILURE() << name << " was not refused";
    } catch (const InputError& error) {
      const std::string message = error.what();
      EXPECT_NE(message.find("learning rate is a function of batch and model size in every budget: it was set by a "
                             "rule, not swept"),
                std::string::npos)
          << message;
      EXPECT_NE(message.find("batch is a function of model size in every budget"), std::string::npos) << message;
      EXPECT_NE(message.find(name), std::string::npos) << message;
    }
  }
}

void ExpectRefused(const std::string& csv, const std::string& expected) {
  try {
    const HyperparamsRuns runs = ParseHyperparamsRunsCsv(csv, "bad.csv");
    CheckHyperparamsSweep(runs, HyperparamsBudgets(runs, {}));
    ADD_FAILURE() << "not refused; expected " << expected;
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
    EXPECT_EQ(std::string(error.what()).rfind("bad.csv", 0), 0u) << error.what();
  }
}

TEST(HyperparamsFit, SweepsThatCannotLocateAnOptimumGetOneLocatedMessage) {
  // One budget.
  ExpectRefused("C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,2e5,1e-3,3.1\n1e18,1e5,2e-3,3.2\n1e18,2e5,2e-3,3.3\n",
                "needs sweeps at 2 or more compute budgets; all of them lie in one budget, 1.00e+18 FLOPs");
  // One batch per budget.
  ExpectRefused(
      "C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,1e5,2e-3,3.1\n1e18,1e5,4e-3,3.2\n1e18,1e5,8e-3,3.3\n"
      "1e19,1e6,1e-3,3\n1e19,1e6,2e-3,3.1\n1e19,1e6,4e-3,3.2\n1e19,1e6,8e-3,3.3\n",
      "one batch size per budget in all 2 budgets");
  // Learning rate tied to the batch (eta = 1e-3 sqrt(B / 1e5)) without a model-size column.
  ExpectRefused(
      "C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,4e5,2e-3,3.1\n1e18,16e5,4e-3,3.2\n1e18,64e5,8e-3,3.3\n"
      "1e19,1e5,1e-3,3\n1e19,4e5,2e-3,3.1\n1e19,16e5,4e-3,3.2\n1e19,64e5,8e-3,3.3\n",
      "learning rate is a function of batch in every budget: it was set by a rule, not swept");
}


// A saved fit read back by `plan --hyperparams`: a file that is not one, or whose law is unusable, is refused by name.
TEST(HyperparamsFit, LawFromJsonRefusesWhatIsNotAUsableFit) {
  const auto error_of = [](const std::string& text) {
    try {
      HyperparamsLawFromJson(nlohmann::json::parse(text), "hp.json");
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  const std::string good =
      R"({"law": "hyperparams", "batch_exponent": 0.3, "batch_coefficient": 0.5, "lr_exponent": -0.15,)"
      R"( "lr_coefficient": 0.6, "min_compute_flops": 1e18, "max_compute_flops": 1e20, "usable": true})";
  EXPECT_EQ(error_of(good), "(accepted)");
  EXPECT_NE(error_of(R"({"law": "isoflop"})").find("hp.json: not a hyper-parameter fit"), std::string::npos);
  EXPECT_NE(error_of(R"([1, 2])").find("not a hyper-parameter fit"), std::string::npos);
  std::string bad = good;
  bad.replace(bad.find("0.5"), 3, "-0.5");
  EXPECT_NE(error_of(bad).find("\"batch_coefficient\" must be positive: -0.5"), std::string::npos) << error_of(bad);
  bad = good;
  bad.replace(bad.find("\"lr_exponent\": -0.15"), 20, "\"lr_exponent\": \"x\"");
  EXPECT_NE(error_of(bad).find("missing or non-numeric \"lr_exponent\""), std::string::npos) << error_of(bad);
  bad = good;
  bad.replace(bad.find("true"), 4, "false");
  EXPECT_NE(error_of(bad).find("the fit is not usable"), std::string::npos) << error_of(bad);
}

}  // namespace
}  // namespace scaleplan
