#include "fitting/data_constrained_fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "core/data_constrained.h"
#include "core/error.h"
#include "fitting/diagnostics.h"
#include "fitting/law_table.h"
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

// Muennighoff et al. 2023's law (section 3.1) written out from its closed form, independent of core/: U_D = min(U, D),
// U_N = min(N, N_opt(U_D)) where N_opt(U_D) = G^(1 + beta/alpha) U_D^(beta/alpha) is the base law's compute-optimal
// size at the budget whose optimal token count is U_D (G = (alpha A / (beta B))^(1/(alpha + beta))), then
// D' = U_D (1 + R_D* (1 - e^(-(D/U_D - 1)/R_D*))), N' = U_N (1 + R_N* (1 - e^(-(N/U_N - 1)/R_N*))) and
// L = E + A / N'^alpha + B / D'^beta.
double ClosedFormLoss(const ChinchillaLaw& base, double n, double d, double u, double r_d_star, double r_n_star) {
  const double u_d = std::min(u, d);
  const double g = std::pow(base.alpha * base.A / (base.beta * base.B), 1.0 / (base.alpha + base.beta));
  const double u_n = std::min(n, std::pow(g, 1.0 + base.beta / base.alpha) * std::pow(u_d, base.beta / base.alpha));
  const double d_eff = u_d + u_d * r_d_star * (1.0 - std::exp(-(d / u_d - 1.0) / r_d_star));
  const double n_eff = u_n + u_n * r_n_star * (1.0 - std::exp(-(n / u_n - 1.0) / r_n_star));
  return base.E + base.A / std::pow(n_eff, base.alpha) + base.B / std::pow(d_eff, base.beta);
}

// Noise-free runs of the law with R_D* = 25 and R_N* = 3.5 (neither a start of the notebook grid) over the C4 base
// law: 3 sizes x 2 unique-token budgets x 8 epoch counts (0.5 to 64), most of them repeating data and most beyond U_N
// (about 0.051 U_D with this base law).
constexpr double kTrueRdStar = 25.0;
constexpr double kTrueRnStar = 3.5;

DataConstrainedRunsTable NoiseFreeRuns() {
  DataConstrainedRunsTable table;
  table.source = "noise-free.csv";
  int line = 2;
  for (const double n : {2e8, 6e8, 2e9}) {
    for (const double u : {1e9, 5e9}) {
      for (const double epochs : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0}) {
        const double d = epochs * u;
        table.runs.push_back(
            {n, d, u, ClosedFormLoss(MuennighoffC4BaseLaw(), n, d, u, kTrueRdStar, kTrueRnStar), line++});
      }
    }
  }
  return table;
}

// Every resample of noise-free runs is fitted exactly by the true constants, so each refit recovers them and the
// intervals collapse onto the truth.
TEST(FitDataConstrained, BootstrapOfNoiseFreeRunsRecoversTheTruthInEveryResample) {
  const DataConstrainedRunsTable runs = NoiseFreeRuns();
  EXPECT_NEAR(MuennighoffC4Law().Loss(2e9, 64 * 1e9, 1e9),
              ClosedFormLoss(MuennighoffC4BaseLaw(), 2e9, 64 * 1e9, 1e9, kMuennighoffRdStar, kMuennighoffRnStar),
              1e-12);  // the generator is the law core/ plans with
  BootstrapOptions bootstrap;
  bootstrap.num_resamples = 60;
  bootstrap.seed = 7;
  const DataConstrainedFit fit =
      FitDataConstrained(runs, MuennighoffC4BaseLaw(), {}, DataConstrainedModel::NotebookGrid(), &bootstrap);
  ASSERT_TRUE(fit.usable) << fit.status;
  EXPECT_NEAR(fit.R_D_star / kTrueRdStar, 1.0, 1e-6);
  EXPECT_NEAR(fit.R_N_star / kTrueRnStar, 1.0, 1e-6);
  EXPECT_EQ(fit.bootstrap.num_resamples, 60);
  EXPECT_EQ(fit.bootstrap.num_failed, 0);
  ASSERT_EQ(fit.bootstrap.params.size(), 60u);
  for (const std::vector<double>& refit : fit.bootstrap.params) {
    EXPECT_NEAR(refit[0] / kTrueRdStar, 1.0, 1e-6);
    EXPECT_NEAR(refit[1] / kTrueRnStar, 1.0, 1e-6);
  }
  ASSERT_EQ(fit.intervals.size(), 2u);
  const std::pair<std::string, double> truth[] = {{"R_D_star", kTrueRdStar}, {"R_N_star", kTrueRnStar}};
  for (size_t k = 0; k < 2; ++k) {
    const auto& [name, interval] = fit.intervals[k];
    EXPECT_EQ(name, truth[k].first);
    EXPECT_NEAR(interval.first / truth[k].second, 1.0, 1e-6) << name;
    EXPECT_NEAR(interval.second / truth[k].second, 1.0, 1e-6) << name;
    EXPECT_LE(interval.second - interval.first, 1e-6 * truth[k].second) << name;
  }
  const nlohmann::ordered_json json = DataConstrainedFitToJson(fit, runs);
  EXPECT_EQ(json["intervals"]["R_D_star"][0].get<double>(), fit.intervals[0].second.first);
  EXPECT_EQ(json["intervals"]["R_N_star"][1].get<double>(), fit.intervals[1].second.second);
  EXPECT_EQ(json["bootstrap"]["resamples"], 60);
  EXPECT_EQ(json["bootstrap"]["failed"], 0);
  // Without a bootstrap the JSON has neither key.
  EXPECT_FALSE(DataConstrainedFitToJson(FitDataConstrained(runs), runs).contains("intervals"));
}

