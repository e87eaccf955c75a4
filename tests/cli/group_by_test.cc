// Drives the real `scaleplan validate`, `check` and `plot` with --group-by: each group's result against the same
// command run on that group's runs written to a file of their own by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunCommand;
using testing::RunScaleplan;
using Result = testing::CommandResult;

struct Row {
  std::string source;
  double num_params;
  double num_tokens;
  double loss;
};

// 25 runs of one Chinchilla law (5 sizes x 5 token counts) with a small deterministic wobble; `shift` moves the
// wobble's phase, so two groups of one law still differ.
std::vector<Row> LawRuns(const std::string& source, double e, double a, double alpha, double b, double beta,
                         double shift = 0.0) {
  std::vector<Row> rows;
  int k = 0;
  for (double n : {3e7, 1e8, 3e8, 1e9, 3e9}) {
    for (double d : {1e9, 3e9, 1e10, 3e10, 1e11}) {
      const double law = e + a / std::pow(n, alpha) + b / std::pow(d, beta);
      rows.push_back({source, n, d, law * (1.0 + 0.01 * std::sin(1.7 * ++k + shift))});
    }
  }
  return rows;
}

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

// A path in the test's temporary folder with no file at it.
std::string TempPath(const std::string& name) {
  const std::string path = testing::WriteTempFile(name, "");
  std::remove(path.c_str());
  return path;
}

std::vector<Row> Concatenated(const std::vector<Row>& a, const std::vector<Row>& b) {
  std::vector<Row> all = a;
  all.insert(all.end(), b.begin(), b.end());
  return all;
}

class GroupBy : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = LawRuns("a", 1.7, 400, 0.34, 410, 0.28);
    b_ = LawRuns("b", 2.1, 900, 0.40, 2000, 0.36);
    both_path_ = testing::WriteTempFile("group_by_both.csv", Csv(Concatenated(a_, b_)));
    a_path_ = testing::WriteTempFile("group_by_a.csv", Csv(a_));
    b_path_ = testing::WriteTempFile("group_by_b.csv", Csv(b_));
  }

  static nlohmann::json Json(const std::string& args, int exit_code = 0) {
    const Result r = RunScaleplan(args + " --format json");
    EXPECT_EQ(r.exit_code, exit_code) << args << "\n" << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  std::vector<Row> a_, b_;
  std::string both_path_, a_path_, b_path_;
};

// Every statistic of each fold of `got` equals `want`'s (the same runs fitted the same way: bit for bit).
void ExpectSameFolds(const nlohmann::json& got, const nlohmann::json& want) {
  ASSERT_EQ(got.at("folds").size(), want.at("folds").size());
  for (size_t f = 0; f < want["folds"].size(); ++f) {
    const nlohmann::json& fold = want["folds"][f];
    EXPECT_EQ(got["folds"][f]["label"], fold["label"]);
    EXPECT_EQ(got["folds"][f]["usable"], fold["usable"]);
    for (const char* key : {"rmse_log", "bias_log", "max_abs_log", "rmse_nats", "train_rmse_log", "num_heldout",
                            "num_train", "extrapolation_factor"}) {
      ASSERT_TRUE(fold.contains(key)) << key;
      EXPECT_DOUBLE_EQ(got["folds"][f][key].get<double>(), fold[key].get<double>()) << key << " fold " << f;
    }
  }
}

