#include "fitting/validation.h"

#include <algorithm>
#include <cmath>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/chinchilla_law.h"
#include "core/error.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan {
namespace {

// Hoffmann et al. 2022's rounded law, the "truth" of the generated runs.
const ChinchillaLaw kTruth{1.69, 406.4, 410.7, 0.34, 0.28};

// An IsoFLOP design: at each budget, model sizes spaced by 2x around the compute-optimal one, D = C / (6 N), and the
// loss exactly the law's (times `noise(run index)` when given). `line` numbers the runs from 1.
RunsTable IsoFlopRuns(const std::vector<double>& budgets, int sizes_per_budget,
                      const std::function<double(int)>& noise = nullptr) {
  RunsTable table;
  table.source = "generated";
  for (const double budget : budgets) {
    const double center = kTruth.ComputeOptimal(budget).num_params;
    for (int k = 0; k < sizes_per_budget; ++k) {
      TrainingRun run;
      run.num_params = center * std::pow(2.0, k - (sizes_per_budget - 1) / 2.0);
      run.compute_flops = budget;
      run.num_tokens = budget / (6 * run.num_params);
      run.line = static_cast<int>(table.runs.size()) + 1;
      run.loss_nats = kTruth.Loss(run.num_params, run.num_tokens) * (noise ? noise(run.line) : 1.0);
      table.runs.push_back(run);
    }
  }
  return table;
}

// A law that does not fit anything: it predicts the truth times exp(error(line)), and remembers what it was given.
struct StubFitter {
  std::function<double(int)> log_error;
  std::vector<std::vector<int>> trained_lines;

