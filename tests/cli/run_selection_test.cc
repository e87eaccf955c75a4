// Drives the real `scaleplan fit` with --filter, --exclude-lines and --group-by: a grouped fit against the fits of
// the same groups written to separate files by hand, selections against row counts taken in the test.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bundled_data.h"
#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using Result = testing::CommandResult;

struct Row {
  std::string source;
  double num_params;
  double num_tokens;
  double loss;
};

// 25 runs of one Chinchilla law (5 sizes x 5 token counts) with a small deterministic wobble, so the fit has
// residuals to weigh.
std::vector<Row> LawRuns(const std::string& source, double e, double a, double alpha, double b, double beta) {
  std::vector<Row> rows;
  int k = 0;
  for (double n : {3e7, 1e8, 3e8, 1e9, 3e9}) {
    for (double d : {1e9, 3e9, 1e10, 3e10, 1e11}) {
      const double law = e + a / std::pow(n, alpha) + b / std::pow(d, beta);
      rows.push_back({source, n, d, law * (1.0 + 0.01 * std::sin(1.7 * ++k))});
    }
  }
  return rows;
}

// "name,N,D,loss" then one line per row: row i sits on file line i + 2.
std::string Csv(const std::vector<Row>& rows) {
  std::string text = "source,N,D,loss\n";
  char line[160];
  for (const Row& row : rows) {
    std::snprintf(line, sizeof line, "%s,%.17g,%.17g,%.17g\n", row.source.c_str(), row.num_params, row.num_tokens,
                  row.loss);
    text += line;
  }
  return text;
}

class RunSelection : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = LawRuns("a", 1.7, 400, 0.34, 410, 0.28);
    b_ = LawRuns("b", 2.1, 900, 0.40, 2000, 0.36);
    std::vector<Row> all = a_;
    all.insert(all.end(), b_.begin(), b_.end());
    both_path_ = testing::WriteTempFile("selection_both.csv", Csv(all));
    a_path_ = testing::WriteTempFile("selection_a.csv", Csv(a_));
    b_path_ = testing::WriteTempFile("selection_b.csv", Csv(b_));
  }

  static nlohmann::json FitJson(const std::string& args) {
    const Result r = RunScaleplan("fit " + args + " --format json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  static void ExpectSameLaw(const nlohmann::json& got, const nlohmann::json& want) {
    for (const char* key : {"E", "A", "B", "alpha", "beta", "objective", "exponent_params"}) {
      EXPECT_DOUBLE_EQ(got.at(key).get<double>(), want.at(key).get<double>()) << key;
    }
  }

  std::vector<Row> a_, b_;
  std::string both_path_, a_path_, b_path_;
};

TEST_F(RunSelection, GroupedFitEqualsTheGroupsFittedFromFilesSplitByHand) {
  const nlohmann::json grouped = FitJson("'" + both_path_ + "' --group-by source --compute 1e21");
  ASSERT_EQ(grouped.at("groups").size(), 2u);
  EXPECT_EQ(grouped["group_by"], nlohmann::json::array({"source"}));
  const nlohmann::json fit_a = FitJson("'" + a_path_ + "' --compute 1e21");
  const nlohmann::json fit_b = FitJson("'" + b_path_ + "' --compute 1e21");
  const nlohmann::json& group_a = grouped["groups"][0];
  const nlohmann::json& group_b = grouped["groups"][1];
  EXPECT_EQ(group_a["group"], nlohmann::json({{"source", "a"}}));
  EXPECT_EQ(group_b["group"], nlohmann::json({{"source", "b"}}));
  EXPECT_EQ(group_a["num_runs"].get<int>(), 25);
  ExpectSameLaw(group_a, fit_a);
  ExpectSameLaw(group_b, fit_b);
  EXPECT_DOUBLE_EQ(group_b["allocations"][0]["num_params"].get<double>(),
                   fit_b["allocations"][0]["num_params"].get<double>());
  // The two laws differ, so the groups were not fitted together: alpha near each group's own 0.34 and 0.40.
  EXPECT_NEAR(group_a["alpha"].get<double>(), 0.34, 0.05);
  EXPECT_NEAR(group_b["alpha"].get<double>(), 0.40, 0.05);
}

TEST_F(RunSelection, GroupedBootstrapEqualsEachGroupsOwnBootstrap) {
  const std::string boot = " --bootstrap=20 --seed 5";
  const nlohmann::json grouped = FitJson("'" + both_path_ + "' --group-by source" + boot);
  const nlohmann::json fit_b = FitJson("'" + b_path_ + "'" + boot);
  ASSERT_TRUE(grouped["groups"][1].contains("intervals"));
  EXPECT_EQ(grouped["groups"][1]["intervals"], fit_b["intervals"]);
}

