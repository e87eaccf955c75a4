#include "fitting/dictionary_fit.h"

#include <cmath>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "core/dictionary_runs.h"
#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

DictionaryRunsTable CommittedRuns() {
  return LoadDictionaryRunsCsv(testing::SourcePath("data/dictionary_runs_generated.csv"));
}

// The generating law's coefficients, written out (data/dictionary.README.part.md).
constexpr double kTruth[] = {-0.45, 0.24, -0.02, -0.04, -1.25, -0.09};
constexpr double kTruthB = 42.0, kTruthBeta = 0.27;

TEST(LatentsSparsityModel, PredictionIsTheLogOfGaoEtAlsLaw) {
  RunsTable view;
  view.runs.push_back({16384, 32, 0, 0.3, 1});
  view.runs.push_back({1e7, 128, 0, 0.2, 2});
  const LatentsSparsityModel model(view);
  const double p[] = {-0.5, 0.26, -0.017, -0.042, -1.32, -0.085};
  for (int i = 0; i < 2; ++i) {
    const double n = view.runs[i].num_params, k = view.runs[i].num_tokens;
    const double ln_n = std::log(n), ln_k = std::log(k);
    const double loss = std::exp(-0.5 + 0.26 * ln_k - 0.017 * ln_n - 0.042 * ln_k * ln_n) +
                        std::exp(-1.32 - 0.085 * ln_k);
    EXPECT_NEAR(model.LogPrediction(p, i), std::log(loss), 1e-14);
    EXPECT_NEAR(model.LogTarget(i), std::log(view.runs[i].loss_nats), 1e-15);
  }
  // The published coefficients lie inside the start grid's range.
  const InitGrid grid = LatentsSparsityModel::DefaultGrid();
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_LE(grid.axes[i].front(), p[i]) << grid.names[i];
    EXPECT_GE(grid.axes[i].back(), p[i]) << grid.names[i];
  }
  EXPECT_EQ(grid.Size(), 2160u);
}

