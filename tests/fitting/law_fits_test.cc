#include "fitting/law_fits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/bundled_data.h"

namespace scaleplan {
namespace {

// The bundled runs' largest model is 16.2B parameters at 1.3e22 FLOPs: 1e25 FLOPs lies some 800x beyond them.
constexpr double kFarBudgetFlops = 1e25;

TEST(LawFitsTest, ChinchillaReportListsAllocationsAndWarnsOnlyAtBudgetsAskedFor) {
  const RunsTable runs = BundledChinchillaRuns();
  LawFitOptions options;
  options.grid = ChinchillaModel::HoffmannGrid();
  options.budgets = {1e21, kFarBudgetFlops};
  const ChinchillaFitReport quiet = MakeChinchillaFitReport(runs, options);
  ASSERT_TRUE(quiet.fit.search.usable);
  // Besiroglu et al. 2024 (Table 1) on these runs: alpha 0.3478, beta 0.3658.
  EXPECT_NEAR(quiet.fit.law.alpha, 0.3478, 0.002);
  EXPECT_NEAR(quiet.fit.law.beta, 0.3658, 0.002);
  ASSERT_EQ(quiet.json["allocations"].size(), 2u);
  // Hoffmann et al. eq. 4: N_opt = G (C/6)^a with G = (alpha A / (beta B))^(1/(alpha+beta)), a = beta/(alpha+beta).
  const ChinchillaLaw& law = quiet.fit.law;
  const double g = std::pow(law.alpha * law.A / (law.beta * law.B), 1 / (law.alpha + law.beta));
  const double expected_params = g * std::pow(kFarBudgetFlops / 6, law.beta / (law.alpha + law.beta));
  EXPECT_NEAR(quiet.json["allocations"][1]["num_params"].get<double>(), expected_params, 1e-9 * expected_params);
  EXPECT_TRUE(quiet.budget_warnings.empty());
  ASSERT_TRUE(quiet.diagnostics.has_value());
  EXPECT_TRUE(quiet.json.contains("diagnostics"));
  EXPECT_EQ(quiet.json["warnings"].size(), quiet.fit.warnings.size());

  options.warn_beyond_runs = true;
  const ChinchillaFitReport warned = MakeChinchillaFitReport(runs, options);
  ASSERT_EQ(warned.budget_warnings.size(), 1u);  // 1e21 lies within the runs
  EXPECT_EQ(warned.budget_warnings[0].rfind("at 1.00e+25 FLOPs: extrapolates", 0), 0u) << warned.budget_warnings[0];
  // The JSON's warnings are the fit's, then the budgets'.
  ASSERT_EQ(warned.json["warnings"].size(), warned.fit.warnings.size() + 1);
  EXPECT_EQ(warned.json["warnings"].back().get<std::string>(), warned.budget_warnings[0]);
}

TEST(LawFitsTest, OneGroupOfGroupByIsNotWarnedAtTheBudgets) {
  RunSelection by_size;
  by_size.group_by = {"Model Size"};  // one group per model size
  const RunsTable runs = BundledChinchillaRuns();
  const RunsTable grouped = BundledChinchillaRuns(by_size);
  const std::vector<RunsTable> groups = SplitRunsByGroup(grouped);
  ASSERT_GT(groups.size(), 1u);
  EXPECT_TRUE(WarnsBeyondFittedRuns(true, runs));
  EXPECT_FALSE(WarnsBeyondFittedRuns(false, runs));
  EXPECT_FALSE(WarnsBeyondFittedRuns(true, groups.front()));
  EXPECT_FALSE(WarnsBeyondFittedRuns(true, grouped));
}

TEST(LawFitsTest, KaplanBootstrapGivesPercentileIntervalsAroundTheFit) {
  const RunsTable runs = BundledChinchillaRuns();
  LawFitOptions options;
  options.grid = KaplanModel::DefaultGrid();
  options.bootstrap.num_resamples = 20;
  options.bootstrap.seed = 5;
  const KaplanFitReport report = MakeKaplanFitReport(runs, options);
  ASSERT_TRUE(report.fit.search.usable);
  const std::vector<std::string> names = {"N_c", "D_c", "alpha_N", "alpha_D", "exponent_params", "exponent_tokens"};
  ASSERT_EQ(report.intervals.size(), names.size());
  const double values[] = {report.fit.law.n_c,
                           report.fit.law.d_c,
                           report.fit.law.alpha_n,
                           report.fit.law.alpha_d,
                           report.fit.law.ExponentParams(),
                           report.fit.law.ExponentTokens()};
  for (size_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(report.intervals[k].first, names[k]);
    EXPECT_LE(report.intervals[k].second.lower, report.intervals[k].second.upper) << names[k];
    EXPECT_TRUE(report.json["intervals"].contains(names[k])) << names[k];
  }
  // The exponents are well determined by 240 runs: the fit's own lies inside its interval.
  EXPECT_LE(report.intervals[4].second.lower, values[4]);
  EXPECT_GE(report.intervals[4].second.upper, values[4]);
  EXPECT_TRUE(report.json.contains("diagnostics"));
}

// Options left at their defaults fit as `fit` without --bootstrap does: no resamples, no intervals (the Fit dock's
// Kaplan fit once bootstrapped 1000 resamples from the bare defaults, 50 times its fit, and discarded them).
TEST(LawFitsTest, DefaultOptionsDoNotBootstrap) {
  const RunsTable runs = BundledChinchillaRuns();
  EXPECT_EQ(LawFitOptions{}.bootstrap.num_resamples, 0);
  LawFitOptions kaplan_options;
  kaplan_options.grid = KaplanModel::DefaultGrid();
  const KaplanFitReport kaplan = MakeKaplanFitReport(runs, kaplan_options);
  ASSERT_TRUE(kaplan.fit.search.usable);
  EXPECT_TRUE(kaplan.intervals.empty());
  EXPECT_FALSE(kaplan.json.contains("intervals"));
  LawFitOptions chinchilla_options;
  chinchilla_options.grid = ChinchillaModel::HoffmannGrid();
  const ChinchillaFitReport chinchilla = MakeChinchillaFitReport(runs, chinchilla_options);
  ASSERT_TRUE(chinchilla.fit.search.usable);
  EXPECT_FALSE(chinchilla.bootstrap.has_value());
  EXPECT_FALSE(chinchilla.json.contains("intervals"));
  const IsoFlopFitReport isoflop = MakeIsoFlopFitReport(runs, LawFitOptions{});
  ASSERT_TRUE(isoflop.fit.usable);
  EXPECT_FALSE(isoflop.bootstrap.has_value());
  EXPECT_FALSE(isoflop.json.contains("intervals"));
}

TEST(LawFitsTest, IsoFlopReportCountsTheBudgetsItFits) {
  const RunsTable runs = BundledChinchillaRuns();
  LawFitOptions options;
  const IsoFlopFitReport report = MakeIsoFlopFitReport(runs, options);
  EXPECT_EQ(report.num_budget_groups, report.fit.budgets.size());
  EXPECT_EQ(report.json["budgets"].size(), report.num_budget_groups);
  EXPECT_EQ(report.json["allocations"].size(), 1u);  // at the default budget, 5.76e23 FLOPs
  options.min_budget_runs = 1000;                    // no budget has that many runs: no fit, no allocation
  const IsoFlopFitReport none = MakeIsoFlopFitReport(runs, options);
  EXPECT_FALSE(none.fit.usable);
  EXPECT_EQ(none.num_budget_groups, 0u);
  EXPECT_TRUE(none.json["allocations"].empty());
}

// CheckIsoFlopDesign against two independent values. Runs spread evenly in log N about each budget's exact optimum,
// the same offsets at every budget: the Chinchilla law's valley is then the same curve at every budget, only scaled
// (tests/fitting/laws_test.cc derives it), so every parabola misses N_opt by the same factor and Approach 2's
// exponent is the law's beta / (alpha + beta) exactly, whatever the losses measured. On the bundled runs, with the
// Approach 3 fit as the law: the design's own error is under 0.002, a tenth of the gap between the two approaches on
// the measured losses (README, "How far Approach 2 misses").
TEST(LawFitsTest, IsoFlopDesignCheckIsExactOnACentredDesignAndSmallOnTheBundledRuns) {
  const ChinchillaLaw law{1.69, 406.4, 410.7, 0.34, 0.28};
  RunsTable centred;
  for (double compute : {1e18, 1e19, 1e20, 1e21}) {
    for (int k = -4; k <= 4; ++k) {
      TrainingRun run;
      run.num_params = law.ComputeOptimal(compute).num_params * std::exp(0.3 * k);
      run.compute_flops = compute;
      run.num_tokens = compute / (6 * run.num_params);
      run.loss_nats = 3.0 + 0.01 * k * k;  // not the law's: the check replaces them
      centred.runs.push_back(run);
    }
  }
  const IsoFlopDesignCheck exact = CheckIsoFlopDesign(centred, law, LawFitOptions{});
  ASSERT_TRUE(exact.fit.usable) << exact.fit.status;
  EXPECT_EQ(exact.fit.num_budgets_used, 4);
  EXPECT_NEAR(exact.law_exponent_params, 0.28 / 0.62, 1e-15);
  EXPECT_NEAR(exact.Bias(), 0.0, 1e-9);

  const RunsTable runs = BundledChinchillaRuns();
  LawFitOptions options;
  options.grid = ChinchillaModel::HoffmannGrid();
  const ChinchillaFitReport approach3 = MakeChinchillaFitReport(runs, options);
  const IsoFlopFitReport approach2 = MakeIsoFlopFitReport(runs, options);
  ASSERT_TRUE(approach3.fit.search.usable && approach2.fit.usable);
  const IsoFlopDesignCheck bundled = CheckIsoFlopDesign(runs, approach3.fit.law, options);
  ASSERT_TRUE(bundled.fit.usable) << bundled.fit.status;
  EXPECT_EQ(bundled.law_exponent_params, approach3.fit.law.ExponentParams());
  EXPECT_LT(std::abs(bundled.Bias()), 0.002);
  EXPECT_GT(std::abs(approach2.fit.exponent_params - bundled.law_exponent_params), 10 * std::abs(bundled.Bias()));
  EXPECT_EQ(IsoFlopDesignCheckToJson(bundled)["bias_exponent_params"].get<double>(), bundled.Bias());
}

}  // namespace
}  // namespace scaleplan
