#include "core/sparse_laws.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// The notebook's law written out as the notebook writes it: N in millions of non-zero parameters, D in 1e5 steps.
double NotebookLoss(double sparsity, double num_nonzero_params, double steps) {
  const NotebookSparseCoefficients& k = kFrantarT5Notebook;
  return (k.a * std::pow(1.0 - sparsity, k.b) + k.c) * std::pow(num_nonzero_params / 1e6, -k.d) +
         k.e * std::pow(steps / 1e5, -k.f) + k.g;
}

TEST(SparseLawTest, EffectiveParamsMultiplierMatchesIssueCheckValues) {
  const SparseLaw law = FrantarT5Law();
  EXPECT_NEAR(law.EffectiveParamsMultiplier(0.5), 1.5860, 5e-5);
  EXPECT_NEAR(law.EffectiveParamsMultiplier(0.75), 2.1568, 5e-5);
  EXPECT_NEAR(law.EffectiveParamsMultiplier(0.875), 2.6300, 5e-5);
  EXPECT_DOUBLE_EQ(law.EffectiveParamsMultiplier(0.0), 1.0);
}

TEST(SparseLawTest, EquationOneFormEqualsNotebookForm) {
  const SparseLaw in_steps = FrantarT5Law(1.0);
  const SparseLaw in_tokens = FrantarT5Law(kT5TokensPerStep);
  for (double s : {0.0, 0.5, 0.75, 0.875}) {
    for (double n : {1.327104e6, 2.1233664e7, 6.0397978e8}) {
      for (double steps : {2.5e5, 5e5, 1e6}) {
        const double expected = NotebookLoss(s, n, steps);
        EXPECT_NEAR(in_steps.Loss(s, n, steps), expected, 1e-12 * expected);
        EXPECT_NEAR(in_tokens.Loss(s, n, steps * kT5TokensPerStep), expected, 1e-12 * expected);
      }
    }
  }
}

TEST(SparseLawTest, NotebookHeldOutPoint) {
  // Cell 17: S 0.75, 48 x 12 x 1024^2 non-zero parameters, 500k steps; the notebook's law predicts 1.46830.
  EXPECT_NEAR(FrantarT5Law(1.0).Loss(0.75, 48.0 * 12.0 * 1024.0 * 1024.0, 5e5), 1.46830, 5e-6);
}

TEST(SparseLawTest, SparsityOutsideRangeIsAPreconditionError) {
  const SparseLaw law = FrantarT5Law();
  EXPECT_THROW(law.Loss(1.0, 1e6, 1e9), InternalError);
  EXPECT_THROW(law.Loss(-0.1, 1e6, 1e9), InternalError);
  std::string why;
  EXPECT_TRUE(law.Check(&why)) << why;
  SparseLaw bad = law;
  bad.b_N = 0.0;
  EXPECT_FALSE(bad.Check(&why));
}

TEST(SparseTrainingFlopsTest, EvciCheckValues) {
  const SparseTrainingOptions options;  // dT 100, updates until 0.8 of training
  EXPECT_NEAR(SparseStepFlopsFraction(SparseMethod::RIGL, 0.9, options), 0.10297, 5e-6);
  EXPECT_NEAR(SparseRunFlopsFraction(SparseMethod::RIGL, 0.9, options), 0.10238, 5e-6);
  EXPECT_NEAR(SparseRunFlopsFraction(SparseMethod::SNFS, 0.9, options), 0.400, 5e-6);
  EXPECT_NEAR(SparseStepFlopsFraction(SparseMethod::RIGL, 0.8, options), 0.20264, 5e-6);
  EXPECT_NEAR(SparseRunFlopsFraction(SparseMethod::RIGL, 0.8, options), 0.20211, 5e-6);
  EXPECT_NEAR(SparseRunFlopsFraction(SparseMethod::SNFS, 0.8, options), 0.467, 5e-4);
  EXPECT_DOUBLE_EQ(SparseRunFlopsFraction(SparseMethod::STATIC, 0.9, options), 1.0 - 0.9);
  EXPECT_DOUBLE_EQ(SparseRunFlopsFraction(SparseMethod::SET, 0.75, options), 0.25);
  EXPECT_DOUBLE_EQ(SparseRunFlopsFraction(SparseMethod::DENSE, 0.0, options), 1.0);
}

