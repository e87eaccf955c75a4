#include "core/chinchilla_law.h"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace scaleplan {
namespace {

constexpr double kGopherCompute = 5.76e23;

ChinchillaLaw Law(const char* name) { return FindPublishedLaw(name)->law; }

// Brute force: minimise L(N, C/(6N)) over a fine log grid of N, refined by golden-section search.
double BruteForceOptimalParams(const ChinchillaLaw& law, double compute_flops) {
  auto loss_at = [&](double log_n) {
    const double n = std::exp(log_n);
    return law.Loss(n, compute_flops / (6.0 * n));
  };
  double best = 0.0;
  double best_loss = INFINITY;
  for (double log_n = std::log(1e6); log_n < std::log(1e15); log_n += 0.01) {
    if (loss_at(log_n) < best_loss) {
      best_loss = loss_at(log_n);
      best = log_n;
    }
  }
  double lo = best - 0.01;
  double hi = best + 0.01;
  const double phi = (std::sqrt(5.0) - 1) / 2;
  for (int i = 0; i < 200; ++i) {
    const double m1 = hi - phi * (hi - lo);
    const double m2 = lo + phi * (hi - lo);
    (loss_at(m1) < loss_at(m2) ? hi : lo) = (loss_at(m1) < loss_at(m2) ? m2 : m1);
  }
  return std::exp((lo + hi) / 2);
}

TEST(ChinchillaLaw, AllocationMatchesPublishedCheckValuesAtGopherBudget) {
  struct Case {
    const char* law;
    double num_params, num_tokens, tokens_per_param;
    double tolerance;  // relative; Epoch's coefficients are published to 4 digits, which moves N_opt by ~0.3%
  };
  // REFERENCE section 2 (recomputed check values), C = 5.76e23.
  for (const Case& c : {Case{"hoffmann", 32.2e9, 2.98e12, 92.6, 0.002},
                        Case{"hoffmann-unrounded", 40.4e9, 2.38e12, 58.9, 0.002},
                        Case{"epoch", 72.4e9, 1.33e12, 18.3, 0.006}}) {
    Allocation a = Law(c.law).ComputeOptimal(kGopherCompute);
    EXPECT_NEAR(a.num_params / c.num_params, 1.0, c.tolerance) << c.law;
    EXPECT_NEAR(a.num_tokens / c.num_tokens, 1.0, c.tolerance) << c.law;
    EXPECT_NEAR(a.tokens_per_param / c.tokens_per_param, 1.0, 1.5 * c.tolerance) << c.law;
    EXPECT_NEAR(6 * a.num_params * a.num_tokens / kGopherCompute, 1.0, 1e-12) << c.law;
  }
}

// G = (alpha A / (beta B))^(1/(alpha+beta)): with alpha = 1e-300 the base is ~1e-300 and G underflows to 0, so no
// compute-optimal allocation exists although every coefficient is positive.
TEST(ChinchillaLaw, CheckRefusesALawWithoutAnAllocation) {
  std::string why;
  EXPECT_TRUE(Law("hoffmann").Check(&why)) << why;
  ChinchillaLaw law = Law("hoffmann");
  law.alpha = 1e-300;
  EXPECT_FALSE(law.Check(&why));
  EXPECT_NE(why.find("no compute-optimal allocation"), std::string::npos) << why;
}

// An allocation is reportable with N, D >= 1 and a finite loss; the bounds are inclusive.
TEST(ChinchillaLaw, CheckAllocationBoundsNAndD) {
  Allocation ok{1.0, 1.0, 6.0, 1.0, 3.0};
  std::string why;
  EXPECT_TRUE(CheckAllocation(ok, &why)) << why;
  Allocation tiny_d = ok;
  tiny_d.num_tokens = 0.999;
  EXPECT_FALSE(CheckAllocation(tiny_d, &why));
  EXPECT_EQ(why, "D = 9.99e-01 tokens is out of range");
  Allocation huge_n = ok;
  huge_n.num_params = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(CheckAllocation(huge_n, &why));
  EXPECT_EQ(why, "N = inf parameters is out of range");
  Allocation nan_loss = ok;
  nan_loss.loss_nats = std::nan("");
  EXPECT_FALSE(CheckAllocation(nan_loss, &why));
}

TEST(ChinchillaLaw, ClosedFormEqualsBruteForceSearch) {
  for (const NamedLaw& named : PublishedLaws()) {
    for (double compute_flops : {1e18, 5.76e23, 1e27}) {
      const double brute = BruteForceOptimalParams(named.law, compute_flops);
      EXPECT_NEAR(named.law.ComputeOptimal(compute_flops).num_params / brute, 1.0, 1e-6)
          << named.name << " at " << compute_flops;
    }
  }
}

TEST(ChinchillaLaw, ExponentsFollowFromAlphaAndBeta) {
  ChinchillaLaw law = Law("hoffmann");
  EXPECT_NEAR(law.ExponentParams(), 0.28 / 0.62, 1e-15);
  EXPECT_NEAR(law.ExponentTokens(), 0.34 / 0.62, 1e-15);
  // Doubling compute scales N_opt by 2^a.
  EXPECT_NEAR(law.ComputeOptimal(2e24).num_params / law.ComputeOptimal(1e24).num_params,
              std::pow(2.0, law.ExponentParams()), 1e-12);
}

TEST(ChinchillaLaw, ParamsInverseRoundTrips) {
  ChinchillaLaw law = Law("epoch");
  Allocation forward = law.ComputeOptimal(5.76e23);
  Allocation back = law.ComputeOptimalForParams(forward.num_params);
  EXPECT_NEAR(back.compute_flops / 5.76e23, 1.0, 1e-12);
  EXPECT_NEAR(back.num_tokens / forward.num_tokens, 1.0, 1e-12);
  EXPECT_NEAR(back.loss_nats, forward.loss_nats, 1e-12);
}

TEST(ChinchillaLaw, LeastComputeForLossEqualsBruteForce) {
  ChinchillaLaw law = Law("hoffmann");
  const double target = 2.0;
  auto allocation = law.LeastComputeForLoss(target);
  ASSERT_TRUE(allocation.has_value());
  EXPECT_NEAR(allocation->loss_nats, target, 1e-12);
  // Brute force: for each N, the tokens that reach the target, and the least 6 N D over N.
  double best_compute = INFINITY;
  for (double log_n = std::log(1e8); log_n < std::log(1e13); log_n += 1e-4) {
    const double n = std::exp(log_n);
    const double slack = target - law.E - law.A / std::pow(n, law.alpha);
    if (slack <= 0) continue;
    best_compute = std::min(best_compute, 6 * n * std::pow(law.B / slack, 1 / law.beta));
  }
  EXPECT_NEAR(allocation->compute_flops / best_compute, 1.0, 1e-6);
  EXPECT_FALSE(law.LeastComputeForLoss(1.69).has_value());
  EXPECT_FALSE(law.LeastComputeForLoss(1.0).has_value());
}

TEST(ChinchillaLaw, FixedModelOnFixedBudget) {
  ChinchillaLaw law = Law("hoffmann");
  Allocation a = law.ForParamsAndCompute(70e9, 5.76e23);
  EXPECT_DOUBLE_EQ(a.num_tokens, 5.76e23 / (6 * 70e9));
  EXPECT_DOUBLE_EQ(a.loss_nats, 1.69 + 406.4 / std::pow(70e9, 0.34) + 410.7 / std::pow(a.num_tokens, 0.28));
  // Off the frontier the loss is higher than at the optimum.
  EXPECT_GT(a.loss_nats, law.ComputeOptimal(5.76e23).loss_nats);
}

TEST(ChinchillaLaw, CheckRejectsNonPositiveCoefficients) {
  std::string why;
  EXPECT_TRUE(Law("epoch").Check(&why));
  ChinchillaLaw bad = Law("epoch");
  bad.beta = 0;
  EXPECT_FALSE(bad.Check(&why));
  EXPECT_EQ(why.substr(0, 30), "beta must be finite and positi");
  EXPECT_FALSE(FindPublishedLaw("nope").has_value());
  EXPECT_TRUE(FindPublishedLaw("EPOCH").has_value());
}

}  // namespace
}  // namespace scaleplan