TEST_F(RunSelection, FilterAndExcludedLinesPickTheSameRunsAsTheSplitFile) {
  const nlohmann::json fit_a = FitJson("'" + a_path_ + "'");
  ExpectSameLaw(FitJson("'" + both_path_ + "' --filter source=a"), fit_a);
  ExpectSameLaw(FitJson("'" + both_path_ + "' --filter 'source != b'"), fit_a);
  ExpectSameLaw(FitJson("'" + both_path_ + "' --filter 1=a"), fit_a);  // the column by its number
  // Group b's rows are file lines 27 to 51 (header on line 1, group a on lines 2 to 26).
  ExpectSameLaw(FitJson("'" + both_path_ + "' --exclude-lines 27-40,41,42-51"), fit_a);
}

TEST_F(RunSelection, NumericFiltersCompareNumbersWithSiSuffixes) {
  // N < 1B and D >= 3e9 keep sizes 3e7, 1e8, 3e8 and token counts 3e9 .. 1e11: 3 x 4 runs per group.
  int expected = 0;
  for (const std::vector<Row>* rows : {&a_, &b_}) {
    for (const Row& row : *rows) expected += row.num_params < 1e9 && row.num_tokens >= 3e9;
  }
  ASSERT_EQ(expected, 24);
  const Result r = RunScaleplan("fit '" + both_path_ + "' --filter 'N<1B' --filter 'D>=3G'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fitted to 24 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("selected 24 of 50 rows (left out 26 by --filter)"), std::string::npos) << r.out;
}

TEST_F(RunSelection, AGroupThatCannotBeFittedCarriesItsVerdictAndTheOthersPrint) {
  std::vector<Row> rows = a_;
  rows.push_back({"c", 1e8, 1e10, 3.0});
  rows.push_back({"c", 2e8, 1e10, 2.9});
  const std::string path = testing::WriteTempFile("selection_with_c.csv", Csv(rows));
  const Result r = RunScaleplan("fit '" + path + "' --group-by source --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  ASSERT_EQ(json["groups"].size(), 2u);
  EXPECT_TRUE(json["groups"][0]["usable"].get<bool>());
  EXPECT_FALSE(json["groups"][1]["usable"].get<bool>());
  EXPECT_NE(json["groups"][1]["status"].get<std::string>().find("2 runs"), std::string::npos)
      << json["groups"][1]["status"];
  EXPECT_NE(r.err.find("group source=c: not fitted"), std::string::npos) << r.err;
  // The table prints both groups side by side, '-' where group c has no law.
  const Result table = RunScaleplan("fit '" + path + "' --group-by source");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("Groups side by side"), std::string::npos);
  EXPECT_NE(table.out.find("[2] source=c"), std::string::npos);
  // Only group c: nothing can be fitted, exit 3 (the runs cannot identify the law).
  EXPECT_EQ(RunScaleplan("fit '" + path + "' --group-by source --filter source=c").exit_code, 3);
}

TEST_F(RunSelection, BadSelectionsAreRefusedWithTheirReason) {
  Result r = RunScaleplan("fit '" + both_path_ + "' --filter 'N~1B'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--filter: no comparison"), std::string::npos) << r.err;
  r = RunScaleplan("fit '" + both_path_ + "' --exclude-lines 12,45-40");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("a range runs backwards: '45-40'"), std::string::npos) << r.err;
  r = RunScaleplan("fit '" + both_path_ + "' --filter 'dataset=x'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("no column named 'dataset' (from --filter)"), std::string::npos) << r.err;
  r = RunScaleplan("fit '" + both_path_ + "' --filter 'source=z'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("the selection left out all 50 rows (50 by --filter)"), std::string::npos) << r.err;
  r = RunScaleplan("fit '" + both_path_ + "' --group-by source --out x.json");
  EXPECT_EQ(r.exit_code, 2);
}

TEST(ComputeAliases, BudgetColumnsAreComputeAndAMismatchWithSixNDIsReportedOnce) {
  for (const std::string name : {"budget", "flops_budget", "compute_budget"}) {
    // C = 6 N D on every run but lines 4 (C 1.5x), 7 (C 0.8x) and 9 (C 3x): three runs more than 10% apart, the
    // worst on line 9 (N 3e8, D 1e10: 6 N D = 1.8e19); line 5's 1.05x is within 10%.
    std::string text = "N,D," + name + ",loss\n";
    int line = 1;
    for (double n : {3e7, 1e8, 3e8, 1e9}) {
      for (double d : {1e9, 1e10, 1e11}) {
        ++line;
        const double factor = line == 4 ? 1.5 : line == 7 ? 0.8 : line == 9 ? 3.0 : line == 5 ? 1.05 : 1.0;
        char row[160];
        std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g,%.17g\n", n, d, 6 * n * d * factor,
                      1.7 + 400 / std::pow(n, 0.34) + 410 / std::pow(d, 0.28));
        text += row;
      }
    }
    const std::string path = testing::WriteTempFile("alias_" + name + ".csv", text);
    const Result r = RunScaleplan("fit '" + path + "' --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string warning = "C ('" + name + "') and 6 N D differ by more than 10% on 3 of 12 runs; the most, "
                                "line 9: C = 5.40e+19, 6 N D = 1.80e+19";
    EXPECT_NE(r.err.find(warning), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("differ"), r.err.rfind("differ")) << "said more than once: " << r.err;
  }
}

TEST_F(RunSelection, TabAndSemicolonFilesAndColumnNumbersReadTheSameRuns) {
  const nlohmann::json fit_a = FitJson("'" + a_path_ + "'");
  std::string tabs = Csv(a_), semicolons = Csv(a_);
  for (char& c : tabs) c = c == ',' ? '\t' : c;
  for (char& c : semicolons) c = c == ',' ? ';' : c;
  const std::string tab_path = testing::WriteTempFile("selection_a.tsv", tabs);
  const std::string semicolon_path = testing::WriteTempFile("selection_a_semicolons.csv", semicolons);
  ExpectSameLaw(FitJson("'" + tab_path + "'"), fit_a);                      // detected from the header
  ExpectSameLaw(FitJson("'" + semicolon_path + "' --delimiter ';'"), fit_a);  // or named
  ExpectSameLaw(FitJson("'" + semicolon_path + "'"), fit_a);
  ExpectSameLaw(FitJson("'" + a_path_ + "' --n-col 2 --d-col 3 --loss-col 4"), fit_a);
  // A comma row in a tab file: a ragged row that says how the header is separated.
  const std::string mixed_path = testing::WriteTempFile("selection_mixed.tsv", tabs + "a,1e9,1e10,2.5\n");
  const Result mixed = RunScaleplan("fit '" + mixed_path + "'");
  EXPECT_EQ(mixed.exit_code, 3);
  EXPECT_NE(mixed.err.find(":27: ragged row: 1 fields, but the header has 4 (the header is tab-separated"),
            std::string::npos)
      << mixed.err;
  EXPECT_EQ(RunScaleplan("fit '" + tab_path + "' --delimiter pipe").exit_code, 2);
}

TEST_F(RunSelection, SkipBadRowsLeavesOutMissingAndNonFiniteLossesWithOneWarning) {
  std::string text = Csv(a_);
  // Lines 27, 28 and 29: a missing, a NaN and an infinite loss.
  text += "a,1e9,1e10,\na,1e9,2e10,nan\na,1e9,3e10,inf\n";
  const std::string path = testing::WriteTempFile("selection_bad_rows.csv", text);
  const Result refused = RunScaleplan("fit '" + path + "'");
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_NE(refused.err.find(":27: column 4 ('loss')"), std::string::npos) << refused.err;
  const Result r = RunScaleplan("fit '" + path + "' --skip-bad-rows --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectSameLaw(nlohmann::json::parse(r.out), FitJson("'" + a_path_ + "'"));
  EXPECT_NE(r.err.find("skipped 3 rows whose loss ('loss') is missing or not finite (--skip-bad-rows): lines 27, "
                       "28, 29"),
            std::string::npos)
      << r.err;
}

TEST(RunSelectionBundled, FilterAppliesToTheBundledRunsAfterTheirSelection) {
  // The bundled runs below 1e9 parameters, counted among the 240 the fit uses (the 5 dropped runs stay dropped).
  int expected = 0;
  for (const TrainingRun& run : BundledChinchillaRuns().runs) expected += run.num_params < 1e9;
  ASSERT_GT(expected, 20);
  const Result small = RunScaleplan("fit --filter 'Model Size<1e9'");
  ASSERT_EQ(small.exit_code, 0) << small.err;
  EXPECT_NE(small.out.find("fitted to " + std::to_string(expected) + " runs"), std::string::npos) << small.out;
  // validate reads the same runs: its training and held-out runs together.
  const Result validate = RunScaleplan("validate --holdout-above 3e20 --filter 'Model Size<1e9' --format json");
  ASSERT_EQ(validate.exit_code, 0) << validate.err;
  const auto fold = nlohmann::json::parse(validate.out)["folds"][0];
  EXPECT_EQ(fold["num_train"].get<int>() + fold["num_heldout"].get<int>(), expected);
  const Result check = RunScaleplan("check --help");
  EXPECT_NE(check.out.find("--exclude-lines"), std::string::npos);
}

}  // namespace
}  // namespace scaleplan

