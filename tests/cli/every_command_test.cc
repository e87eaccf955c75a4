// What every command shares, on the real binary: a lost stdout is an error (exit 5), an unknown command gets one
// line, every number an option takes is read and refused one way ("--option: reason: 'text'", exit 2), and --help
// shows each default as the number it is.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::Lines;
using testing::RunScaleplan;
using testing::SourcePath;
using Result = testing::CommandResult;

const std::vector<std::string>& Commands() {
  static const std::vector<std::string> commands = {"fit", "plan", "sweep", "probe", "plot", "validate", "check",
                                                    "dictionary"};
  return commands;
}

// `scaleplan ARGS` with its stdout on a full disk (stderr captured as usual).
Result ToFullDisk(const std::string& args) {
  return testing::RunCommand("{ " + std::string(SCALEPLAN_BINARY) + " " + args + " > /dev/full; }");
}

TEST(Stdout, AFullDiskIsAnOutputNotWrittenForEveryCommand) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  const std::string golden = SourcePath("data/golden/chinchilla.json");
  const std::vector<std::pair<std::string, std::string>> runs = {
      {"fit", "fit --format json"},
      {"fit", "fit"},
      {"plan", "plan --compute 1e24"},
      {"plan", "plan --compute 1e24 --format json"},
      {"sweep", "sweep --compute 1e20"},
      {"validate", "validate --holdout-above 1e21"},
      {"check", "check --golden '" + golden + "'"},
      {"dictionary", "dictionary --d-model 4096 --compute 1e20"},
      {"dictionary", "dictionary --d-model 4096 --compute 1e20 --format json"},
      {"probe", "probe --help"},
      {"plot", "plot --help"},
  };
  for (const auto& [command, args] : runs) {
    const Result r = ToFullDisk(args);
    EXPECT_EQ(r.exit_code, 5) << args << "\n" << r.err;
    EXPECT_NE(r.err.find("scaleplan " + command + ": error: cannot write stdout"), std::string::npos)
        << args << "\n" << r.err;
  }
  for (const std::string args : {"--help", "--version"}) {
    const Result r = ToFullDisk(args);
    EXPECT_EQ(r.exit_code, 5) << args;
    EXPECT_EQ(r.err, "scaleplan: error: cannot write stdout (No space left on device): the output is lost\n");
  }
  // A small output is still buffered when the command ends, so the reason is known.
  const Result fit = ToFullDisk("fit --format json");
  EXPECT_EQ(fit.err, "scaleplan fit: error: cannot write stdout (No space left on device): the output is lost\n");
}

TEST(UnknownCommand, OneLineAndWhereTheHelpIs) {
  const Result r = RunScaleplan("fti runs.csv");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "scaleplan: error: unknown command 'fti' (the commands are fit, plan, sweep, probe, plot, validate, "
            "check, dictionary); try 'scaleplan --help'\n");
}

// The first line of stderr of a run that must be a usage error.
std::string UsageError(const std::string& args) {
  const Result r = RunScaleplan(args);
  EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.out << r.err;
  EXPECT_EQ(r.out, "") << args;
  const std::vector<std::string> lines = Lines(r.err);
  return lines.empty() ? "" : lines.front();
}

TEST(OptionValues, AnEmptyValueIsAUsageErrorForEveryOption) {
  // An unset shell variable: never the default budget, never a plan without its hardware section.
  EXPECT_EQ(UsageError("plan --compute ''"), "scaleplan plan: error: --compute: empty value (an unset shell variable?)");
  EXPECT_EQ(UsageError("plan --compute 1e24 --accelerator ''"),
            "scaleplan plan: error: --accelerator: empty value (an unset shell variable?)");
  EXPECT_EQ(UsageError("plan --compute=1e24 --profile ''"),
            "scaleplan plan: error: --profile: empty value (an unset shell variable?)");
  EXPECT_EQ(UsageError("sweep --out ''"), "scaleplan sweep: error: --out: empty value (an unset shell variable?)");
  EXPECT_EQ(UsageError("fit ''"), "scaleplan fit: error: empty argument '' (where runs goes)");
  EXPECT_EQ(UsageError("dictionary --d-model ''"),
            "scaleplan dictionary: error: --d-model: empty value (an unset shell variable?)");
}

