#include "core/inference_allocation.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// Besiroglu et al. 2024's point estimate (REFERENCE section 1).
const ChinchillaLaw kEpoch{1.817, 482.01, 2085.43, 0.3478, 0.3658};

// Brute force over log N on a fine grid: the objective 6 N D(N) + weight 2 N T with D(N) from the closed form,
// written out here independently of core/.
struct BruteForce {
  double num_params = 0, num_tokens = 0, objective = INFINITY;
};
BruteForce SearchGrid(const ChinchillaLaw& law, double loss, double inference_tokens, double weight) {
  const double n_min = std::pow(law.A / (loss - law.E), 1 / law.alpha);
  BruteForce best;
  // N from n_min (1 + 1e-6) to n_min e^12, 600,001 points in log(log(N / n_min)).
  const double lo = std::log(std::log(1 + 1e-6)), hi = std::log(12.0);
  for (int i = 0; i <= 600000; ++i) {
    const double n = n_min * std::exp(std::exp(lo + (hi - lo) * i / 600000));
    const double d = std::pow(law.B / (loss - law.E - law.A / std::pow(n, law.alpha)), 1 / law.beta);
    const double objective = 6 * n * d + weight * 2 * n * inference_tokens;
    if (objective < best.objective) best = {n, d, objective};
  }
  return best;
}

TEST(PlanInferenceAware, NoInferenceIsTheChinchillaPlanForTheLoss) {
  InferenceCostOptions options;
  const auto plan = PlanInferenceAware(kEpoch, 2.0, options);
  ASSERT_TRUE(plan.has_value());
  const Allocation chinchilla = *kEpoch.LeastComputeForLoss(2.0);
  EXPECT_EQ(plan->allocation.num_params, chinchilla.num_params);
  EXPECT_EQ(plan->chinchilla.num_params, chinchilla.num_params);
  EXPECT_DOUBLE_EQ(plan->flops_saving_fraction, 0.0);
  EXPECT_FALSE(PlanInferenceAware(kEpoch, kEpoch.E, options).has_value());
}

TEST(PlanInferenceAware, MatchesBruteForce) {
  for (double loss : {2.3, 2.0, 1.95}) {
    for (double inference_tokens : {1e11, 1e12, 1e13, 1e14, 1e15}) {
      InferenceCostOptions options;
      options.inference_tokens = inference_tokens;
      const auto plan = PlanInferenceAware(kEpoch, loss, options);
      ASSERT_TRUE(plan.has_value());
      const BruteForce best = SearchGrid(kEpoch, loss, inference_tokens, 1.0);
      const double objective = plan->cost.total_flops;
      EXPECT_LE(objective, best.objective * (1 + 1e-12)) << loss << " " << inference_tokens;
      EXPECT_NEAR(plan->allocation.num_params / best.num_params, 1.0, 1e-3) << loss << " " << inference_tokens;
      EXPECT_NEAR(plan->allocation.loss_nats, loss, 1e-12);
      EXPECT_DOUBLE_EQ(plan->cost.inference_flops, 2 * plan->allocation.num_params * inference_tokens);
      // Smaller and longer-trained than the Chinchilla-optimal model of the same loss, and cheaper overall.
      EXPECT_LT(plan->allocation.num_params, plan->chinchilla.num_params);
      EXPECT_GT(plan->allocation.tokens_per_param, plan->chinchilla.tokens_per_param);
      EXPECT_GT(plan->flops_saving_fraction, 0.0);
      EXPECT_NEAR(plan->flops_saving_fraction, 1 - objective / plan->chinchilla_cost.total_flops, 1e-15);
    }
  }
}

TEST(PlanInferenceAware, MoreDemandMeansSmallerModels) {
  double previous = INFINITY;
  for (double inference_tokens : {0.0, 1e11, 1e12, 1e13, 1e14}) {
    InferenceCostOptions options;
    options.inference_tokens = inference_tokens;
    const double num_params = PlanInferenceAware(kEpoch, 2.0, options)->allocation.num_params;
    EXPECT_LT(num_params, previous);
    previous = num_params;
  }
}