TEST(SparseTrainingFlopsTest, GradualPruningMatchesAStepByStepSumOfTheCubicSchedule) {
  SparseTrainingOptions options;
  options.prune_begin_fraction = 0.1;
  options.prune_end_fraction = 0.6;
  const double final_sparsity = 0.9;
  // Zhu and Gupta's schedule, step by step over a run of one million steps, each step at its mask's density.
  const int steps = 1000000;
  const double t0 = options.prune_begin_fraction * steps, t1 = options.prune_end_fraction * steps;
  double sum = 0.0;
  for (int t = 0; t < steps; ++t) {
    const double mid = t + 0.5;
    double sparsity = 0.0;
    if (mid >= t1) {
      sparsity = final_sparsity;
    } else if (mid > t0) {
      sparsity = final_sparsity * (1.0 - std::pow(1.0 - (mid - t0) / (t1 - t0), 3.0));
    }
    sum += 1.0 - sparsity;
  }
  EXPECT_NEAR(SparseRunFlopsFraction(SparseMethod::GMP, final_sparsity, options), sum / steps, 1e-9);
}

TEST(SparseTrainingFlopsTest, MethodNamesRoundTripAndUnknownNamesAreLocated) {
  for (SparseMethod method : {SparseMethod::DENSE, SparseMethod::STATIC, SparseMethod::SET, SparseMethod::SNFS,
                              SparseMethod::RIGL, SparseMethod::GMP}) {
    EXPECT_EQ(ParseSparseMethod(SparseMethodName(method)), method);
  }
  try {
    ParseSparseMethod("magic");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().file, "--sparse-method");
    EXPECT_EQ(error.where().text, "magic");
  }
}

// The lowest loss over N at a budget, by brute force: N on a log grid of 20,001 points over 1e4 to 1e14, D from the
// method's FLOPs written out here (6 N / (1 - S) D r(S) = C).
struct BruteForce {
  double loss = 1e300, num_nonzero_params = 0.0;
};
BruteForce BruteForceOverN(const SparseLaw& law, double compute, double sparsity, SparseMethod method,
                           int num_points = 20001) {
  const double r = SparseRunFlopsFraction(method, sparsity);
  BruteForce best;
  for (int i = 0; i < num_points; ++i) {
    const double n = std::pow(10.0, 4.0 + 10.0 * i / (num_points - 1));
    const double d = compute / (6.0 * n / (1.0 - sparsity) * r);
    const double loss = law.Loss(sparsity, n, d);
    if (loss < best.loss) best = {loss, n};
  }
  return best;
}

TEST(SparsePlanTest, ClosedFormNMatchesABruteForceSearch) {
  const SparseLaw law = FrantarT5Law();
  for (SparseMethod method : {SparseMethod::STATIC, SparseMethod::RIGL, SparseMethod::GMP}) {
    for (double s : {0.0, 0.5, 0.9}) {
      const SparsePlan plan = PlanSparseAtSparsity(law, 1e21, s, method);
      const BruteForce brute = BruteForceOverN(law, 1e21, s, method);
      EXPECT_LE(plan.loss_nats, brute.loss + 1e-12) << SparseMethodName(method) << " S " << s;
      EXPECT_NEAR(plan.num_nonzero_params / brute.num_nonzero_params, 1.0, 2e-3);
      EXPECT_NEAR(plan.training_flops, 1e21, 1e21 * 1e-12);
      EXPECT_NEAR(plan.num_params * (1.0 - s), plan.num_nonzero_params, 1e-6 * plan.num_params);
    }
  }
}

