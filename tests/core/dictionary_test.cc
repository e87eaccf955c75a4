#include "core/dictionary.h"

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/dictionary_runs.h"
#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// A made-up device with round figures, so that hand computations stay readable.
Accelerator RoundDevice() {
  Accelerator device;
  device.name = "round";
  device.memory_bytes = 10e9;
  device.memory_bytes_per_second = 2e12;
  device.price_usd_per_hour = 2.0;
  device.dense_flops_per_second[static_cast<int>(NumericType::BF16)] = 1e15;
  return device;
}

DictionaryOptions NoAux() {
  DictionaryOptions options;
  options.aux_k = AuxKRule::NONE;
  return options;
}

// Gao et al. 2024, eq. 3 with the published coefficients, written out here independently of core/.
double PublishedLoss(double n, double k) {
  const double ln_n = std::log(n), ln_k = std::log(k);
  return std::exp(-0.50 + 0.26 * ln_k - 0.017 * ln_n - 0.042 * ln_k * ln_n) + std::exp(-1.32 - 0.085 * ln_k);
}

// ---------------------------------------------------------------------------------------------------------------
TEST(DictionaryCost, FlopsPerTokenMatchHandComputedCases) {
  const DictionaryShape shape{4096, 65536, 32};
  // Sparse: 2 d n + 8 d k = 536,870,912 + 1,048,576; dense: 10 d n.
  EXPECT_DOUBLE_EQ(DictionaryFlopsPerToken(shape, DictionaryKernels::SPARSE, NoAux()), 537919488.0);
  EXPECT_DOUBLE_EQ(DictionaryFlopsPerToken(shape, DictionaryKernels::DENSE, NoAux()), 2684354560.0);
  // AuxK with k_aux = d/2 = 2048 (a power of two; the dead pool 0.07 n = 4587 is larger) adds 8 d k_aux to both.
  EXPECT_DOUBLE_EQ(DictionaryFlopsPerToken(shape, DictionaryKernels::SPARSE), 537919488.0 + 67108864.0);
  EXPECT_DOUBLE_EQ(DictionaryFlopsPerToken(shape, DictionaryKernels::DENSE), 2684354560.0 + 67108864.0);
}

TEST(DictionaryCost, AuxLatentsFollowTheRuleAndItsCaps) {
  EXPECT_EQ(AuxLatents({4096, 1e6, 32}, AuxKRule::HALF_D_MODEL, 0.07), 2048.0);
  EXPECT_EQ(AuxLatents({768, 1e6, 32}, AuxKRule::HALF_D_MODEL, 0.07), 512.0);  // 384 > 2^8.5 = 362
  EXPECT_EQ(AuxLatents({2800, 1e6, 32}, AuxKRule::HALF_D_MODEL, 0.07), 1024.0);  // 1400 < 2^10.5 = 1448
  EXPECT_EQ(AuxLatents({3000, 1e6, 32}, AuxKRule::HALF_D_MODEL, 0.07), 2048.0);  // 1500 > 1448
  EXPECT_EQ(AuxLatents({4096, 1e6, 32}, AuxKRule::TWICE_K, 0.07), 64.0);
  EXPECT_EQ(AuxLatents({4096, 1e6, 32}, AuxKRule::NONE, 0.07), 0.0);
  // Capped at the dead pool: floor(0.07 x 16384) = 1146.
  EXPECT_EQ(AuxLatents({4096, 16384, 32}, AuxKRule::HALF_D_MODEL, 0.07), 1146.0);
  EXPECT_EQ(AuxLatents({4096, 16384, 32}, AuxKRule::HALF_D_MODEL, 0.0), 0.0);
}