// The bootstrap's verdict in the diagnostics: on the bundled runs R_D*'s interval is unbounded above (a flat valley
// trades R_D* against R_N*; about one resample in ten runs along it), so its ends differ by more than 100x and R_D* is
// reported unconstrained, with a warning; R_N*'s ends differ by less and it is not. Noise-free runs leave both pinned.
TEST(FitDataConstrained, AnUnboundedBootstrapIntervalMarksItsConstantUnconstrained) {
  const DataConstrainedRunsTable runs = BundledMuennighoffRuns();
  BootstrapOptions bootstrap;
  bootstrap.num_resamples = 50;
  const DataConstrainedFit fit =
      FitDataConstrained(runs, MuennighoffC4BaseLaw(), {}, DataConstrainedModel::NotebookGrid(), &bootstrap);
  ASSERT_TRUE(fit.usable) << fit.status;
  ASSERT_EQ(fit.intervals.size(), 2u);
  const FitDiagnostics diagnostics = DiagnoseDataConstrainedFit(runs, MuennighoffC4BaseLaw(), fit);
  auto flagged = [&](const std::string& name) {
    return std::any_of(diagnostics.unconstrained.begin(), diagnostics.unconstrained.end(),
                       [&](const UnconstrainedParameter& p) { return p.name == name; });
  };
  for (const auto& [name, interval] : fit.intervals) {
    const double ratio = interval.second / interval.first;
    EXPECT_EQ(flagged(name), interval.first <= 0 || ratio > 100) << name << " [" << interval.first << ", "
                                                                 << interval.second << "]";
  }
  EXPECT_GT(fit.intervals[0].second.second / fit.intervals[0].second.first, 1e3);  // R_D*: unbounded above
  EXPECT_TRUE(flagged("R_D_star"));
  EXPECT_TRUE(std::any_of(diagnostics.warnings.begin(), diagnostics.warnings.end(), [](const std::string& w) {
    return w.rfind("R_D_star is not constrained by these runs: its bootstrap interval", 0) == 0;
  }));

  const DataConstrainedFit exact =
      FitDataConstrained(NoiseFreeRuns(), MuennighoffC4BaseLaw(), {}, DataConstrainedModel::NotebookGrid(), &bootstrap);
  ASSERT_TRUE(exact.usable) << exact.status;
  EXPECT_TRUE(DiagnoseDataConstrainedFit(NoiseFreeRuns(), MuennighoffC4BaseLaw(), exact).unconstrained.empty());
}

// The law's table entry (fitting/law_table.h, what `fit --group-by` and goldens fit through), on the same runs read
// from a file, passes the bootstrap on and reports the fit's intervals under the same names.
TEST(FitDataConstrained, TheTableEntryGivesTheFitsIntervals) {
  std::string csv = "N,D,U,loss\n";
  char line[128];
  for (const DataConstrainedRun& run : NoiseFreeRuns().runs) {
    std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%.17g\n", run.num_params, run.num_tokens, run.unique_tokens,
                  run.loss_nats);
    csv += line;
  }
  const LawRuns runs = LoadLawRuns("data-constrained", testing::WriteTempFile("noise_free.csv", csv), {});
  ASSERT_EQ(runs.size(), 48u);
  TableLawOptions options;
  options.bootstrap = BootstrapOptions{};
  options.bootstrap->num_resamples = 20;
  options.bootstrap->seed = 3;
  const TableLawFit table_fit = FitTableLaw(*FindTableLaw("data-constrained"), runs, options);
  ASSERT_TRUE(table_fit.usable) << table_fit.status;
  const DataConstrainedFit fit = FitDataConstrained(NoiseFreeRuns(), MuennighoffC4BaseLaw(), {},
                                                    DataConstrainedModel::NotebookGrid(), &*options.bootstrap);
  EXPECT_EQ(table_fit.intervals, fit.intervals);
  ASSERT_EQ(table_fit.intervals.size(), 2u);
  EXPECT_EQ(table_fit.intervals[0].first, "R_D_star");
  EXPECT_EQ(table_fit.intervals[1].first, "R_N_star");
  EXPECT_NEAR(table_fit.intervals[0].second.first / kTrueRdStar, 1.0, 1e-6);
  EXPECT_NEAR(table_fit.intervals[1].second.second / kTrueRnStar, 1.0, 1e-6);
  EXPECT_EQ(table_fit.bootstrap_resamples, 20);
  EXPECT_EQ(table_fit.bootstrap_failed, 0);
}

TEST(FitDataConstrained, TooFewRunsIsAnInputError) {
  DataConstrainedRunsTable table;
  table.source = "two.csv";
  table.runs = {{1e9, 2e10, 1e10, 3.0, 2}, {2e9, 4e10, 1e10, 2.9, 3}};
  EXPECT_THROW(FitDataConstrained(table), InputError);
}

}  // namespace
}  // namespace scaleplan