TEST(SparsePlanTest, OptimalSparsityMatchesABruteForceSearchOverSparsityAndN) {
  const SparseLaw law = FrantarT5Law();
  for (SparseMethod method : {SparseMethod::RIGL, SparseMethod::GMP, SparseMethod::STATIC}) {
    const double compute = 1e20;
    double best_loss = 1e300, best_s = -1.0;
    for (int i = 0; i <= 990; ++i) {  // S = 0, 0.001, ..., 0.99
      const double s = i / 1000.0;
      const BruteForce brute = BruteForceOverN(law, compute, s, method, 2001);
      if (brute.loss < best_loss) best_loss = brute.loss, best_s = s;
    }
    const SparsePlan plan = PlanOptimalSparsity(law, compute, method);
    EXPECT_LE(plan.loss_nats, best_loss + 1e-9) << SparseMethodName(method);
    EXPECT_NEAR(plan.sparsity, best_s, 2e-3) << SparseMethodName(method);
    if (method == SparseMethod::STATIC) {
      EXPECT_NEAR(plan.sparsity, 0.99, 1e-6);  // the search's bound: a static mask's cost does not grow with S
    } else {
      EXPECT_GT(plan.sparsity, 0.0);
      EXPECT_LT(plan.sparsity, 0.98);  // an interior optimum
    }
    EXPECT_LT(plan.loss_nats, PlanSparseAtSparsity(law, compute, 0.0, SparseMethod::DENSE).loss_nats);
  }
}

TEST(SparsePlanTest, SparsityCurveIsThePlanAtEachSparsityWithItsOptimumAndTheDensePlan) {
  const SparseLaw law = FrantarT5Law();
  const SparsityCurve curve = MakeSparsityCurve(law, 1e21, SparseMethod::RIGL, {}, 12, 0.88);
  ASSERT_EQ(curve.plans.size(), 12u);
  EXPECT_DOUBLE_EQ(curve.plans.front().sparsity, 0.0);
  EXPECT_DOUBLE_EQ(curve.plans.back().sparsity, 0.88);
  EXPECT_NEAR(curve.plans[3].sparsity, 0.24, 1e-15);
  for (const SparsePlan& plan : curve.plans) {
    EXPECT_DOUBLE_EQ(plan.loss_nats, PlanSparseAtSparsity(law, 1e21, plan.sparsity, SparseMethod::RIGL).loss_nats);
    EXPECT_LE(curve.optimum.loss_nats, plan.loss_nats + 1e-12);
  }
  // RigL at S = 0 costs a dense step ((3 dT + 2 + 1) / (3 (dT + 1)) = 1): its plan is the dense one.
  EXPECT_NEAR(curve.plans.front().loss_nats, curve.dense.loss_nats, 1e-12);
  EXPECT_EQ(curve.dense.method, SparseMethod::DENSE);
  EXPECT_LE(curve.optimum.sparsity, 0.88);
  EXPECT_THROW(EvenSparsities(1.0, 10), InternalError);
  EXPECT_THROW(EvenSparsities(0.5, 1), InternalError);
}

TEST(SparsePlanTest, DenseEquivalentFlopsFollowTheSpeedup) {
  SparseTrainingOptions options;
  const SparsePlan unstructured = PlanSparseAtSparsity(FrantarT5Law(), 1e21, 0.5, SparseMethod::STATIC, options);
  EXPECT_NEAR(unstructured.dense_equivalent_flops, 6.0 * unstructured.num_params * unstructured.num_tokens, 1e6);
  options.speedup = 2.0;  // 2:4 at S 0.5, ideally
  const SparsePlan two_four = PlanSparseAtSparsity(FrantarT5Law(), 1e21, 0.5, SparseMethod::STATIC, options);
  EXPECT_NEAR(two_four.dense_equivalent_flops, 1e21, 1e21 * 1e-12);
}

TEST(FineGrainedMoeLawTest, KrajewskiCheckValues) {
  EXPECT_NEAR(KrajewskiDenseLaw().Loss(1e9, 2e10, 1.0), 2.98031, 5e-6);
  EXPECT_NEAR(KrajewskiMoeLaw().Loss(1e9, 2e10, 1.0), 3.27613, 5e-6);
  // Finer experts help: the granularity term falls as G^-gamma.
  EXPECT_LT(KrajewskiMoeLaw().Loss(1e9, 2e10, 8.0), KrajewskiMoeLaw().Loss(1e9, 2e10, 1.0));
  EXPECT_THROW(KrajewskiMoeLaw().Loss(1e9, 2e10, 0.5), InternalError);
}