TEST_F(GroupBy, GroupedHoldOutValidationEqualsTheGroupsValidatedFromFilesSplitByHand) {
  const nlohmann::json grouped = Json("validate '" + both_path_ + "' --group-by source --holdout-above 1e19");
  ASSERT_EQ(grouped.at("groups").size(), 2u);
  EXPECT_EQ(grouped["group_by"], nlohmann::json::array({"source"}));
  EXPECT_EQ(grouped["law"], "chinchilla");
  const nlohmann::json& group_a = grouped["groups"][0];
  const nlohmann::json& group_b = grouped["groups"][1];
  EXPECT_EQ(group_a["group"], nlohmann::json({{"source", "a"}}));
  EXPECT_EQ(group_b["group"], nlohmann::json({{"source", "b"}}));
  EXPECT_EQ(group_a["num_runs"].get<int>(), 25);
  ExpectSameFolds(group_a, Json("validate '" + a_path_ + "' --holdout-above 1e19"));
  ExpectSameFolds(group_b, Json("validate '" + b_path_ + "' --holdout-above 1e19"));
  // The held-out count, from the design: the runs with 6 N D above 1e19 FLOPs.
  int above = 0;
  for (const Row& row : a_) above += 6 * row.num_params * row.num_tokens > 1e19 ? 1 : 0;
  EXPECT_EQ(group_a["folds"][0]["num_heldout"].get<int>(), above);
  // The groups were not validated together: their errors differ.
  EXPECT_NE(group_a["folds"][0]["rmse_log"].get<double>(), group_b["folds"][0]["rmse_log"].get<double>());
}

TEST_F(GroupBy, GroupedLeaveOneBudgetOutEqualsTheGroupsSplitByHand) {
  const std::string options = " --leave-one-budget-out --min-budget-runs 3 --law kaplan";
  const nlohmann::json grouped = Json("validate '" + both_path_ + "' --group-by source" + options);
  ASSERT_EQ(grouped.at("groups").size(), 2u);
  const nlohmann::json b = Json("validate '" + b_path_ + "'" + options);
  ExpectSameFolds(grouped["groups"][1], b);
  EXPECT_DOUBLE_EQ(grouped["groups"][1]["pooled"]["rmse_log"].get<double>(), b["pooled"]["rmse_log"].get<double>());
}

TEST_F(GroupBy, AGroupThatCannotBeValidatedCarriesItsVerdict) {
  // Group c: 3 runs, all below the threshold: no run to hold out.
  std::vector<Row> rows = Concatenated(a_, {{"c", 1e8, 1e9, 3.5}, {"c", 2e8, 1e9, 3.4}, {"c", 3e8, 1e9, 3.3}});
  const std::string path = testing::WriteTempFile("group_by_verdict.csv", Csv(rows));
  const nlohmann::json grouped = Json("validate '" + path + "' --group-by source --holdout-above 1e19");
  ASSERT_EQ(grouped.at("groups").size(), 2u);
  EXPECT_EQ(grouped["groups"][1]["usable"], false);
  EXPECT_NE(grouped["groups"][1]["status"].get<std::string>().find("1e+19"), std::string::npos)
      << grouped["groups"][1]["status"];
  ExpectSameFolds(grouped["groups"][0], Json("validate '" + a_path_ + "' --holdout-above 1e19"));
  // Only group c: none validated, exit 3 (input).
  const Result r = RunScaleplan("validate '" + path + "' --group-by source --filter source=c --holdout-above 1e19");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("no group could be validated"), std::string::npos) << r.err;
}

// IsoFLOP runs of one law per source: 5 budgets, 7 sizes each spaced a quarter decade around the law's optimum.
std::vector<Row> IsoFlopRuns(const std::string& source, double e, double a, double alpha, double b, double beta) {
  std::vector<Row> rows;
  int k = 0;
  for (double c : {1e18, 3e18, 1e19, 3e19, 1e20}) {
    const double n_opt = 0.1 * std::sqrt(c);
    for (int step = -3; step <= 3; ++step) {
      const double n = n_opt * std::pow(10.0, 0.25 * step);
      const double d = c / (6 * n);
      const double law = e + a / std::pow(n, alpha) + b / std::pow(d, beta);
      rows.push_back({source, n, d, law * (1.0 + 0.002 * std::sin(2.3 * ++k))});
    }
  }
  return rows;
}