  LawFitter Make() {
    LawFitter fitter;
    fitter.name = "stub";
    fitter.min_runs = 3;
    fitter.fit = [this](const RunsTable& train) {
      std::vector<int> lines;
      for (const TrainingRun& run : train.runs) lines.push_back(run.line);
      trained_lines.push_back(lines);
      FittedLaw law;
      law.usable = true;
      law.status = "converged";
      law.predict_loss = [this](const TrainingRun& run) {
        return kTruth.Loss(run.num_params, run.num_tokens) * std::exp(log_error(run.line));
      };
      return law;
    };
    return fitter;
  }
};

TEST(Validation, HoldOutStatisticsOfAConstantErrorHaveClosedForms) {
  const RunsTable table = IsoFlopRuns({1e18, 1e19, 1e20, 1e21}, 5);
  StubFitter stub{[](int) { return std::log(1.05); }, {}};
  const ValidationFold fold = HoldOutAbove(table, 3e19, stub.Make());
  ASSERT_TRUE(fold.usable);
  // Trained on the 10 runs at 1e18 and 1e19, predicted the 10 at 1e20 and 1e21.
  ASSERT_EQ(stub.trained_lines.size(), 1u);
  EXPECT_EQ(stub.trained_lines[0], (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(fold.heldout_runs, (std::vector<size_t>{10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  EXPECT_EQ(fold.stats.num_train, 10);
  EXPECT_EQ(fold.stats.num_heldout, 10);
  EXPECT_DOUBLE_EQ(fold.stats.extrapolation_factor, 100.0);  // 1e21 / 1e19
  EXPECT_NEAR(fold.stats.rmse_log, std::log(1.05), 1e-14);
  EXPECT_NEAR(fold.stats.bias_log, std::log(1.05), 1e-14);
  EXPECT_NEAR(fold.stats.max_abs_log, std::log(1.05), 1e-14);
  EXPECT_NEAR(fold.stats.train_rmse_log, std::log(1.05), 1e-14);
  // In nats the error is 5% of each loss.
  double sum = 0, sum_sq = 0, max = 0;
  for (size_t i = 10; i < 20; ++i) {
    const double loss = table.runs[i].loss_nats;
    sum += 0.05 * loss;
    sum_sq += 0.05 * loss * 0.05 * loss;
    max = std::max(max, 0.05 * loss);
  }
  EXPECT_NEAR(fold.stats.bias_nats, sum / 10, 1e-12);
  EXPECT_NEAR(fold.stats.rmse_nats, std::sqrt(sum_sq / 10), 1e-12);
  EXPECT_NEAR(fold.stats.max_abs_nats, max, 1e-12);
  EXPECT_EQ(fold.label, "C > 3e+19");
}

TEST(Validation, HoldOutStatisticsEqualAHandComputation) {
  const RunsTable table = IsoFlopRuns({1e18, 1e19, 1e20}, 4);
  // Errors of both signs and different sizes: r(line) = 0.01 (line mod 5) - 0.015.
  const auto log_error = [](int line) { return 0.01 * (line % 5) - 0.015; };
  StubFitter stub{log_error, {}};
  const ValidationFold fold = HoldOutAbove(table, 1e19, stub.Make());
  // Held out: lines 9..12, r = 0.025, -0.015, -0.005, 0.005: mean 0.0025, mean square 0.0009/4 = 0.015^2.
  const std::vector<double> r = {0.025, -0.015, -0.005, 0.005};
  EXPECT_NEAR(fold.stats.bias_log, 0.0025, 1e-15);
  EXPECT_NEAR(fold.stats.rmse_log, 0.015, 1e-15);
  EXPECT_NEAR(fold.stats.max_abs_log, 0.025, 1e-15);
  double max_nats = 0;
  for (size_t i = 0; i < 4; ++i) {
    max_nats = std::max(max_nats, std::fabs(table.runs[8 + i].loss_nats * std::expm1(r[i])));
  }
  EXPECT_NEAR(fold.stats.max_abs_nats, max_nats, 1e-14);
  EXPECT_DOUBLE_EQ(fold.stats.extrapolation_factor, 10.0);
}

TEST(Validation, ChinchillaFitOnNoiseFreeRunsExtrapolatesWithoutError) {
  const RunsTable table = IsoFlopRuns({1e18, 3e18, 1e19, 3e19, 1e20, 1e21, 1e22}, 7);
  const LawFitter fitter = ChinchillaFitter(MultiStartOptions{}, ChinchillaModel::HoffmannGrid());
  const ValidationFold fold = HoldOutAbove(table, 2e20, fitter);
  ASSERT_TRUE(fold.usable) << fold.status;
  EXPECT_EQ(fold.stats.num_train, 35);
  EXPECT_EQ(fold.stats.num_heldout, 14);
  EXPECT_DOUBLE_EQ(fold.stats.extrapolation_factor, 100.0);
  EXPECT_LT(fold.stats.rmse_log, 1e-6);
  EXPECT_LT(fold.stats.max_abs_nats, 1e-5);
  // With 2% multiplicative noise on the fitted runs only, the held-out error is no longer zero: the check can fail.
  const RunsTable noisy = IsoFlopRuns({1e18, 3e18, 1e19, 3e19, 1e20, 1e21, 1e22}, 7,
                                      [](int line) { return line <= 35 ? 1.0 + 0.02 * ((line % 3) - 1) : 1.0; });
  const ValidationFold noisy_fold = HoldOutAbove(noisy, 2e20, fitter);
  ASSERT_TRUE(noisy_fold.usable);
  EXPECT_GT(noisy_fold.stats.rmse_log, 1e-4);
}

TEST(Validation, LeaveOneBudgetOutHoldsOutEachLargeEnoughBudget) {
  RunsTable table = IsoFlopRuns({1e18, 1e19, 1e20, 1e21, 1e22}, 6);
  // Three runs from another experiment, each at its own compute: never held out, always fitted on.
  for (const double flops : {3e18, 3e19, 3e20}) {
    TrainingRun run{4e8, flops / (6 * 4e8), flops, 0.0, static_cast<int>(table.runs.size()) + 1};
    run.loss_nats = kTruth.Loss(run.num_params, run.num_tokens);
    table.runs.push_back(run);
  }
  const LawFitter fitter = ChinchillaFitter(MultiStartOptions{}, ChinchillaModel::HoffmannGrid());
  ValidationOptions options;
  options.min_budget_runs = 5;
  int progress_calls = 0;
  const LeaveOneBudgetOutResult result =
      LeaveOneBudgetOut(table, fitter, options, [&progress_calls](int, int total) { progress_calls += total == 5; });
  ASSERT_EQ(result.folds.size(), 5u);
  EXPECT_EQ(progress_calls, 5);
  EXPECT_EQ(result.num_groups, 8);
  EXPECT_EQ(result.num_runs_never_heldout, 3);
  const std::vector<double> budgets = {1e18, 1e19, 1e20, 1e21, 1e22};
  for (size_t k = 0; k < 5; ++k) {
    const ValidationFold& fold = result.folds[k];
    ASSERT_TRUE(fold.usable) << fold.status;
    EXPECT_NEAR(fold.budget_flops / budgets[k], 1.0, 1e-12);
    EXPECT_EQ(fold.stats.num_heldout, 6);
    EXPECT_EQ(fold.stats.num_train, 27);
    EXPECT_LT(fold.stats.rmse_log, 1e-6);
  }
  EXPECT_DOUBLE_EQ(result.folds[4].stats.extrapolation_factor, 10.0);  // 1e22 / 1e21
  EXPECT_DOUBLE_EQ(result.folds[0].stats.extrapolation_factor, 1e18 / 1e22);
  EXPECT_EQ(result.pooled.num_heldout, 30);
  EXPECT_LT(result.pooled.rmse_log, 1e-6);
}

TEST(Validation, PooledStatisticsCombineEveryHeldOutPrediction) {
  const RunsTable table = IsoFlopRuns({1e18, 1e19, 1e20}, 4);
  StubFitter stub{[](int line) { return line <= 4 ? 0.02 : line <= 8 ? -0.01 : 0.0; }, {}};
  ValidationOptions options;
  options.min_budget_runs = 4;
  const LeaveOneBudgetOutResult result = LeaveOneBudgetOut(table, stub.Make(), options);
  ASSERT_EQ(result.folds.size(), 3u);
  EXPECT_EQ(stub.trained_lines[1], (std::vector<int>{1, 2, 3, 4, 9, 10, 11, 12}));
  EXPECT_NEAR(result.pooled.bias_log, (4 * 0.02 - 4 * 0.01) / 12, 1e-15);
  EXPECT_NEAR(result.pooled.rmse_log, std::sqrt((4 * 0.0004 + 4 * 0.0001) / 12), 1e-15);
  EXPECT_NEAR(result.pooled.max_abs_log, 0.02, 1e-15);
}

TEST(Validation, AFoldWhoseLawOverflowsIsUnusableWithTheRunItCannotPredict) {
  const RunsTable table = IsoFlopRuns({1e18, 1e19, 1e20}, 4);
  // Finite at the fitted budgets, infinite at 1e20 (lines 9..12): the error statistics would be inf.
  StubFitter stub{[](int line) { return line >= 9 ? HUGE_VAL : 0.0; }, {}};
  const ValidationFold fold = HoldOutAbove(table, 3e19, stub.Make());
  EXPECT_FALSE(fold.usable);
  EXPECT_EQ(fold.status.find("the fitted law's loss for the held-out run with N "), 0u) << fold.status;
  EXPECT_NE(fold.status.find(", C 1e+20 FLOPs is inf, not a finite positive number"), std::string::npos) << fold.status;
  EXPECT_EQ(fold.stats.num_heldout, 4);  // counts and compute range, no errors
  EXPECT_EQ(fold.stats.rmse_log, 0.0);

  // Leave-one-budget-out: only the 1e20 fold predicts inf; its runs leave the pooled statistics.
  ValidationOptions options;
  options.min_budget_runs = 4;
  StubFitter pooled_stub{[](int line) { return line >= 9 ? HUGE_VAL : 0.01; }, {}};
  const LeaveOneBudgetOutResult result = LeaveOneBudgetOut(table, pooled_stub.Make(), options);
  ASSERT_EQ(result.folds.size(), 3u);
  // Holding out 1e18 or 1e19 still fits on 1e20, whose runs the law cannot predict either: all three are unusable.
  for (const ValidationFold& budget : result.folds) EXPECT_FALSE(budget.usable) << budget.label;
  EXPECT_NE(result.folds[0].status.find("the fitted run"), std::string::npos) << result.folds[0].status;
  EXPECT_EQ(result.pooled.num_heldout, 0);

  // A law that throws InputError for a run it cannot predict: the message is the fold's status.
  LawFitter refusing = stub.Make();
  refusing.fit = [](const RunsTable&) {
    FittedLaw law;
    law.usable = true;
    law.predict_loss = [](const TrainingRun& run) -> double {
      if (run.compute_flops > 3e19) throw InputError("no law for this run's router", InputLocation{"generated"});
      return kTruth.Loss(run.num_params, run.num_tokens);
    };
    return law;
  };
  const ValidationFold refused = HoldOutAbove(table, 3e19, refusing);
  EXPECT_FALSE(refused.usable);
  EXPECT_EQ(refused.status, "no law for this run's router");
}

TEST(Validation, BundledRunsGiveNineBudgetsAndAnHonestHoldOut) {
  const RunsTable table = BundledChinchillaRuns();
  const LawFitter fitter = ChinchillaFitter(MultiStartOptions{}, ChinchillaModel::HoffmannGrid());
  const LeaveOneBudgetOutResult result = LeaveOneBudgetOut(table, fitter);
  EXPECT_EQ(result.folds.size(), 9u);
  EXPECT_EQ(result.pooled.num_heldout, 130);
  EXPECT_EQ(result.num_runs_never_heldout, 110);
  // Fitting on C <= 1e21 and predicting the 23 runs above: the error is larger than the in-sample noise, and the
  // held-out runs reach 13x beyond the largest fitted run (1.296e22 / 9.947e20, from the CSV).
  const ValidationFold fold = HoldOutAbove(table, 1e21, fitter);
  ASSERT_TRUE(fold.usable);
  EXPECT_EQ(fold.stats.num_heldout, 23);
  EXPECT_NEAR(fold.stats.extrapolation_factor, 13.03, 0.01);
  EXPECT_GT(fold.stats.rmse_log, fold.stats.train_rmse_log);
  EXPECT_LT(fold.stats.rmse_log, 0.05);
}

TEST(Validation, TooFewRunsAreInputErrors) {
  const RunsTable table = IsoFlopRuns({1e18, 1e19}, 3);
  const LawFitter fitter = ChinchillaFitter(MultiStartOptions{}, ChinchillaModel::HoffmannGrid());
  try {
    HoldOutAbove(table, 5e18, fitter);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(),
                 "generated: holding out the runs above 5e+18 FLOPs leaves 3 runs to fit on, but the chinchilla law "
                 "needs at least 6");
  }
  try {
    HoldOutAbove(table, 1e20, fitter);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(),
                 "generated: no run lies above the hold-out threshold 1e+20 FLOPs (the largest has 1e+19), so there "
                 "is nothing to predict");
  }
  ValidationOptions options;  // 7 runs per budget: none here
  EXPECT_THROW(LeaveOneBudgetOut(table, fitter, options), InputError);
  options.min_budget_runs = 3;  // each fold leaves 3 runs to fit on
  EXPECT_THROW(LeaveOneBudgetOut(table, fitter, options), InputError);
}

}  // namespace
}  // namespace scaleplan