TEST(FineGrainedMoeLawTest, CostModelCountsActiveParametersAndTheRouter) {
  MoeShape shape;
  shape.d_model = 1024;
  shape.num_blocks = 16;
  shape.expansion_rate = 64;
  shape.granularity = 4;
  std::string why;
  ASSERT_TRUE(shape.Check(&why)) << why;
  const double d2 = 1024.0 * 1024.0;
  EXPECT_DOUBLE_EQ(shape.ActiveParams(), 12 * d2 * 16);
  EXPECT_DOUBLE_EQ(shape.TotalParams(), (4 + 8 * 64) * d2 * 16);
  EXPECT_DOUBLE_EQ(shape.NumExperts(), 256);
  EXPECT_DOUBLE_EQ(shape.TrainingFlopsPerToken(), (6 * 12 * d2 + 14 * 1024.0 * 64 * 4) * 16);
  shape.granularity = 0.5;
  EXPECT_FALSE(shape.Check(&why));
}

TEST(MoePlanTest, ShapeHasTheRequestedTotalParameters) {
  MoePlanOptions options;
  const MoeShape shape = MoeShapeForParams(3e10, 8.0, options);
  EXPECT_NEAR(shape.TotalParams(), 3e10, 3e10 * 1e-12);
  EXPECT_NEAR(shape.d_model, 64.0 * shape.num_blocks, 1e-9);
  EXPECT_DOUBLE_EQ(shape.NumExperts(), 512.0);
}

TEST(MoePlanTest, OptimalNAndGranularityMatchABruteForceSearch) {
  const FineGrainedMoeLaw law = KrajewskiMoeLaw();
  const MoePlanOptions options;
  const double compute = 1e21;
  // Brute force: G = 2^(j/20) for j = 0..160, N = 10^(3 + 13 i / 5200) for i = 0..5200, D from the cost model.
  double best_loss = 1e300, best_n = 0.0, best_g = 0.0;
  for (int j = 0; j <= 160; ++j) {
    const double g = std::pow(2.0, j / 20.0);
    for (int i = 0; i <= 5200; ++i) {
      const double n = std::pow(10.0, 3.0 + 13.0 * i / 5200.0);
      const double d_model = std::cbrt(n * 64.0 / (4.0 + 8.0 * 64.0)), blocks = d_model / 64.0;
      const double flops_per_token = (6.0 * 12.0 * d_model * d_model + 14.0 * d_model * 64.0 * g) * blocks;
      const double loss = law.Loss(n, compute / flops_per_token, g);
      if (loss < best_loss) best_loss = loss, best_n = n, best_g = g;
    }
  }
  const MoePlan plan = PlanFineGrainedMoe(law, compute, options);
  EXPECT_LE(plan.loss_nats, best_loss + 1e-9);
  EXPECT_NEAR(std::log2(plan.granularity), std::log2(best_g), 0.06);
  EXPECT_NEAR(std::log10(plan.num_params), std::log10(best_n), 0.01);
  EXPECT_NEAR(plan.training_flops, compute, compute * 1e-9);
  EXPECT_GT(plan.granularity, 1.0);
  EXPECT_LT(plan.num_active_params, plan.num_params);
}

// Krajewski et al. 2024, Table 2: compute-optimal MoE configurations (E = 64) as active parameters, tokens,
// granularity, training FLOPs and loss.
struct KrajewskiTable2Row {
  double active_params, tokens, granularity, flops, loss;
};
constexpr KrajewskiTable2Row kKrajewskiTable2[] = {
    {100e6, 4.37e9, 8, 2.95e18, 3.133},  {1e9, 28.94e9, 16, 1.93e20, 2.491},   {3e9, 72.90e9, 16, 1.41e21, 2.245},
    {7e9, 137.60e9, 32, 6.46e21, 2.076}, {70e9, 941.07e9, 32, 4.16e23, 1.694}, {300e9, 2.96e12, 64, 5.69e24, 1.503},
    {1e12, 7.94e12, 64, 4.97e25, 1.367}};

