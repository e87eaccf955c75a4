#include "core/transformer.h"

#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace scaleplan {
namespace {

// Published shapes. Sources: Hoffmann et al. 2022 table 4 (Chinchilla), Rae et al. 2021 table 1 (Gopher; RMSNorm and
// Transformer-XL relative positions, section 3), Touvron et al. 2023 (Llama 2) with the released config, Meta's
// Llama 3 release config, Brown et al. 2020 table 2.1 (GPT-3; GPT-2 style learned positions, LayerNorm, biases),
// Jiang et al. 2024 (Mixtral 8x7B).
TransformerShape Gopher(std::int64_t layers, std::int64_t d_model, std::int64_t heads) {
  TransformerShape shape;
  shape.num_layers = layers;
  shape.d_model = d_model;
  shape.num_heads = heads;
  shape.head_dim = d_model / heads;
  shape.d_ff = 4 * d_model;
  shape.vocab_size = 32000;
  shape.context_length = 2048;
  shape.tied_embeddings = true;
  shape.position_encoding = PositionEncoding::RELATIVE_XL;
  return shape;
}

TransformerShape Chinchilla70B() { return Gopher(80, 8192, 64); }

TransformerShape Llama2_7B() {
  TransformerShape shape;
  shape.num_layers = 32;
  shape.d_model = 4096;
  shape.num_heads = 32;
  shape.d_ff = 11008;
  shape.glu = true;
  shape.vocab_size = 32000;
  shape.context_length = 4096;
  return shape;
}

TransformerShape Llama3_70B() {
  TransformerShape shape;
  shape.num_layers = 80;
  shape.d_model = 8192;
  shape.num_heads = 64;
  shape.num_kv_heads = 8;
  shape.d_ff = 28672;
  shape.glu = true;
  shape.vocab_size = 128256;
  shape.context_length = 8192;
  return shape;
}

TransformerShape Gpt3_175B() {
  TransformerShape shape;
  shape.num_layers = 96;
  shape.d_model = 12288;
  shape.num_heads = 96;
  shape.d_ff = 4 * 12288;
  shape.vocab_size = 50257;
  shape.context_length = 2048;
  shape.tied_embeddings = true;
  shape.norm = NormKind::LAYER_NORM;
  shape.position_encoding = PositionEncoding::LEARNED_ABSOLUTE;
  shape.linear_biases = true;
  return shape;
}

TransformerShape Mixtral8x7B() {
  TransformerShape shape;
  shape.num_layers = 32;
  shape.d_model = 4096;
  shape.num_heads = 32;
  shape.num_kv_heads = 8;
  shape.d_ff = 14336;
  shape.glu = true;
  shape.vocab_size = 32000;
  shape.context_length = 32768;
  shape.num_experts = 8;
  shape.active_experts = 2;
  return shape;
}

// |count - published| within half a unit of the published figure's last digit.
void ExpectRoundsTo(std::int64_t count, double published, double half_unit) {
  EXPECT_LE(std::fabs(static_cast<double>(count) - published), half_unit)
      << "count " << count << " does not round to the published " << published;
}

// ---------------------------------------------------------------------------------------------------------------
TEST(CountParameters, ChinchillaAndGopherMatchTheirPublishedTotals) {
  ExpectRoundsTo(CountParameters(Chinchilla70B()).total, 70e9, 0.5e9);
  ExpectRoundsTo(CountParameters(Gopher(80, 16384, 128)).total, 280e9, 0.5e9);
  ExpectRoundsTo(CountParameters(Gopher(32, 4096, 32)).total, 7.1e9, 0.05e9);
  ExpectRoundsTo(CountParameters(Gopher(24, 2048, 16)).total, 1.4e9, 0.05e9);
  ExpectRoundsTo(CountParameters(Gopher(12, 1536, 12)).total, 417e6, 0.5e6);
  ExpectRoundsTo(CountParameters(Gopher(8, 512, 16)).total, 44e6, 0.5e6);

  // The relative-position projection is what makes these add up: without it Chinchilla counts only ~64.7B.
  TransformerShape rotary = Chinchilla70B();
  rotary.position_encoding = PositionEncoding::ROTARY;
  EXPECT_LT(CountParameters(rotary).total, 65e9);
}

TEST(CountParameters, LlamaCountsEqualTheReleasedCheckpoints) {
  const ParameterCounts llama2 = CountParameters(Llama2_7B());
  EXPECT_EQ(llama2.total, 6'738'415'616);  // 6.74B, the sum of the released tensors
  EXPECT_EQ(llama2.embedding, 2 * 32000 * 4096);
  EXPECT_EQ(llama2.active, llama2.total);

  const ParameterCounts llama3 = CountParameters(Llama3_70B());
  EXPECT_EQ(llama3.total, 70'553'706'496);  // 70.6B
  ExpectRoundsTo(llama3.total, 70.6e9, 0.05e9);
}

TEST(CountParameters, Gpt3Is175B) {
  const ParameterCounts gpt3 = CountParameters(Gpt3_175B());
  ExpectRoundsTo(gpt3.total, 175e9, 0.5e9);
  EXPECT_EQ(gpt3.position_embedding, 2048 * 12288);
  EXPECT_EQ(gpt3.unembedding, 0);
}

TEST(CountParameters, MixtralTotalAndActive) {
  const ParameterCounts mixtral = CountParameters(Mixtral8x7B());
  EXPECT_EQ(mixtral.total, 46'702'792'704);  // 46.7B
  ExpectRoundsTo(mixtral.total, 46.7e9, 0.05e9);
  ExpectRoundsTo(mixtral.active, 12.9e9, 0.05e9);
  EXPECT_EQ(mixtral.router, 32 * 4096 * 8);
  // Active = total minus six of eight experts' SwiGLU MLPs in each of 32 layers.
  EXPECT_EQ(mixtral.total - mixtral.active, std::int64_t{32} * 6 * 3 * 4096 * 14336);
}

TEST(CountParameters, KaplanTwelveLdSquaredIsTheNonEmbeddingCore) {
  // Kaplan et al. 2020: N ~ 12 n_layer d_model^2 for d_ff = 4 d_model and d_attn = d_model, biases and norms aside.
  TransformerShape shape = Gpt3_175B();
  shape.linear_biases = false;
  const ParameterCounts counts = CountParameters(shape);
  const std::int64_t kaplan = std::int64_t{12} * 96 * 12288 * 12288;
  EXPECT_EQ(counts.non_embedding - counts.norms, kaplan);
  // With GPT-3's biases and LayerNorms the approximation is still within 0.01%.
  const ParameterCounts with_biases = CountParameters(Gpt3_175B());
  EXPECT_NEAR(static_cast<double>(with_biases.non_embedding) / static_cast<double>(kaplan), 1.0, 1e-4);
}

TEST(TransformerShape, CheckExplainsWhatIsWrong) {
  std::string why;
  EXPECT_TRUE(Llama3_70B().Check(&why)) << why;

  TransformerShape shape = Llama2_7B();
  shape.num_heads = 33;
  EXPECT_FALSE(shape.Check(&why));
  EXPECT_EQ(why, "num_heads must divide d_model when head_dim is left at 0");

  shape = Llama3_70B();
  shape.num_kv_heads = 6;
  EXPECT_FALSE(shape.Check(&why));
  EXPECT_EQ(why, "num_heads must be a multiple of num_kv_heads");

  shape = Mixtral8x7B();
  shape.active_experts = 9;
  EXPECT_FALSE(shape.Check(&why));
  EXPECT_EQ(why, "active_experts must lie between 1 and num_experts");

  shape = Llama2_7B();
  shape.num_layers = 0;
  EXPECT_FALSE(shape.Check(&why));
  EXPECT_THROW(CountParameters(shape), InternalError);
}

// ---------------------------------------------------------------------------------------------------------------
TEST(Flops, Gpt3TrainingComputeMatchesBrownEtAl) {
  // Brown et al. 2020, table D.1: GPT-3 175B on 300B tokens took 3.14e23 FLOPs, counted as 6 N D without attention.
  const TransformerShape gpt3 = Gpt3_175B();
  EXPECT_NEAR(6.0 * MatmulParamsPerToken(gpt3) * 300e9 / 3.14e23, 1.0, 0.005);

  // PaLM's attention term 12 L H Q T, by hand: 12 * 96 * 96 * 128 * 2048.
  const double attention = 28'991'029'248.0;
  EXPECT_DOUBLE_EQ(TrainingFlopsPerToken(gpt3, AttentionFlops::NON_CAUSAL) - 6.0 * MatmulParamsPerToken(gpt3),
                   attention);
  // Causal: half of it, which is Kaplan's 6 n_layer n_ctx d_model.
  EXPECT_DOUBLE_EQ(TrainingFlopsPerToken(gpt3, AttentionFlops::CAUSAL) - 6.0 * MatmulParamsPerToken(gpt3),
                   6.0 * 96 * 2048 * 12288);
  EXPECT_DOUBLE_EQ(TrainingFlops(gpt3, 300e9), 300e9 * TrainingFlopsPerToken(gpt3));
}

TEST(Flops, MatmulParamsAreNonEmbeddingPlusTheUnembedding) {
  // Untied: everything except the token-embedding lookup. Tied: every parameter (the matrix is used once, as the
  // unembedding). Learned positions are lookups too.
  EXPECT_DOUBLE_EQ(MatmulParamsPerToken(Llama2_7B()), 6'738'415'616.0 - 32000.0 * 4096.0);
  const ParameterCounts gpt3 = CountParameters(Gpt3_175B());
  EXPECT_DOUBLE_EQ(MatmulParamsPerToken(Gpt3_175B()), static_cast<double>(gpt3.total - gpt3.position_embedding));
  // MoE: only the routed experts count.
  const ParameterCounts mixtral = CountParameters(Mixtral8x7B());
  EXPECT_DOUBLE_EQ(MatmulParamsPerToken(Mixtral8x7B()), static_cast<double>(mixtral.active) - 32000.0 * 4096.0);
}

TEST(Flops, InferenceIsTwoNPlusAttentionOverTheCache) {
  const TransformerShape llama = Llama2_7B();
  const double two_n = 2.0 * (6'738'415'616.0 - 32000.0 * 4096.0);
  EXPECT_DOUBLE_EQ(InferenceFlopsPerToken(llama, 0), two_n);
  EXPECT_DOUBLE_EQ(InferenceFlopsPerToken(llama, 4096), two_n + 4.0 * 32 * 32 * 128 * 4096);
}

// ---------------------------------------------------------------------------------------------------------------
TEST(TrainingMemory, MixedPrecisionAdamIsSixteenBytesPerParameter) {
  const TransformerShape shape = Llama2_7B();
  const double num_params = 6'738'415'616.0;
  TrainingMemoryOptions options;  // bf16, fp32 master weights, Adam
  TrainingMemory memory = EstimateTrainingMemory(shape, options);
  EXPECT_DOUBLE_EQ(memory.ModelStateBytes(), 16.0 * num_params);
  EXPECT_DOUBLE_EQ(memory.weight_bytes, 2.0 * num_params);
  EXPECT_DOUBLE_EQ(memory.optimizer_bytes, 12.0 * num_params);

  options.param_type = NumericType::FP32;  // 4 weights + 4 grads + 8 moments, no separate master copy
  EXPECT_DOUBLE_EQ(EstimateTrainingMemory(shape, options).ModelStateBytes(), 16.0 * num_params);

  options.param_type = NumericType::BF16;
  options.optimizer = Optimizer::SGD_MOMENTUM;
  EXPECT_DOUBLE_EQ(EstimateTrainingMemory(shape, options).ModelStateBytes(), 12.0 * num_params);
  options.optimizer = Optimizer::SGD;
  EXPECT_DOUBLE_EQ(EstimateTrainingMemory(shape, options).ModelStateBytes(), 8.0 * num_params);
  options.fp32_master_weights = false;
  EXPECT_DOUBLE_EQ(EstimateTrainingMemory(shape, options).ModelStateBytes(), 4.0 * num_params);
  options.fp32_master_weights = true;
  options.optimizer = Optimizer::ADAFACTOR;
  EXPECT_DOUBLE_EQ(EstimateTrainingMemory(shape, options).ModelStateBytes(), (8.0 + 8.0 / 4096.0) * num_params);
}

TEST(TrainingMemory, ActivationsFollowKorthikantiForAGpt3Layer) {
  // Korthikanti et al. 2022: 34 s b h + 5 a s^2 b bytes per layer; for GPT-3 they note 5 a s / h = 80.
  const TransformerShape gpt3 = Gpt3_175B();
  const double s = 2048, b = 1, h = 12288, a = 96;
  EXPECT_DOUBLE_EQ(5 * a * s / h, 80.0);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(gpt3, 2048, 1, Recomputation::NONE), 34 * s * b * h + 5 * a * s * s * b);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(gpt3, 2048, 1, Recomputation::NONE) /
                       LayerActivationBytes(gpt3, 2048, 1, Recomputation::SELECTIVE),
                   (34.0 + 80.0) / 34.0);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(gpt3, 2048, 1, Recomputation::FULL), 2 * s * b * h);
  EXPECT_DOUBLE_EQ(LayerActivationBytes(gpt3, 2048, 4, Recomputation::SELECTIVE), 34 * s * 4 * h);

  TrainingMemoryOptions options;
  options.recomputation = Recomputation::FULL;
  options.micro_batch_sequences = 2;
  const TrainingMemory memory = EstimateTrainingMemory(gpt3, options);
  EXPECT_DOUBLE_EQ(memory.activation_bytes, 96 * 2 * s * 2 * h + (34 * s * 2 * h + 5 * a * s * s * 2));
  EXPECT_DOUBLE_EQ(memory.logit_bytes, 4 * s * 2 * 50257);
}

TEST(TrainingMemory, GatedAndGroupedShapesUseTheirOwnWidths) {
  // Llama 2 7B (MHA, SwiGLU, f = 11008), by hand: norms 4, attention 3 + 4 + 4, MLP 3 (all x s b h) + 8 s b f.
  const TransformerShape llama = Llama2_7B();
  const double s = 4096, h = 4096, f = 11008;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(llama, 4096, 1, Recomputation::SELECTIVE), 18 * s * h + 8 * s * f);
  // Llama 3 70B, eight key/value heads of 128: K and V are 1024 wide.
  const TransformerShape llama3 = Llama3_70B();
  const double s3 = 8192, h3 = 8192, kv = 1024, f3 = 28672;
  EXPECT_DOUBLE_EQ(LayerActivationBytes(llama3, 8192, 1, Recomputation::SELECTIVE),
                   4 * s3 * h3 + (3 * s3 * h3 + 4 * s3 * h3 + 4 * s3 * kv) + (3 * s3 * h3 + 8 * s3 * f3));

  TrainingMemoryOptions options;
  std::string why;
  options.param_type = NumericType::FP8;
  EXPECT_FALSE(options.Check(&why));
  options.param_type = NumericType::BF16;
  options.micro_batch_sequences = 0;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "micro_batch_sequences must be at least 1");
}

// ---------------------------------------------------------------------------------------------------------------
// The count of a proposal, written out independently: RMSNorm, rotary, no biases, untied unless `tied`.
std::int64_t IndependentCount(const TransformerShape& s, bool tied, bool count_embeddings) {
  const std::int64_t d = s.d_model, f = s.d_ff, kv = s.KvHeads() * s.HeadDim();
  const std::int64_t per_layer = 2 * d * d + 2 * d * kv + (s.glu ? 3 : 2) * d * f + 2 * d;
  const std::int64_t non_embedding = s.num_layers * per_layer + d;
  return non_embedding + (count_embeddings ? (tied ? 1 : 2) * s.vocab_size * d : 0);
}

void ExpectPracticalProposals(double target, const ShapeProposalOptions& options) {
  const std::vector<ShapeProposal> proposals = ProposeShapes(target, options);
  ASSERT_FALSE(proposals.empty()) << "target " << target;
  double previous = 0.0;
  for (const ShapeProposal& p : proposals) {
    const TransformerShape& s = p.shape;
    SCOPED_TRACE("target " + std::to_string(target) + ": d_model " + std::to_string(s.d_model) + ", layers " +
                 std::to_string(s.num_layers));
    EXPECT_EQ(s.d_model % 128, 0);
    EXPECT_EQ(s.d_model % s.num_heads, 0);
    EXPECT_EQ(s.HeadDim(), 128);
    EXPECT_EQ(s.num_heads * 128, s.d_model);
    if (options.glu) {
      EXPECT_EQ(s.d_ff % 256, 0);
      EXPECT_LE(std::fabs(static_cast<double>(s.d_ff) - 8.0 / 3.0 * static_cast<double>(s.d_model)), 128.0);
    } else {
      EXPECT_EQ(s.d_ff, 4 * s.d_model);
    }
    if (options.num_kv_heads > 0) {
      EXPECT_EQ(s.KvHeads(), options.num_kv_heads);
      EXPECT_EQ(s.num_heads % options.num_kv_heads, 0);
    }
    const double width_per_layer = static_cast<double>(s.d_model) / static_cast<double>(s.num_layers);
    EXPECT_GE(width_per_layer, options.min_width_per_layer);
    EXPECT_LE(width_per_layer, options.max_width_per_layer);
    const std::int64_t count = IndependentCount(s, options.tied_embeddings, options.count_embeddings);
    EXPECT_EQ(p.num_params, count);
    EXPECT_DOUBLE_EQ(p.relative_error, (static_cast<double>(count) - target) / target);
    EXPECT_LE(std::fabs(p.relative_error), 0.05);
    EXPECT_GE(std::fabs(p.relative_error), previous);  // sorted by closeness
    previous = std::fabs(p.relative_error);
  }
  // The grid is coarse while the embedding dominates; from 1B up the closest shape is within 0.5%.
  EXPECT_LE(std::fabs(proposals.front().relative_error), target >= 1e9 ? 0.005 : 0.02) << "target " << target;
}

TEST(ProposeShapes, PracticalShapesFromTenMillionToOneHundredTrillion) {
  for (double target : {30e6, 100e6, 300e6, 1e9, 7e9, 70e9, 400e9, 1e12, 10e12, 100e12}) {
    ExpectPracticalProposals(target, ShapeProposalOptions{});
  }
  // At 10M an untied 32k vocabulary alone is over budget from the smallest width up; tied, it fits.
  EXPECT_TRUE(ProposeShapes(10e6).empty());
  ShapeProposalOptions tied;
  tied.tied_embeddings = true;
  ExpectPracticalProposals(10e6, tied);
}

TEST(ProposeShapes, NonGatedTiedGroupedAndNonEmbeddingVariants) {
  ShapeProposalOptions options;
  options.glu = false;
  options.tied_embeddings = true;
  options.count_embeddings = false;
  for (double target : {100e6, 13e9, 175e9}) ExpectPracticalProposals(target, options);

  options = ShapeProposalOptions{};
  options.num_kv_heads = 8;
  options.vocab_size = 128256;
  for (double target : {8e9, 70e9, 405e9}) ExpectPracticalProposals(target, options);
}

TEST(ProposeShapes, WidthsLieOnTheCoarseningGrid) {
  const std::vector<ShapeProposal> proposals = ProposeShapes(70e9);
  ASSERT_EQ(proposals.size(), 5u);
  for (size_t i = 0; i < proposals.size(); ++i) {
    const std::int64_t d = proposals[i].shape.d_model;
    // Between 4096 and 8192 the grid step is 256, between 8192 and 16384 it is 512.
    EXPECT_EQ(d % (d >= 8192 ? 512 : 256), 0) << d;
    for (size_t j = 0; j < i; ++j) EXPECT_NE(proposals[j].shape.d_model, d);  // one depth per width
  }
  ShapeProposalOptions fine;
  fine.widths_per_octave = 0;  // every multiple of 128
  bool off_grid = false;
  for (const ShapeProposal& p : ProposeShapes(70e9, fine)) off_grid |= p.shape.d_model % 256 != 0;
  EXPECT_TRUE(off_grid);
  // Nothing near the target when the embedding alone is bigger than it.
  ShapeProposalOptions huge_vocab;
  huge_vocab.vocab_size = 256000;
  EXPECT_TRUE(ProposeShapes(10e6, huge_vocab).empty());
}

TEST(Names, RoundTrip) {
  for (NumericType type : kAllNumericTypes) EXPECT_EQ(TryParseNumericType(NumericTypeName(type)), type);
  EXPECT_EQ(TryParseNumericType("BF16"), NumericType::BF16);
  EXPECT_FALSE(TryParseNumericType("fp6").has_value());
  EXPECT_EQ(BytesPerElement(NumericType::BF16), 2.0);
  EXPECT_EQ(BytesPerElement(NumericType::TF32), 4.0);
  EXPECT_EQ(BytesPerElement(NumericType::FP4), 0.5);
  EXPECT_EQ(TryParseOptimizer("SGD-Momentum"), Optimizer::SGD_MOMENTUM);
  EXPECT_EQ(TryParseRecomputation("full"), Recomputation::FULL);
  EXPECT_EQ(TryParseAttentionFlops("causal"), AttentionFlops::CAUSAL);
  EXPECT_FALSE(TryParseOptimizer("lion").has_value());
}

}  // namespace
}  // namespace scaleplan