TEST(DictionaryCost, MemoryBoundBytesFollowTheProbeFormulas) {
  const DictionaryShape shape{1024, 100000, 10};
  DictionaryOptions options = NoAux();
  options.batch_tokens = 1000;
  const DictionaryTokenCost sparse = DictionaryCostPerToken(shape, DictionaryKernels::SPARSE, options);
  // TopK 4 n + 8 k; two gathers of 4 k d + 8 k + 4 d; two scatter-adds of 8 k d + 4 d + 8 k.
  EXPECT_DOUBLE_EQ(sparse.topk_bytes, 400080.0);
  EXPECT_DOUBLE_EQ(sparse.gather_bytes, 2 * (40960.0 + 80 + 4096));
  EXPECT_DOUBLE_EQ(sparse.scatter_bytes, 2 * (81920.0 + 4096 + 80));
  // Adam: 32 bytes per fp32 parameter per step over 2 n d parameters, per token of a 1000-token step.
  EXPECT_DOUBLE_EQ(sparse.optimizer_bytes, 32.0 * 2 * 100000 * 1024 / 1000);
  const DictionaryTokenCost dense = DictionaryCostPerToken(shape, DictionaryKernels::DENSE, options);
  EXPECT_DOUBLE_EQ(dense.gemm_flops, 10.0 * 1024 * 100000);
  EXPECT_DOUBLE_EQ(dense.gather_bytes + dense.scatter_bytes, 0.0);
  EXPECT_DOUBLE_EQ(dense.topk_bytes, sparse.topk_bytes);

  // AuxK with the pool reused across the step: k_aux = 512 (d/2), pool 0.07 n = 7000, 7 rows per token.
  options.aux_k = AuxKRule::HALF_D_MODEL;
  const DictionaryTokenCost aux = DictionaryCostPerToken(shape, DictionaryKernels::SPARSE, options);
  EXPECT_DOUBLE_EQ(aux.topk_bytes - sparse.topk_bytes, 4 * 7000.0 + 8 * 512);
  EXPECT_DOUBLE_EQ(aux.gather_bytes - sparse.gather_bytes, 2 * (4 * 7.0 * 1024 + 8 * 512 + 4 * 1024));
  EXPECT_DOUBLE_EQ(aux.scatter_bytes - sparse.scatter_bytes, 2 * (8 * 7.0 * 1024 + 4 * 1024 + 8 * 512));
  EXPECT_DOUBLE_EQ(aux.sparse_flops - sparse.sparse_flops, 8.0 * 1024 * 512);
}

TEST(DictionaryCost, AdamTrafficAndStateBytesPerParameter) {
  EXPECT_DOUBLE_EQ(OptimizerBytesPerParamStep(NumericType::FP32), 32.0);  // w r/w, g r/clear, m and v r/w
  EXPECT_DOUBLE_EQ(OptimizerBytesPerParamStep(NumericType::BF16), 30.0);  // master r/w + bf16 write, g 2+2, 16
  EXPECT_DOUBLE_EQ(StateBytesPerParam(NumericType::FP32), 16.0);
  EXPECT_DOUBLE_EQ(StateBytesPerParam(NumericType::BF16), 16.0);  // REFERENCE section 4: 16 bytes mixed precision
}

TEST(DictionaryCost, MemoryAndDevicesMatchHandComputedCase) {
  const DictionaryShape shape{4096, 65536, 32};
  const DictionaryMemory memory = EstimateDictionaryMemory(shape, DictionaryKernels::SPARSE, NoAux());
  EXPECT_DOUBLE_EQ(memory.num_params, 536870912.0);
  EXPECT_DOUBLE_EQ(memory.StateBytes(), 16.0 * 536870912.0);
  EXPECT_DOUBLE_EQ(memory.sharded_activation_bytes, 4096.0 * (4 * 65536 + 8 * 32));
  EXPECT_DOUBLE_EQ(memory.replicated_activation_bytes, 12.0 * 4096 * 4096);
  // 10 GB at 90%: room 9e9 - 201,326,592 for 9,664,724,992 sharded bytes -> 2 devices.
  EXPECT_EQ(MinDevicesForDictionary(memory, 9e9), 2);
  EXPECT_DOUBLE_EQ(DictionaryMemoryPerDevice(memory, 2), (8589934592.0 + 1074790400.0) / 2 + 201326592.0);
  // Dense kernels keep z and its gradient: 8 B n more.
  const DictionaryMemory dense = EstimateDictionaryMemory(shape, DictionaryKernels::DENSE, NoAux());
  EXPECT_DOUBLE_EQ(dense.sharded_activation_bytes - memory.sharded_activation_bytes, 8.0 * 4096 * 65536);
  // bf16 weights: 2 + 2 bytes, plus 12 of master copy and moments.
  DictionaryOptions bf16 = NoAux();
  bf16.param_type = NumericType::BF16;
  const DictionaryMemory half = EstimateDictionaryMemory(shape, DictionaryKernels::SPARSE, bf16);
  EXPECT_DOUBLE_EQ(half.weight_bytes, 2.0 * 536870912.0);
  EXPECT_DOUBLE_EQ(half.optimizer_bytes, 12.0 * 536870912.0);
  // The replicated buffers alone exceed the device: no count fits.
  EXPECT_EQ(MinDevicesForDictionary(memory, 1e8), 0);
}

