// Drives the real `scaleplan` binary: exit codes, messages and the JSON contract scripts depend on.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/chinchilla_law.h"
#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::ReadWholeFile;
using testing::RunScaleplan;
using Result = testing::CommandResult;

TEST(Cli, FitJsonCarriesThePublishedOptimum) {
  Result r = RunScaleplan("fit --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_NEAR(json["objective"].get<double>(), 0.0010182740, 5e-11);
  EXPECT_NEAR(json["E"].get<double>(), 1.8172, 5e-5);
  EXPECT_NEAR(json["A"].get<double>(), 477.8, 0.05);
  EXPECT_NEAR(json["B"].get<double>(), 2143.4, 0.05);
  EXPECT_NEAR(json["alpha"].get<double>(), 0.34731, 5e-6);
  EXPECT_NEAR(json["beta"].get<double>(), 0.36717, 5e-6);
  const double alpha = json["alpha"], beta = json["beta"];
  EXPECT_DOUBLE_EQ(json["exponent_params"].get<double>(), beta / (alpha + beta));
  EXPECT_DOUBLE_EQ(json["exponent_tokens"].get<double>(), alpha / (alpha + beta));
  EXPECT_EQ(json["data"]["num_runs"].get<int>(), 240);
  EXPECT_TRUE(json["usable"].get<bool>());
}

TEST(Cli, FitTableSaysTokensWereDerivedFromCompute) {
  Result r = RunScaleplan("fit");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("D = C / (6 N)"), std::string::npos);
  EXPECT_NE(r.out.find("0.0010182740"), std::string::npos);
}