TEST(FineGrainedMoeLawTest, CostModelReproducesKrajewskiTable2Flops) {
  // The shape with the row's active parameters at d_model = 64 n_blocks: 12 d^3 / 64 = N_act.
  for (const KrajewskiTable2Row& row : kKrajewskiTable2) {
    SCOPED_TRACE(row.active_params);
    MoeShape shape;
    shape.d_model = std::cbrt(row.active_params * 64.0 / 12.0);
    shape.num_blocks = shape.d_model / 64.0;
    shape.expansion_rate = 64.0;
    shape.granularity = row.granularity;
    EXPECT_NEAR(shape.ActiveParams(), row.active_params, row.active_params * 1e-12);
    EXPECT_NEAR(shape.TrainingFlopsPerToken() * row.tokens / row.flops, 1.0, 0.005);
    // N in eq. 9 counts the experts: total = (8 E + 4) / 12 = 43 times active.
    EXPECT_NEAR(shape.TotalParams() / shape.ActiveParams(), 43.0, 1e-12);
  }
}

TEST(MoePlanTest, ComputeOptimumReproducesKrajewskiTable2) {
  const FineGrainedMoeLaw law = KrajewskiMoeLaw();
  const MoePlanOptions options;  // E = 64, d_model = 64 n_blocks
  for (const KrajewskiTable2Row& row : kKrajewskiTable2) {
    SCOPED_TRACE(row.flops);
    // At the table's budget and granularity: the optimal active parameters and tokens within 3%.
    const MoePlan plan = PlanFineGrainedMoeAtGranularity(law, row.flops, row.granularity, options);
    EXPECT_NEAR(plan.num_active_params / row.active_params, 1.0, 0.03);
    EXPECT_NEAR(plan.num_tokens / row.tokens, 1.0, 0.03);
    // The table's losses come from unrounded coefficients: Table 1's rounded ones give 0.01 to 0.025 less.
    EXPECT_GT(row.loss - plan.loss_nats, 0.005);
    EXPECT_LT(row.loss - plan.loss_nats, 0.03);
    // Over powers of two (the table's grid of G), the best granularity is the table's.
    double best_loss = 1e300, best_granularity = 0.0;
    for (double g = 1; g <= 256; g *= 2) {
      const double loss = PlanFineGrainedMoeAtGranularity(law, row.flops, g, options).loss_nats;
      if (loss < best_loss) best_loss = loss, best_granularity = g;
    }
    EXPECT_EQ(best_granularity, row.granularity);
  }
}

TEST(MoePlanTest, LayoutShapeHasTheMoeShapesTotalAndActiveParameters) {
  // Krajewski et al.'s 64 x 1B row (Table 2): N_act 1e9, G 16, E 64, d_model = 64 n_blocks.
  MoeShape moe;
  moe.d_model = std::cbrt(1e9 * 64.0 / 12.0);
  moe.num_blocks = moe.d_model / 64.0;
  moe.expansion_rate = 64.0;
  moe.granularity = 16.0;
  const TransformerShape shape = MoeTransformerShape(moe);
  std::string why;
  ASSERT_TRUE(shape.Check(&why)) << why;
  EXPECT_EQ(shape.d_model % 128, 0);
  EXPECT_EQ(shape.num_layers, std::llround(moe.num_blocks));  // 27
  EXPECT_EQ(shape.active_experts, 16);
  EXPECT_EQ(shape.num_experts, 64 * 16);
  EXPECT_EQ(shape.expert_d_ff * 16, 4 * shape.d_model);  // a token's 16 experts make one dense FFN
  EXPECT_EQ(shape.NumMoeLayers(), shape.num_layers);
  // The layout's counts, written out: attention 4 d^2, E G experts of 2 d (4 d / G), per layer (biases and norms
  // aside); the plan's shape rounds d and the layers, so the counts agree to a few percent.
  const ParameterCounts counts = CountParameters(shape);
  const double d = static_cast<double>(shape.d_model), layers = static_cast<double>(shape.num_layers);
  EXPECT_NEAR(static_cast<double>(counts.attention + counts.mlp), (4.0 + 8.0 * 64.0) * d * d * layers,
              0.001 * (4.0 + 8.0 * 64.0) * d * d * layers);
  // Active, as Krajewski et al. count it (without the router): 12 d^2 per layer, a token's 16 experts being one FFN.
  const double active = static_cast<double>(counts.active_non_embedding - counts.router);
  EXPECT_NEAR(active, 12.0 * d * d * layers, 0.001 * 12.0 * d * d * layers);
  // Against the plan's shape: d_model 1747 rounds to 1792 and 27.3 blocks to 27, 4% more parameters.
  EXPECT_NEAR(static_cast<double>(counts.non_embedding - counts.router) / moe.TotalParams(), 1.0, 0.06);
  EXPECT_NEAR(active / moe.ActiveParams(), 1.0, 0.06);
  // A granularity of 1 and E 1 is a dense model.
  moe.granularity = 1.0;
  moe.expansion_rate = 1.0;
  EXPECT_FALSE(MoeTransformerShape(moe).IsMoe());
}

