// Drives the real `scaleplan check` against the bundled golden file (data/golden/chinchilla.json): it passes on the
// bundled runs and on an exact copy, and fails, with JUnit failures, on runs whose losses are perturbed.
#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/bundled_data.h"
#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::ReadWholeFile;
using testing::RunScaleplan;
using Result = testing::CommandResult;

// The bundled golden's path, quoted for the shell.
std::string Golden() {
  std::string quoted = "'";
  quoted += testing::SourcePath("data/golden/chinchilla.json");
  return quoted + "'";
}

// The bundled 240 runs as a CSV with explicit N and D (so the values, and hence the hash, are the bundled ones), the
// losses multiplied by `loss_factor`.
std::string WriteRuns(const std::string& name, double loss_factor) {
  std::ostringstream csv;
  csv.precision(17);
  csv << "N,D,loss\n";
  for (const TrainingRun& run : BundledChinchillaRuns().runs) {
    csv << run.num_params << ',' << run.num_tokens << ',' << run.loss_nats * loss_factor << '\n';
  }
  return testing::WriteTempFile(name, csv.str());
}

int Count(const std::string& text, const std::string& needle) {
  int count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
  return count;
}

TEST(Check, BundledRunsMatchTheBundledGolden) {
  const std::string junit = testing::WriteTempFile("check.xml", "");
  const Result r = RunScaleplan("check --golden " + Golden() + " --junit '" + junit + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok: all 20 checked quantities hold"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning"), std::string::npos);
  const std::string xml = ReadWholeFile(junit);
  EXPECT_EQ(Count(xml, "<testcase "), 20);  // 7 parameters, the objective, N_opt, D_opt and loss at 4 budgets
  EXPECT_EQ(Count(xml, "<failure"), 0);
  EXPECT_NE(xml.find("tests=\"20\" failures=\"0\""), std::string::npos);
}