TEST(DictionaryCost, TimePerTokenFromTheCatalogueAndFromAProfile) {
  const DictionaryShape shape{1024, 100000, 10};
  DictionaryOptions options = NoAux();
  options.batch_tokens = 1000;
  const DictionaryTokenCost cost = DictionaryCostPerToken(shape, DictionaryKernels::SPARSE, options);
  const DictionaryTokenTime catalogue = DictionaryTimePerToken(cost, RoundDevice(), options, nullptr);
  EXPECT_DOUBLE_EQ(catalogue.gemm_seconds, 2.0 * 1024 * 100000 / (1e15 * 0.40));
  EXPECT_DOUBLE_EQ(catalogue.topk_seconds, 400080.0 / (2e12 * 0.50));
  EXPECT_DOUBLE_EQ(catalogue.optimizer_seconds, 32.0 * 2 * 100000 * 1024 / 1000 / 1e12);

  DictionaryKernelRates rates;
  rates.gemm_flops_per_second = 1e14;
  rates.topk_bytes_per_second = 1e12;
  rates.gather_bytes_per_second = 5e11;
  rates.scatter_bytes_per_second = 2.5e11;
  rates.stream_bytes_per_second = 2e12;
  const DictionaryTokenTime measured = DictionaryTimePerToken(cost, RoundDevice(), options, &rates);
  EXPECT_DOUBLE_EQ(measured.gemm_seconds, 2.0 * 1024 * 100000 / 1e14);  // achieved rates: no MFU
  EXPECT_DOUBLE_EQ(measured.gather_seconds, 2 * (40960.0 + 80 + 4096) / 5e11);
  EXPECT_DOUBLE_EQ(measured.scatter_seconds, 2 * (81920.0 + 4096 + 80) / 2.5e11);
  EXPECT_DOUBLE_EQ(measured.optimizer_seconds, 32.0 * 2 * 100000 * 1024 / 1000 / 2e12);
}

TEST(DictionaryCost, ProfileRatesComeFromTheNearestMeasuredShape) {
  HardwareProfile profile;
  profile.device = "test";
  profile.peak_flops = 9e13;
  profile.bandwidth_bytes_per_s = 3e11;
  auto add = [&](const char* name, std::int64_t d, std::int64_t n, std::int64_t k, double flops, double bytes) {
    KernelMeasurement m;
    m.name = name;
    m.d = d;
    m.n = n;
    m.k = k;
    m.flops_per_second = flops;
    m.bytes_per_second = bytes;
    profile.kernels.push_back(m);
  };
  add("encoder_gemm", 768, 16384, 0, 5e13, 0);
  add("encoder_gemm", 4096, 16384, 0, 7e13, 0);
  add("encoder_gemm", 4096, 131072, 0, 8e13, 0);  // same d, larger n: chosen
  add("topk", 4096, 131072, 32, 0, 1e11);
  add("topk", 4096, 131072, 128, 0, 2e11);        // nearer k = 100
  add("decoder_gather", 2304, 131072, 128, 0, 1.5e11);
  const DictionaryKernelRates rates = DictionaryRatesFromProfile(profile, 4000, 100, "p");
  EXPECT_DOUBLE_EQ(rates.gemm_flops_per_second, 8e13);
  EXPECT_DOUBLE_EQ(rates.topk_bytes_per_second, 2e11);
  EXPECT_DOUBLE_EQ(rates.gather_bytes_per_second, 1.5e11);
  EXPECT_DOUBLE_EQ(rates.scatter_bytes_per_second, 3e11);  // not measured: the triad bandwidth
  EXPECT_DOUBLE_EQ(rates.stream_bytes_per_second, 3e11);
  ASSERT_EQ(rates.notes.size(), 1u);
  EXPECT_NE(rates.notes[0].find("scatter_add"), std::string::npos);
}