TEST(DictionaryFit, ViewsCarryTheRightRunsAndTheTokenCorrection) {
  const DictionaryRunsTable runs = ParseDictionaryRunsCsv(
      "n,k,tokens,loss\n4096,32,1e8,0.5\n8192,64,1e8,0.4\n8192,32,1e9,0.35\n", "v.csv");
  const RunsTable at32 = LatentsTokensView(runs, 32);
  ASSERT_EQ(at32.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(at32.runs[1].num_params, 8192);
  EXPECT_DOUBLE_EQ(at32.runs[1].num_tokens, 1e9);
  ChinchillaLaw token_law{0.2, 1.0, 4.0, 0.2, 0.25};
  int dropped = -1;
  const RunsTable converged = LatentsSparsityView(runs, &token_law, &dropped);
  ASSERT_EQ(converged.runs.size(), 3u);
  EXPECT_EQ(dropped, 0);
  EXPECT_DOUBLE_EQ(converged.runs[0].num_tokens, 32);  // k rides in the D slot
  EXPECT_NEAR(converged.runs[0].loss_nats, 0.5 - 4.0 / 100.0, 1e-15);  // 1e8^0.25 = 100
  token_law.B = 400;  // 4 > every loss: all dropped
  EXPECT_EQ(LatentsSparsityView(runs, &token_law, &dropped).runs.size(), 0u);
  EXPECT_EQ(dropped, 3);
}

// Without noise the fits land on the generating law itself.
TEST(DictionaryFit, RecoversTheNoiseFreeLawExactly) {
  DictionaryRunsDesign design;
  design.noise_sigma = 0.0;
  const DictionaryRunsTable runs = GenerateDictionaryRuns(design, 1);
  const DictionaryFit fit = FitDictionaryLaws(runs);
  ASSERT_TRUE(fit.usable) << fit.status;
  ASSERT_TRUE(fit.has_token_law);
  EXPECT_EQ(fit.token_law_k, 32);
  EXPECT_EQ(fit.token_view.runs.size(), 27u);  // 7 grid sizes + 5 x 4 sweep
  const std::vector<double> values = LatentsSparsityValues(fit.converged_law);
  for (size_t i = 0; i < 6; ++i) EXPECT_NEAR(values[i], kTruth[i], 2e-4) << LatentsSparsityNames()[i];
  EXPECT_NEAR(fit.token_fit.law.B / kTruthB, 1.0, 1e-3);
  EXPECT_NEAR(fit.token_fit.law.beta, kTruthBeta, 1e-4);
  // At k = 32 the converged law is E + A / n^alpha with E = exp(zeta + eta ln 32), A = exp(alpha + beta_k ln 32),
  // alpha = -(beta_n + gamma ln 32).
  const double ln32 = std::log(32.0);
  EXPECT_NEAR(fit.token_fit.law.E, std::exp(-1.25 - 0.09 * ln32), 1e-5);
  EXPECT_NEAR(fit.token_fit.law.A, std::exp(-0.45 + 0.24 * ln32), 1e-4);
  EXPECT_NEAR(fit.token_fit.law.alpha, 0.02 + 0.04 * ln32, 1e-5);
  EXPECT_LT(fit.converged_search.objective, 1e-12);
}

// The committed noisy runs: every generating coefficient lies inside its 95% bootstrap interval.
TEST(DictionaryFit, GeneratedLawsLieInsideTheirBootstrapIntervals) {
  const DictionaryRunsTable runs = CommittedRuns();
  ASSERT_EQ(runs.runs.size(), 62u);
  const DictionaryFit fit = FitDictionaryLaws(runs);
  ASSERT_TRUE(fit.usable) << fit.status;
  EXPECT_EQ(fit.converged_search.num_at_best, fit.converged_search.num_starts);
  BootstrapOptions options;
  options.num_resamples = 1000;
  options.seed = testing::TestSeed();
  const DictionaryBootstrap boot = BootstrapDictionaryLaws(fit, options);
  EXPECT_EQ(boot.converged_samples.num_failed, 0);
  ASSERT_EQ(boot.converged_intervals.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const Interval& interval = boot.converged_intervals[i].second;
    EXPECT_LE(interval.lower, kTruth[i]) << boot.converged_intervals[i].first;
    EXPECT_GE(interval.upper, kTruth[i]) << boot.converged_intervals[i].first;
    EXPECT_LT(interval.upper - interval.lower, 0.25) << boot.converged_intervals[i].first;  // informative
  }
  ASSERT_TRUE(boot.token_bootstrap.has_value());
  std::map<std::string, Interval> token(boot.token_bootstrap->intervals.begin(), boot.token_bootstrap->intervals.end());
  const double ln32 = std::log(32.0);
  const std::map<std::string, double> token_truth = {{"E", std::exp(-1.25 - 0.09 * ln32)},
                                                     {"A", std::exp(-0.45 + 0.24 * ln32)},
                                                     {"B", kTruthB},
                                                     {"alpha", 0.02 + 0.04 * ln32},
                                                     {"beta", kTruthBeta}};
  for (const auto& [name, value] : token_truth) {
    EXPECT_LE(token[name].lower, value) << name;
    EXPECT_GE(token[name].upper, value) << name;
  }
  EXPECT_EQ(boot.laws.size(), 1000u);
  // The planner's laws carry the runs' ranges.
  EXPECT_FALSE(fit.laws.prior);
  EXPECT_DOUBLE_EQ(fit.laws.latents_min, 4096);
  EXPECT_DOUBLE_EQ(fit.laws.latents_max, 16777216);
  EXPECT_DOUBLE_EQ(fit.laws.k_min, 8);
  EXPECT_DOUBLE_EQ(fit.laws.k_max, 256);
  // The most tokens and the fewest per latent: the sweep's 16 and 1/16 x T_conv(2^20) runs.
  const double t_conv = std::round(40e9 * std::pow(1.0 / 16, 0.6));
  EXPECT_DOUBLE_EQ(fit.laws.tokens_max, std::round(16 * t_conv));
  EXPECT_DOUBLE_EQ(fit.laws.tokens_per_latent_min, std::round(t_conv / 16) / 1048576);
}

// The screened default search lands on the optimum that L-BFGS from every one of the 2,160 starts finds.
TEST(DictionaryFit, DefaultSearchFindsTheExhaustiveOptimum) {
  const DictionaryRunsTable runs = CommittedRuns();
  DictionaryFitOptions exhaustive;
  exhaustive.search.exhaustive = true;
  const DictionaryFit reference = FitDictionaryLaws(runs, exhaustive);
  const DictionaryFit fit = FitDictionaryLaws(runs);
  ASSERT_TRUE(reference.usable && fit.usable);
  EXPECT_TRUE(testing::SameOptimum(fit.converged_search.objective, reference.converged_search.objective));
  EXPECT_TRUE(testing::SameOptimum(fit.token_fit.search.objective, reference.token_fit.search.objective));
}

TEST(DictionaryFit, RunsWithoutTokensFitTheConvergedLawAlone) {
  DictionaryRunsDesign design;
  design.sweep_latents.clear();
  const DictionaryRunsTable generated = GenerateDictionaryRuns(design, 3);
  // The grid runs without their tokens column.
  std::string text = "n,k,loss\n";
  for (const DictionaryRun& run : generated.runs) {
    text += std::to_string(run.num_latents) + "," + std::to_string(run.k) + "," + std::to_string(run.loss) + "\n";
  }
  const DictionaryFit fit = FitDictionaryLaws(ParseDictionaryRunsCsv(text, "no_tokens.csv"));
  ASSERT_TRUE(fit.usable);
  EXPECT_FALSE(fit.has_token_law);
  EXPECT_EQ(fit.token_law_note, "the runs have no tokens column");
  EXPECT_FALSE(fit.laws.has_token_term);
  EXPECT_DOUBLE_EQ(fit.laws.ConvergenceTokens(16777216), 40e9);  // the prior's rule stands in
}

TEST(DictionaryFit, TooFewRunsIsAnInputError) {
  const DictionaryRunsTable runs =
      ParseDictionaryRunsCsv("n,k,loss\n4096,8,0.5\n8192,8,0.45\n4096,16,0.44\n", "few.csv");
  try {
    FitDictionaryLaws(runs);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(),
                 "few.csv: too few runs to fit: 3 runs with 2 sizes and 2 values of k, but the L(n, k) law has 6 "
                 "parameters (need at least 7 runs, 2 sizes and 2 values of k)");
  }
  DictionaryFitOptions options;
  options.token_law_k = 5;
  const DictionaryRunsTable with_tokens = ParseDictionaryRunsCsv("n,k,T,loss\n4096,8,1e9,0.5\n", "t.csv");
  EXPECT_THROW(FitDictionaryLaws(with_tokens, options), InputError);
}

}  // namespace
}  // namespace scaleplan