TEST(RoutingLawTest, ClarkTable3RowsForRlrAndHash) {
  // Eq. 1 written out at N 1.3e9 and E 64 for RL-R (a -0.083, b -0.126, c 0.012, d 1.111, E_start 1.880,
  // E_max 469.982) and Hash (-0.087, -0.136, 0.012, 1.157, 4.175, 477.741).
  auto eq1 = [](double a, double b, double c, double d, double e_start, double e_max, double n, double e) {
    const double e_hat = 1.0 / (1.0 / (e - 1.0 + 1.0 / (1.0 / e_start - 1.0 / e_max)) + 1.0 / e_max);
    return std::pow(10.0, a * std::log10(n) + b * std::log10(e_hat) + c * std::log10(n) * std::log10(e_hat) + d);
  };
  for (double e : {1.0, 8.0, 64.0, 512.0}) {
    EXPECT_NEAR(ClarkRlrLaw().Loss(1.3e9, e), eq1(-0.083, -0.126, 0.012, 1.111, 1.880, 469.982, 1.3e9, e), 1e-12);
    EXPECT_NEAR(ClarkHashLaw().Loss(1.3e9, e), eq1(-0.087, -0.136, 0.012, 1.157, 4.175, 477.741, 1.3e9, e), 1e-12);
  }
  // The saturating transform starts at E_start for one expert.
  EXPECT_NEAR(ClarkHashLaw().SaturatedExperts(1), 4.175, 1e-12);
  std::string why;
  EXPECT_TRUE(ClarkRlrLaw().Check(&why)) << why;
  EXPECT_TRUE(ClarkHashLaw().Check(&why)) << why;
}

TEST(RoutingLawTest, ClarkSBaseCheckValues) {
  const RoutingLaw law = ClarkSBaseLaw();
  EXPECT_NEAR(law.Loss(1.3e9, 1), 2.2374, 5e-5);
  EXPECT_NEAR(law.Loss(1.3e9, 64), 2.0498, 5e-5);
  EXPECT_NEAR(law.Loss(1.3e9, 512), 1.9823, 5e-5);
  // The saturating transform: E^ = E_start at one expert, and bounded by E_max.
  EXPECT_NEAR(law.SaturatedExperts(1), law.e_start, 1e-12);
  EXPECT_LT(law.SaturatedExperts(1e9), law.e_max);
}

TEST(SparseRunsTest, BundledT5Runs) {
  const SparseRunsTable table = BundledFrantarT5Runs(1.0);
  ASSERT_EQ(table.runs.size(), 48u);
  EXPECT_DOUBLE_EQ(table.runs[0].sparsity, 0.0);
  EXPECT_DOUBLE_EQ(table.runs[0].num_nonzero_params, 1327104);
  EXPECT_DOUBLE_EQ(table.runs[0].num_tokens, 250000);
  EXPECT_DOUBLE_EQ(BundledFrantarT5Runs().runs[0].num_tokens, 250000 * kT5TokensPerStep);
  // The notebook's objective: the mean over the runs of Huber_1e-3 of the log residual is 7.6036053e-06.
  double sum = 0.0;
  for (const SparseRun& run : table.runs) {
    const double r = std::log(NotebookLoss(run.sparsity, run.num_nonzero_params, run.num_tokens)) -
                     std::log(run.loss_nats);
    sum += std::fabs(r) <= 1e-3 ? 0.5 * r * r : 1e-3 * (std::fabs(r) - 0.5e-3);
  }
  EXPECT_NEAR(sum / 48, 7.6036053e-06, 1e-12);
}