TEST(DictionaryCost, HarvestFromParametersAndFromAShape) {
  SubjectModel subject;
  subject.num_params = 1e12;
  EXPECT_DOUBLE_EQ(HarvestFlopsPerToken(subject), 2e12 * 5.0 / 6.0);
  EXPECT_DOUBLE_EQ(HarvestWeightBytes(subject), 2.0 * 1e12 * 5.0 / 6.0);
  // A toy shape: 2 layers, d 8, 2 heads of 4, d_ff 32, vocabulary 10, context 4, RMSNorm, untied.
  TransformerShape shape;
  shape.num_layers = 2;
  shape.d_model = 8;
  shape.num_heads = 2;
  shape.d_ff = 32;
  shape.vocab_size = 10;
  shape.context_length = 4;
  SubjectModel toy;
  toy.shape = shape;
  toy.layers_fraction = 0.5;
  // Per layer: attention 4 d^2 = 256, MLP 2 d f = 512, two norms 16: 784; two layers and a final norm: 1576.
  // Forward up to half the depth: 0.5 (2 x 1576 + 4 L H Q T = 4 x 2 x 2 x 4 x 4 = 256) = 1704.
  EXPECT_DOUBLE_EQ(HarvestFlopsPerToken(toy), 1704.0);
  EXPECT_DOUBLE_EQ(HarvestWeightBytes(toy), 2.0 * (0.5 * 1576 + 80));
}

// ---------------------------------------------------------------------------------------------------------------
TEST(DictionaryLaws, PriorIsTheGaoEtAlLawAndConvergenceRule) {
  const DictionaryLaws prior = PriorDictionaryLaws();
  EXPECT_TRUE(prior.prior);
  EXPECT_EQ(prior.label, "prior (Gao et al. 2024 coefficients, not fitted to your runs)");
  for (double n : {4096.0, 1e6, 16777216.0, 1e9}) {
    for (double k : {8.0, 32.0, 128.0}) EXPECT_NEAR(prior.Loss(n, k, 1.0) / PublishedLoss(n, k), 1.0, 1e-14);
  }
  EXPECT_DOUBLE_EQ(prior.ConvergenceTokens(16777216.0), 40e9);
  EXPECT_NEAR(prior.ConvergenceTokens(16384.0), 40e9 / 64, 1e-3);  // (2^-10)^0.6 = 2^-6
  // n's exponent at k = 32: 0.017 + 0.042 ln 32 = 0.16256.
  EXPECT_NEAR(prior.converged.LatentsExponent(32), 0.017 + 0.042 * std::log(32.0), 1e-15);
  EXPECT_NEAR(prior.converged.Irreducible(32), std::exp(-1.32 - 0.085 * std::log(32.0)), 1e-15);
}

// The convergence rule: the largest n that the budget trains to T_conv(n) tokens, against a fine scan.
TEST(DictionaryAllocation, PriorEqualsBruteForceSearch) {
  const DictionaryLaws prior = PriorDictionaryLaws();
  const double k = 64, budget = 1e20, d = 4096;
  auto cost = [&](double n) { return DictionaryFlopsPerToken({d, n, k}, DictionaryKernels::SPARSE); };
  const DictionaryAllocation a = AllocateDictionaryBudget(prior, k, budget, cost);
  ASSERT_TRUE(a.reachable);
  double best_n = 0;
  for (int i = 0; i <= 400000; ++i) {
    const double n = 128.0 * std::pow(1e12 / 128.0, i / 400000.0);
    if (40e9 * std::pow(n / 16777216.0, 0.6) * cost(n) <= budget) best_n = n;
  }
  EXPECT_NEAR(a.num_latents / best_n, 1.0, 1e-4);
  EXPECT_NEAR(a.num_tokens * cost(a.num_latents) / budget, 1.0, 1e-9);
  EXPECT_NEAR(a.loss, PublishedLoss(a.num_latents, k), 1e-12);
}