TEST(OptionValues, ListsRefuseEmptyItemsAndThousandsSeparators) {
  EXPECT_EQ(UsageError("plan --compute 1e24,"),
            "scaleplan plan: error: --compute: empty item in the list (a trailing or doubled comma): '1e24,'");
  EXPECT_EQ(UsageError("plan --compute 1e22,,1e24"),
            "scaleplan plan: error: --compute: empty item in the list (a trailing or doubled comma): '1e22,,1e24'");
  EXPECT_EQ(UsageError("sweep --compute 1e24,"),
            "scaleplan sweep: error: --compute: empty item in the list (a trailing or doubled comma): '1e24,'");
  EXPECT_EQ(UsageError("sweep --count 0,8, --compute 1e20"),
            "scaleplan sweep: error: --count: empty item in the list (a trailing or doubled comma): '0,8,'");
  EXPECT_EQ(UsageError("sweep --accelerator H100-SXM, --compute 1e20"),
            "scaleplan sweep: error: --accelerator: empty item in the list (a trailing or doubled comma): "
            "'H100-SXM,'");
  EXPECT_EQ(UsageError("fit --compute 1e21,"),
            "scaleplan fit: error: --compute: empty item in the list (a trailing or doubled comma): '1e21,'");
  EXPECT_EQ(UsageError("plan --compute 1,000"),
            "scaleplan plan: error: --compute: commas separate values, not thousands (write 1000, 1e3 or 1K): "
            "'1,000'");
  EXPECT_EQ(UsageError("sweep --count 16,000"),
            "scaleplan sweep: error: --count: commas separate values, not thousands (write 1000, 1e3 or 1K): "
            "'16,000'");
  EXPECT_EQ(UsageError("fit --compute 5,760,000"),
            "scaleplan fit: error: --compute: commas separate values, not thousands (write 1000, 1e3 or 1K): "
            "'5,760,000'");
  // Lists that merely look like it stay lists: 8 and 512 devices, 0 and 2.
  EXPECT_EQ(RunScaleplan("sweep --law epoch --compute 1e22 --count 8,512 --format jsonl").exit_code, 0);
  EXPECT_EQ(RunScaleplan("sweep --law epoch --compute 1e22 --count 0,2 --format jsonl").exit_code, 0);
  // A list that only looks like one number in part is still a list: each value is checked.
  EXPECT_EQ(UsageError("plan --compute 1e22,abc"), "scaleplan plan: error: --compute: not a number: 'abc'");
}

