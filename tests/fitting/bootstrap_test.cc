#include "fitting/bootstrap.h"

#include <cmath>
#include <cstring>
#include <numeric>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/statistics.h"
#include "fitting/chinchilla_fit.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

TEST(Statistics, PercentileIntervalMatchesHandComputedOrderStatistics) {
  std::vector<double> values(101);
  std::iota(values.begin(), values.end(), 0.0);  // 0..100: the q-quantile is 100 q exactly
  const auto [lo, hi] = PercentileInterval(values, 0.95);
  EXPECT_NEAR(lo, 2.5, 1e-12);
  EXPECT_NEAR(hi, 97.5, 1e-12);
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(Median({4, 1, 2, 3}), 2.5);
  const auto [a, b] = PercentileInterval({1, 2}, 0.5);  // positions 0.25 and 0.75
  EXPECT_DOUBLE_EQ(a, 1.25);
  EXPECT_DOUBLE_EQ(b, 1.75);
}

TEST(Bootstrap, ResampleCountsAreDeterministicDrawsWithReplacement) {
  const std::vector<int> counts = ResampleCounts(240, 7, 3);
  EXPECT_EQ(std::accumulate(counts.begin(), counts.end(), 0), 240);
  EXPECT_EQ(counts, ResampleCounts(240, 7, 3));
  EXPECT_NE(counts, ResampleCounts(240, 7, 4));
  EXPECT_NE(counts, ResampleCounts(240, 8, 3));
  // About 1 - 1/e of the runs appear in a resample: over 200 resamples the mean share is 0.632 +- 0.01.
  double share = 0;
  for (int i = 0; i < 200; ++i) {
    const auto c = ResampleCounts(240, testing::TestSeed(), i);
    share += std::count_if(c.begin(), c.end(), [](int k) { return k > 0; }) / 240.0;
  }
  EXPECT_NEAR(share / 200, 1 - std::exp(-1.0), 0.01);
}

// Besiroglu et al. 2024 (REFERENCE section 1): 95% intervals from 4,000 resamples of the 240 runs.
TEST(Bootstrap, IntervalsAreCloseToBesirogluEtAl) {
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  BootstrapOptions options;
  options.num_resamples = 4000;
  options.seed = testing::TestSeed();
  const ChinchillaBootstrap boot = BootstrapChinchilla(runs, fit, options);
  ASSERT_EQ(boot.samples.num_failed, 0);
  ASSERT_EQ(boot.laws.size(), 4000u);
  std::map<std::string, Interval> by_name(boot.intervals.begin(), boot.intervals.end());
  // Published: E 1.769-1.871, alpha 0.317-0.373, beta 0.331-0.415. Bootstrap endpoints move by about 1% of the
  // interval width between seeds; the data were re-digitised, so allow a few percent of the width.
  EXPECT_NEAR(by_name["E"].lower, 1.769, 0.01);
  EXPECT_NEAR(by_name["E"].upper, 1.871, 0.01);
  EXPECT_NEAR(by_name["alpha"].lower, 0.317, 0.004);
  EXPECT_NEAR(by_name["alpha"].upper, 0.373, 0.004);
  EXPECT_NEAR(by_name["beta"].lower, 0.331, 0.005);
  EXPECT_NEAR(by_name["beta"].upper, 0.415, 0.005);
  // Published A 285-744 and B 1042-5810 are wide and skewed; their order of magnitude must match.
  EXPECT_GT(by_name["A"].lower, 200);
  EXPECT_LT(by_name["A"].upper, 1000);
  EXPECT_GT(by_name["B"].lower, 700);
  EXPECT_LT(by_name["B"].upper, 8000);
  // Every interval contains the point estimate.
  const std::vector<double> point = ChinchillaQuantities(fit.law);
  for (size_t k = 0; k < point.size(); ++k) {
    EXPECT_LE(boot.intervals[k].second.lower, point[k]) << boot.intervals[k].first;
    EXPECT_GE(boot.intervals[k].second.upper, point[k]) << boot.intervals[k].first;
  }
}

TEST(Bootstrap, SameSeedSameNumbersWhateverTheThreadCount) {
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  BootstrapOptions one;
  one.num_resamples = 60;
  one.num_threads = 1;
  BootstrapOptions two = one;
  two.num_threads = 2;
  const ChinchillaBootstrap a = BootstrapChinchilla(runs, fit, one);
  const ChinchillaBootstrap b = BootstrapChinchilla(runs, fit, two);
  ASSERT_EQ(a.samples.params.size(), b.samples.params.size());
  for (size_t i = 0; i < a.samples.params.size(); ++i) {
    EXPECT_EQ(std::memcmp(a.samples.params[i].data(), b.samples.params[i].data(), 5 * sizeof(double)), 0) << i;
  }
  BootstrapOptions other_seed = one;
  other_seed.seed = one.seed + 1;
  EXPECT_NE(BootstrapChinchilla(runs, fit, other_seed).samples.params[0], a.samples.params[0]);
}

