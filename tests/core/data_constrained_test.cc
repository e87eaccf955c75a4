#include "core/data_constrained.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// The published C4 law of Muennighoff et al. 2023, written out here independently of core/.
struct ReferenceLaw {
  double a = 6.255414, b = 7.3049974, e = 0.6254804, alpha = 0.3526596, beta = 0.3526596;
  double rd_star = 15.387756, rn_star = 5.309743;

  double G() const { return std::pow(alpha * std::exp(a) / (beta * std::exp(b)), 1.0 / (alpha + beta)); }
  // Notebook: optimal_N(D_to_C(U)) with D_to_C(D) = 6 (G D)^(1/b_exp), optimal_N(C) = G (C/6)^a_exp.
  double OptimalParamsForTokens(double unique_tokens) const {
    const double a_exp = beta / (alpha + beta), b_exp = alpha / (alpha + beta);
    const double compute = 6.0 * std::pow(G() * unique_tokens, 1.0 / b_exp);
    return G() * std::pow(compute / 6.0, a_exp);
  }
  double Loss(double n, double d, double u) const {
    const double ud = std::min(u, d);
    const double rd = std::max(d / ud - 1.0, 0.0);
    const double un = std::min(n, OptimalParamsForTokens(ud));
    const double rn = std::max(n / un - 1.0, 0.0);
    return std::exp(e) + std::exp(a) / std::pow(un + un * rn_star * (1 - std::exp(-rn / rn_star)), alpha) +
           std::exp(b) / std::pow(ud + ud * rd_star * (1 - std::exp(-rd / rd_star)), beta);
  }
};

TEST(DataConstrainedLaw, UniqueParamsMatchTheNotebookOutput) {
  // utils/parametric_fit.ipynb prints optimal_N(D_to_C(U)) for these U with the C4 base law.
  const DataConstrainedLaw law = MuennighoffC4Law();
  const double huge = 1e15;
  EXPECT_NEAR(law.UniqueParams(huge, huge, 100e6) / 5098651.765365828, 1.0, 1e-12);
  EXPECT_NEAR(law.UniqueParams(huge, huge, 400e6) / 20394607.06146331, 1.0, 1e-12);
  EXPECT_NEAR(law.UniqueParams(huge, huge, 1.5e9) / 76479776.48048742, 1.0, 1e-12);
  EXPECT_NEAR(law.UniqueParams(huge, huge, 55e9) / 2804258470.9512057, 1.0, 1e-12);
  EXPECT_NEAR(law.UniqueParams(huge, huge, 178e9) / 9075600142.351173, 1.0, 1e-12);
  // ... and its C4 base law's compute-optimal plan for Gopher's budget.
  const Allocation gopher = law.base.ComputeOptimal(5.76e23);
  EXPECT_NEAR(gopher.num_params / 69962173313.52132, 1.0, 1e-12);
  EXPECT_NEAR(gopher.num_tokens / 1372170066384.2363, 1.0, 1e-12);
}

TEST(DataConstrainedLaw, LossMatchesTheFormulaWrittenOut) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  const ReferenceLaw reference;
  // Fresh data, repeated data, excess parameters, a run that sees fewer tokens than are available.
  for (const auto& [n, d, u] : {std::tuple{2.81e9, 55e9, 55e9}, std::tuple{2.81e9, 55e9, 4e9},
                                std::tuple{8.67e9, 178e9, 1e9}, std::tuple{146.5e6, 174e9, 100e6},
                                std::tuple{1e9, 20e9, 1e12}}) {
    EXPECT_NEAR(law.Loss(n, d, u), reference.Loss(n, d, u), 1e-12) << n << " " << d << " " << u;
  }
  // No limit, or a limit the run does not reach with a model no larger than U_N: the plain Chinchilla loss.
  EXPECT_DOUBLE_EQ(law.Loss(1e9, 20e9, 0.0), law.base.Loss(1e9, 20e9));
  EXPECT_DOUBLE_EQ(law.Loss(1e9, 20e9, 1e12), law.base.Loss(1e9, 20e9));
  // Repeating forever is worth at most U (1 + R_D*) fresh tokens.
  EXPECT_NEAR(law.EffectiveTokens(1e30, 1e9) / (1e9 * (1 + kMuennighoffRdStar)), 1.0, 1e-12);
  EXPECT_LT(law.EffectiveTokens(4e9, 1e9), 4e9);
}

TEST(DataConstrainedLaw, CheckRejectsNonPositiveDecay) {
  DataConstrainedLaw law = MuennighoffC4Law();
  std::string why;
  EXPECT_TRUE(law.Check(&why));
  law.R_N_star = 0.0;
  EXPECT_FALSE(law.Check(&why));
  EXPECT_EQ(why.rfind("R_N* must be finite and positive", 0), 0u) << why;
}

