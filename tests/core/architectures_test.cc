#include "core/architectures.h"

#include <optional>
#include <set>
#include <string>

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

TEST(ArchitecturesTest, APlanModelFromScratchIsLlama2WithItsPublishedCount) {
  // 32 layers x 4096 with 32 heads: SwiGLU d_ff = 8/3 d rounded to 256 = 11,008, a 32,000-token vocabulary, untied
  // embeddings: Llama 2 7B (Touvron et al. 2023), whose released checkpoint holds 6,738,415,616 parameters.
  ShapeOverrides overrides;
  overrides.layers = 32;
  overrides.d_model = 4096;
  overrides.heads = 32;
  const std::optional<TransformerShape> shape = ResolvePlanModel("", overrides);
  ASSERT_TRUE(shape.has_value());
  EXPECT_EQ(shape->d_ff, 11008);
  EXPECT_EQ(shape->vocab_size, 32000);
  EXPECT_EQ(shape->context_length, 4096);
  EXPECT_EQ(CountParameters(*shape).total, 6738415616);
  // A plain MLP is 4 d wide (GPT-2, GPT-3), unless ffn says otherwise.
  overrides.glu = ParseFfnKind("mlp");
  EXPECT_EQ(ResolvePlanModel("", overrides)->d_ff, 4 * 4096);
  overrides.ffn = 10000;
  EXPECT_EQ(ResolvePlanModel("", overrides)->d_ff, 10000);
}

TEST(ArchitecturesTest, APlanModelNamesWhatIsWrongAsTheCommandLineDoes) {
  ShapeOverrides overrides;
  EXPECT_FALSE(ResolvePlanModel("", overrides).has_value());
  overrides.seq_len = 8192;  // a size that defines no model: it applies to the shape proposed for N
  EXPECT_FALSE(ResolvePlanModel("", overrides).has_value());
  EXPECT_EQ(ResolvePlanModel("LLAMA3-8B", overrides)->context_length, 8192);
  overrides.layers = 32;
  overrides.d_model = 4096;
  const auto message = [](const std::string& arch, const ShapeOverrides& o) {
    try {
      ResolvePlanModel(arch, o);
    } catch (const UsageError& error) {
      return std::string(error.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message("", overrides),
            "a model from the shape options needs at least --layers, --d-model and --heads (or --arch)");
  overrides.heads = 30;
  EXPECT_EQ(message("", overrides),
            "shape options: this architecture cannot exist: num_heads must divide d_model when head_dim is left at 0");
  EXPECT_EQ(message("nope", {}).rfind("--arch: unknown architecture (known: gpt3-175b, ", 0), 0) << message("nope", {});
  EXPECT_THROW(ParseFfnKind("swiglu"), UsageError);
  EXPECT_TRUE(ParseFfnKind("glu"));
  // Every shape option sets its own field, and only the counts that may be absent take 0.
  std::set<std::string> names;
  for (const ShapeOption& option : ShapeOptions()) {
    ShapeOverrides one;
    one.*option.field = 3;
    EXPECT_TRUE(one.Any()) << option.name;
    names.insert(option.name);
    const bool may_be_zero =
        std::string(option.name) == "shared-experts" || std::string(option.name) == "dense-layers";
    EXPECT_EQ(option.min_value, may_be_zero ? 0 : 1) << option.name;
  }
  EXPECT_EQ(names.size(), 18u);  // 18 distinct options
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