namespace scaleplan {
namespace {

// The rows of a CSV file (comments and header kept) for which `keep(fields)` holds, written to a temporary file.
std::string FilteredCopy(const std::string& path, const std::string& name,
                         const std::function<bool(const std::vector<std::string>&)>& keep) {
  std::ifstream in(path);
  std::string out, line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      out += line + '\n';
      continue;
    }
    if (header) {
      out += line + '\n';
      header = false;
      continue;
    }
    if (keep(testing::Split(line))) out += line + '\n';
  }
  return testing::WriteTempFile(name, out);
}

// The readers of other runs apply the same selection (core/runs_table.h SelectCsvRows): a filtered dictionary fit
// equals the fit of the file filtered by hand.
TEST(RunSelectionOfOtherRuns, DictionaryRunsFilteredEqualTheFileFilteredByHand) {
  const std::string all = testing::SourcePath("data/dictionary_runs_generated.csv");
  const std::string by_hand = FilteredCopy(all, "dictionary_small.csv", [](const std::vector<std::string>& fields) {
    return std::stod(fields[0]) < 4e6;
  });
  const Result filtered = RunScaleplan("dictionary --runs '" + all + "' --filter 'n<4M' --format json");
  const Result split = RunScaleplan("dictionary --runs '" + by_hand + "' --format json");
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  ASSERT_EQ(split.exit_code, 0) << split.err;
  const nlohmann::json a = nlohmann::json::parse(filtered.out)["fit"], b = nlohmann::json::parse(split.out)["fit"];
  EXPECT_EQ(a["num_runs"], 50);  // 62 runs less the 12 at 4.2M and 16.8M latents
  EXPECT_EQ(a["num_runs"], b["num_runs"]);
  EXPECT_EQ(a["hash"], b["hash"]);
  for (const char* key : {"alpha", "beta_k", "beta_n", "gamma", "zeta", "eta", "objective"}) {
    EXPECT_EQ(a["converged_law"][key].get<double>(), b["converged_law"][key].get<double>()) << key;
  }
  EXPECT_NE(a["notes"].dump().find("selected 50 of 62 rows (left out 12 by --filter)"), std::string::npos)
      << a["notes"].dump();
  // A filter on a column the runs lack is refused naming it, exit 3.
  const Result missing = RunScaleplan("dictionary --runs '" + all + "' --filter 'source=x'");
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("no column named 'source' (from --filter)"), std::string::npos) << missing.err;
}

