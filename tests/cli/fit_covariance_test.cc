// Drives the real `scaleplan fit` for its diagnostics (fitting/diagnostics.h): the JSON `diagnostics` object, the
// --diagnostics table, and the warnings naming unconstrained parameters and residual trends, on runs generated here
// whose defects are known (a narrow range of D; a law with an N-D interaction the Chinchilla form lacks).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

// Besiroglu et al. 2024's point estimate.
constexpr double kE = 1.817, kA = 482.01, kB = 2085.43, kAlpha = 0.3478, kBeta = 0.3658;

// Runs on a grid, loss = law(N, D) exp(noise), noise ~ N(0, sigma^2), with a `source` column.
template <class Law>
std::string GridCsv(const std::vector<double>& params, const std::vector<double>& tokens, const Law& law, double sigma,
                    const std::string& source, bool header = true) {
  std::mt19937_64 rng(testing::TestSeed());
  std::normal_distribution<double> noise(0.0, sigma);
  std::string text = header ? "N,D,loss,source\n" : "";
  char line[160];
  for (double n : params) {
    for (double d : tokens) {
      std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%s\n", n, d, law(n, d) * std::exp(noise(rng)),
                    source.c_str());
      text += line;
    }
  }
  return text;
}

std::vector<double> LogSpaced(double lo, double hi, int count) {
  std::vector<double> values;
  for (int i = 0; i < count; ++i) values.push_back(lo * std::pow(hi / lo, i / (count - 1.0)));
  return values;
}

double Chinchilla(double n, double d) { return kE + kA / std::pow(n, kAlpha) + kB / std::pow(d, kBeta); }

// The data term grows with N: B (N / 1e8)^0.25 / D^beta, an interaction the separable law cannot express.
double Interacting(double n, double d) {
  return kE + kA / std::pow(n, kAlpha) + kB * std::pow(n / 1e8, 0.25) / std::pow(d, kBeta);
}

bool Has(const nlohmann::json& list, const std::string& name) {
  for (const auto& item : list) {
    if (item == name) return true;
  }
  return false;
}