// With a token term: the minimum of L(n, k) + B (cost(n) / C)^beta, against a fine scan of n.
TEST(DictionaryAllocation, TokenTermEqualsBruteForceSearch) {
  const DictionaryLaws truth = DictionaryRunsDesign().Truth();
  for (double budget : {1e16, 1e18, 1e21}) {
    const double k = 32, d = 4096;
    auto cost = [&](double n) { return DictionaryFlopsPerToken({d, n, k}, DictionaryKernels::SPARSE) + 1e9; };
    const DictionaryAllocation a = AllocateDictionaryBudget(truth, k, budget, cost);
    ASSERT_TRUE(a.reachable);
    double best_loss = 1e300, best_n = 0;
    for (int i = 0; i <= 400000; ++i) {
      const double n = 64.0 * std::pow(1e12 / 64.0, i / 400000.0);
      const double tokens = budget / cost(n);
      const double ln_n = std::log(n), ln_k = std::log(k);
      const double loss = std::exp(-0.45 + 0.24 * ln_k - 0.02 * ln_n - 0.04 * ln_k * ln_n) +
                          std::exp(-1.25 - 0.09 * ln_k) + 42.0 * std::pow(tokens, -0.27);
      if (loss < best_loss) {
        best_loss = loss;
        best_n = n;
      }
    }
    EXPECT_LE(a.loss, best_loss * (1 + 1e-12)) << budget;
    EXPECT_NEAR(a.loss / best_loss, 1.0, 1e-9) << budget;
    EXPECT_NEAR(a.num_latents / best_n, 1.0, 2e-3) << budget;  // flat optimum: n is less sharply defined
  }
}

DictionaryRequest BaseRequest() {
  DictionaryRequest request;
  request.d_model = 4096;
  request.accelerator = BundledHardwareCatalogue().Find("H100-SXM");
  return request;
}

// The plan's (n, k) is the best of a brute-force 2-D scan: every k in the range, n on a fine grid.
TEST(DictionaryPlan, ComputePlanEqualsTwoDimensionalBruteForce) {
  DictionaryRequest request = BaseRequest();
  request.laws = DictionaryRunsDesign().Truth();
  request.compute_flops = 1e19;
  request.k_min = 16;
  request.k_max = 96;
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.reachable);
  double best_loss = 1e300, best_k = 0;
  for (double k = 16; k <= 96; k += 1) {
    for (int i = 0; i <= 20000; ++i) {
      const double n = 2 * k * std::pow(1e12 / (2 * k), i / 20000.0);
      const double tokens = 1e19 / DictionaryFlopsPerToken({4096, n, k}, DictionaryKernels::SPARSE);
      const double loss = request.laws.Loss(n, k, tokens);
      if (loss < best_loss) {
        best_loss = loss;
        best_k = k;
      }
    }
  }
  EXPECT_EQ(plan.sparse.k, best_k);
  EXPECT_LE(plan.sparse.loss, best_loss * (1 + 1e-12));
  EXPECT_NEAR(plan.sparse.loss / best_loss, 1.0, 1e-6);
  EXPECT_NEAR(plan.sparse.compute_flops / 1e19, 1.0, 1e-9);  // the budget is spent (no subject: training only)
  EXPECT_EQ(plan.k_candidates.size(), 81u);
}

TEST(DictionaryPlan, TargetLossTakesTheLeastCompute) {
  DictionaryRequest request = BaseRequest();
  request.goal = DictionaryGoal::TARGET_LOSS;
  request.target_loss = 0.25;
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.reachable);
  EXPECT_NEAR(plan.sparse.loss, 0.25, 1e-9);
  // Brute force: for each k, the smallest n on a fine grid that reaches the target, at T_conv(n) tokens.
  double least = 1e300;
  for (double k = 32; k <= 128; k += 1) {
    for (int i = 0; i <= 100000; ++i) {
      const double n = 2 * k * std::pow(1e12 / (2 * k), i / 100000.0);
      if (PublishedLoss(n, k) <= 0.25) {
        least = std::min(least, 40e9 * std::pow(n / 16777216.0, 0.6) *
                                    DictionaryFlopsPerToken({4096, n, k}, DictionaryKernels::SPARSE));
        break;
      }
    }
  }
  EXPECT_LE(plan.budget, least * (1 + 1e-9));
  EXPECT_NEAR(plan.budget / least, 1.0, 1e-3);
  EXPECT_NEAR(plan.sparse.compute_flops, plan.budget, 1e-6 * plan.budget);
  // Below the law's floor the target is out of reach.
  request.target_loss = 0.1;
  const DictionaryPlan unreachable = PlanDictionary(request);
  EXPECT_FALSE(unreachable.reachable);
  EXPECT_NE(unreachable.status.find("no k in range reaches loss 0.1"), std::string::npos);
}