TEST(SparseRunsTest, DensityDenseCountsAndSteps) {
  const std::string csv = "density,params,steps,loss\n0.25,4e6,1000,3.0\n1,2e6,2000,2.9\n";
  SparseRunsOptions options;
  options.params_are_dense = true;
  options.tokens_per_step = 512;
  const SparseRunsTable table = ParseSparseRunsCsv(csv, "runs.csv", options);
  ASSERT_EQ(table.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(table.runs[0].sparsity, 0.75);
  EXPECT_DOUBLE_EQ(table.runs[0].num_nonzero_params, 1e6);
  EXPECT_DOUBLE_EQ(table.runs[0].num_tokens, 512000);
  EXPECT_DOUBLE_EQ(table.runs[1].sparsity, 0.0);
  EXPECT_EQ(table.notes.size(), 3u);
}

TEST(SparseRunsTest, SparsityOutsideRangeIsLocated) {
  try {
    ParseSparseRunsCsv("S,N,D,loss\n0.5,1e6,1e9,3\n1,1e6,1e9,3\n", "runs.csv");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().line, 3);
    EXPECT_EQ(error.where().column, 1);
    EXPECT_EQ(error.where().text, "1");
    EXPECT_NE(std::string(error.what()).find("the sparsity must lie in [0, 1)"), std::string::npos) << error.what();
  }
  EXPECT_THROW(ParseSparseRunsCsv("S,N,D,loss\n-0.1,1e6,1e9,3\n", "runs.csv"), InputError);
}

// The effective parameter count against a bisection of L(N_bar, 1) = L(N, E) in N_bar, and the cutoff against a scan
// of where one more expert stops lowering the loss: neither uses the closed forms.
TEST(RoutingPlanTest, EffectiveParamsAndCutoffAgainstBruteForce) {
  for (const RoutingLaw& law : {ClarkSBaseLaw(), ClarkRlrLaw(), ClarkHashLaw()}) {
    for (const double n : {1e8, 1.3e9, 2e10}) {
      for (const double e : {1.0, 8.0, 64.0, 512.0}) {
        const RoutingPlan plan = PlanRoutedModel(law, n, e);
        EXPECT_DOUBLE_EQ(plan.loss_nats, law.Loss(n, e));
        EXPECT_DOUBLE_EQ(plan.dense_loss_nats, law.Loss(n, 1.0));
        double lo = std::log(1e3), hi = std::log(1e18);  // L(., 1) falls with N on these laws
        for (int i = 0; i < 200; ++i) {
          const double mid = 0.5 * (lo + hi);
          (law.Loss(std::exp(mid), 1.0) > plan.loss_nats ? lo : hi) = mid;
        }
        EXPECT_NEAR(plan.effective_params / std::exp(lo), 1.0, 1e-9) << n << " " << e;
        EXPECT_NEAR(plan.effective_multiplier, plan.effective_params / n, 1e-12);
        if (e == 1.0) {
          EXPECT_NEAR(plan.effective_multiplier, 1.0, 1e-12);
        }
      }
    }
    // Below the cutoff 512 experts beat 256, above it they do not.
    const double cutoff = RoutingCutoffParams(law);
    EXPECT_LT(law.Loss(cutoff / 1.01, 512.0), law.Loss(cutoff / 1.01, 256.0));
    EXPECT_GT(law.Loss(cutoff * 1.01, 512.0), law.Loss(cutoff * 1.01, 256.0));
  }
  // Table 3's rounded rows: S-Base b / c = -0.108 / 0.009 gives 10^12, RL-R 10^10.5.
  EXPECT_NEAR(RoutingCutoffParams(ClarkSBaseLaw()) / 1e12, 1.0, 1e-12);
  EXPECT_NEAR(RoutingCutoffParams(ClarkRlrLaw()) / std::pow(10.0, 10.5), 1.0, 1e-12);
  RoutingLaw always = ClarkSBaseLaw();
  always.c = 0.0;
  EXPECT_TRUE(std::isinf(RoutingCutoffParams(always)));
}

