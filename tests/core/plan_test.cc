// The plan pipeline (core/plan.h) against closed forms computed here from the law's coefficients.
#include "core/plan.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/error.h"
#include "core/statistics.h"

namespace scaleplan {
namespace {

// Hoffmann et al. 2022's published law, with the range of the bundled runs it was fitted on.
PlanLaw HoffmannLaw() {
  PlanLaw law;
  law.saved.law = FindPublishedLaw("hoffmann")->law;
  law.saved.description = "hoffmann";
  law.saved.compute_max = 1.3e22;
  law.data_constrained.base = law.saved.law;
  return law;
}

PlanRequest Budget(double compute_flops) {
  PlanRequest request;
  request.mode = PlanMode::COMPUTE_OPTIMAL;
  request.compute_flops = compute_flops;
  return request;
}

TEST(MakePlan, ABudgetGivesTheClosedFormAllocation) {
  const PlanLaw law = HoffmannLaw();
  const ChinchillaLaw& l = law.saved.law;
  const double c = 5.76e23;
  // Hoffmann et al. eq. 4: N_opt = G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)).
  const double g = std::pow(l.alpha * l.A / (l.beta * l.B), 1.0 / (l.alpha + l.beta));
  const double n = g * std::pow(c / 6.0, l.beta / (l.alpha + l.beta));
  const double d = c / (6.0 * n);
  const Plan plan = MakePlan(law, Budget(c));
  EXPECT_EQ(plan.mode, "compute-optimal");
  EXPECT_NEAR(plan.allocation.num_params / n, 1.0, 1e-12);
  EXPECT_NEAR(plan.allocation.num_tokens / d, 1.0, 1e-12);
  EXPECT_NEAR(plan.allocation.loss_nats, l.E + l.A / std::pow(n, l.alpha) + l.B / std::pow(d, l.beta), 1e-12);
  EXPECT_EQ(plan.budget_flops, c);
  ASSERT_TRUE(plan.hyperparams.has_value());
  EXPECT_FALSE(plan.hardware.has_value());
  EXPECT_FALSE(plan.frontier.has_value());
  // 5.76e23 is 44x the largest fitted run: said once.
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0].rfind("extrapolates 44.3x", 0), 0u) << plan.warnings[0];
}

TEST(MakePlan, AnInferenceDemandAsksTwoQuestionsOfABudget) {
  const PlanLaw law = HoffmannLaw();
  PlanRequest aware = Budget(1e24);
  aware.options.inference_tokens = 1e15;
  PlanRequest within = aware;
  within.mode = PlanMode::WITHIN_BUDGET;
  const Plan a = MakePlan(law, aware), w = MakePlan(law, within);
  const Plan optimal = MakePlan(law, Budget(1e24));
  EXPECT_EQ(a.mode, "inference-aware");
  EXPECT_EQ(w.mode, "within-budget");
  // The inference-aware row keeps the budget's loss and trains past the budget; the other trains on the budget.
  EXPECT_NEAR(a.allocation.loss_nats, optimal.allocation.loss_nats, 1e-9);
  EXPECT_GT(a.allocation.compute_flops, 1e24);
  EXPECT_LE(w.allocation.compute_flops, 1e24);
  EXPECT_NEAR(w.allocation.compute_flops / 1e24, 1.0, 1e-6);
  EXPECT_GT(w.allocation.loss_nats, a.allocation.loss_nats);
  EXPECT_LT(w.inference->cost.total_flops, a.inference->cost.total_flops);
  // Without inference tokens the second question does not exist.
  PlanRequest bare = Budget(1e24);
  bare.mode = PlanMode::WITHIN_BUDGET;
  EXPECT_THROW(MakePlan(law, bare), UsageError);
}

TEST(MakePlan, ATargetLossAtOrBelowTheFloorIsRefused) {
  const PlanLaw law = HoffmannLaw();
  PlanRequest request;
  request.mode = PlanMode::TARGET_LOSS;
  request.loss_target = law.saved.law.E;
  EXPECT_THROW(MakePlan(law, request), UsageError);
  request.loss_target = law.saved.law.E + 0.2;
  const Plan plan = MakePlan(law, request);
  EXPECT_NEAR(plan.allocation.loss_nats, request.loss_target, 1e-9);
}