TEST(PlanInferenceAware, SlowerInferenceWeighsLikeMoreDemand) {
  // Inference at half the training MFU costs twice the device-time per FLOP: the same optimum as twice the demand.
  InferenceCostOptions slow;
  slow.inference_tokens = 1e13;
  slow.training_mfu = 0.4;
  slow.inference_mfu = 0.2;
  EXPECT_DOUBLE_EQ(slow.InferenceFlopWeight(), 2.0);
  InferenceCostOptions doubled;
  doubled.inference_tokens = 2e13;
  const auto a = PlanInferenceAware(kEpoch, 2.0, slow);
  const auto b = PlanInferenceAware(kEpoch, 2.0, doubled);
  EXPECT_NEAR(a->allocation.num_params / b->allocation.num_params, 1.0, 1e-6);
  const BruteForce best = SearchGrid(kEpoch, 2.0, 1e13, 2.0);
  EXPECT_NEAR(a->allocation.num_params / best.num_params, 1.0, 1e-3);

  // Prices: inference at 3 USD/h against training at 2 USD/h, same MFU, weighs 1.5.
  InferenceCostOptions priced;
  priced.inference_tokens = 1e13;
  priced.peak_flops_per_second = 989e12;
  priced.training_price_usd_per_hour = 2.0;
  priced.inference_price_usd_per_hour = 3.0;
  EXPECT_DOUBLE_EQ(priced.InferenceFlopWeight(), 1.5);
  const auto plan = PlanInferenceAware(kEpoch, 2.0, priced);
  const double hours_train = plan->cost.training_flops / (989e12 * 0.4) / 3600;
  const double hours_infer = plan->cost.inference_flops / (989e12 * 0.4) / 3600;
  EXPECT_DOUBLE_EQ(plan->cost.training_device_hours, hours_train);
  EXPECT_NEAR(plan->cost.cost_usd, 2.0 * hours_train + 3.0 * hours_infer, 1e-9 * plan->cost.cost_usd);
  EXPECT_NEAR(plan->cost_saving_fraction, 1 - plan->cost.cost_usd / plan->chinchilla_cost.cost_usd, 1e-15);
  EXPECT_NEAR(plan->allocation.num_params / SearchGrid(kEpoch, 2.0, 1e13, 1.5).num_params, 1.0, 1e-3);
}

TEST(PlanInferenceAware, OptionsAreChecked) {
  InferenceCostOptions options;
  std::string why;
  options.inference_tokens = -1;
  EXPECT_FALSE(options.Check(&why));
  options = {};
  options.inference_price_usd_per_hour = 3.0;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "an inference price needs a training price to compare it with");
  EXPECT_THROW(PlanInferenceAware(kEpoch, 2.0, options), InternalError);
}

TEST(PlanInferenceAwareForCompute, TargetIsTheBudgetsOptimalLoss) {
  DataConstrainedLaw law;
  law.base = kEpoch;
  InferenceCostOptions options;
  options.inference_tokens = 1e13;
  const InferenceAwarePlan plan = PlanInferenceAwareForCompute(law, 0.0, 5.76e23, options);
  const Allocation chinchilla = kEpoch.ComputeOptimal(5.76e23);
  EXPECT_EQ(plan.chinchilla.num_params, chinchilla.num_params);
  EXPECT_DOUBLE_EQ(plan.loss_nats, chinchilla.loss_nats);
  EXPECT_NEAR(plan.allocation.loss_nats, chinchilla.loss_nats, 1e-12);
  EXPECT_GT(plan.cost.training_flops, 5.76e23);  // a smaller model needs more training compute for the same loss
  EXPECT_LT(plan.cost.total_flops, plan.chinchilla_cost.total_flops);
}

