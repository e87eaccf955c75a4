#include "core/architectures.h"

#include <gtest/gtest.h>

namespace scaleplan {
namespace {

ParameterCounts Counts(const char* name) { return CountParameters(FindArchitecture(name).shape); }

// Published totals: DeepSeek-V3 671B total / 37B active (its 14B multi-token-prediction module not counted);
// Mixtral 8x7B 46.7B / 12.9B; Llama 3 8B, 70B, 405B; GPT-3 175B; the Megatron-LM 1T row (1,008.0B).
TEST(ArchitecturesTest, ParameterCountsMatchPublishedFigures) {
  EXPECT_NEAR(Counts("deepseek-v3").total / 1e9, 671.0, 1.0);
  EXPECT_NEAR(Counts("deepseek-v3").active / 1e9, 37.5, 0.6);
  EXPECT_NEAR(Counts("mixtral-8x7b").total / 1e9, 46.7, 0.05);
  EXPECT_NEAR(Counts("mixtral-8x7b").active / 1e9, 12.9, 0.05);
  EXPECT_NEAR(Counts("llama3-8b").total / 1e9, 8.03, 0.01);
  EXPECT_NEAR(Counts("llama3-70b").total / 1e9, 70.6, 0.1);
  EXPECT_NEAR(Counts("llama3-405b").total / 1e9, 405.8, 0.2);
  EXPECT_NEAR(Counts("gpt3-175b").total / 1e9, 175.0, 0.5);
  EXPECT_NEAR(Counts("megatron-1t").total / 1e9, 1008.0, 1.5);
  EXPECT_NEAR(Counts("chinchilla-70b").total / 1e9, 70.0, 0.5);
}

TEST(ArchitecturesTest, DeepSeekV3ClosedForms) {
  // By hand from the report's sizes: MLA attention per layer, 3 dense layers, 58 MoE layers of 256 + 1 experts.
  const TransformerShape& s = FindArchitecture("deepseek-v3").shape;
  const ParameterCounts counts = CountParameters(s);
  const std::int64_t d = 7168;
  const std::int64_t attention =
      d * 1536 + 1536 + 1536 * 128 * 192 + d * (512 + 64) + 512 + 512 * 128 * (128 + 128) + 128 * 128 * d;
  EXPECT_EQ(counts.attention_per_layer, attention);
  const std::int64_t expert = 3 * d * 2048;
  EXPECT_EQ(counts.routed_experts, 58 * 256 * expert);
  EXPECT_EQ(counts.mlp, 3 * 3 * d * 18432 + 58 * 257 * expert);
  EXPECT_EQ(counts.total - counts.active, 58 * 248 * expert);
  // Training FLOPs per token: 6 x (active non-embedding + V d) + 6 L H T (192 + 128).
  const double expected = 6.0 * (static_cast<double>(counts.active_non_embedding) + 129280.0 * 7168.0) +
                          6.0 * 61 * 128 * 4096.0 * (192 + 128);
  EXPECT_DOUBLE_EQ(TrainingFlopsPerToken(s), expected);
}

TEST(ArchitecturesTest, DenseGptFlopsAreNarayanans) {
  // 72 L h^2 + 12 L h s + 6 V h per token for a GPT without biases (Narayanan et al. 2021).
  TransformerShape s = FindArchitecture("megatron-1t").shape;
  s.linear_biases = false;
  s.position_encoding = PositionEncoding::ROTARY;
  s.norm = NormKind::RMS_NORM;
  const double l = 128, h = 25600, seq = 2048, vocab = 51200;
  const double norms = (2 * l + 1) * h;
  EXPECT_NEAR(TrainingFlopsPerToken(s), 72 * l * h * h + 12 * l * h * seq + 6 * vocab * h + 6 * (norms - 0), 1.0);
}

TEST(ArchitecturesTest, OverridesAreCheckedWithTheReason) {
  ShapeOverrides overrides;
  overrides.heads = 7;  // does not divide 4096
  try {
    ApplyShapeOverrides(FindArchitecture("llama3-8b").shape, overrides, InputLocation{"--heads"});
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("this architecture cannot exist: num_kv_heads must not exceed num_heads"),
              std::string::npos)
        << error.what();
  }
  overrides = {};
  overrides.active_experts = 9;
  EXPECT_THROW(ApplyShapeOverrides(FindArchitecture("mixtral-8x7b").shape, overrides, {}), InputError);
  overrides = {};
  overrides.layers = 40;
  EXPECT_EQ(ApplyShapeOverrides(FindArchitecture("llama3-8b").shape, overrides, {}).num_layers, 40);
  EXPECT_THROW(FindArchitecture("llama4"), InputError);
}

TEST(ArchitecturesTest, BadCatalogueNamesThePointer) {
  try {
    ParseArchitectures(R"({"schema_version":1,"architectures":[{"name":"x","source":"y","layers":2,"d_model":10,)"
                       R"("heads":3,"ffn":4,"vocab":5,"seq_len":6}]})",
                       "f.json");
    FAIL();
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("/architectures/0: not a buildable architecture"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(
      ParseArchitectures(R"({"schema_version":1,"architectures":[{"name":"x","source":"y","layers":-2}]})", "f.json"),
      InputError);
}

}  // namespace
}  // namespace scaleplan