TEST(MakePlan, ABudgetSizeOrTargetThatIsNoQuantityIsAUsageErrorNamingTheOption) {
  // Not an internal error from deep in the allocation: the command line's message for the option that asks it.
  const PlanLaw law = HoffmannLaw();
  const auto message = [&](const PlanRequest& request) -> std::string {
    try {
      MakePlan(law, request);
    } catch (const UsageError& error) {
      return error.what();
    }
    return "no error";
  };
  EXPECT_EQ(message(Budget(-1e23)), "--compute: must be positive: '-1e+23'");
  EXPECT_EQ(message(Budget(std::nan(""))), "--compute: NaN is not a value: 'nan'");
  EXPECT_EQ(message(Budget(HUGE_VAL)), "--compute: infinite value: 'inf'");
  PlanRequest size;
  size.mode = PlanMode::PARAMS;
  size.num_params = -7e9;
  EXPECT_EQ(message(size), "--params: must be positive: '-7e+09'");
  size.mode = PlanMode::PARAMS_AND_COMPUTE;
  size.num_params = 7e9;
  size.compute_flops = 0.0;
  EXPECT_EQ(message(size), "--compute: must be positive: '0'");
  PlanRequest target;
  target.mode = PlanMode::TARGET_LOSS;
  target.loss_target = HUGE_VAL;
  EXPECT_EQ(message(target), "--target-loss: infinite value: 'inf'");
}

TEST(MakePlan, AGivenMfuTimesTheRunAsSixNDOverTheClusterRate) {
  const PlanLaw law = HoffmannLaw();
  PlanRequest request = Budget(1e23);
  request.options.accelerator = BundledHardwareCatalogue().Find("H100-SXM");
  request.options.mfu_given = true;
  request.options.training.mfu = 0.4;
  request.options.training.num_accelerators = 1024;
  const Plan plan = MakePlan(law, request);
  ASSERT_TRUE(plan.hardware.has_value());
  EXPECT_FALSE(plan.frontier.has_value());
  const double peak = request.options.accelerator->DenseFlopsPerSecond(NumericType::BF16);
  EXPECT_NEAR(plan.hardware->time.days, 1e23 / (1024 * peak * 0.4) / 86400.0, 1e-9);
  // The count that finishes in 90 days at that rate, by hand.
  EXPECT_EQ(plan.hardware->devices_for_reference_days,
            static_cast<std::int64_t>(std::ceil(1e23 / (peak * 0.4 * 90 * 86400.0))));
}

// A plan timed at a given MFU speaks of one shape: the hyper-parameters' note on DeepSeek's M is at the shape whose
// memory the hardware stage reports (the practical shape that fits on the fewest devices), not at another proposal.
TEST(MakePlan, AGivenMfuPlanNamesOneShapeInItsMemoryAndHyperparameters) {
  const PlanLaw law = HoffmannLaw();
  PlanRequest request = Budget(5.76e23);
  request.options.accelerator = BundledHardwareCatalogue().Find("H100-SXM");
  request.options.mfu_given = true;
  request.options.training.mfu = 0.4;
  const Plan plan = MakePlan(law, request);
  ASSERT_TRUE(plan.hardware.has_value() && plan.hardware->memory.has_shape);
  const TransformerShape& shape = plan.hardware->memory.shape;
  EXPECT_EQ(plan.memory.shape.num_layers, shape.num_layers);
  EXPECT_EQ(plan.memory.shape.d_model, shape.d_model);
  const std::string at_shape =
      "at this shape (" + std::to_string(shape.num_layers) + " x " + std::to_string(shape.d_model) + ",";
  ASSERT_TRUE(plan.hyperparams.has_value());
  bool found = false;
  for (const std::string& note : plan.hyperparams->notes) found = found || note.find(at_shape) != std::string::npos;
  EXPECT_TRUE(found) << at_shape;
}

TEST(MakePlan, AGivenMfuNeverTimesMoreDevicesThanTheBatchKeepsBusy) {
  // 1e23 FLOPs in 0.001 days at 40% of an H100 would need ~2.9M devices; a step of the plan's batch has a few
  // thousand sequences, each split at most over a node's 8 devices (tensor parallelism) x 4 (context parallelism of a
  // 4,096-token sequence): the count is capped there and the plan is infeasible.
  const PlanLaw law = HoffmannLaw();
  PlanRequest request = Budget(1e23);
  request.options.accelerator = BundledHardwareCatalogue().Find("H100-SXM");
  request.options.mfu_given = true;
  request.options.training.mfu = 0.4;
  request.options.training.num_accelerators = 0;
  request.options.training.max_days = 0.001;
  const Plan plan = MakePlan(law, request);
  ASSERT_TRUE(plan.hardware.has_value());
  const double peak = request.options.accelerator->DenseFlopsPerSecond(NumericType::BF16);
  const auto needed = static_cast<std::int64_t>(std::ceil(1e23 / (peak * 0.4 * 0.001 * 86400.0)));
  ASSERT_EQ(plan.hardware->memory.shape.context_length, 4096);
  const auto sequences = static_cast<std::int64_t>(std::round(plan.hyperparams->batch_tokens / 4096.0));
  const std::int64_t limit = sequences * 8 * 4;
  ASSERT_LT(limit, needed);
  EXPECT_EQ(plan.hardware->time.num_accelerators, limit);
  EXPECT_EQ(plan.hardware->time.min_devices_for_days, needed);
  EXPECT_NEAR(plan.hardware->time.days, 1e23 / (static_cast<double>(limit) * peak * 0.4) / 86400.0, 1e-9);
  EXPECT_FALSE(plan.hardware->time.feasible);
  EXPECT_TRUE(plan.Failed());
  const std::vector<std::string>& reasons = plan.hardware->verdict.reasons;
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons.back().rfind(std::to_string(needed) + " devices would be needed, but the global batch of " +
                                     std::to_string(sequences) + " sequences",
                                 0),
            0u)
      << reasons.back();
  // A given count above the bound is flagged the same way; one at it is not, nor one above the sequences alone.
  request.options.training.max_days = 0.0;
  request.options.training.num_accelerators = limit + 1;
  EXPECT_FALSE(MakePlan(law, request).hardware->time.feasible);
  request.options.training.num_accelerators = limit;
  EXPECT_TRUE(MakePlan(law, request).hardware->time.feasible);
  request.options.training.num_accelerators = 4 * sequences;
  EXPECT_TRUE(MakePlan(law, request).hardware->time.feasible);
}