TEST_F(GroupBy, GroupedIsoFlopValidationEqualsTheGroupsSplitByHand) {
  const std::vector<Row> a = IsoFlopRuns("a", 1.7, 400, 0.34, 410, 0.28);
  const std::vector<Row> b = IsoFlopRuns("b", 2.1, 900, 0.40, 2000, 0.36);
  const std::string both = testing::WriteTempFile("group_by_isoflop.csv", Csv(Concatenated(a, b)));
  const std::string b_only = testing::WriteTempFile("group_by_isoflop_b.csv", Csv(b));
  const std::string options = " --law isoflop --leave-one-budget-out";
  const nlohmann::json grouped = Json("validate '" + both + "' --group-by source" + options);
  ASSERT_EQ(grouped.at("groups").size(), 2u);
  const nlohmann::json& group_b = grouped["groups"][1];
  EXPECT_EQ(group_b["group"], nlohmann::json({{"source", "b"}}));
  const nlohmann::json alone = Json("validate '" + b_only + "'" + options);
  ASSERT_EQ(group_b["folds"].size(), alone["folds"].size());
  ASSERT_EQ(alone["folds"].size(), 5u);
  for (size_t f = 0; f < alone["folds"].size(); ++f) {
    EXPECT_EQ(group_b["folds"][f]["usable"], alone["folds"][f]["usable"]);
    for (const char* key : {"budget_flops", "num_params_observed", "num_params_predicted", "log_error_params"}) {
      if (!alone["folds"][f].contains(key)) continue;
      EXPECT_DOUBLE_EQ(group_b["folds"][f][key].get<double>(), alone["folds"][f][key].get<double>()) << key;
    }
  }
  EXPECT_DOUBLE_EQ(group_b["pooled"]["rmse_log_params"].get<double>(),
                   alone["pooled"]["rmse_log_params"].get<double>());
  EXPECT_GT(alone["pooled"]["num_usable"].get<int>(), 0);
}

// An expression law (validate --law-expr) is validated per group through the same ValidateGroups: each group's folds
// equal `validate --filter source=G` of the same law, bit for bit, in both modes.
TEST_F(GroupBy, GroupedExpressionValidationEqualsTheGroupsValidatedWithAFilter) {
  const std::string law =
      " --law-expr 'E + A/N^alpha + B/D^beta' --param E=1:2.5:0.5 --param A=100:1000:300 --param alpha=0.2:0.6:0.2 "
      "--param B=300:2100:600 --param beta=0.2:0.5:0.1";
  for (const std::string mode : {" --holdout-above 1e19", " --leave-one-budget-out --min-budget-runs 3"}) {
    const nlohmann::json grouped = Json("validate '" + both_path_ + "' --group-by source" + law + mode);
    ASSERT_EQ(grouped.at("groups").size(), 2u) << mode;
    EXPECT_EQ(grouped["law"], "expression");
    for (size_t g = 0; g < 2; ++g) {
      const std::string source = g == 0 ? "a" : "b";
      const nlohmann::json& group = grouped["groups"][g];
      EXPECT_EQ(group["group"], nlohmann::json({{"source", source}}));
      EXPECT_EQ(group["num_runs"].get<int>(), 25);
      const nlohmann::json alone = Json("validate '" + both_path_ + "' --filter source=" + source + law + mode);
      ExpectSameFolds(group, alone);
      if (alone.contains("pooled")) {
        EXPECT_DOUBLE_EQ(group["pooled"]["rmse_log"].get<double>(), alone["pooled"]["rmse_log"].get<double>());
      }
    }
    if (mode.find("holdout") != std::string::npos) {
      // The held-out count, from the design: the runs with 6 N D above 1e19 FLOPs.
      int above = 0;
      for (const Row& row : b_) above += 6 * row.num_params * row.num_tokens > 1e19 ? 1 : 0;
      EXPECT_EQ(grouped["groups"][1]["folds"][0]["num_heldout"].get<int>(), above);
    }
  }
}

// The laws with runs readers of their own are validated per group too (tests/cli/table_law_selection_test.cc);
// frantar2023-t5 predicts the notebook's one held-out run from the bundled runs, which no selection may change.
TEST_F(GroupBy, ValidateRefusesGroupsForLawsItCannotSplit) {
  const Result r = RunScaleplan("validate --law frantar2023-t5 --group-by sparsity");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no run selection (--filter, --exclude-lines, --skip-bad-rows, --delimiter, --group-by"),
            std::string::npos)
      << r.err;
}

