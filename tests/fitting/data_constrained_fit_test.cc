#include "fitting/data_constrained_fit.h"

#include <cmath>

#include <gtest/gtest.h>

#include "core/data_constrained.h"
#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// Muennighoff et al. 2023, utils/parametric_fit.ipynb: R_D*, R_N* and the Huber sum (float32) on the 182 runs.
constexpr double kPublishedRdStar = 15.387756;
constexpr double kPublishedRnStar = 5.309743;
constexpr double kPublishedObjective = 0.015825936570763588;

double ObjectiveAt(const DataConstrainedModel& model, double rd_star, double rn_star) {
  const double params[2] = {rd_star, rn_star};
  return EvaluateObjective(model, params, 1e-3);
}

TEST(FitDataConstrained, NotebookStartsReachThePublishedConstants) {
  const DataConstrainedRunsTable runs = BundledMuennighoffRuns();
  const DataConstrainedFit fit = FitDataConstrained(runs);
  ASSERT_TRUE(fit.usable) << fit.status;
  EXPECT_NEAR(fit.R_D_star / kPublishedRdStar, 1.0, 2e-3);
  EXPECT_NEAR(fit.R_N_star / kPublishedRnStar, 1.0, 2e-3);
  EXPECT_NEAR(fit.objective / kPublishedObjective, 1.0, 1e-6);
  EXPECT_EQ(fit.search.num_starts, 9);
  // In double precision the optimum is at least as good as the published point.
  const DataConstrainedModel model(runs, MuennighoffC4BaseLaw());
  EXPECT_LE(fit.objective, ObjectiveAt(model, kPublishedRdStar, kPublishedRnStar));
  EXPECT_DOUBLE_EQ(fit.law.R_D_star, fit.R_D_star);
  EXPECT_DOUBLE_EQ(fit.law.base.E, std::exp(kMuennighoffLogE));
}

TEST(FitDataConstrained, WideSearchFindsTheValleysBestOptimumAsBruteForceDoes) {
  const DataConstrainedRunsTable runs = BundledMuennighoffRuns();
  MultiStartOptions options;
  options.exhaustive = true;
  const DataConstrainedFit wide = FitDataConstrained(runs, MuennighoffC4BaseLaw(), options,
                                                     DataConstrainedModel::WideGrid());
  ASSERT_TRUE(wide.usable) << wide.status;
  // Brute force over R_D* in [1, 1e4] and R_N* in [0.5, 100], 241 x 241 log-spaced points.
  const DataConstrainedModel model(runs, MuennighoffC4BaseLaw());
  double brute = INFINITY;
  for (int i = 0; i <= 240; ++i) {
    for (int j = 0; j <= 240; ++j) {
      brute = std::min(brute, ObjectiveAt(model, std::pow(10.0, 4.0 * i / 240),
                                          0.5 * std::pow(200.0, static_cast<double>(j) / 240)));
    }
  }
  EXPECT_LE(wide.objective, brute);
  EXPECT_GT(wide.objective, brute * (1 - 1e-3));
  // The published constants are a local optimum of the same objective, 0.13% above the best one.
  EXPECT_LT(wide.objective, kPublishedObjective * (1 - 1e-3));
  bool published_is_local = false;
  for (const DataConstrainedOptimum& optimum : wide.local_optima) {
    published_is_local |= std::fabs(optimum.R_D_star / kPublishedRdStar - 1) < 2e-3 &&
                          std::fabs(optimum.R_N_star / kPublishedRnStar - 1) < 2e-3;
  }
  EXPECT_TRUE(published_is_local);
  EXPECT_EQ(wide.local_optima.front().objective, wide.objective);
}

TEST(FitDataConstrained, BootstrapCountsWeighTheRuns) {
  const DataConstrainedRunsTable runs = BundledMuennighoffRuns();
  const DataConstrainedModel once(runs, MuennighoffC4BaseLaw());
  const DataConstrainedModel twice(runs, MuennighoffC4BaseLaw(), std::vector<int>(runs.runs.size(), 2));
  EXPECT_DOUBLE_EQ(ObjectiveAt(twice, 15.0, 5.0), 2 * ObjectiveAt(once, 15.0, 5.0));
  std::vector<int> first_only(runs.runs.size(), 0);
  first_only[0] = 1;
  const DataConstrainedModel one(runs, MuennighoffC4BaseLaw(), first_only);
  EXPECT_EQ(one.NumSamples(), 1);
}

TEST(FitDataConstrained, JsonCarriesTheContractKeys) {
  const DataConstrainedRunsTable runs = BundledMuennighoffRuns();
  const DataConstrainedFit fit = FitDataConstrained(runs);
  const nlohmann::ordered_json json = DataConstrainedFitToJson(fit, runs);
  EXPECT_DOUBLE_EQ(json["R_D_star"].get<double>(), fit.R_D_star);
  EXPECT_DOUBLE_EQ(json["R_N_star"].get<double>(), fit.R_N_star);
  EXPECT_DOUBLE_EQ(json["objective"].get<double>(), fit.objective);
  EXPECT_TRUE(json["usable"].get<bool>());
  EXPECT_EQ(json["data"]["num_runs"].get<int>(), 182);
  EXPECT_EQ(json["law"], "data-constrained");
}

TEST(FitDataConstrained, TooFewRunsIsAnInputError) {
  DataConstrainedRunsTable table;
  table.source = "two.csv";
  table.runs = {{1e9, 2e10, 1e10, 3.0, 2}, {2e9, 4e10, 1e10, 2.9, 3}};
  EXPECT_THROW(FitDataConstrained(table), InputError);
}

}  // namespace
}  // namespace scaleplan