TEST(DictionaryPlan, FixedLatentsWithATokenTermTrainsOnTheComputeOptimalTokens) {
  DictionaryRequest request = BaseRequest();
  request.laws = DictionaryRunsDesign().Truth();
  request.goal = DictionaryGoal::LATENTS;
  request.num_latents = 1 << 20;
  request.k = 32;
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.reachable);
  auto cost = [&](double n) { return DictionaryFlopsPerToken({4096, n, 32}, DictionaryKernels::SPARSE); };
  // At the budget those tokens cost, the optimal size is the one asked for.
  const DictionaryAllocation a = AllocateDictionaryBudget(request.laws, 32, plan.budget, cost);
  EXPECT_NEAR(a.num_latents / (1 << 20), 1.0, 1e-6);
  EXPECT_NEAR(plan.sparse.num_tokens * cost(1 << 20) / plan.budget, 1.0, 1e-9);
}

// A frontier-scale dictionary: 1B latents on a 1T-parameter subject's width-32768 activations.
TEST(DictionaryPlan, FrontierDictionaryShardsAndCostsTheHarvest) {
  DictionaryRequest request = BaseRequest();
  request.d_model = 32768;
  request.goal = DictionaryGoal::LATENTS;
  request.num_latents = 1e9;
  request.subject.num_params = 1e12;
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.reachable);
  const DictionaryCosts& s = plan.sparse;
  EXPECT_EQ(s.k, 128);
  EXPECT_NEAR(s.num_tokens, 40e9 * std::pow(1e9 / 16777216.0, 0.6), 1.0);
  // Devices: 16 bytes for each of 2 n d parameters plus 4096 x (4 n + 8 (k + k_aux)) score bytes, over
  // 0.9 x 80 GB less the 12 B d replicated bytes. k_aux = 16384 (d / 2).
  const double sharded = 16.0 * 2 * 1e9 * 32768 + 4096.0 * (4 * 1e9 + 8 * (128 + 16384));
  const double room = 0.9 * 80e9 - 12.0 * 4096 * 32768;
  EXPECT_EQ(s.devices, static_cast<std::int64_t>(std::ceil(sharded / room)));
  EXPECT_GT(s.devices, 14000);
  EXPECT_DOUBLE_EQ(s.harvest_flops, 2e12 * 5.0 / 6.0 * s.num_tokens);
  EXPECT_GT(s.compute_flops, s.harvest_flops);  // a billion latents out-cost the subject's forward passes
  EXPECT_EQ(s.harvest_min_devices, static_cast<std::int64_t>(std::ceil(2.0 * 1e12 * 5.0 / 6.0 / (0.9 * 80e9))));
  EXPECT_GT(s.days, 0.0);
  EXPECT_TRUE(std::isfinite(s.cost_usd));
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_NE(plan.warnings[0].find("extrapolation: 1B latents is 59.6x the largest dictionary"), std::string::npos);

  // A million latents on the same subject: producing the activations dominates.
  request.num_latents = 1e6;
  const DictionaryPlan small = PlanDictionary(request);
  EXPECT_GT(small.sparse.harvest_flops, 10 * small.sparse.compute_flops);
  // Even so its 65.5B parameters need 16 devices: (16 x 6.5536e10 + 4096 (4e6 + 8 (128 + 16384))) / room = 15.1.
  const double small_sharded = 16.0 * 2 * 1e6 * 32768 + 4096.0 * (4 * 1e6 + 8 * (128 + 16384));
  EXPECT_EQ(small.sparse.devices, static_cast<std::int64_t>(std::ceil(small_sharded / room)));
  EXPECT_EQ(small.sparse.devices, 16);
}