TEST(MakePlan, WithoutAnMfuADeviceWithInterconnectFiguresGetsTheLayoutSearch) {
  const PlanLaw law = HoffmannLaw();
  PlanRequest request = Budget(1e24);
  request.options.accelerator = BundledHardwareCatalogue().Find("H100-SXM");
  const Plan plan = MakePlan(law, request);
  ASSERT_TRUE(plan.frontier.has_value());
  EXPECT_FALSE(plan.hardware.has_value());
  ASSERT_NE(plan.frontier->Best(), nullptr);
  // The search lays out the plan's own tokens and the hyper-parameter law's batch.
  EXPECT_GT(plan.frontier->Best()->mfu, 0.2);
  EXPECT_LT(plan.frontier->Best()->mfu, 0.7);
  EXPECT_EQ(PlanToJson(plan, law, request.options)["interconnect_source"], "catalogue");
}

TEST(MakePlan, IntervalsArePercentilesOfThePlanUnderEachResampledLaw) {
  PlanLaw law = HoffmannLaw();
  std::vector<double> n_opt;
  for (int i = 0; i < 21; ++i) {
    ChinchillaLaw sample = law.saved.law;
    sample.alpha *= 0.95 + 0.005 * i;
    law.saved.bootstrap_laws.push_back(sample);
    n_opt.push_back(sample.ComputeOptimal(1e23).num_params);
  }
  law.saved.confidence = 0.9;
  const Plan plan = MakePlan(law, Budget(1e23));
  ASSERT_TRUE(plan.intervals.has_value());
  const auto [lower, upper] = PercentileInterval(n_opt, 0.9);
  EXPECT_DOUBLE_EQ(plan.intervals->num_params.lower, lower);
  EXPECT_DOUBLE_EQ(plan.intervals->num_params.upper, upper);
  EXPECT_EQ(plan.intervals->num_laws, 21);
}

TEST(PlanOptionsResolution, PrecisionAndAcceleratorAreResolvedWithTheCommandLineMessages) {
  EXPECT_EQ(ParsePlanPrecision("bf16"), NumericType::BF16);
  EXPECT_EQ(ParsePlanPrecision("FP8"), NumericType::FP8);
  try {
    ParsePlanPrecision("fp16");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "--precision: must be bf16 or fp8: 'fp16'");
  }
  // The catalogue's H100-SXM: 989 TFLOP/s dense BF16 (NVIDIA's H100 datasheet), 80 GB.
  const Accelerator h100 = ResolveAccelerator("h100-sxm", "");
  EXPECT_EQ(h100.name, "H100-SXM");
  EXPECT_DOUBLE_EQ(h100.DenseFlopsPerSecond(NumericType::BF16), 989e12);
  try {
    ResolveAccelerator("H999", "");
    FAIL() << "expected a UsageError";
  } catch (const UsageError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("unknown --accelerator 'H999' (known: H100-SXM, ", 0), 0)
        << error.what();
  }
  EXPECT_THROW(ResolveAccelerator("H100-SXM", "", "/nonexistent/hardware.json"), InputError);
  EXPECT_EQ(PlanProfileMismatch("H100-SXM", ""), "");
}

TEST(PlanOptionsResolution, RecomputeChoicesAreTheFourNamesExactly) {
  EXPECT_EQ(ParseRecomputeChoice("auto"), RecomputeChoice::AUTO);
  EXPECT_EQ(ParseRecomputeChoice("none"), RecomputeChoice::NONE);
  EXPECT_EQ(ParseRecomputeChoice("selective"), RecomputeChoice::SELECTIVE);
  EXPECT_EQ(ParseRecomputeChoice("full"), RecomputeChoice::FULL);
  for (const char* text : {"Full", "partial", ""}) {
    try {
      ParseRecomputeChoice(text);
      ADD_FAILURE() << "expected a UsageError for '" << text << "'";
    } catch (const UsageError& error) {
      EXPECT_EQ(error.what(), "--recompute must be auto, none, selective or full, not '" + std::string(text) + "'");
    }
  }
}

}  // namespace
}  // namespace scaleplan