TEST(Cli, SavedFitDrivesPlan) {
  const std::string fit_path = testing::WriteTempFile("fit.json", "");
  Result fit = RunScaleplan("fit --out '" + fit_path + "'");
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const auto saved = nlohmann::json::parse(ReadWholeFile(fit_path));
  const ChinchillaLaw law{saved["E"], saved["A"], saved["B"], saved["alpha"], saved["beta"]};
  Result plan = RunScaleplan("plan --fit '" + fit_path + "' --compute 5.76e23 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  // Closed form of REFERENCE section 2, written out independently of core/.
  const double g = std::pow(law.alpha * law.A / (law.beta * law.B), 1 / (law.alpha + law.beta));
  const double n_opt = g * std::pow(5.76e23 / 6, law.beta / (law.alpha + law.beta));
  EXPECT_NEAR(json["num_params"].get<double>() / n_opt, 1.0, 1e-12);
  EXPECT_NEAR(json["num_tokens"].get<double>() * json["num_params"].get<double>() * 6 / 5.76e23, 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(json["compute_flops"].get<double>(), 5.76e23);
  EXPECT_NEAR(json["loss"].get<double>(), law.Loss(json["num_params"], json["num_tokens"]), 1e-12);
  // The default plan (no --fit) uses the same fit of the bundled runs.
  Result by_default = RunScaleplan("plan --compute 5.76e23 --format json");
  ASSERT_EQ(by_default.exit_code, 0);
  EXPECT_NEAR(nlohmann::json::parse(by_default.out)["num_params"].get<double>() / n_opt, 1.0, 1e-9);
}

TEST(Cli, PlanWithPublishedLawsMatchesCheckValues) {
  Result r = RunScaleplan("plan --law hoffmann --compute 5.76e23 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto json = nlohmann::json::parse(r.out);
  EXPECT_NEAR(json["num_params"].get<double>() / 32.2e9, 1.0, 0.002);
  EXPECT_NEAR(json["num_tokens"].get<double>() / 2.98e12, 1.0, 0.002);
  // SI-suffixed sizes and several budgets, one JSON object per line.
  Result lines = RunScaleplan("plan --law hoffmann --params 70B,1T --format json");
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  std::stringstream stream(lines.out);
  std::string line;
  std::vector<double> sizes;
  while (std::getline(stream, line)) sizes.push_back(nlohmann::json::parse(line)["num_params"].get<double>());
  EXPECT_EQ(sizes, (std::vector<double>{70e9, 1e12}));
  Result target = RunScaleplan("plan --law hoffmann --target-loss 2.0 --format json");
  ASSERT_EQ(target.exit_code, 0) << target.err;
  EXPECT_NEAR(nlohmann::json::parse(target.out)["loss"].get<double>(), 2.0, 1e-9);
}

TEST(Cli, PlanWarnsWhenItExtrapolates) {
  Result r = RunScaleplan("plan --law epoch --compute 1e26");
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("beyond the largest fitted run"), std::string::npos);
}

TEST(Cli, BadCsvGetsLocatedErrorAndExitCode3) {
  const std::string bad = testing::WriteTempFile("bad.csv", "N,D,loss\n1e9,2e10,2.5\n2e9,oops,2.4\n");
  Result r = RunScaleplan("fit '" + bad + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "scaleplan fit: error: " + bad + ":3: column 2 ('D'): not a number: 'oops'\n");
  EXPECT_TRUE(r.out.empty());
  const std::string few = testing::WriteTempFile("few.csv", "N,D,loss\n1e9,2e10,2.5\n2e9,3e10,2.4\n");
  Result too_few = RunScaleplan("fit '" + few + "'");
  EXPECT_EQ(too_few.exit_code, 3);
  EXPECT_NE(too_few.err.find("too few runs to fit: 2 runs"), std::string::npos);
  Result missing = RunScaleplan("fit /nonexistent/runs.csv");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("/nonexistent/runs.csv: cannot read the file"), std::string::npos);
  const std::string bad_fit = testing::WriteTempFile("fit.json", "{\"E\": 1.7, \"A\": \"many\"}");
  Result plan = RunScaleplan("plan --fit '" + bad_fit + "'");
  EXPECT_EQ(plan.exit_code, 3);
  EXPECT_NE(plan.err.find("key 'A' must be a number, got string"), std::string::npos);
  const std::string future = testing::WriteTempFile("future.json", "{\"schema_version\": 99}");
  EXPECT_NE(RunScaleplan("plan --fit '" + future + "'").err.find("schema_version 99 is newer"), std::string::npos);
}

TEST(Cli, UsageErrorsExit2) {
  for (const char* args : {"", "frobnicate", "fit --format xml", "fit --no-such-flag", "plan --compute abc",
                           "plan --compute -1", "plan --target-loss 2 --compute 1e23", "plan --law nope",
                           "plan --fit a.json --law epoch", "plan --law epoch --target-loss 1.5",
                           "fit --grid alpha=2:1:0.1", "fit --starts 0"}) {
    Result r = RunScaleplan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_FALSE(r.err.empty()) << args;
  }
  EXPECT_NE(RunScaleplan("plan --law epoch --target-loss 1.5").err.find("not above the irreducible loss E = 1.817"),
            std::string::npos);
}

TEST(Cli, HelpHasExamplesAndExitsZero) {
  for (const char* command : {"fit", "plan"}) {
    Result r = RunScaleplan(std::string(command) + " --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("Examples:"), std::string::npos) << command;
    EXPECT_NE(r.out.find("Exit codes:"), std::string::npos) << command;
  }
  EXPECT_EQ(RunScaleplan("--help").exit_code, 0);
}

TEST(Cli, UnwritableOutputExits5AndLeavesNoFile) {
  Result r = RunScaleplan("fit --out /nonexistent-dir/fit.json");
  EXPECT_EQ(r.exit_code, 5);
  EXPECT_NE(r.err.find("cannot write '/nonexistent-dir/fit.json'"), std::string::npos);
  // An existing file is replaced whole or not at all: no temporary files are left beside it.
  const std::string path = testing::WriteTempFile("keep.json", "old");
  ASSERT_EQ(RunScaleplan("fit --out '" + path + "'").exit_code, 0);
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(path).parent_path())) {
    entries += entry.path().filename().string().find(".tmp.") != std::string::npos ? 1 : 0;
  }
  EXPECT_EQ(entries, 0);
  EXPECT_NE(ReadWholeFile(path).find("\"objective\""), std::string::npos);
}

}  // namespace
}  // namespace scaleplan

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