TEST(DictionaryPlan, BudgetIncludesHarvestWhenTheSubjectIsKnown) {
  DictionaryRequest request = BaseRequest();
  request.compute_flops = 1e21;
  request.subject.num_params = 8e9;
  const DictionaryPlan total = PlanDictionary(request);
  EXPECT_NEAR((total.sparse.compute_flops + total.sparse.harvest_flops) / 1e21, 1.0, 1e-9);
  request.budget_includes_harvest = false;
  const DictionaryPlan training = PlanDictionary(request);
  EXPECT_NEAR(training.sparse.compute_flops / 1e21, 1.0, 1e-9);
  EXPECT_GT(training.sparse.num_latents, total.sparse.num_latents);
}

TEST(DictionaryPlan, DeviceHourBudgetIsSpent) {
  DictionaryRequest request = BaseRequest();
  request.goal = DictionaryGoal::DEVICE_HOURS;
  request.device_hours = 5000;
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.reachable);
  EXPECT_NEAR(plan.sparse.device_hours / 5000, 1.0, 1e-9);
  EXPECT_NEAR(plan.sparse.cost_usd, 5000 * 3.0, 1e-6);  // the catalogue's H100 planning price
}

TEST(DictionaryPlan, TooFewDevicesIsInfeasible) {
  DictionaryRequest request = BaseRequest();
  request.goal = DictionaryGoal::LATENTS;
  request.num_latents = 1 << 24;
  request.options.num_devices = 1;
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.reachable);
  EXPECT_FALSE(plan.sparse.feasible);
  ASSERT_EQ(plan.sparse.reasons.size(), 1u);
  EXPECT_NE(plan.sparse.reasons[0].find("1 devices cannot hold the dictionary"), std::string::npos);
}

TEST(DictionaryPlan, LossIntervalIsThePercentileOverResampledLaws) {
  DictionaryRequest request = BaseRequest();
  request.compute_flops = 1e20;
  request.k = 64;
  const DictionaryPlan point = PlanDictionary(request);
  // 101 laws whose irreducible term is scaled by 0.95 .. 1.05: the 2.5% and 97.5% points are 0.9525 and 1.0475.
  for (int i = 0; i <= 100; ++i) {
    DictionaryLaws law = PriorDictionaryLaws();
    law.converged.zeta += std::log(0.95 + 0.001 * i);
    request.bootstrap_laws.push_back(law);
  }
  const DictionaryPlan plan = PlanDictionary(request);
  ASSERT_TRUE(plan.loss_interval.has_value());
  const double n = point.sparse.num_latents;
  const double reducible = PublishedLoss(n, 64) - std::exp(-1.32 - 0.085 * std::log(64.0));
  const double irreducible = std::exp(-1.32 - 0.085 * std::log(64.0));
  EXPECT_NEAR(plan.loss_interval->first, reducible + 0.9525 * irreducible, 1e-12);
  EXPECT_NEAR(plan.loss_interval->second, reducible + 1.0475 * irreducible, 1e-12);
}

TEST(DictionaryRequest, CheckRejectsBadRequests) {
  DictionaryRequest request = BaseRequest();
  request.compute_flops = 1e20;
  std::string why;
  EXPECT_TRUE(request.Check(&why)) << why;
  DictionaryRequest bad = request;
  bad.k_min = 64;
  bad.k_max = 32;
  EXPECT_FALSE(bad.Check(&why));
  EXPECT_EQ(why, "the k range needs 1 <= k_min <= k_max");
  bad = request;
  bad.compute_flops = 0;
  EXPECT_FALSE(bad.Check(&why));
  bad = request;
  bad.options.param_type = NumericType::FP8;
  EXPECT_FALSE(bad.Check(&why));
  EXPECT_EQ(why, "dictionary weights must be fp32, bf16 or fp16, not fp8");
}

