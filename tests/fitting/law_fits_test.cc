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

}  // namespace
}  // namespace scaleplan