// A grouped golden: `fit --group-by source --save-golden` holds each group's golden, the one `fit --save-golden` of
// the group's own file writes (the data source aside), and `check` passes on the runs it was recorded from.
TEST_F(GroupBy, GroupedGoldenHoldsEachGroupsOwnGoldenAndPassesItsCheck) {
  const std::string golden_path = TempPath("group_by_golden.json");
  Result r = RunScaleplan("fit '" + both_path_ + "' --group-by source --save-golden '" + golden_path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json golden = nlohmann::json::parse(testing::ReadWholeFile(golden_path));
  EXPECT_EQ(golden["group_by"], nlohmann::json::array({"source"}));
  ASSERT_EQ(golden["groups"].size(), 2u);
  EXPECT_EQ(golden["groups"][1]["group"], nlohmann::json({{"source", "b"}}));
  const std::string b_golden_path = TempPath("group_by_golden_b.json");
  r = RunScaleplan("fit '" + b_path_ + "' --save-golden '" + b_golden_path + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json b_golden = nlohmann::json::parse(testing::ReadWholeFile(b_golden_path));
  EXPECT_EQ(golden["groups"][1]["golden"]["parameters"], b_golden["parameters"]);
  EXPECT_EQ(golden["groups"][1]["golden"]["predictions"], b_golden["predictions"]);
  EXPECT_EQ(golden["groups"][1]["golden"]["data"]["hash"], b_golden["data"]["hash"]);

  const nlohmann::json check = Json("check '" + both_path_ + "' --golden '" + golden_path + "'");
  ASSERT_EQ(check["groups"].size(), 2u);
  EXPECT_EQ(check["groups"][0]["status"], "ok");
  EXPECT_EQ(check["groups"][1]["status"], "ok");
  EXPECT_EQ(check["num_failed"], 0);
  EXPECT_EQ(RunScaleplan("check '" + both_path_ + "' --golden '" + golden_path + "' --group-by source").exit_code, 0);
}

// One group's data change: that group drifts, the other holds, exit 1 (drift); a group missing from the runs or one
// the golden lacks is drift too.
TEST_F(GroupBy, GroupedCheckFailsWhenOneGroupsDataChange) {
  const std::string golden_path = TempPath("group_by_golden_drift.json");
  ASSERT_EQ(RunScaleplan("fit '" + both_path_ + "' --group-by source --save-golden '" + golden_path + "'").exit_code,
            0);
  std::vector<Row> changed_b = b_;
  for (Row& row : changed_b) {
    if (row.num_params == 3e9) row.loss *= 1.02;  // the largest model's runs 2% worse
  }
  const std::string changed_path = testing::WriteTempFile("group_by_changed.csv", Csv(Concatenated(a_, changed_b)));
  const nlohmann::json check = Json("check '" + changed_path + "' --golden '" + golden_path + "'", 1);
  EXPECT_EQ(check["groups"][0]["status"], "ok");
  EXPECT_EQ(check["groups"][1]["status"], "drift");
  EXPECT_EQ(check["num_drifted_groups"], 1);
  EXPECT_EQ(check["groups"][1]["data"]["hash_matches"], false);
  // JUnit: one suite per group, the drifted quantities failures of source=b's suite alone.
  const std::string junit_path = TempPath("group_by_check.xml");
  EXPECT_EQ(RunScaleplan("check '" + changed_path + "' --golden '" + golden_path + "' --junit '" + junit_path + "'")
                .exit_code,
            1);
  const std::string junit = testing::ReadWholeFile(junit_path);
  const int failed_b = check["groups"][1]["num_failed"].get<int>();
  ASSERT_GT(failed_b, 0);
  EXPECT_NE(junit.find(golden_path + " source=a\" tests=\"20\" failures=\"0\""), std::string::npos) << junit;
  EXPECT_NE(junit.find(golden_path + " source=b\" tests=\"20\" failures=\"" + std::to_string(failed_b) + "\""),
            std::string::npos)
      << junit;

  const nlohmann::json missing = Json("check '" + both_path_ + "' --golden '" + golden_path + "' --filter source=a", 1);
  EXPECT_EQ(missing["groups"][1]["status"], "missing from the runs");
  std::vector<Row> extra = Concatenated(a_, b_);
  for (Row row : LawRuns("c", 1.9, 500, 0.36, 900, 0.3)) extra.push_back(row);
  const std::string extra_path = testing::WriteTempFile("group_by_extra.csv", Csv(extra));
  const nlohmann::json added = Json("check '" + extra_path + "' --golden '" + golden_path + "'", 1);
  ASSERT_EQ(added["groups"].size(), 3u);
  EXPECT_EQ(added["groups"][2]["status"], "not in the golden");
  EXPECT_EQ(added["groups"][2]["group"], nlohmann::json({{"source", "c"}}));

  // A grouped golden nested a million deep inside a group's golden: refused as bad input, not a crash.
  const std::string deep =
      "{\"group_by\": [\"source\"], \"groups\": [{\"group\": {\"source\": \"a\"}, \"golden\": "
      "{\"parameters\": " +
      std::string(1000000, '[') + std::string(1000000, ']') + "}}]}";
  const std::string deep_path = testing::WriteTempFile("group_by_deep_golden.json", deep);
  const Result refused = RunScaleplan("check '" + both_path_ + "' --golden '" + deep_path + "'");
  EXPECT_EQ(refused.exit_code, 3) << refused.err;
  EXPECT_NE(refused.err.find("groups[0].golden': nested too deeply"), std::string::npos) << refused.err;

  // --group-by other than the golden's columns is a usage error.
  const Result r = RunScaleplan("check '" + both_path_ + "' --golden '" + golden_path + "' --group-by D");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("records groups by source"), std::string::npos) << r.err;
}

// plot --group-by: one chart file per group, each byte for byte the chart `plot --filter COL=VALUE` draws of the
// group's rows.
TEST_F(GroupBy, PlotWritesOneChartPerGroup) {
  const std::string out = TempPath("group_by_fit.svg");
  const std::string stem = out.substr(0, out.size() - 4);
  // Under AddressSanitizer this needs scripts/sanitize.sh's intercept_tls_get_addr=0 (its comment says why).
  auto plot_grouped = [](const std::string& args) {
    return RunCommand(std::string(SCALEPLAN_BINARY) + " plot " + args);
  };
  const Result r = plot_grouped("fit '" + both_path_ + "' --width 900 --group-by source --out '" + out + "'");
  if (r.exit_code == 2 && r.err.find("Qt") != std::string::npos) GTEST_SKIP() << "built without the GUI";
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string value : {"a", "b"}) {
    const std::string path = stem + ".source-" + value + ".svg";
    EXPECT_NE(r.out.find(path + "  (source=" + value + ", 25 runs)"), std::string::npos) << r.out;
    const std::string grouped = testing::ReadWholeFile(path);
    ASSERT_EQ(grouped.rfind("<?xml", 0), 0u) << path;
    EXPECT_NE(grouped.find("</svg>"), std::string::npos) << path;
    EXPECT_NE(grouped.find("viewBox=\"0 0 900 800\""), std::string::npos) << "--width was not passed on";
    const std::string alone_path = TempPath("group_by_filter_" + value + ".svg");
    ASSERT_EQ(RunScaleplan("plot fit '" + both_path_ + "' --width 900 --filter source=" + value + " --out '" +
                           alone_path + "'")
                  .exit_code,
              0);
    EXPECT_EQ(grouped, testing::ReadWholeFile(alone_path)) << "group " << value;
  }
  EXPECT_FALSE(std::ifstream(out).good()) << "no file under the name given";
  EXPECT_EQ(RunScaleplan("plot roofline --group-by source --profile x.json --out '" + out + "'").exit_code, 2);

  // A folder that does not exist: exit 5 (an output not written), said once as every command says it.
  const std::string missing = TempPath("no_such_folder") + "/g.svg";
  const Result unwritable = plot_grouped("fit '" + both_path_ + "' --group-by source --out '" + missing + "'");
  EXPECT_EQ(unwritable.exit_code, 5);
  EXPECT_EQ(unwritable.err, "scaleplan plot: error: cannot write '" + TempPath("no_such_folder") +
                                "/g.source-a.svg' (No such file or directory)\n");
  EXPECT_EQ(unwritable.out, "");
}

}  // namespace
}  // namespace scaleplan