// ---------------------------------------------------------------------------------------------------------------
TEST(DictionaryRuns, ReadsAliasesAndOptionalColumns) {
  const DictionaryRunsTable table =
      ParseDictionaryRunsCsv("# a comment\nDict_Size,L0,train_tokens,NMSE\n16K,32,1e9,0.3\n65536,64,2B,0.2\n", "x.csv");
  ASSERT_EQ(table.runs.size(), 2u);
  EXPECT_EQ(table.latents_column, "Dict_Size");
  EXPECT_EQ(table.k_column, "L0");
  EXPECT_EQ(table.tokens_column, "train_tokens");
  EXPECT_EQ(table.loss_column, "NMSE");
  EXPECT_FALSE(table.HasWidth());
  EXPECT_DOUBLE_EQ(table.runs[0].num_latents, 16000.0);
  EXPECT_DOUBLE_EQ(table.runs[1].num_tokens, 2e9);
  EXPECT_EQ(table.runs[1].line, 4);
  const DictionaryRunsTable no_tokens = ParseDictionaryRunsCsv("latents,k,d_model,fvu\n4096,8,768,0.4\n", "y.csv");
  EXPECT_FALSE(no_tokens.HasTokens());
  EXPECT_DOUBLE_EQ(no_tokens.runs[0].d_model, 768.0);
  EXPECT_EQ(no_tokens.notes.size(), 1u);
}

std::string ErrorOf(const std::string& text, const DictionaryColumns& columns = {}) {
  try {
    ParseDictionaryRunsCsv(text, "runs.csv", columns);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(DictionaryRuns, BadInputGetsLocatedErrors) {
  EXPECT_EQ(ErrorOf("n,k,loss\n4096,32,0.3\n4096,oops,0.2\n"), "runs.csv:3: column 2 ('k'): not a number: 'oops'");
  EXPECT_EQ(ErrorOf("n,k,loss\n4096,32,-0.3\n"), "runs.csv:2: column 3 ('loss'): must be positive: '-0.3'");
  EXPECT_EQ(ErrorOf("n,k,loss\n64,64,0.3\n"),
            "runs.csv:2: column 2 ('k'): k must be below the number of latents (64): '64'");
  EXPECT_EQ(ErrorOf("n,tokens,loss\n64,1e9,0.3\n"),
            "runs.csv:1: missing column for k (active latents): the header has 'n', 'tokens', 'loss'; accepted "
            "names are k, l0, topk (or name it with --k-col)");
  EXPECT_EQ(ErrorOf("n,latents,k,loss\n64,64,8,0.3\n"),
            "runs.csv:1: two columns could be n (latents) ('n' and 'latents'); choose one with --latents-col");
  DictionaryColumns columns;
  columns.loss = "val/nmse";
  EXPECT_EQ(ErrorOf("n,k,loss\n64,8,0.3\n", columns),
            "runs.csv:1: no column named 'val/nmse' (from --loss-col) for the loss; the header has 'n', 'k', 'loss'");
  EXPECT_EQ(ErrorOf("n,k,loss\n"), "runs.csv:1: no runs: the file has a header but no data rows");
}

// The committed data set is exactly what the generator writes with its seed.
TEST(DictionaryRuns, GeneratorReproducesTheCommittedFile) {
  std::ifstream in(testing::SourcePath("data/dictionary_runs_generated.csv"), std::ios::binary);
  std::stringstream committed;
  committed << in.rdbuf();
  const DictionaryRunsTable generated = GenerateDictionaryRuns(DictionaryRunsDesign(), kGeneratedDictionaryRunsSeed);
  ASSERT_EQ(generated.runs.size(), 62u);  // 7 x 6 grid runs, 5 x 4 sweep runs
  const std::string body = DictionaryRunsToCsv(generated, {});
  const std::string text = committed.str();
  ASSERT_NE(text.find("n,k,tokens,d_model,loss\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.find("n,k,tokens,d_model,loss\n")), body);
  // Reading it back gives the same numbers to 9 digits, and the noise is the documented 0.5%.
  const DictionaryRunsTable read = ParseDictionaryRunsCsv(text, "committed");
  const DictionaryLaws truth = DictionaryRunsDesign().Truth();
  double sum_squares = 0;
  for (size_t i = 0; i < read.runs.size(); ++i) {
    const DictionaryRun& run = read.runs[i];
    EXPECT_NEAR(run.loss / generated.runs[i].loss, 1.0, 1e-8);
    const double r = std::log(run.loss / truth.Loss(run.num_latents, run.k, run.num_tokens));
    sum_squares += r * r;
  }
  EXPECT_NEAR(std::sqrt(sum_squares / read.runs.size()), 0.005, 0.0015);
}

}  // namespace
}  // namespace scaleplan