TEST(RunSelectionOfOtherRuns, HyperparameterSweepExcludedLinesEqualTheFileWithoutThem) {
  // A learning-rate and batch sweep at four budgets (a 3 x 3 grid each, factor 2, around B* = 0.5 C^0.3 tokens and
  // eta* = 0.6 C^-0.15), and the same without the 1e21 budget's nine rows (file lines 29-37).
  std::string all = "compute,batch_tokens,learning_rate,loss\n", without = all;
  for (const double compute : {1e18, 1e19, 1e20, 1e21}) {
    for (int i = -1; i <= 1; ++i) {
      for (int j = -1; j <= 1; ++j) {
        const double x = i * std::log(2.0), y = j * std::log(2.0);
        char row[160];
        std::snprintf(row, sizeof row, "%.17g,%.17g,%.17g,%.17g\n", compute,
                      0.5 * std::pow(compute, 0.3) * std::pow(2.0, i), 0.6 * std::pow(compute, -0.15) * std::pow(2.0, j),
                      3.0 * (1 + 0.01 * (x * x + y * y)));
        all += row;
        if (compute < 1e21) without += row;
      }
    }
  }
  const std::string all_path = testing::WriteTempFile("sweep_all.csv", all);
  const std::string without_path = testing::WriteTempFile("sweep_without.csv", without);
  const Result excluded = RunScaleplan("fit --law hyperparams '" + all_path + "' --exclude-lines 29-37 --format json");
  const Result by_hand = RunScaleplan("fit --law hyperparams '" + without_path + "' --format json");
  const Result whole = RunScaleplan("fit --law hyperparams '" + all_path + "' --format json");
  ASSERT_EQ(excluded.exit_code, 0) << excluded.err;
  ASSERT_EQ(by_hand.exit_code, 0) << by_hand.err;
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const nlohmann::json a = nlohmann::json::parse(excluded.out), b = nlohmann::json::parse(by_hand.out),
                       c = nlohmann::json::parse(whole.out);
  EXPECT_EQ(a["budgets"].size(), 3u);
  EXPECT_EQ(c["budgets"].size(), 4u);
  for (const char* key : {"batch_exponent", "batch_coefficient", "lr_exponent", "lr_coefficient", "max_compute_flops"}) {
    EXPECT_EQ(a[key].get<double>(), b[key].get<double>()) << key;
  }
  EXPECT_NEAR(a["max_compute_flops"].get<double>(), 1e20, 1e6);
}

}  // namespace
}  // namespace scaleplan