// ---------------------------------------------------------------------------------------------------------------
TEST(PlanDataConstrained, NonBindingLimitIsExactlyTheChinchillaPlan) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  for (double compute : {1e20, 5.76e23, 1e26}) {
    const Allocation chinchilla = law.base.ComputeOptimal(compute);
    for (double unique_tokens : {0.0, chinchilla.num_tokens, 10.0 * chinchilla.num_tokens}) {
      const DataConstrainedAllocation plan = PlanDataConstrained(law, compute, unique_tokens);
      EXPECT_FALSE(plan.data_limited);
      EXPECT_EQ(plan.allocation.num_params, chinchilla.num_params);
      EXPECT_EQ(plan.allocation.num_tokens, chinchilla.num_tokens);
      EXPECT_EQ(plan.allocation.loss_nats, chinchilla.loss_nats);
      EXPECT_DOUBLE_EQ(plan.epochs, unique_tokens > 0 ? chinchilla.num_tokens / unique_tokens : 0.0);
    }
  }
}

TEST(PlanDataConstrained, BindingLimitMatchesBruteForce) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  const ReferenceLaw reference;
  for (const auto& [compute, unique_tokens] :
       {std::pair{1e24, 1e12}, std::pair{1e24, 1e11}, std::pair{1e24, 1e10}, std::pair{1e21, 1e9},
        std::pair{1e26, 5e11}}) {
    const DataConstrainedAllocation plan = PlanDataConstrained(law, compute, unique_tokens);
    ASSERT_TRUE(plan.data_limited);
    // Brute force: 400,001 sizes spanning 8 e-folds either side of the Chinchilla size, on 6 N D = C.
    const double center = std::log(plan.chinchilla.num_params);
    double best_loss = INFINITY, best_params = 0;
    for (int i = 0; i <= 400000; ++i) {
      const double n = std::exp(center - 8.0 + 16.0 * i / 400000);
      const double loss = reference.Loss(n, compute / (6 * n), unique_tokens);
      if (loss < best_loss) best_loss = loss, best_params = n;
    }
    EXPECT_LE(plan.allocation.loss_nats, best_loss + 1e-12) << compute << " " << unique_tokens;
    EXPECT_NEAR(plan.allocation.num_params / best_params, 1.0, 1e-4) << compute << " " << unique_tokens;
    EXPECT_NEAR(6 * plan.allocation.num_params * plan.allocation.num_tokens / compute, 1.0, 1e-12);
    EXPECT_DOUBLE_EQ(plan.epochs, plan.allocation.num_tokens / unique_tokens);
    EXPECT_GT(plan.allocation.num_tokens, unique_tokens);  // it repeats data rather than shrink D to U
    EXPECT_GT(plan.allocation.loss_nats, plan.chinchilla.loss_nats);
  }
}

TEST(PlanDataConstrained, FewerUniqueTokensMeanMoreEpochsAndHigherLoss) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  double previous_loss = 0, previous_epochs = 0;
  for (double unique_tokens : {1e12, 3e11, 1e11, 3e10, 1e10}) {
    const DataConstrainedAllocation plan = PlanDataConstrained(law, 1e24, unique_tokens);
    EXPECT_GT(plan.allocation.loss_nats, previous_loss);
    EXPECT_GT(plan.epochs, previous_epochs);
    previous_loss = plan.allocation.loss_nats;
    previous_epochs = plan.epochs;
  }
}

TEST(PlanDataConstrained, LeastComputeForLossReachesTheTargetAboveTheFloor) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  const double unique_tokens = 1e11;
  const double floor = DataConstrainedLossFloor(law, unique_tokens);
  // Written out: U_N = N_opt(C_U), E + A / (U_N (1 + R_N*))^alpha + B / (U (1 + R_D*))^beta.
  const ReferenceLaw reference;
  const double un = reference.OptimalParamsForTokens(unique_tokens);
  EXPECT_NEAR(floor,
              std::exp(reference.e) + std::exp(reference.a) / std::pow(un * (1 + reference.rn_star), reference.alpha) +
                  std::exp(reference.b) / std::pow(unique_tokens * (1 + reference.rd_star), reference.beta),
              1e-12);
  EXPECT_GT(PlanDataConstrained(law, 1e23, unique_tokens).allocation.loss_nats, floor);
  EXPECT_NEAR(PlanDataConstrained(law, 1e30, unique_tokens).allocation.loss_nats, floor, 1e-12);  // approached

  const auto plan = LeastComputeForLossDataConstrained(law, 2.1, unique_tokens);
  ASSERT_TRUE(plan.has_value());
  EXPECT_NEAR(plan->allocation.loss_nats, 2.1, 1e-10);
  EXPECT_TRUE(plan->data_limited);
  // The least compute: 0.1% less does not reach 2.1.
  EXPECT_GT(PlanDataConstrained(law, plan->allocation.compute_flops * 0.999, unique_tokens).allocation.loss_nats, 2.1);
  EXPECT_FALSE(LeastComputeForLossDataConstrained(law, floor, unique_tokens).has_value());
  EXPECT_FALSE(LeastComputeForLossDataConstrained(law, floor - 0.01, unique_tokens).has_value());
  // Without a limit it is Chinchilla's closed form.
  const auto free = LeastComputeForLossDataConstrained(law, 2.1, 0.0);
  ASSERT_TRUE(free.has_value());
  EXPECT_DOUBLE_EQ(free->allocation.compute_flops, law.base.LeastComputeForLoss(2.1)->compute_flops);
}

