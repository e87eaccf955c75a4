// Drives the real `scaleplan fit` on runs that fit poorly or whose scale is implausible: the warnings, against the
// RMSE and the counts computed here from the fitted law and the runs.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

struct LossRun {
  double num_params, num_tokens, loss;
};

// 25 runs of E + A/N^alpha + B/D^beta (1.7, 400, 0.34, 410, 0.28) with a relative wobble of `wobble`.
std::vector<LossRun> Runs(double wobble) {
  std::vector<LossRun> runs;
  int k = 0;
  for (double n : {3e7, 1e8, 3e8, 1e9, 3e9}) {
    for (double d : {1e9, 3e9, 1e10, 3e10, 1e11}) {
      const double law = 1.7 + 400 / std::pow(n, 0.34) + 410 / std::pow(d, 0.28);
      runs.push_back({n, d, law * (1.0 + wobble * std::sin(1.7 * ++k))});
    }
  }
  return runs;
}

std::string Csv(const std::vector<LossRun>& runs) {
  std::string text = "N,D,loss\n";
  char line[160];
  for (const LossRun& run : runs) {
    std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g\n", run.num_params, run.num_tokens, run.loss);
    text += line;
  }
  return text;
}

TEST(FitDiagnostics, APoorFitIsWarnedWithItsLogSpaceRmse) {
  const std::vector<LossRun> runs = Runs(0.12);
  const std::string path = testing::WriteTempFile("poor_fit.csv", Csv(runs));
  const Result r = RunScaleplan("fit '" + path + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // The RMSE of log L_hat - log L over the runs, from the fitted coefficients.
  const double e = json["E"], a = json["A"], alpha = json["alpha"], b = json["B"], beta = json["beta"];
  double sum = 0;
  for (const LossRun& run : runs) {
    const double predicted = e + a / std::pow(run.num_params, alpha) + b / std::pow(run.num_tokens, beta);
    sum += std::pow(std::log(predicted) - std::log(run.loss), 2);
  }
  const double rmse = std::sqrt(sum / runs.size());
  ASSERT_GT(rmse, 0.06);
  char expected[64];
  std::snprintf(expected, sizeof expected, "poor fit: log-space RMSE %.3f is above 0.05", rmse);
  bool found = false;
  for (const auto& warning : json["warnings"]) found = found || warning.get<std::string>().find(expected) == 0;
  EXPECT_TRUE(found) << json["warnings"].dump();
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;

  const std::string good = testing::WriteTempFile("good_fit.csv", Csv(Runs(0.01)));
  const Result fine = RunScaleplan("fit '" + good + "' --format json");
  ASSERT_EQ(fine.exit_code, 0) << fine.err;
  EXPECT_EQ(fine.err.find("poor fit"), std::string::npos) << fine.err;
}

TEST(FitDiagnostics, ImplausibleScalesAreWarnedOnceWithTheirCounts) {
  // N in billions: every run below 1e5, the smallest 0.03 on line 2.
  std::vector<LossRun> billions = Runs(0.01);
  for (LossRun& run : billions) run.num_params /= 1e9;
  Result r = RunScaleplan("fit '" + testing::WriteTempFile("billions.csv", Csv(billions)) + "'");
  EXPECT_NE(r.err.find("implausible scale for training runs: N below 1e5 on 25 runs (the smallest N = 0.03, "
                       "line 2)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("parameters in millions or billions?"), std::string::npos);

  // N and D swapped: D < N on the runs with D below N after the swap, counted here.
  std::vector<LossRun> swapped = Runs(0.01);
  int below = 0;
  for (LossRun& run : swapped) {
    std::swap(run.num_params, run.num_tokens);
    below += run.num_tokens < run.num_params;
  }
  ASSERT_GT(2 * below, 25);
  r = RunScaleplan("fit '" + testing::WriteTempFile("swapped.csv", Csv(swapped)) + "'");
  EXPECT_NE(r.err.find("D below N on " + std::to_string(below) + " of 25 runs"), std::string::npos) << r.err;

  // Losses summed over a 128-token sequence: above 20 nats on every run; the highest is the smallest model's,
  // fewest tokens (line 2).
  std::vector<LossRun> summed = Runs(0.0);
  for (LossRun& run : summed) run.loss *= 128;
  char highest[64];
  std::snprintf(highest, sizeof highest, "(the highest %.4g, line 2)", summed[0].loss);
  r = RunScaleplan("fit '" + testing::WriteTempFile("summed.csv", Csv(summed)) + "'");
  EXPECT_NE(r.err.find(std::string("losses above 20 nats on 25 runs ") + highest), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("implausible"), r.err.rfind("implausible")) << "warned more than once";

  // The bundled runs (11 of 245 with D below N) raise none.
  r = RunScaleplan("fit --format json");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err.find("implausible"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("poor fit"), std::string::npos) << r.err;
}

// The data-constrained fit's JSON has `warnings`, as the other laws' do: on the bundled C4 runs, the residual trend
// with log D that stderr warns of (the diagnostics' own warning, word for word).
TEST(FitDiagnostics, DataConstrainedJsonCarriesTheWarningsItPrints) {
  const Result result = RunScaleplan("fit --law data-constrained --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json json = nlohmann::json::parse(result.out);
  ASSERT_TRUE(json.contains("warnings"));
  ASSERT_EQ(json["warnings"].size(), 1u) << json["warnings"].dump();
  const std::string warning = json["warnings"][0];
  EXPECT_EQ(warning.rfind("the residuals trend with log D", 0), 0u) << warning;
  EXPECT_NE(result.err.find("scaleplan fit: warning: data-constrained: " + warning + "\n"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace scaleplan