TEST(OptionValues, CountsTakeSuffixesAndMustBeWhole) {
  const Result r = RunScaleplan("plan --law epoch --compute 1e24 --accelerator H100-SXM --count 16K --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["num_accelerators"].get<long>(), 16000) << r.out;
  const Result sweep = RunScaleplan("sweep --law epoch --compute 1e24 --count 2K --format jsonl");
  ASSERT_EQ(sweep.exit_code, 0) << sweep.err;
  EXPECT_EQ(nlohmann::json::parse(Lines(sweep.out).at(0))["num_accelerators"].get<long>(), 2000) << sweep.out;

  EXPECT_EQ(UsageError("plan --compute 1e24 --accelerator H100-SXM --count 1.5"),
            "scaleplan plan: error: --count: must be a whole number: '1.5'");
  EXPECT_EQ(UsageError("sweep --count 8,1.5"), "scaleplan sweep: error: --count: must be a whole number: '1.5'");
  EXPECT_EQ(UsageError("dictionary --d-model 4096 --compute 1e20 --count -2"),
            "scaleplan dictionary: error: --count: must be 0 or more: '-2'");
  EXPECT_EQ(UsageError("fit --threads two"), "scaleplan fit: error: --threads: not a number: 'two'");
  EXPECT_EQ(UsageError("fit --starts 1e30"), "scaleplan fit: error: --starts: must be at most 2147483647: '1e30'");
}

TEST(OptionValues, RangesAreNamedByTheOptionNotAnInternalField) {
  EXPECT_EQ(UsageError("plan --mfu 1.5"), "scaleplan plan: error: --mfu: must lie in (0, 1]: '1.5'");
  EXPECT_EQ(UsageError("sweep --mfu 0.4,0"), "scaleplan sweep: error: --mfu: must lie in (0, 1]: '0'");
  EXPECT_EQ(UsageError("plan --compute 1e24 --accelerator H100-SXM --max-days -1"),
            "scaleplan plan: error: --max-days: must be 0 or positive: '-1'");
  EXPECT_EQ(UsageError("fit --ci 95"), "scaleplan fit: error: --ci: must lie in (0, 1): '95'");
  EXPECT_EQ(UsageError("validate --holdout-above 1e21 --budget-tolerance 0"),
            "scaleplan validate: error: --budget-tolerance: must lie in (0, 1): '0'");
  EXPECT_EQ(UsageError("plan --compute -1e24"), "scaleplan plan: error: --compute: must be positive: '-1e24'");
}

TEST(OptionValues, BootstrapZeroIsRefusedLikeOne) {
  // --bootstrap=0 used to run no bootstrap at all, silently, while =1 was refused.
  for (const std::string command : {"fit", "plan", "sweep --compute 1e20"}) {
    const std::string name = command.substr(0, command.find(' '));
    EXPECT_EQ(UsageError(command + " --bootstrap=0"),
              "scaleplan " + name + ": error: --bootstrap: must be at least 10: '0'");
    EXPECT_EQ(UsageError(command + " --bootstrap=1"),
              "scaleplan " + name + ": error: --bootstrap: must be at least 10: '1'");
  }
}

// The longest run of decimal digits in `text`.
size_t LongestDigitRun(std::string_view text) {
  size_t longest = 0, run = 0;
  for (char c : text) {
    run = (c >= '0' && c <= '9') ? run + 1 : 0;
    longest = std::max(longest, run);
  }
  return longest;
}

TEST(Help, DefaultsPrintAsTheNumbersTheyAre) {
  // Every "(=...)" default of every command: no binary-expansion tails such as 0.035000000000000003.
  for (const std::string& command : Commands()) {
    const Result r = RunScaleplan(command + " --help");
    ASSERT_EQ(r.exit_code, 0) << command;
    for (size_t open = r.out.find("(="); open != std::string::npos; open = r.out.find("(=", open + 2)) {
      const std::string_view value = std::string_view(r.out).substr(open, r.out.find(')', open) - open + 1);
      EXPECT_LT(LongestDigitRun(value), 9u) << command << ": " << value;
    }
  }
  // The same option shows the same default in every command that has it.
  const std::string tolerance = "--budget-tolerance arg (=0.035)";
  EXPECT_NE(RunScaleplan("fit --help").out.find(tolerance), std::string::npos);
  EXPECT_NE(RunScaleplan("validate --help").out.find(tolerance), std::string::npos);
  for (const std::string command : {"fit", "plan", "sweep", "dictionary"}) {
    EXPECT_NE(RunScaleplan(command + " --help").out.find("--ci arg (=0.95)"), std::string::npos) << command;
  }
  EXPECT_NE(RunScaleplan("plan --help").out.find("--mfu arg (=0.4)"), std::string::npos);
}

// `value` to 3 significant digits, as printf's %.3g writes it (an independent formatting of the JSON's number).
std::string ThreeDigits(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

TEST(Numbers, FitTablesShowSignificantDigitsNotFixedDecimals) {
  // Kaplan's tokens/param at 1e24 is 8.46: one fixed decimal printed 8.5 (and 0.0096 as 0.0).
  const Result json = RunScaleplan("fit --law all --compute 1e24 --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const Result table = RunScaleplan("fit --law all --compute 1e24");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  int rows = 0;
  const nlohmann::json doc = nlohmann::json::parse(json.out);
  for (const auto& law : doc["laws"]) {
    const std::string name = law["law"].get<std::string>();
    const double tokens_per_param = law["allocations"][0]["tokens_per_param"].get<double>();
    const std::string row_start = std::string("  ").append(name).append(" ");
    const std::string cell = std::string(" ").append(ThreeDigits(tokens_per_param)).append(" ");
    for (const std::string& line : Lines(table.out)) {
      if (line.rfind(row_start, 0) != 0 || line.find("e+24") == std::string::npos) continue;
      EXPECT_NE(line.find(cell), std::string::npos)
          << name << ": " << ThreeDigits(tokens_per_param) << " not in '" << line << "'";
      ++rows;
    }
  }
  EXPECT_EQ(rows, 3);
  EXPECT_NE(table.out.find(" 8.46 "), std::string::npos) << table.out;
}

TEST(Numbers, SweepNeverWritesMoreDigitsThanADoubleHolds) {
  const Result r = RunScaleplan("sweep --law epoch --compute 1e20:1e21:3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 4u);
  // 10^20.5 in scientific notation, the shortest text that reads back as the same double.
  const std::string middle = testing::Split(lines[2]).at(0);
  EXPECT_EQ(middle, "3.1622776601683794e+20");
  EXPECT_EQ(std::stod(middle), std::pow(10.0, 20.5));
  EXPECT_LT(LongestDigitRun(r.out), 18u) << r.out;
  // Counts stay whole numbers.
  EXPECT_EQ(testing::Split(lines[0]).at(13), "num_accelerators");
  EXPECT_EQ(testing::Split(lines[1]).at(13).find_first_not_of("0123456789"), std::string::npos) << lines[1];
}

TEST(Tables, ADictionaryColumnThatDoesNotFitIsMarked) {
  // 64 devices hold the sparse kernels' 69.2 GB each but not the dense kernels' 77.3 GB (72 GB usable).
  const std::string args = "dictionary --d-model 8192 --compute 1e22 --count 64";
  const Result json = RunScaleplan(args + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json plan = nlohmann::json::parse(json.out);
  ASSERT_TRUE(plan["feasible"].get<bool>());
  ASSERT_FALSE(plan["dense"]["feasible"].get<bool>());
  const Result table = RunScaleplan(args);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  std::string devices_line;
  for (const std::string& line : Lines(table.out)) {
    if (line.rfind("  devices ", 0) == 0) devices_line = line;
  }
  ASSERT_FALSE(devices_line.empty()) << table.out;
  EXPECT_EQ(devices_line.substr(devices_line.size() - 2), " !") << devices_line;
  EXPECT_EQ(devices_line.find('!'), devices_line.size() - 1) << "the sparse column fits: " << devices_line;
  EXPECT_NE(table.out.find("\n  ! dense kernels infeasible: " + plan["dense"]["reasons"][0].get<std::string>() +
                           "\n"),
            std::string::npos)
      << table.out;
}

// The warnings of each JSON line of `plan ARGS --format json`, joined.
std::vector<std::string> PlanWarnings(const std::string& args) {
  const Result r = RunScaleplan("plan " + args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.err;
  std::vector<std::string> warnings;
  for (const std::string& line : Lines(r.out)) {
    std::string joined;
    const nlohmann::json plan = nlohmann::json::parse(line);
    for (const auto& warning : plan["warnings"]) joined += warning.get<std::string>() + "\n";
    warnings.push_back(joined);
  }
  return warnings;
}

TEST(PlanWarnings, PastSaturationExtraComputeIsSaidToBuyNothing) {
  // 100B unique tokens: 3e25 and 1e27 FLOPs reach the same loss, 1,960 epochs apart.
  const Result r = RunScaleplan("plan --compute 1e22,3e25,1e27 --unique-tokens 100B --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 3u);
  const nlohmann::json small = nlohmann::json::parse(lines[0]), large = nlohmann::json::parse(lines[1]),
                       huge = nlohmann::json::parse(lines[2]);
  EXPECT_LT(large["loss"].get<double>() - huge["loss"].get<double>(), 1e-3);
  const std::string said = "extra compute buys almost nothing here: with 100B unique tokens the loss comes within 0.001";
  EXPECT_EQ(small["warnings"].dump().find(said), std::string::npos) << small["warnings"].dump();
  EXPECT_NE(large["warnings"].dump().find(said), std::string::npos) << large["warnings"].dump();
  EXPECT_NE(huge["warnings"].dump().find(said), std::string::npos) << huge["warnings"].dump();
}

TEST(PlanWarnings, MoreTokensThanOpenCorporaHoldIsSaid) {
  // An inference-heavy plan trains a small model on tens of trillions of tokens.
  // Both its rows do: the inference-aware one (62.9T tokens) and the one within the budget (39.9T).
  const std::vector<std::string> heavy = PlanWarnings("--compute 1e24 --inference-tokens 1000T");
  ASSERT_EQ(heavy.size(), 2u);
  for (const std::string& warnings : heavy) {
    EXPECT_NE(warnings.find("tokens, more than the largest open text corpora hold (about 15T"), std::string::npos)
        << warnings;
  }
  // Chinchilla's 1.7T tokens at 1e24 FLOPs exist; with a unique-token limit the repetition is already planned.
  const std::vector<std::string> plain = PlanWarnings("--compute 1e24");
  ASSERT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain[0].find("open text corpora"), std::string::npos) << plain[0];
  const std::vector<std::string> limited = PlanWarnings("--compute 1e24 --inference-tokens 1000T --unique-tokens 1T");
  ASSERT_EQ(limited.size(), 2u);
  for (const std::string& warnings : limited) EXPECT_EQ(warnings.find("open text corpora"), std::string::npos) << warnings;
}

TEST(PlanInference, ABudgetsInferenceAwarePlanIsLabelledAndTheOneWithinTheBudgetIsARowOfItsOwn) {
  const Result plain = RunScaleplan("plan --law epoch --compute 1e24 --format json");
  const Result r = RunScaleplan("plan --law epoch --compute 1e24 --inference-tokens 1000T --format json");
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  const nlohmann::json optimal = nlohmann::json::parse(plain.out), row = nlohmann::json::parse(lines[0]);
  // Not the compute-optimal plan: the same loss as the budget's compute-optimal plan, trained on more than the budget.
  EXPECT_EQ(optimal["mode"], "compute-optimal");
  EXPECT_EQ(row["mode"], "inference-aware");
  EXPECT_EQ(row["budget_flops"].get<double>(), 1e24);
  EXPECT_NEAR(row["loss"].get<double>(), optimal["loss"].get<double>(), 1e-9);
  EXPECT_GT(row["compute_flops"].get<double>(), 5e24);
  // The other answer, its own row: trains on the budget (within 1e-6), a smaller model, a higher loss, fewer
  // lifetime FLOPs.
  const nlohmann::json within = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(within["mode"], "within-budget");
  EXPECT_EQ(within["budget_flops"].get<double>(), 1e24);
  EXPECT_LE(within["compute_flops"].get<double>(), 1e24);
  EXPECT_NEAR(within["compute_flops"].get<double>(), 1e24, 1e18);
  EXPECT_NEAR(6.0 * within["num_params"].get<double>() * within["num_tokens"].get<double>(),
              within["compute_flops"].get<double>(), 1e-9 * 1e24);
  EXPECT_LT(within["num_params"].get<double>(), row["num_params"].get<double>());
  EXPECT_GT(within["loss"].get<double>(), row["loss"].get<double>());
  EXPECT_LT(within["total_flops"].get<double>(), row["total_flops"].get<double>());
  EXPECT_FALSE(row.contains("within_budget"));
  // The table says what each row is.
  const Result table = RunScaleplan("plan --law epoch --compute 1e24 --inference-tokens 1000T");
  EXPECT_NE(table.out.find("  inference-aware   "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("  within-budget     "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("the loss of the compute-optimal plan for 1.00e+24 FLOPs at the least lifetime cost: "
                           "training takes "),
            std::string::npos)
      << table.out;
  EXPECT_NE(table.out.find("the lowest loss at the least lifetime cost whose training takes the budget"),
            std::string::npos)
      << table.out;
}

TEST(PlanVerdict, APlanOverAYearIsFlaggedWhenNoMaxDaysWasGiven) {
  // The fewest devices that hold 1T parameters' training state take 600 days: feasible only in name.
  const Result r = RunScaleplan("plan --law epoch --params 1T --accelerator H100-SXM --mfu 0.4 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json plan = nlohmann::json::parse(r.out);
  ASSERT_GT(plan["days"].get<double>(), 365.0);
  EXPECT_TRUE(plan["feasible"].get<bool>());
  char expected[160];
  std::snprintf(expected, sizeof expected, "takes %.0f days on %lld devices, more than 365 (feasible only because no "
                "--max-days was given", plan["days"].get<double>(), plan["num_accelerators"].get<long long>());
  EXPECT_NE(plan["warnings"].dump().find(expected), std::string::npos) << plan["warnings"].dump();
  const Result table = RunScaleplan("plan --law epoch --params 1T --accelerator H100-SXM --mfu 0.4");
  EXPECT_NE(table.out.find("    verdict: feasible, but longer than 365 days (no --max-days given)\n"),
            std::string::npos)
      << table.out;
  // A limit the user gave is the limit: no flag within it.
  const Result limited = RunScaleplan("plan --law epoch --params 1T --accelerator H100-SXM --mfu 0.4 --max-days 700");
  EXPECT_EQ(limited.exit_code, 0) << limited.err;
  EXPECT_NE(limited.out.find("    verdict: feasible\n"), std::string::npos) << limited.out;
  EXPECT_EQ(limited.out.find("longer than 365 days"), std::string::npos);
}

}  // namespace
}  // namespace scaleplan