TEST(Check, IntervalsOfTheBundledGoldenAreReproduced) {
  const Result r = RunScaleplan("check --golden " + Golden() + " --check-intervals --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_TRUE(json["passed"].get<bool>());
  // 20 point checks, 2 bounds for each of 7 parameter and 12 prediction intervals, and 19 containments.
  EXPECT_EQ(json["num_checked"].get<int>(), 20 + 38 + 19);
  EXPECT_TRUE(json["data"]["hash_matches"].get<bool>());
}

TEST(Check, ExactCopyOfTheRunsPassesWithTheSameHash) {
  const std::string runs = WriteRuns("same.csv", 1.0);
  const Result r = RunScaleplan("check '" + runs + "' --golden " + Golden() + " --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_TRUE(json["data"]["hash_matches"].get<bool>());
  EXPECT_EQ(json["num_failed"].get<int>(), 0);
  EXPECT_EQ(json["num_skipped"].get<int>(), 0);
}

// Scaling every loss by 1.02 scales E, A and B by 1.02 and leaves alpha, beta and the allocation unchanged (the
// fit is in log space: log 1.02 L = log 1.02 + log L is absorbed by e, a and b), so exactly E, A, B and the loss
// at each of the 4 budgets drift (2%, beyond 1e-6 and 1%), and nothing else does.
TEST(Check, PerturbedLossesFailWithJunitFailures) {
  const std::string runs = WriteRuns("scaled.csv", 1.02);
  const std::string junit = testing::WriteTempFile("drift.xml", "");
  const Result r = RunScaleplan("check '" + runs + "' --golden " + Golden() + " --junit '" + junit + "'");
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("warning: the runs differ from the golden's"), std::string::npos);
  EXPECT_NE(r.out.find("DRIFT: 7 of 19 checked quantities drifted"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("7 quantities drifted"), std::string::npos);
  const std::string xml = ReadWholeFile(junit);
  EXPECT_EQ(Count(xml, "<testcase "), 20);
  EXPECT_EQ(Count(xml, "<failure"), 7);
  EXPECT_EQ(Count(xml, "<skipped"), 1);  // the objective: the runs changed
  for (const char* name : {"E", "A", "B", "loss@1e+21", "loss@1e+23", "loss@5.76e+23", "loss@1e+25"}) {
    const std::string testcase = "name=\"" + std::string(name) + "\">\n      <failure type=\"drift\"";
    EXPECT_NE(xml.find(testcase), std::string::npos) << name;
  }
  EXPECT_NE(xml.find("message=\"A drifted: golden 477.82"), std::string::npos);
  // The same in JSON: E moved by +2.00e-02, alpha by less than 1e-6.
  const Result json_run = RunScaleplan("check '" + runs + "' --golden " + Golden() + " --format json");
  EXPECT_EQ(json_run.exit_code, 1);
  const auto json = nlohmann::json::parse(json_run.out);
  EXPECT_FALSE(json["data"]["hash_matches"].get<bool>());
  EXPECT_EQ(json["warnings"].size(), 1u);
  for (const auto& check : json["checks"]) {
    if (check["quantity"] == "E") {
      EXPECT_NEAR(check["relative_change"].get<double>(), 0.02, 1e-6);
    }
    if (check["quantity"] == "alpha") {
      EXPECT_LT(std::fabs(check["relative_change"].get<double>()), 1e-6);
    }
  }
  // Loosened tolerances let the same runs pass.
  const Result loose = RunScaleplan("check '" + runs + "' --golden " + Golden() + " --rtol-params 0.03 --rtol loss=0.03");
  EXPECT_EQ(loose.exit_code, 0) << loose.out << loose.err;
}

TEST(Check, MalformedGoldenIsABadInput) {
  const std::string broken = testing::WriteTempFile("broken.json", "{\"schema_version\": 1, \"law\": ");
  Result r = RunScaleplan("check --golden '" + broken + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find(broken + ": not valid JSON"), std::string::npos) << r.err;
  auto golden = nlohmann::json::parse(ReadWholeFile(testing::SourcePath("data/golden/chinchilla.json")));
  golden["parameters"]["beta"] = "0.37";
  const std::string mistyped = testing::WriteTempFile("mistyped.json", golden.dump());
  r = RunScaleplan("check --golden '" + mistyped + "'");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.err, "scaleplan check: error: " + mistyped +
                       ": key 'parameters.beta' must be a number, got string: '\"0.37\"'\n");
  EXPECT_EQ(RunScaleplan("check --golden /nonexistent/golden.json").exit_code, 3);
  EXPECT_EQ(RunScaleplan("check /nonexistent/runs.csv --golden " + Golden()).exit_code, 3);
}

TEST(Check, UsageErrorsExit2) {
  auto golden = nlohmann::json::parse(ReadWholeFile(testing::SourcePath("data/golden/chinchilla.json")));
  golden.erase("intervals");
  for (auto& prediction : golden["predictions"]) prediction.erase("intervals");
  golden["options"].erase("bootstrap");
  const std::string plain = testing::WriteTempFile("plain.json", golden.dump());
  golden["data"]["source"] = "runs.csv";
  const std::string from_file = testing::WriteTempFile("from_file.json", golden.dump());
  for (const std::string& args :
       {std::string("check"), "check --golden " + Golden() + " --format xml",
        "check --golden " + Golden() + " --rtol-params -1", "check --golden " + Golden() + " --rtol loss",
        "check --golden " + Golden() + " --rtol nonsense=0.1", "check --golden " + Golden() + " --rtol loss=abc",
        "check --golden " + Golden() + " --no-such-flag", "check --golden '" + plain + "' --check-intervals",
        "check --golden '" + from_file + "'"}) {
    const Result r = RunScaleplan(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("Try 'scaleplan check --help'."), std::string::npos) << args;
  }
  EXPECT_NE(RunScaleplan("check").err.find("--golden GOLDEN.json is required"), std::string::npos);
  EXPECT_NE(RunScaleplan("check --golden '" + plain + "' --check-intervals").err.find("has no intervals"),
            std::string::npos);
  // The plain golden still checks the point values.
  EXPECT_EQ(RunScaleplan("check --golden '" + plain + "'").exit_code, 0);
  const Result help = RunScaleplan("check --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("Exit codes:"), std::string::npos);
}

// A saved fit of any law given as the golden is named for what it is, not a missing key of a golden file.
TEST(Check, ASavedFitOfAnyLawIsNotAGoldenFile) {
  for (const std::string law : {"chinchilla", "kaplan", "isoflop"}) {
    const std::string fit = testing::WriteTempFile(law + "_fit.json", "");
    ASSERT_EQ(RunScaleplan("fit --law " + law + " --out '" + fit + "'").exit_code, 0) << law;
    const Result r = RunScaleplan("check --golden '" + fit + "'");
    EXPECT_EQ(r.exit_code, 3) << law;
    EXPECT_NE(r.err.find(fit + ": this is a saved fit ('fit --out'), not a golden file"), std::string::npos)
        << law << ": " << r.err;
  }
}

// --check-intervals with a golden that holds none says why: a Chinchilla golden was recorded without --bootstrap,
// a Kaplan golden never records intervals at all.
TEST(Check, CheckIntervalsSaysWhyAGoldenHasNone) {
  const std::string kaplan = testing::WriteTempFile("kaplan_golden.json", "");
  ASSERT_EQ(RunScaleplan("fit --law kaplan --save-golden '" + kaplan + "'").exit_code, 0);
  Result r = RunScaleplan("check --golden '" + kaplan + "' --check-intervals");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has no intervals (a kaplan golden never records them; only a Chinchilla golden recorded "
                       "with --bootstrap does)"),
            std::string::npos)
      << r.err;
  const std::string chinchilla = testing::WriteTempFile("chinchilla_golden.json", "");
  ASSERT_EQ(RunScaleplan("fit --save-golden '" + chinchilla + "'").exit_code, 0);
  r = RunScaleplan("check --golden '" + chinchilla + "' --check-intervals");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("has no intervals (it was recorded without --bootstrap)"), std::string::npos) << r.err;
}

// --junit naming the golden is refused before the refit: nothing printed.
TEST(Check, JunitNamingTheGoldenIsRefusedBeforeAnyWork) {
  const std::string golden =
      testing::WriteTempFile("golden.json", ReadWholeFile(testing::SourcePath("data/golden/chinchilla.json")));
  const Result r = RunScaleplan("check --golden '" + golden + "' --junit '" + golden + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("refusing to write '" + golden + "': it is an input of this command"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace scaleplan