TEST(PlanInferenceAwareWithinBudget, TrainsOnTheBudgetAtTheLeastLifetimeFlopsForItsLoss) {
  DataConstrainedLaw law;
  law.base = kEpoch;
  InferenceCostOptions options;
  options.inference_tokens = 1e15;
  const double budget = 1e24;
  const InferenceAwarePlan plan = PlanInferenceAwareWithinBudget(law, 0.0, budget, options);
  const Allocation chinchilla = kEpoch.ComputeOptimal(budget);
  // Exactly the training budget, a smaller model than Chinchilla's and so a higher loss.
  EXPECT_LE(plan.allocation.compute_flops, budget);
  EXPECT_NEAR(plan.allocation.compute_flops, budget, 1e-6 * budget);
  EXPECT_LT(plan.allocation.num_params, chinchilla.num_params);
  EXPECT_GT(plan.loss_nats, chinchilla.loss_nats);
  EXPECT_NEAR(plan.allocation.loss_nats, plan.loss_nats, 1e-9);
  // Brute force over N at that loss: D(N) = (B / (L - E - A / N^alpha))^(1/beta); none serves it for fewer FLOPs.
  const double loss = plan.loss_nats;
  double best = INFINITY;
  for (double log_n = 8.0; log_n < 13.0; log_n += 1e-4) {
    const double n = std::pow(10.0, log_n);
    const double rest = loss - kEpoch.E - kEpoch.A / std::pow(n, kEpoch.alpha);
    if (!(rest > 0.0)) continue;
    const double d = std::pow(kEpoch.B / rest, 1.0 / kEpoch.beta);
    best = std::min(best, 6.0 * n * d + 2.0 * n * options.inference_tokens);
  }
  EXPECT_GE(best, plan.cost.total_flops * (1.0 - 1e-6));
  EXPECT_NEAR(best, plan.cost.total_flops, 1e-4 * best);
  // Without inference the question has one answer: the compute-optimal plan.
  options.inference_tokens = 0.0;
  EXPECT_NEAR(PlanInferenceAwareWithinBudget(law, 0.0, budget, options).allocation.num_params, chinchilla.num_params,
              1e-9 * chinchilla.num_params);
}

TEST(PlanInferenceAware, DataConstrainedMatchesBruteForce) {
  const DataConstrainedLaw law = MuennighoffC4Law();
  const double unique_tokens = 3e11, loss = 2.2;
  InferenceCostOptions options;
  options.inference_tokens = 1e13;
  const auto plan = PlanInferenceAware(law, unique_tokens, loss, options);
  ASSERT_TRUE(plan.has_value());
  EXPECT_NEAR(plan->allocation.loss_nats, loss, 1e-12);
  EXPECT_DOUBLE_EQ(plan->epochs, plan->allocation.num_tokens / unique_tokens);
  // Brute force: for each N on a grid, the D reaching the loss by bisection, then the cheapest.
  const double n_min = std::pow(law.base.A / (loss - law.base.E), 1 / law.base.alpha);
  double best_objective = INFINITY, best_params = 0;
  for (int i = 0; i <= 20000; ++i) {
    const double n = n_min * std::exp(std::exp(std::log(1e-4) + (std::log(6.0) - std::log(1e-4)) * i / 20000));
    double lo = 1e3, hi = 1e20;
    if (law.Loss(n, hi, unique_tokens) > loss) continue;
    for (int k = 0; k < 200; ++k) {
      const double mid = std::sqrt(lo * hi);
      (law.Loss(n, mid, unique_tokens) > loss ? lo : hi) = mid;
    }
    const double objective = 6 * n * hi + 2 * n * 1e13;
    if (objective < best_objective) best_objective = objective, best_params = n;
  }
  EXPECT_LE(plan->cost.total_flops, best_objective * (1 + 1e-9));
  EXPECT_NEAR(plan->allocation.num_params / best_params, 1.0, 2e-3);
  EXPECT_GT(plan->epochs, plan->chinchilla_epochs);  // a smaller model repeats the data more
}

}  // namespace
}  // namespace scaleplan