TEST(RoutingRunsTest, BundledSubsetIsClarksFittingSubset) {
  const RoutingRunsTable table = BundledClarkRuns();
  ASSERT_EQ(table.runs.size(), 163u);
  int dense = 0, sbase = 0, rlr = 0, hash = 0;
  for (const RoutingRun& run : table.runs) {
    dense += run.router == "Dense";
    sbase += run.router == "S-Base";
    rlr += run.router == "RL-R";
    hash += run.router == "Hash";
  }
  EXPECT_EQ(dense, 5);
  EXPECT_EQ(sbase, 53);
  EXPECT_EQ(rlr, 54);
  EXPECT_EQ(hash, 51);
  EXPECT_EQ(RoutingRunsFor(table, "S-Base").runs.size(), 58u);
}

TEST(RoutingRunsTest, ExpertsBelowTopKAreLocated) {
  const std::string csv = "router_type,num_experts,k,dense_parameter_count,loss_validation\n"
                          "Dense,1,2,1e8,3.0\nS-Base,1,2,1e8,3.0\n";
  try {
    ParseRoutingRunsCsv(csv, "routing.csv");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().line, 3);
    EXPECT_EQ(error.where().column, 2);
    EXPECT_NE(std::string(error.what()).find("fewer experts than the top-k"), std::string::npos) << error.what();
  }
}

TEST(MoeRunsTest, GranularityFromExpertSizeAndLocatedRefusals) {
  const MoeRunsTable table = ParseMoeRunsCsv(
      "total_params,active_params,num_experts,top_k,d_ff,expert_size,tokens,loss\n"
      "1e9,1e8,64,8,4096,512,1e10,3.0\n",
      "moe.csv");
  ASSERT_EQ(table.runs.size(), 1u);
  EXPECT_DOUBLE_EQ(table.runs[0].granularity, 8.0);
  EXPECT_DOUBLE_EQ(table.runs[0].num_active_params, 1e8);
  EXPECT_EQ(table.notes.size(), 1u);  // G = 4096 / 512 = 8 = top_k: eq. 9's setting, only the G note
  // Top-2 of 8 full-size experts (G 1) and top-4 at G 4: one run outside eq. 9's top-k = G, said once with its line.
  const MoeRunsTable mixed = ParseMoeRunsCsv(
      "total_params,num_experts,top_k,granularity,tokens,loss\n"
      "1e9,8,2,1,1e10,3.0\n1e9,32,4,4,1e10,2.9\n",
      "moe.csv");
  ASSERT_EQ(mixed.notes.size(), 1u);
  EXPECT_EQ(mixed.notes[0].rfind("1 of 2 runs route each token to a top-k other than G (first: line 2, top-k 2 at G 1)",
                                 0),
            0u)
      << mixed.notes[0];
  try {
    ParseMoeRunsCsv("N,granularity,D,loss\n1e9,2,1e10,3\n1e9,0.5,1e10,3\n", "moe.csv");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().line, 3);
    EXPECT_EQ(error.where().text, "0.5");
    EXPECT_NE(std::string(error.what()).find("the granularity must be at least 1"), std::string::npos);
  }
  try {
    ParseMoeRunsCsv("N,granularity,num_experts,k,D,loss\n1e9,2,4,8,1e10,3\n", "moe.csv");
    FAIL() << "no error";
  } catch (const InputError& error) {
    EXPECT_EQ(error.where().line, 2);
    EXPECT_EQ(error.where().column, 3);
    EXPECT_NE(std::string(error.what()).find("fewer experts than the top-k"), std::string::npos);
  }
}

}  // namespace
}  // namespace scaleplan