TEST(FitCovariance, JsonCarriesStandardErrorsCorrelationsAndUnconstrained) {
  const Result r = RunScaleplan("fit --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& diagnostics = json.at("diagnostics");
  const std::vector<std::string> names = {"E", "A", "B", "alpha", "beta"};
  for (const std::string& a : names) {
    const double se = diagnostics.at("standard_errors").at(a);
    EXPECT_GT(se, 0) << a;
    EXPECT_LT(se, 0.3 * json.at(a).get<double>()) << a;  // every parameter known to better than 30% (README)
    EXPECT_DOUBLE_EQ(diagnostics["correlations"][a][a].get<double>(), 1.0);
    for (const std::string& b : names) {
      EXPECT_DOUBLE_EQ(diagnostics["correlations"][a][b].get<double>(),
                       diagnostics["correlations"][b][a].get<double>());
    }
  }
  EXPECT_TRUE(diagnostics.at("unconstrained").empty());
  EXPECT_EQ(diagnostics.at("residual_trends").size(), 3u);
  EXPECT_EQ(r.err.find("not constrained"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("residuals trend"), std::string::npos) << r.err;
}

TEST(FitCovariance, ANarrowRangeOfDNamesTheParametersItLeavesFree) {
  const std::string path = testing::WriteTempFile(
      "narrow_d.csv", GridCsv(LogSpaced(1e7, 1e10, 8), {1e10, 1.03e10, 1.06e10}, Chinchilla, 0.01, "a"));
  const Result r = RunScaleplan("fit '" + path + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const auto& unconstrained = json.at("diagnostics").at("unconstrained");
  EXPECT_TRUE(Has(unconstrained, "B") && Has(unconstrained, "beta")) << unconstrained;
  EXPECT_FALSE(Has(unconstrained, "A") || Has(unconstrained, "alpha")) << unconstrained;
  EXPECT_NE(r.err.find("scaleplan fit: warning: chinchilla: beta is not constrained by these runs: "),
            std::string::npos)
      << r.err;
  bool in_json = false;
  for (const auto& warning : json.at("warnings")) {
    in_json = in_json || warning.get<std::string>().rfind("B is not constrained by these runs: ", 0) == 0;
  }
  EXPECT_TRUE(in_json) << json.at("warnings");

  // The table: the warning lines always, the diagnostics section on request.
  const Result table = RunScaleplan("fit '" + path + "' --diagnostics");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("  warning     beta is not constrained by these runs: "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("B is not constrained by these runs: "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("    unconstrained: "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("correlations"), std::string::npos);
  const Result plain = RunScaleplan("fit '" + path + "'");
  EXPECT_EQ(plain.out.find("correlations"), std::string::npos) << "the section is shown on request only";
}

TEST(FitCovariance, AMissingTermLeavesAResidualTrend) {
  const std::string missing = testing::WriteTempFile(
      "interacting.csv", GridCsv(LogSpaced(1e7, 1e10, 10), LogSpaced(1e9, 1e12, 10), Interacting, 0.005, "a"));
  const Result r = RunScaleplan("fit '" + missing + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("warning: chinchilla: the residuals trend with log N: "), std::string::npos) << r.err;
  const auto trends = nlohmann::json::parse(r.out).at("diagnostics").at("residual_trends");
  EXPECT_EQ(trends[0]["axis"], "N");
  EXPECT_TRUE(trends[0]["flagged"].get<bool>());
  EXPECT_GT(std::abs(trends[0]["t_statistic"].get<double>()), 4.0);

  const std::string clean = testing::WriteTempFile(
      "clean.csv", GridCsv(LogSpaced(1e7, 1e10, 7), LogSpaced(1e9, 1e12, 7), Chinchilla, 0.005, "a"));
  const Result fine = RunScaleplan("fit '" + clean + "' --format json");
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(fine.err.find("trend"), std::string::npos) << fine.err;
  EXPECT_EQ(fine.err.find("not constrained"), std::string::npos) << fine.err;
}

TEST(FitCovariance, EachGroupCarriesItsOwnDiagnostics) {
  // Group a spans D over three decades; group b has D within 6%: only b's B and beta are unconstrained.
  const std::string text = GridCsv(LogSpaced(1e7, 1e10, 6), LogSpaced(1e9, 1e12, 5), Chinchilla, 0.01, "a") +
                           GridCsv(LogSpaced(1e7, 1e10, 8), {1e10, 1.03e10, 1.06e10}, Chinchilla, 0.01, "b", false);
  const std::string path = testing::WriteTempFile("two_groups.csv", text);
  const Result r = RunScaleplan("fit '" + path + "' --group-by source --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto groups = nlohmann::json::parse(r.out).at("groups");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_TRUE(groups[0].at("diagnostics").at("unconstrained").empty()) << groups[0]["diagnostics"];
  EXPECT_TRUE(Has(groups[1].at("diagnostics").at("unconstrained"), "beta"));
  EXPECT_NE(r.err.find("group source=b: chinchilla: beta is not constrained"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("group source=a: chinchilla: beta is not constrained"), std::string::npos) << r.err;
}

TEST(FitCovariance, KaplanFitsCarryDiagnosticsToo) {
  const Result r = RunScaleplan("fit --law kaplan --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto diagnostics = nlohmann::json::parse(r.out).at("diagnostics");
  for (const char* name : {"N_c", "D_c", "alpha_N", "alpha_D"}) {
    EXPECT_GT(diagnostics.at("standard_errors").at(name).get<double>(), 0) << name;
  }
  EXPECT_TRUE(diagnostics.at("unconstrained").empty()) << diagnostics["unconstrained_reasons"];
}

TEST(FitCovariance, DataConstrainedAndSparseFitsCarryDiagnostics) {
  // The bundled runs of each: every parameter gets a positive standard error, and the correlations are symmetric.
  const std::vector<std::pair<std::string, std::vector<std::string>>> laws = {
      {"data-constrained", {"R_D_star", "R_N_star"}}, {"sparse", {"a_S", "b_S", "c_S", "b_N", "a_D", "b_D", "c"}}};
  for (const auto& [law, names] : laws) {
    const Result r = RunScaleplan("fit --law " + law + " --format json");
    ASSERT_EQ(r.exit_code, 0) << law << ": " << r.err;
    const auto diagnostics = nlohmann::json::parse(r.out).at("diagnostics");
    for (const std::string& a : names) {
      EXPECT_GT(diagnostics.at("standard_errors").at(a).get<double>(), 0) << law << ": " << a;
      for (const std::string& b : names) {
        EXPECT_DOUBLE_EQ(diagnostics["correlations"][a][b].get<double>(),
                         diagnostics["correlations"][b][a].get<double>());
      }
    }
    const Result table = RunScaleplan("fit --law " + law + " --diagnostics");
    EXPECT_NE(table.out.find("unconstrained: "), std::string::npos) << law;
  }
}

TEST(FitCovariance, ScaleWarningsComeFromEveryCommandThatReadsRuns) {
  // N in billions: every command reading these runs says so once (plot: tests/gui/plot_test.cc).
  std::string text = "N,D,U,loss\n";
  char line[160];
  for (double n : {0.05, 0.1, 0.2, 0.4, 0.8, 1.6}) {
    for (double d : {2e9, 5e9, 1e10, 3e10, 1e11}) {
      std::snprintf(line, sizeof line, "%g,%g,%g,%.6f\n", n, d, d / 4, Chinchilla(n * 1e9, d));
      text += line;
    }
  }
  const std::string path = testing::WriteTempFile("billions.csv", text);
  const std::string golden = testing::WriteTempFile("billions_golden.json", "");
  const std::string warning = "implausible scale for training runs: N below 1e5 on 30 runs (the smallest N = 0.05";
  const std::vector<std::string> commands = {
      "fit '" + path + "' --save-golden '" + golden + "'",
      "fit '" + path + "' --law kaplan",
      "fit '" + path + "' --law isoflop",
      "fit '" + path + "' --law data-constrained",
      "validate '" + path + "' --holdout-above 1e19",
      "check '" + path + "' --golden '" + golden + "'",
  };
  for (const std::string& command : commands) {
    const Result r = RunScaleplan(command);
    EXPECT_NE(r.err.find(warning), std::string::npos) << command << "\n" << r.err;
    EXPECT_EQ(r.err.find("implausible"), r.err.rfind("implausible")) << command << ": warned more than once";
  }
}

// A grouped fit of a law with a reader of its own records no one fit with --out (one group: --filter; its grouped
// golden is tests/cli/table_law_golden_groups_test.cc's), and the notebook's T5 comparison has no groups. (Grouped
// fits and their bootstrap: tests/cli/table_law_selection_test.cc.)
TEST(FitCovariance, AGroupedFitOfALawWithItsOwnReaderRefusesWhatRecordsOneFit) {
  Result r = RunScaleplan("fit --law routing --group-by router_type --out x.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("records no one fit with --out"), std::string::npos) << r.err;
  const Result t5 = RunScaleplan("fit --law frantar2023-t5 --group-by sparsity");
  EXPECT_EQ(t5.exit_code, 2);
  EXPECT_NE(t5.err.find("not --law frantar2023-t5"), std::string::npos) << t5.err;
}

// Too few resamples for a percentile interval: data-constrained refuses them as the other laws do, with the same
// message and the usage exit code, grouped or not.
TEST(FitCovariance, TooFewBootstrapResamplesAreRefusedAlikeForEveryLaw) {
  const Result sparse = RunScaleplan("fit --law sparse --bootstrap 5");
  EXPECT_EQ(sparse.exit_code, 2);
  EXPECT_NE(sparse.err.find("--bootstrap: must be at least 10: '5'"), std::string::npos) << sparse.err;
  for (const char* command :
       {"fit --law data-constrained --bootstrap 5", "fit --law data-constrained --group-by N_params --bootstrap 5",
        "fit --law moe --bootstrap 5", "fit --law routing --bootstrap 5"}) {
    const Result r = RunScaleplan(command);
    EXPECT_EQ(r.exit_code, sparse.exit_code) << command;
    EXPECT_EQ(r.err, sparse.err) << command;
    EXPECT_EQ(r.out, "") << command;
  }
}

}  // namespace
}  // namespace scaleplan