TEST(PlanDataConstrained, SaturationIsWhereTheLossComesWithinTheToleranceOfItsFloor) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  const double unique_tokens = 1e11;
  const double floor = DataConstrainedLossFloor(law, unique_tokens);
  const double saturation = DataConstrainedSaturationFlops(law, unique_tokens);
  ASSERT_GT(saturation, 0.0);
  // At the point: the floor plus the tolerance; 1% less compute stays above it; beyond, at most 1e-3 left to gain.
  EXPECT_NEAR(PlanDataConstrained(law, saturation, unique_tokens).allocation.loss_nats, floor + 1e-3, 1e-9);
  EXPECT_GT(PlanDataConstrained(law, saturation * 0.99, unique_tokens).allocation.loss_nats, floor + 1e-3);
  EXPECT_LT(PlanDataConstrained(law, saturation * 100, unique_tokens).allocation.loss_nats, floor + 1e-3);
  // A looser tolerance saturates earlier; no limit never saturates.
  EXPECT_LT(DataConstrainedSaturationFlops(law, unique_tokens, 1e-2), saturation);
  EXPECT_EQ(DataConstrainedSaturationFlops(law, 0.0), 0.0);
}

TEST(EvaluateDataConstrained, FixedRunReportsEpochsAndLoss) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  const DataConstrainedAllocation run = EvaluateDataConstrained(law, 2.81e9, 55e9, 4e9);
  EXPECT_DOUBLE_EQ(run.epochs, 55.0 / 4.0);
  EXPECT_DOUBLE_EQ(run.allocation.compute_flops, 6 * 2.81e9 * 55e9);
  EXPECT_NEAR(run.allocation.loss_nats, ReferenceLaw().Loss(2.81e9, 55e9, 4e9), 1e-12);
  EXPECT_TRUE(run.data_limited);
  EXPECT_DOUBLE_EQ(run.chinchilla.loss_nats, law.base.Loss(2.81e9, 55e9));
}

// ---------------------------------------------------------------------------------------------------------------
TEST(DataConstrainedRuns, BundledRunsAreTheNotebooksList) {
  const DataConstrainedRunsTable table = BundledMuennighoffRuns();
  ASSERT_EQ(table.runs.size(), 182u);
  EXPECT_EQ(table.unique_tokens_column, "U_unique_tokens");
  // First data row: 2b832b4b,2810000000,32000000000,4000000000,8.0,2.722962
  EXPECT_DOUBLE_EQ(table.runs[0].num_params, 2.81e9);
  EXPECT_DOUBLE_EQ(table.runs[0].num_tokens, 32e9);
  EXPECT_DOUBLE_EQ(table.runs[0].unique_tokens, 4e9);
  EXPECT_DOUBLE_EQ(table.runs[0].loss_nats, 2.722962);
  EXPECT_EQ(table.runs[0].line, 2);
  for (const DataConstrainedRun& run : table.runs) EXPECT_LE(run.unique_tokens, run.num_tokens) << run.line;
}

TEST(DataConstrainedRuns, AliasesAndLocatedErrors) {
  const auto table = ParseDataConstrainedRunsCsv("N,D,unique_tokens,loss\n1e9,20e9,5e9,2.9\n2B,40B,5B,2.8\n", "t.csv");
  ASSERT_EQ(table.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(table.runs[1].unique_tokens, 5e9);

  try {
    ParseDataConstrainedRunsCsv("N,D,loss\n1e9,20e9,2.9\n", "t.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "t.csv:1: missing column for U (unique tokens): the header has 'N', 'D', 'loss'; accepted names are u, "
              "unique_tokens, u_unique_tokens, num_unique_tokens, u_d");
  }
  try {
    ParseDataConstrainedRunsCsv("N,D,U,loss\n1e9,20e9,5e9,2.9\n1e9,20e9,-3,2.9\n", "t.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "t.csv:3: column 3 ('U'): must be positive: '-3'");
  }
  EXPECT_THROW(LoadDataConstrainedRunsCsv("/nonexistent/runs.csv"), InputError);
}

// ---------------------------------------------------------------------------------------------------------------
TEST(MinimizeScanGolden, FindsTheMinimumAndSkipsUndefinedRegions) {
  const ScalarMinimum parabola = MinimizeScanGolden([](double x) { return (x - 0.3) * (x - 0.3) + 1.0; }, -1, 2);
  EXPECT_NEAR(parabola.x, 0.3, 3e-8);  // a smooth minimum is resolved to about sqrt(machine epsilon)
  EXPECT_DOUBLE_EQ(parabola.value, 1.0);
  // Undefined (NaN or infinite) left of 0.5; the minimum sits at the edge of the defined region's interior.
  const ScalarMinimum cut = MinimizeScanGolden(
      [](double x) { return x < 0.5 ? NAN : std::fabs(x - 0.7); }, 0, 1, 101);
  EXPECT_NEAR(cut.x, 0.7, 1e-9);
  EXPECT_THROW(MinimizeScanGolden([](double x) { return x; }, 1, 0), InternalError);
}

}  // namespace
}  // namespace scaleplan
