#include "fitting/law_validation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/runs_table.h"

namespace scaleplan {
namespace {

// Hoffmann et al. 2022's rounded law, the "truth" of the generated runs.
const ChinchillaLaw kTruth{1.69, 406.4, 410.7, 0.34, 0.28};

// IsoFLOP runs of two sources, grouped by source: a at 1e18 ... 1e21 FLOPs, b at 1e18 only; 5 sizes per budget
// spaced by 2x around the compute-optimal one, D = C / (6 N), the truth's loss.
RunsTable TwoSources() {
  std::string csv = "N,D,loss,source\n";
  const auto add = [&csv](double budget, const char* source) {
    const double center = kTruth.ComputeOptimal(budget).num_params;
    for (int k = -2; k <= 2; ++k) {
      const double n = center * std::pow(2.0, k), d = budget / (6 * n);
      char line[160];
      std::snprintf(line, sizeof line, "%.17g,%.17g,%.17g,%s\n", n, d, kTruth.Loss(n, d), source);
      csv += line;
    }
  };
  for (const double budget : {1e18, 1e19, 1e20, 1e21}) add(budget, "a");
  add(1e18, "b");
  RunsColumns columns;
  columns.selection.group_by = {"source"};
  return ParseRunsCsv(csv, "two.csv", columns);
}

// A law that fits nothing: it predicts the truth times 1.05, so every held-out run's log error is log 1.05.
LawFitter FivePercentHigh() {
  LawFitter fitter;
  fitter.name = "stub";
  fitter.min_runs = 3;
  fitter.fit = [](const RunsTable&) {
    FittedLaw law;
    law.usable = true;
    law.status = "converged";
    law.predict_loss = [](const TrainingRun& run) { return 1.05 * kTruth.Loss(run.num_params, run.num_tokens); };
    return law;
  };
  return fitter;
}

// Each group is validated as its runs alone: a's hold-out above 3e19 predicts its 10 runs at 1e20 and 1e21 with the
// stub's constant error; b has no run above the threshold, a verdict, and a still prints.
TEST(LawValidation, GroupsAreValidatedAloneAndAGroupWithoutHeldOutRunsCarriesItsVerdict) {
  const RunsTable table = TwoSources();
  const LawFitter fitter = FivePercentHigh();
  const GroupedValidation result = ValidateRunsByGroup(table, fitter, 3e19, ValidationOptions());
  ASSERT_EQ(result.groups.size(), 2u);
  const GroupValidation& a = result.groups[0];
  EXPECT_EQ(a.label, "source=a");
  EXPECT_EQ(a.runs.runs.size(), 20u);
  ASSERT_TRUE(a.verdict.empty()) << a.verdict;
  ASSERT_EQ(a.validation.folds.size(), 1u);
  EXPECT_EQ(a.validation.folds[0].stats.num_train, 10);
  EXPECT_EQ(a.validation.folds[0].stats.num_heldout, 10);
  EXPECT_NEAR(a.validation.folds[0].stats.rmse_log, std::log(1.05), 1e-14);
  EXPECT_NEAR(a.validation.folds[0].stats.bias_log, std::log(1.05), 1e-14);
  const GroupValidation& b = result.groups[1];
  EXPECT_EQ(b.runs.runs.size(), 5u);
  EXPECT_NE(b.verdict.find("no run lies above the hold-out threshold"), std::string::npos) << b.verdict;
  EXPECT_TRUE(result.AnyValidated());
  EXPECT_TRUE(result.AllUsable());

  // The JSON: the header, then each group's {"group", "num_runs"} and its own validation (HoldOutToJson of its runs,
  // the same as ValidateRuns of them alone), or "usable": false and the verdict.
  const nlohmann::ordered_json& json = result.json;
  EXPECT_EQ(json["source"], "two.csv");
  EXPECT_EQ(json["group_by"], nlohmann::ordered_json::array({"source"}));
  EXPECT_EQ(json["law"], "stub");
  EXPECT_EQ(json["mode"], "holdout");
  ASSERT_EQ(json["groups"].size(), 2u);
  nlohmann::ordered_json entry_a = json["groups"][0];
  EXPECT_EQ(entry_a["group"], nlohmann::ordered_json({{"source", "a"}}));
  EXPECT_EQ(entry_a["num_runs"], 20);
  entry_a.erase("group");
  entry_a.erase("num_runs");
  EXPECT_EQ(entry_a, ValidateRuns(a.runs, fitter, 3e19, ValidationOptions()).json);
  EXPECT_EQ(json["groups"][1]["usable"], false);
  EXPECT_EQ(json["groups"][1]["status"], b.verdict);
}

// Leave-one-budget-out per group, with the progress of each group's folds asked for once per group.
TEST(LawValidation, LeaveOneBudgetOutPerGroupReportsEachGroupsProgress) {
  ValidationOptions options;
  options.min_budget_runs = 5;
  std::vector<std::string> asked;
  std::atomic<int> folds_reported = 0;  // the folds may run on worker threads
  const GroupedValidation result =
      ValidateRunsByGroup(TwoSources(), FivePercentHigh(), 0.0, options, [&](const std::string& label) {
        asked.push_back(label);
        return FoldProgress([&folds_reported](int, int) { ++folds_reported; });
      });
  EXPECT_EQ(asked, (std::vector<std::string>{"source=a", "source=b"}));
  EXPECT_GT(folds_reported, 0);
  ASSERT_TRUE(result.groups[0].verdict.empty());
  EXPECT_EQ(result.groups[0].validation.folds.size(), 4u);  // a's four budgets held out in turn
  EXPECT_NEAR(result.groups[0].validation.budgets.pooled.rmse_log, std::log(1.05), 1e-14);
  EXPECT_EQ(result.json["mode"], "leave_one_budget_out");
}

// IsoFLOP profiles per group, held out above 3e19: a's budgets 1e20 and 1e21 are predicted from its 1e18 and 1e19;
// b, with no budget above the threshold, carries that verdict (naming the file) and a still prints.
TEST(LawValidation, IsoFlopGroupsHoldOutEachGroupsBudgets) {
  ValidationOptions options;
  options.min_budget_runs = 5;
  const IsoFlopGroupedValidation result = ValidateIsoFlopBudgetsByGroup(TwoSources(), 3e19, options, false);
  ASSERT_EQ(result.groups.size(), 2u);
  ASSERT_TRUE(result.groups[0].verdict.empty()) << result.groups[0].verdict;
  ASSERT_EQ(result.groups[0].validation.folds.size(), 2u);
  EXPECT_NEAR(result.groups[0].validation.folds[0].compute_flops / 1e20, 1.0, 1e-12);  // C = 6 N D of the CSV's N, D
  EXPECT_NEAR(result.groups[0].validation.folds[1].compute_flops / 1e21, 1.0, 1e-12);
  EXPECT_EQ(result.groups[1].verdict,
            "two.csv: no IsoFLOP budget of at least 5 runs above --holdout-above to hold out");
  EXPECT_EQ(result.json["law"], "isoflop");
  EXPECT_EQ(result.json["mode"], "holdout");
  EXPECT_EQ(result.json["groups"][0]["law"], "isoflop");
  EXPECT_EQ(result.json["groups"][0]["num_runs"], 20);
  EXPECT_EQ(result.json["groups"][1]["usable"], false);
  EXPECT_EQ(result.json["groups"][1]["status"], result.groups[1].verdict);
  EXPECT_TRUE(result.AnyValidated());
}

}  // namespace
}  // namespace scaleplan