TEST(Bootstrap, EachResampleIsRefittedToItsOwnOptimum) {
  // The bootstrap's refit of a resample must equal an independent 64-start grid fit of the same resample.
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  BootstrapOptions options;
  options.num_resamples = 12;
  const ChinchillaBootstrap boot = BootstrapChinchilla(runs, fit, options);
  for (int i = 0; i < 12; ++i) {
    const ChinchillaModel model(runs, ResampleCounts(runs.runs.size(), options.seed, i));
    const MultiStartResult independent = FitMultiStart(model, ChinchillaModel::HoffmannGrid(), MultiStartOptions{});
    const double refit = model.HuberObjective(boot.samples.params[static_cast<size_t>(i)].data(), 1e-3, nullptr);
    EXPECT_NEAR(refit / independent.objective, 1.0, 1e-9) << "resample " << i;
  }
}

TEST(Bootstrap, AnalyticGradientEqualsAutomaticDifferentiation) {
  const RunsTable runs = BundledChinchillaRuns();
  const ChinchillaModel model(runs, ResampleCounts(runs.runs.size(), 3, 0));
  const HuberObjective<ChinchillaModel> automatic(model, 1e-3);
  ceres::AutoDiffFirstOrderFunction<HuberObjective<ChinchillaModel>, 5> reference(
      new HuberObjective<ChinchillaModel>(model, 1e-3));
  for (const auto& p : std::vector<std::vector<double>>{{6.17, 7.67, 0.6, 0.35, 0.37}, {0, 25, -1, 2, 0.5},
                                                        {12, 3, 0.2, 0.8, 0.1}}) {
    double cost = 0, expected_cost = 0;
    double gradient[5], expected[5];
    cost = model.HuberObjective(p.data(), 1e-3, gradient);
    reference.Evaluate(p.data(), &expected_cost, expected);
    EXPECT_NEAR(cost, expected_cost, 1e-12 * std::max(1.0, expected_cost));
    for (int k = 0; k < 5; ++k) EXPECT_NEAR(gradient[k], expected[k], 1e-9 * std::max(1.0, std::fabs(expected[k])));
  }
}

}  // namespace
}  // namespace scaleplan

namespace scaleplan {
namespace {

TEST(Bootstrap, AllocationIntervalsAreThePercentilesOfEachLawsPlan) {
  // Three laws whose N_opt at 5.76e23 are known in closed form; with 3 values the 50% interval is the
  // 25th-75th percentile: midway between the smallest and middle, and between the middle and largest.
  const std::vector<ChinchillaLaw> laws = {FindPublishedLaw("hoffmann")->law, FindPublishedLaw("epoch")->law,
                                           FindPublishedLaw("hoffmann-unrounded")->law};
  const auto intervals = IntervalsOfAllocation(laws, 0.5, [](const ChinchillaLaw& law) {
    return std::optional<Allocation>(law.ComputeOptimal(5.76e23));
  });
  ASSERT_TRUE(intervals.has_value());
  std::vector<double> n;
  for (const auto& law : laws) n.push_back(law.ComputeOptimal(5.76e23).num_params);
  std::sort(n.begin(), n.end());
  EXPECT_DOUBLE_EQ(intervals->num_params.lower, 0.5 * (n[0] + n[1]));
  EXPECT_DOUBLE_EQ(intervals->num_params.upper, 0.5 * (n[1] + n[2]));
  EXPECT_EQ(intervals->num_laws, 3);
  // A target loss below a law's E skips that law; below every law's E there is no interval.
  const auto partial = IntervalsOfAllocation(laws, 0.5, [](const ChinchillaLaw& law) {
    return law.LeastComputeForLoss(1.75);  // above Hoffmann's E = 1.69, below Epoch's E = 1.817
  });
  ASSERT_TRUE(partial.has_value());
  EXPECT_EQ(partial->num_laws, 2);
  EXPECT_FALSE(IntervalsOfAllocation(laws, 0.5, [](const ChinchillaLaw& law) {
                 return law.LeastComputeForLoss(1.0);
               }).has_value());
}

}  // namespace
}  // namespace scaleplan