TEST(CliLaws, AllLawsSideBySideInJson) {
  Result r = RunScaleplan("fit --law all --format json --compute 1e21,5.76e23");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["laws"].size(), 3u);
  EXPECT_EQ(json["laws"][0]["law"], "chinchilla");
  EXPECT_EQ(json["laws"][1]["law"], "kaplan");
  EXPECT_EQ(json["laws"][2]["law"], "isoflop");
  EXPECT_NEAR(json["laws"][0]["objective"].get<double>(), 0.0010182740, 5e-11);
  // Hoffmann et al. 2022, Table 2: Approach 2 gives a = 0.49 on their runs.
  EXPECT_NEAR(json["laws"][2]["exponent_params"].get<double>(), 0.49, 0.01);
  for (const auto& law : json["laws"]) {
    const double a = law["exponent_params"], b = law["exponent_tokens"];
    EXPECT_NEAR(a + b, 1.0, 1e-9) << law["law"];
    ASSERT_EQ(law["allocations"].size(), 2u);
    const auto& at = law["allocations"][1];
    EXPECT_NEAR(6 * at["num_params"].get<double>() * at["num_tokens"].get<double>() / 5.76e23, 1.0, 1e-9);
  }
  // Approach 2 on the same design with the Approach 3 law's losses, against that law's own exponent.
  const auto& check = json["isoflop_design_check"];
  ASSERT_TRUE(check["usable"].get<bool>()) << check.dump();
  EXPECT_EQ(check["law_exponent_params"].get<double>(), json["laws"][0]["exponent_params"].get<double>());
  EXPECT_NEAR(check["bias_exponent_params"].get<double>(),
              check["exponent_params"].get<double>() - check["law_exponent_params"].get<double>(), 1e-15);
  EXPECT_LT(std::abs(check["bias_exponent_params"].get<double>()), 0.002);
  EXPECT_NE(RunScaleplan("fit --law all --compute 1e24").out.find("isoflop on these runs' sizes and budgets"),
            std::string::npos);
}

TEST(CliLaws, BootstrapIntervalsAreReproducibleAndBracketThePointEstimate) {
  Result a = RunScaleplan("fit --format json --bootstrap=100 --seed 7 --threads 1");
  Result b = RunScaleplan("fit --format json --bootstrap=100 --seed 7 --threads 2");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto ja = nlohmann::json::parse(a.out);
  const auto jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(ja["intervals"], jb["intervals"]);
  for (const char* key : {"E", "A", "B", "alpha", "beta", "exponent_params", "exponent_tokens"}) {
    ASSERT_TRUE(ja["intervals"].contains(key)) << key;
    EXPECT_LE(ja["intervals"][key][0].get<double>(), ja[key].get<double>()) << key;
    EXPECT_GE(ja["intervals"][key][1].get<double>(), ja[key].get<double>()) << key;
  }
  EXPECT_EQ(ja["bootstrap"]["laws"].size(), 100u);
  Result other = RunScaleplan("fit --format json --bootstrap=100 --seed 8");
  EXPECT_NE(nlohmann::json::parse(other.out)["intervals"], ja["intervals"]);
  EXPECT_EQ(RunScaleplan("fit --bootstrap=3").exit_code, 2);
  EXPECT_EQ(RunScaleplan("fit --bootstrap --ci 1.5").exit_code, 2);
  EXPECT_EQ(RunScaleplan("fit --law nonsense").exit_code, 2);
}

}  // namespace
}  // namespace scaleplan

