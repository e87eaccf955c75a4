#include "core/extrapolation.h"

#include <string>

#include <gtest/gtest.h>

namespace scaleplan {
namespace {

// Runs spanning N in [1e8, 1e9], D in [2e9, 4e10] and C in [1.2e18, 2.4e20].
FitRanges Ranges() { return {1.2e18, 2.4e20, 1e8, 1e9, 2e9, 4e10}; }

Allocation At(double num_params, double num_tokens, double compute_flops) {
  Allocation allocation;
  allocation.num_params = num_params;
  allocation.num_tokens = num_tokens;
  allocation.compute_flops = compute_flops;
  return allocation;
}

TEST(Extrapolation, RangesOfRunsAreTheMinimaAndMaxima) {
  RunsTable table;
  table.runs = {{1e8, 4e10, 2.4e19, 3.0}, {1e9, 2e9, 1.2e19, 2.9}, {5e8, 1e10, 3e19, 2.8}};
  const FitRanges ranges = RangesOfRuns(table);
  EXPECT_EQ(ranges.num_params_min, 1e8);
  EXPECT_EQ(ranges.num_params_max, 1e9);
  EXPECT_EQ(ranges.num_tokens_min, 2e9);
  EXPECT_EQ(ranges.num_tokens_max, 4e10);
  EXPECT_EQ(ranges.compute_min_flops, 1.2e19);
  EXPECT_EQ(ranges.compute_max_flops, 3e19);
}

TEST(Extrapolation, WithinTheFactorNothingIsSaid) {
  // Exactly 10x beyond each maximum and below each minimum is not yet more than the factor.
  EXPECT_FALSE(ExtrapolationWarning(Ranges(), At(1e10, 4e11, 2.4e21)));
  EXPECT_FALSE(ExtrapolationWarning(Ranges(), At(1e7, 2e8, 1.2e17)));
}

TEST(Extrapolation, NAloneFiresJustPastTheFactor) {
  const auto warning = ExtrapolationWarning(Ranges(), At(1.01e10, 1e10, 1e20));
  ASSERT_TRUE(warning);
  EXPECT_EQ(*warning, "N is 10.1x the largest fitted model (1B parameters)");
}

TEST(Extrapolation, DAloneFiresJustPastTheFactorOnEitherSide) {
  auto warning = ExtrapolationWarning(Ranges(), At(5e8, 4.4e11, 1e20));
  ASSERT_TRUE(warning);
  EXPECT_EQ(*warning, "D is 11x the most tokens of any fitted run (40B tokens)");
  warning = ExtrapolationWarning(Ranges(), At(5e8, 1e8, 1e20));
  ASSERT_TRUE(warning);
  EXPECT_EQ(*warning, "D is 20x below the fewest tokens of any fitted run (2B tokens)");
}

TEST(Extrapolation, ComputeComesFirstThenNThenD) {
  // C = 2.4e22 is 100x (2 orders of magnitude) beyond 2.4e20; N 20x; D 25x.
  const auto warning = ExtrapolationWarning(Ranges(), At(2e10, 1e12, 2.4e22));
  ASSERT_TRUE(warning);
  EXPECT_EQ(*warning,
            "extrapolates 100x (2.0 orders of magnitude) beyond the largest fitted run (2.4e+20 FLOPs); N is 20x the "
            "largest fitted model (1B parameters); D is 25x the most tokens of any fitted run (40B tokens)");
}

TEST(Extrapolation, UnknownRangesAreNotChecked) {
  EXPECT_FALSE(ExtrapolationWarning(FitRanges{}, At(1e15, 1e15, 1e30)));
  FitRanges compute_only;
  compute_only.compute_max_flops = 1e20;
  EXPECT_FALSE(ExtrapolationWarning(compute_only, At(1e15, 1e15, 1e21)));
}

}  // namespace
}  // namespace scaleplan
