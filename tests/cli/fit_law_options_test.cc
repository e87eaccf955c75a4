// `fit`: an option that the chosen law does not read is refused (exit 2, naming the option and the law) rather than
// silently ignored (cli/fit_command.cc LawOnlyOptions).
#include <string>

#include <gtest/gtest.h>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

std::string MoeRuns() { return SourcePath("tests/bad_input/moe_plain.csv"); }

// Exit 2 with "--OPTION does not apply to --law LAW" and no output.
void ExpectRefused(const std::string& args, const std::string& option, const std::string& law) {
  const CommandResult result = RunScaleplan(args);
  EXPECT_EQ(result.exit_code, 2) << args << '\n' << result.err;
  EXPECT_NE(result.err.find("--" + option + " does not apply to --law " + law + " (only to "), std::string::npos)
      << args << '\n'
      << result.err;
  EXPECT_EQ(result.out, "") << args;
}

TEST(FitLawOptionsTest, MoeRefusesTheOptionsOfOtherLaws) {
  ExpectRefused("fit " + MoeRuns() + " --law moe --compute 1e22", "compute", "moe");
  ExpectRefused("fit " + MoeRuns() + " --law moe --u-col x", "u-col", "moe");
  ExpectRefused("fit " + MoeRuns() + " --law moe --keep-extrapolated-minima", "keep-extrapolated-minima", "moe");
  ExpectRefused("fit " + MoeRuns() + " --law moe --c-col C", "c-col", "moe");
  // The message lists the laws that read the option.
  const CommandResult result = RunScaleplan("fit " + MoeRuns() + " --law moe --keep-extrapolated-minima");
  EXPECT_NE(result.err.find("(only to isoflop and all)"), std::string::npos) << result.err;
}

TEST(FitLawOptionsTest, RoutingSparseAndDataConstrainedRefuseTheOptionsOfOtherLaws) {
  ExpectRefused("fit --law routing --compute 1e22", "compute", "routing");
  ExpectRefused("fit --law routing --loss-col loss", "loss-col", "routing");
  ExpectRefused("fit --law sparse --compute 1e22", "compute", "sparse");
  ExpectRefused("fit --law sparse --u-col U", "u-col", "sparse");
  ExpectRefused("fit --law data-constrained --min-budget-runs 4", "min-budget-runs", "data-constrained");
  ExpectRefused("fit --law data-constrained --tokens-per-step 65536", "tokens-per-step", "data-constrained");
  ExpectRefused("fit --law chinchilla --sparsity-col S", "sparsity-col", "chinchilla");
  ExpectRefused("fit --budget-tolerance 0.1", "budget-tolerance", "chinchilla");
  // With --group-by, too: each group is fitted by the same law.
  ExpectRefused("fit " + MoeRuns() + " --law moe --group-by granularity --compute 1e22", "compute", "moe");
}

TEST(FitLawOptionsTest, TheLawsThatReadAnOptionKeepIt) {
  // --diagnostics prints the sparse fit's standard errors; --keep-extrapolated-minima keeps isoflop's budgets.
  const CommandResult sparse = RunScaleplan("fit --law sparse --diagnostics");
  EXPECT_EQ(sparse.exit_code, 0) << sparse.err;
  EXPECT_NE(sparse.out.find("  diagnostics ("), std::string::npos) << sparse.out;
  // And the moe fit's, and the routing fit's, one table per router.
  const CommandResult moe = RunScaleplan("fit " + MoeRuns() + " --law moe --diagnostics");
  EXPECT_EQ(moe.exit_code, 0) << moe.err;
  EXPECT_NE(moe.out.find("  diagnostics ("), std::string::npos) << moe.out;
  EXPECT_NE(moe.out.find("    gamma "), std::string::npos) << moe.out;
  const CommandResult routing = RunScaleplan("fit --law routing --diagnostics");
  EXPECT_EQ(routing.exit_code, 0) << routing.err;
  for (const char* router : {"S-Base", "RL-R", "Hash"}) {
    EXPECT_NE(routing.out.find(std::string("\n  ") + router + " ("), std::string::npos) << router;
  }
  EXPECT_NE(routing.out.find("    E_max "), std::string::npos) << routing.out;
  EXPECT_NE(routing.out.find("      log E "), std::string::npos) << routing.out;
  const CommandResult isoflop = RunScaleplan("fit --law isoflop --keep-extrapolated-minima --compute 1e22");
  EXPECT_EQ(isoflop.exit_code, 0) << isoflop.err;
}

}  // namespace
}  // namespace scaleplan::testing