namespace scaleplan {
namespace {

TEST(CliLaws, PlanIntervalsComeFromTheSavedBootstrapLaws) {
  const std::string fit_path = testing::WriteTempFile("boot.json", "");
  ASSERT_EQ(testing::RunScaleplan("fit --bootstrap=200 --seed 3 --out '" + fit_path + "'").exit_code, 0);
  const auto saved = nlohmann::json::parse(testing::ReadWholeFile(fit_path));
  // Independent recomputation: N_opt at 1e24 under each saved law, then the 2.5th and 97.5th percentiles.
  std::vector<double> n_opt;
  for (const auto& row : saved["bootstrap"]["laws"]) {
    const ChinchillaLaw law{row[0], row[1], row[2], row[3], row[4]};
    n_opt.push_back(law.ComputeOptimal(1e24).num_params);
  }
  std::sort(n_opt.begin(), n_opt.end());
  const auto quantile = [&](double q) {
    const double pos = q * (n_opt.size() - 1);
    const size_t lo = static_cast<size_t>(pos);
    return n_opt[lo] + (pos - lo) * (n_opt[std::min(lo + 1, n_opt.size() - 1)] - n_opt[lo]);
  };
  const testing::CommandResult plan =
      testing::RunScaleplan("plan --fit '" + fit_path + "' --compute 1e24 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  EXPECT_NEAR(json["intervals"]["num_params"][0].get<double>() / quantile(0.025), 1.0, 1e-12);
  EXPECT_NEAR(json["intervals"]["num_params"][1].get<double>() / quantile(0.975), 1.0, 1e-12);
  EXPECT_LE(json["intervals"]["loss"][0].get<double>(), json["loss"].get<double>());
  EXPECT_GE(json["intervals"]["loss"][1].get<double>(), json["loss"].get<double>());
  EXPECT_EQ(json["interval_laws"].get<int>(), 200);
  EXPECT_EQ(testing::RunScaleplan("plan --law epoch --bootstrap").exit_code, 2);
}

}  // namespace
}  // namespace scaleplan

namespace scaleplan {
namespace {

TEST(CliLaws, DataConstrainedRefitComesOutNearThePublishedConstants) {
  const testing::CommandResult r = testing::RunScaleplan("fit --law data-constrained --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  // Muennighoff et al. 2023: R_D* = 15.387756, R_N* = 5.309743 with their C4 base law frozen.
  EXPECT_NEAR(json["R_D_star"].get<double>(), 15.387756, 0.05);
  EXPECT_NEAR(json["R_N_star"].get<double>(), 5.309743, 0.02);
}

// fit --law data-constrained --bootstrap on the bundled runs: each interval holds the point estimate, the same seed
// gives the same intervals for any thread count, the table prints them, and --out saves what the JSON prints.
TEST(CliLaws, DataConstrainedBootstrapIsReproducibleAndBracketsThePointEstimate) {
  const std::string saved = testing::WriteTempFile("data_constrained_bootstrap.json", "");
  std::filesystem::remove(saved);
  const Result a = testing::RunScaleplan(
      "fit --law data-constrained --bootstrap=200 --seed 11 --threads 2 --format json --out '" + saved + "'");
  const Result b =
      testing::RunScaleplan("fit --law data-constrained --bootstrap=200 --seed 11 --threads 1 --format json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto ja = nlohmann::json::parse(a.out);
  const auto jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(ja["intervals"], jb["intervals"]);  // doubles compared exactly
  EXPECT_EQ(ja["bootstrap"]["resamples"], 200);
  EXPECT_EQ(ja["bootstrap"], jb["bootstrap"]);
  for (const char* key : {"R_D_star", "R_N_star"}) {
    ASSERT_TRUE(ja["intervals"].contains(key)) << key;
    EXPECT_LT(ja["intervals"][key][0].get<double>(), ja[key].get<double>()) << key;
    EXPECT_GT(ja["intervals"][key][1].get<double>(), ja[key].get<double>()) << key;
  }
  // The runs bound R_D* from below, while some resamples run along the objective's flat valley (R_D* against R_N*)
  // to R_D* in the thousands and beyond: repeated data worth fresh data (README).
  EXPECT_GT(ja["intervals"]["R_D_star"][0].get<double>(), 4.0);
  EXPECT_GT(ja["intervals"]["R_D_star"][1].get<double>(), 1e3);
  const auto file = nlohmann::json::parse(ReadWholeFile(saved));
  EXPECT_EQ(file["intervals"], ja["intervals"]);
  EXPECT_EQ(file["bootstrap"], ja["bootstrap"]);
  const Result table = testing::RunScaleplan("fit --law data-constrained --bootstrap=200 --seed 11");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  char interval[96];
  std::snprintf(interval, sizeof interval, "[%.6g, %.6g]", ja["intervals"]["R_D_star"][0].get<double>(),
                ja["intervals"]["R_D_star"][1].get<double>());
  EXPECT_NE(table.out.find(interval), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("95% bootstrap percentiles, 200 resamples"), std::string::npos) << table.out;
  const Result other = testing::RunScaleplan("fit --law data-constrained --bootstrap=200 --seed 12 --format json");
  EXPECT_NE(nlohmann::json::parse(other.out)["intervals"], ja["intervals"]);
}

}  // namespace
}  // namespace scaleplan
