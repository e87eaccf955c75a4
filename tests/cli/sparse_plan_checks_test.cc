// The sparse planners' checks through the real binary (`plan --law krajewski2024 | clark2022 | frantar2023-t5` and
// `plan --fit` with a moe, routing or sparse fit): extrapolation warnings against the fitted runs' ranges, budgets
// that give no plan, options that do not apply, option values and the MoE table's numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

bool Has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A moe fit of tests/bad_input/moe_plain.csv: runs of Krajewski et al.'s law at N 1e8..3e9 (total), D 2e9..5e10,
// G 1..16 (C = 6 N D 1.2e18..9e20).
std::string MoeFit() {
  static const std::string path = [] {
    const std::string fit_path = WriteTempFile("checks_moe_fit.json", "");
    const CommandResult fit =
        RunScaleplan("fit " + SourcePath("tests/bad_input/moe_plain.csv") + " --law moe --out '" + fit_path + "'");
    EXPECT_EQ(fit.exit_code, 0) << fit.err;
    return fit_path;
  }();
  return path;
}

TEST(SparsePlanChecksTest, MoeFitKeepsItsGranularitiesAndItsPlansWarnBeyondThem) {
  std::ifstream in(MoeFit());
  const nlohmann::json fit = nlohmann::json::parse(in);
  EXPECT_EQ(fit["data"]["granularity_min"].get<double>(), 1.0);
  EXPECT_EQ(fit["data"]["granularity_max"].get<double>(), 16.0);
  EXPECT_EQ(fit["data"]["num_params_max"].get<double>(), 3e9);

  const CommandResult result = RunScaleplan("plan --fit '" + MoeFit() + "' --compute 1e25 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const nlohmann::json plan = nlohmann::json::parse(result.out);
  ASSERT_EQ(plan["warnings"].size(), 1u);
  const std::string warning = plan["warnings"][0];
  const double n = plan["num_params"].get<double>(), d = plan["num_tokens"].get<double>();
  char clause[160];
  std::snprintf(clause, sizeof clause, "N is %.3gx the largest fitted model (3B parameters)", n / 3e9);
  EXPECT_TRUE(Has(warning, clause)) << warning;
  std::snprintf(clause, sizeof clause, "D is %.3gx the most tokens of any fitted run (50B tokens)", d / 5e10);
  EXPECT_TRUE(Has(warning, clause)) << warning;
  std::snprintf(clause, sizeof clause, "extrapolates %.3gx", 6 * n * d / 9e20);
  EXPECT_TRUE(Has(warning, clause)) << warning;
  std::snprintf(clause, sizeof clause, "G = %.3g is above the largest fitted granularity (16)",
                plan["granularity"].get<double>());
  EXPECT_TRUE(Has(warning, clause)) << warning;

  const CommandResult table = RunScaleplan("plan --fit '" + MoeFit() + "' --compute 1e25");
  EXPECT_TRUE(Has(table.out, "  warning: 1.00e+25 FLOPs " + warning)) << table.out;
  // Inside the runs (1e19 FLOPs at G 8: 8.6B total on 7.6B tokens, 6 N D 3.9e20): no warning.
  const nlohmann::json inside = nlohmann::json::parse(
      RunScaleplan("plan --fit '" + MoeFit() + "' --compute 1e19 --granularity 8 --format json").out);
  EXPECT_TRUE(inside["warnings"].empty()) << inside.dump();
}

TEST(SparsePlanChecksTest, RoutingAndWeightSparsePlansWarnBeyondTheirRuns) {
  // Clark et al.'s bundled runs reach a dense N of 1,308,819,456.
  const CommandResult routed = RunScaleplan("plan --law clark2022 --params 1.3B,1T --experts 8 --format json");
  ASSERT_EQ(routed.exit_code, 0) << routed.err;
  const nlohmann::json json = nlohmann::json::parse(routed.out);
  ASSERT_EQ(json["warnings"].size(), 1u);
  char expected[160];
  std::snprintf(expected, sizeof expected, "N 1T: N is %.3gx the largest fitted model (1.31B parameters)",
                1e12 / 1308819456.0);
  EXPECT_EQ(json["warnings"][0], expected);
  EXPECT_TRUE(
      Has(RunScaleplan("plan --law clark2022 --params 1T --experts 8").out, std::string("  warning: ") + expected));
  // The T5 runs reach 84,934,656 non-zero parameters.
  const nlohmann::json sparse =
      nlohmann::json::parse(RunScaleplan("plan --compute 1e24 --sparsity 0.5 --format json").out);
  ASSERT_EQ(sparse["warnings"].size(), 1u);
  std::snprintf(expected, sizeof expected, "N is %.3gx the largest fitted model (84.9M parameters)",
                sparse["num_nonzero_params"].get<double>() / 84934656.0);
  EXPECT_TRUE(Has(sparse["warnings"][0], expected)) << sparse["warnings"][0];
}

TEST(SparsePlanChecksTest, AnMoeBudgetWithNoPlanIsAnInputError) {
  const CommandResult result = RunScaleplan("plan --law krajewski2024 --compute 1e-5");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_TRUE(Has(result.err, "krajewski2024 gives no usable plan at 1.00e-05 FLOPs: D = ")) << result.err;
  EXPECT_TRUE(Has(result.err, " tokens is out of range")) << result.err;
  EXPECT_TRUE(result.out.empty()) << result.out;
}

TEST(SparsePlanChecksTest, FitAndLawTogetherAreRefused) {
  const CommandResult result = RunScaleplan("plan --fit '" + MoeFit() + "' --law krajewski2024 --compute 1e22");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_TRUE(Has(result.err, "give either --fit or --law, not both")) << result.err;
}

TEST(SparsePlanChecksTest, ShapeOptionsThatNothingUsesAreRefused) {
  const CommandResult experts = RunScaleplan("plan --params 1.3B --experts 8");
  EXPECT_EQ(experts.exit_code, 2);
  EXPECT_TRUE(Has(experts.err, "--experts is a shape option of the layout search")) << experts.err;
  EXPECT_TRUE(Has(experts.err, "--law clark2022")) << experts.err;
  const CommandResult seq = RunScaleplan("plan --params 1.3B --seq-len 8192 --accelerator H100-SXM --mfu 0.4");
  EXPECT_EQ(seq.exit_code, 2);
  EXPECT_TRUE(Has(seq.err, "--seq-len is a shape option of the layout search")) << seq.err;
}

TEST(SparsePlanChecksTest, MoePlannerPlansEachBudgetOfAList) {
  const CommandResult both = RunScaleplan("plan --law krajewski2024 --compute 1e22,1e23 --format json");
  ASSERT_EQ(both.exit_code, 0) << both.err;
  const std::vector<std::string> lines = Lines(both.out);
  ASSERT_EQ(lines.size(), 2u);
  const char* budgets[] = {"1e22", "1e23"};
  for (int k = 0; k < 2; ++k) {
    const nlohmann::json alone = nlohmann::json::parse(
        RunScaleplan(std::string("plan --law krajewski2024 --format json --compute ") + budgets[k]).out);
    EXPECT_EQ(nlohmann::json::parse(lines[k]), alone) << budgets[k];
  }
  const CommandResult table = RunScaleplan("plan --law krajewski2024 --compute 1e22,1e23");
  EXPECT_TRUE(Has(table.out, "at 1.00e+22 FLOPs") && Has(table.out, "at 1.00e+23 FLOPs")) << table.out;
}

TEST(SparsePlanChecksTest, OptionsOfAnotherPlannerDoNotApply) {
  const std::pair<const char*, const char*> cases[] = {
      {"plan --law krajewski2024 --params 70B",
       "--params does not apply to the fine-grained MoE planner (it plans at a budget: --compute)"},
      {"plan --law krajewski2024 --compute 1e22 --target-loss 2", "--target-loss does not apply to the fine-grained"},
      {"plan --law krajewski2024 --compute 1e22 --unique-tokens 1T", "--unique-tokens does not apply to the fine"},
      {"plan --law krajewski2024 --compute 1e22 --inference-tokens 1T", "--inference-tokens does not apply to the"},
      {"plan --law clark2022 --params 1B --compute 1e22", "--compute does not apply to the routing planner"},
      {"plan --law clark2022 --params 1B --accelerator H100-SXM",
       "--accelerator does not apply to the routing planner"},
  };
  for (const auto& [args, message] : cases) {
    const CommandResult result = RunScaleplan(args);
    EXPECT_EQ(result.exit_code, 2) << args;
    EXPECT_TRUE(Has(result.err, message)) << args << ": " << result.err;
  }
  // A name no mode of plan knows is still unknown.
  EXPECT_TRUE(Has(RunScaleplan("plan --law krajewski2024 --compute 1e22 --nonsense 1").err, "unrecognised option"));
}

TEST(SparsePlanChecksTest, OptionValuesAreRefusedInTheDocumentedForm) {
  const CommandResult rate = RunScaleplan("plan --law krajewski2024 --compute 1e22 --expansion-rate 0");
  EXPECT_EQ(rate.exit_code, 2);
  EXPECT_TRUE(Has(rate.err, "--expansion-rate: must be at least 1: '0'")) << rate.err;
  const CommandResult experts = RunScaleplan("plan --law clark2022 --params 1.3B --experts 1.5");
  EXPECT_EQ(experts.exit_code, 2);
  EXPECT_TRUE(Has(experts.err, "--experts: must be a whole number of at least 1: '1.5'")) << experts.err;
}

TEST(SparsePlanChecksTest, SweepAndPlotNameThePlannerOfASparseLaw) {
  for (const char* command : {"sweep --law krajewski2024", "plot loss --law krajewski2024 --out never.svg"}) {
    const CommandResult result = RunScaleplan(command);
    EXPECT_EQ(result.exit_code, 2) << command;
    EXPECT_TRUE(Has(result.err,
                    "--law krajewski2024 gives no allocation at a budget: it is Krajewski et al. 2024's "
                    "fine-grained MoE law: plan with it using 'scaleplan plan --law krajewski2024 "
                    "--compute C'"))
        << command << ": " << result.err;
    EXPECT_FALSE(Has(result.err, "unknown --law")) << result.err;
  }
}

// The table prints G, the experts and the blocks to three significant figures (the JSON keeps the continuous
// optimum): at 1e22 Krajewski et al.'s law gives G 26.6 of 64 G = 1702.45 experts and 56.85 blocks.
TEST(SparsePlanChecksTest, MoeTablePrintsTheContinuousOptimumConsistently) {
  const nlohmann::json json =
      nlohmann::json::parse(RunScaleplan("plan --law krajewski2024 --compute 1e22 --format json").out);
  char expected[200];
  std::snprintf(expected, sizeof expected, "granularity G             %.3g (%.0f experts at expansion rate E 64)",
                json["granularity"].get<double>(), std::round(64 * json["granularity"].get<double>()));
  const CommandResult table = RunScaleplan("plan --law krajewski2024 --compute 1e22");
  EXPECT_TRUE(Has(table.out, expected)) << table.out;
  std::snprintf(expected, sizeof expected, ", %.3g blocks", json["num_blocks"].get<double>());
  EXPECT_TRUE(Has(table.out, expected)) << table.out;
  EXPECT_TRUE(Has(table.out, "continuous optimum of eq. 9")) << table.out;
  EXPECT_EQ(json["granularity"].get<double>() > 26.55 && json["granularity"].get<double>() < 26.65, true);
}

}  // namespace
}  // namespace scaleplan::testing
