#include "fitting/chinchilla_fit.h"

#include <cmath>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// REFERENCE section 1: the plain Huber-sum minimum on Besiroglu et al.'s 240 runs (4,500-start grid).
constexpr double kPublishedObjective = 0.0010182740;

TEST(ChinchillaFit, DefaultFitReachesThePublishedOptimum) {
  MultiStartOptions options;
  ChinchillaFit fit = FitChinchilla(BundledChinchillaRuns(), options);
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.search.objective, kPublishedObjective, 5e-11);
  EXPECT_NEAR(fit.law.E, 1.8172, 5e-5);
  EXPECT_NEAR(fit.law.A, 477.8, 0.05);
  EXPECT_NEAR(fit.law.B, 2143.4, 0.05);
  EXPECT_NEAR(fit.law.alpha, 0.34731, 5e-6);
  EXPECT_NEAR(fit.law.beta, 0.36717, 5e-6);
  EXPECT_EQ(fit.search.num_grid_points, 4500u);
  EXPECT_EQ(fit.search.num_starts, options.num_starts);
  EXPECT_GE(fit.search.num_at_best, 1);
  EXPECT_LE(fit.search.num_at_best, fit.search.num_converged);
  EXPECT_TRUE(fit.search.outside_grid.empty());
  // Residual statistics are recomputed here independently of the fitter.
  double sum_sq = 0;
  for (const TrainingRun& run : BundledChinchillaRuns().runs) {
    const double r = std::log(fit.law.Loss(run.num_params, run.num_tokens) / run.loss_nats);
    sum_sq += r * r;
  }
  EXPECT_NEAR(fit.residuals.rmse, std::sqrt(sum_sq / 240), 1e-15);
  EXPECT_EQ(fit.residuals.num_runs, 240);
}

TEST(ChinchillaFit, DefaultLandsOnTheExhaustiveOptimum) {
  MultiStartOptions exhaustive;
  exhaustive.exhaustive = true;
  ChinchillaFit reference = FitChinchilla(BundledChinchillaRuns(), exhaustive);
  ChinchillaFit fast = FitChinchilla(BundledChinchillaRuns(), MultiStartOptions{});
  ASSERT_TRUE(reference.search.usable);
  EXPECT_EQ(reference.search.num_starts, 4500);
  EXPECT_GT(reference.search.num_converged, 4400);
  EXPECT_TRUE(testing::SameOptimum(fast.search.objective, reference.search.objective));
  for (size_t k = 0; k < 5; ++k) {
    EXPECT_NEAR(fast.search.params[k], reference.search.params[k], 1e-4 * std::fabs(reference.search.params[k]))
        << fast.search.param_names[k];
  }
  EXPECT_NEAR(reference.search.objective, kPublishedObjective, 5e-11);
}

TEST(ChinchillaFit, ResultIsBitIdenticalWhateverTheThreadCount) {
  MultiStartOptions one;
  one.num_threads = 1;
  MultiStartOptions three;
  three.num_threads = 3;
  ChinchillaFit a = FitChinchilla(BundledChinchillaRuns(), one);
  ChinchillaFit b = FitChinchilla(BundledChinchillaRuns(), three);
  ASSERT_EQ(a.search.params.size(), b.search.params.size());
  EXPECT_EQ(std::memcmp(a.search.params.data(), b.search.params.data(), 5 * sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&a.search.objective, &b.search.objective, sizeof(double)), 0);
  EXPECT_EQ(a.search.num_at_best, b.search.num_at_best);
  EXPECT_EQ(a.search.best_grid_index, b.search.best_grid_index);
}

// Runs generated from a known law on a log grid of N and D with multiplicative noise.
RunsTable GeneratedRuns(const ChinchillaLaw& law, double noise_sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_sigma);
  RunsTable table;
  table.source = "generated";
  for (double log_n = std::log(5e7); log_n <= std::log(2e10); log_n += 0.4) {
    for (double log_d = std::log(1e9); log_d <= std::log(5e11); log_d += 0.45) {
      TrainingRun run;
      run.num_params = std::exp(log_n);
      run.num_tokens = std::exp(log_d);
      run.compute_flops = 6 * run.num_params * run.num_tokens;
      run.loss_nats = law.Loss(run.num_params, run.num_tokens) * std::exp(noise(rng));
      table.runs.push_back(run);
    }
  }
  return table;
}

TEST(ChinchillaFit, RecoversAKnownLawFromNoisyRuns) {
  const ChinchillaLaw truth{1.75, 420.0, 1800.0, 0.33, 0.31};
  RunsTable runs = GeneratedRuns(truth, 0.003, testing::TestSeed());
  ASSERT_GT(runs.runs.size(), 150u);
  ChinchillaFit fit = FitChinchilla(runs, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable) << fit.search.status;
  EXPECT_NEAR(fit.law.E, truth.E, 0.03);
  EXPECT_NEAR(fit.law.alpha, truth.alpha, 0.02);
  EXPECT_NEAR(fit.law.beta, truth.beta, 0.02);
  // The allocation is what users act on: N_opt at 1e24 FLOPs within 10%.
  EXPECT_NEAR(fit.law.ComputeOptimal(1e24).num_params / truth.ComputeOptimal(1e24).num_params, 1.0, 0.10);
  // Noise-free data: the law comes back to the digits.
  ChinchillaFit exact = FitChinchilla(GeneratedRuns(truth, 0.0, 1), MultiStartOptions{});
  EXPECT_NEAR(exact.law.E, truth.E, 1e-6);
  EXPECT_NEAR(exact.law.A / truth.A, 1.0, 1e-5);
  EXPECT_NEAR(exact.law.B / truth.B, 1.0, 1e-5);
  EXPECT_NEAR(exact.law.alpha, truth.alpha, 1e-7);
  EXPECT_NEAR(exact.law.beta, truth.beta, 1e-7);
  EXPECT_LT(exact.search.objective, 1e-12);
}

TEST(ChinchillaFit, DefaultEqualsExhaustiveOnGeneratedRuns) {
  RunsTable runs = GeneratedRuns(ChinchillaLaw{2.0, 300.0, 900.0, 0.4, 0.28}, 0.01, testing::TestSeed() + 1);
  MultiStartOptions exhaustive;
  exhaustive.exhaustive = true;
  const double reference = FitChinchilla(runs, exhaustive).search.objective;
  EXPECT_TRUE(testing::SameOptimum(FitChinchilla(runs, MultiStartOptions{}).search.objective, reference));
}

TEST(ChinchillaFit, TooFewRunsIsAnInputError) {
  RunsTable table = BundledChinchillaRuns();
  table.runs.resize(5);
  try {
    FitChinchilla(table, MultiStartOptions{});
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("too few runs to fit: 5 runs, but the Chinchilla law has 5 parameters"),
              std::string::npos);
  }
}

TEST(InitGrid, HoffmannGridHas4500PointsAndParsesOverrides) {
  InitGrid grid = ChinchillaModel::HoffmannGrid();
  EXPECT_EQ(grid.Size(), 4500u);
  EXPECT_EQ(FormatGrid(grid), "a=0:25:5,b=0:25:5,e=-1:1:0.5,alpha=0:2:0.5,beta=0:2:0.5");
  InitGrid small = ParseGridSpec("alpha=0.3, beta=0:1:0.25", grid);
  EXPECT_EQ(small.Size(), 6u * 6 * 5 * 1 * 5);
  EXPECT_EQ(small.Point(0), (std::vector<double>{0, 0, -1, 0.3, 0}));
  EXPECT_THROW(ParseGridSpec("gamma=1", grid), InputError);
  EXPECT_THROW(ParseGridSpec("alpha=1:0:0.1", grid), InputError);
  EXPECT_THROW(ParseGridSpec("alpha", grid), InputError);
  EXPECT_THROW(ParseGridSpec("alpha=0:1", grid), InputError);
}

}  // namespace
}  // namespace scaleplan
