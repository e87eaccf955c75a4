#include "core/hyperparams.h"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/transformer.h"
#include "core/units.h"

namespace scaleplan {
namespace {

// |value / expected - 1| <= tolerance.
::testing::AssertionResult Near(double value, double expected, double tolerance = 1e-4) {
  if (std::abs(value / expected - 1.0) <= tolerance) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << value << " differs from " << expected << " by more than " << tolerance
                                       << " relative";
}

bool AnyContains(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& line : lines) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

bool AnyWarningContains(const Hyperparams& hyperparams, const std::string& text) {
  return AnyContains(hyperparams.warnings, text);
}

// The check values of issue 16, computed from DeepSeek LLM's eq. 1 and eq. 4 (arXiv 2401.02954).
TEST(Hyperparams, DeepSeekLawGivesThePublishedCheckValues) {
  const HyperparamsLaw law = DeepSeekHyperparamsLaw();
  EXPECT_TRUE(Near(LawLearningRate(law, 1e17, 0, 0), 2.3382e-3));
  EXPECT_TRUE(Near(LawBatchTokens(law, 1e17, 0), 1.0619e5));
  EXPECT_TRUE(Near(LawLearningRate(law, 1e20, 0, 0), 9.8600e-4));
  EXPECT_TRUE(Near(LawBatchTokens(law, 1e20, 0), 1.0171e6));
  EXPECT_TRUE(Near(LawLearningRate(law, 1e24, 0, 0), 3.118e-4));
  EXPECT_TRUE(Near(LawBatchTokens(law, 1e24, 0), 2.0691e7));
  const DeepSeekScale scale = DeepSeekOptimalScale(1e20);
  EXPECT_TRUE(Near(scale.flops_per_token, 5.2513e9));
  EXPECT_TRUE(Near(scale.num_tokens, 1.9045e10));
  // The law depends on C only: N and D do not move it.
  EXPECT_EQ(LawLearningRate(law, 1e20, 1e9, 1e12), LawLearningRate(law, 1e20, 7e10, 3e9));
}

// The check values of issue 16 for Step Law (Li et al. 2025, arXiv 2503.04715).
TEST(Hyperparams, StepLawGivesThePublishedCheckValues) {
  const HyperparamsLaw law = StepLawHyperparamsLaw();
  EXPECT_TRUE(Near(LawLearningRate(law, 0, 1e9, 2e10), 9.9602e-4));
  EXPECT_TRUE(Near(LawBatchTokens(law, 0, 2e10), 4.4189e5));
  EXPECT_TRUE(Near(LawLearningRate(law, 0, 7e9, 2e12), 1.0226e-3));
  EXPECT_TRUE(Near(LawBatchTokens(law, 0, 2e12), 6.1280e6));
}

// DeepSeek's M with attention: 30 layers of d = 4,096 at a 4,096-token context is 84 * 30 * 4096^2 FLOPs per token,
// 1 + 4096 / (6 * 4096) = 7/6 of 6 N_nonembedding = 72 * 30 * 4096^2.
TEST(Hyperparams, DeepSeekFlopsPerTokenCountsAttention) {
  EXPECT_DOUBLE_EQ(DeepSeekFlopsPerToken(30, 4096, 4096), 84.0 * 30 * 4096.0 * 4096.0);
  EXPECT_DOUBLE_EQ(DeepSeekFlopsPerToken(30, 4096, 4096) / (72.0 * 30 * 4096.0 * 4096.0), 7.0 / 6.0);
}

// B_crit(L) = 2e8 / L^(1/0.21): at L = 2, 2^(1/0.21) = 2^4.7619 = 27.132, B_crit = 7.3715e6 tokens.
TEST(Hyperparams, CriticalBatchFollowsKaplan) {
  EXPECT_TRUE(Near(CriticalBatchTokens(2.0), 7.3715e6));
  EXPECT_TRUE(Near(CriticalBatchTokens(1.0), 2e8, 1e-15));
}

// C = 1e20 with DeepSeek's D_opt = 1.9045e10 at 4,096 tokens per sequence: 1.017145e6 / 4096 = 248.3 -> 248
// sequences (1,015,808 tokens), ceil(1.9045e10 / 1,015,808) = ceil(18748.6) = 18,749 steps, warm-up
// min(2000, floor(1874.9)) = 1,874.
TEST(Hyperparams, DeepSeekPlanRoundsToSequencesAndCountsSteps) {
  HyperparamsRequest request;
  request.compute_flops = 1e20;
  request.num_params = 8.75e8;
  request.num_tokens = 1.9045e10;
  request.seq_len = 4096;
  const Hyperparams h = ChooseHyperparams(DeepSeekHyperparamsLaw(), request);
  EXPECT_TRUE(Near(h.batch_tokens, 1.0171e6));
  EXPECT_EQ(h.batch_sequences, 248);
  EXPECT_TRUE(Near(h.learning_rate, 9.8600e-4));
  EXPECT_EQ(h.num_steps, 18749);
  EXPECT_EQ(h.warmup_steps, 1874);
  EXPECT_NE(h.source.find("DeepSeek LLM 2024"), std::string::npos);
  EXPECT_TRUE(h.warnings.empty()) << h.warnings.front();
  EXPECT_EQ(h.critical_batch_tokens, 0.0);  // no loss, no check
}

// N = 7e9, D = 2e12: B = 6.1280e6 tokens = 1496.08 sequences of 4,096 -> 1,496;
// ceil(2e12 / 6,127,616) = ceil(326,391.2) = 326,392
// steps; warm-up 2,000. D = 2e12 is 20x beyond Step Law's largest D (about 1e11): a warning.
TEST(Hyperparams, StepLawPlanWarnsBeyondItsGrid) {
  HyperparamsRequest request;
  request.compute_flops = 6 * 7e9 * 2e12;
  request.num_params = 7.5e9;
  request.num_params_nonembedding = 7e9;
  request.num_tokens = 2e12;
  request.seq_len = 4096;
  const Hyperparams h = ChooseHyperparams(StepLawHyperparamsLaw(), request);
  EXPECT_TRUE(Near(h.learning_rate, 1.0226e-3));
  EXPECT_TRUE(Near(h.batch_tokens, 6.1280e6));
  EXPECT_EQ(h.batch_sequences, 1496);
  EXPECT_EQ(h.num_steps, 326392);
  EXPECT_EQ(h.warmup_steps, 2000);
  ASSERT_EQ(h.warnings.size(), 1u);
  EXPECT_TRUE(AnyWarningContains(h, "D 2.00e+12 tokens is 20x above")) << h.warnings.front();

  // Inside the grid: N = 1e9, D = 2e10, no warning; without a non-embedding count all parameters are taken.
  request.num_params = 1e9;
  request.num_params_nonembedding = 0;
  request.num_tokens = 2e10;
  const Hyperparams inside = ChooseHyperparams(StepLawHyperparamsLaw(), request);
  EXPECT_TRUE(Near(inside.learning_rate, 9.9602e-4));
  EXPECT_TRUE(inside.warnings.empty());
}

TEST(Hyperparams, DeepSeekWarnsOutsideItsRange) {
  HyperparamsRequest request;
  request.num_params = 1e11;
  request.num_tokens = 1e13;
  request.compute_flops = 6e24;
  const Hyperparams above = ChooseHyperparams(DeepSeekHyperparamsLaw(), request);
  ASSERT_EQ(above.warnings.size(), 1u);
  // Measured against the fitted budgets (up to 2e19): 6e24 / 2e19 = 3e5.
  EXPECT_TRUE(AnyWarningContains(above, "compute 6.00e+24 FLOPs is 3e+05x above")) << above.warnings.front();
  request.compute_flops = 5e16;
  const Hyperparams below = ChooseHyperparams(DeepSeekHyperparamsLaw(), request);
  EXPECT_TRUE(AnyWarningContains(below, "is 2x below")) << below.warnings.front();
}

// At C = 1e20 the batch is 1.0171e6 tokens. At loss 3 the critical batch is 2e8 / 3^4.7619 = 1.0691e6 (no
// note); at loss 3.1 it is 2e8 / 3.1^4.7619 = 0.9146e6 (a note). At C = 1e24 (2.07e7 tokens) and loss 2 (7.37e6) it
// notes it too. A note, never a warning: Kaplan et al.'s loss scale is not the plan's.
TEST(Hyperparams, NotesWhenTheBatchExceedsTheCriticalBatch) {
  HyperparamsRequest request;
  request.compute_flops = 1e20;
  request.num_params = 8.75e8;
  request.num_tokens = 1.9045e10;
  request.loss_nats = 3.0;
  const Hyperparams below = ChooseHyperparams(DeepSeekHyperparamsLaw(), request);
  EXPECT_TRUE(Near(below.critical_batch_tokens, 1.0691e6));
  EXPECT_TRUE(below.warnings.empty());
  EXPECT_FALSE(AnyContains(below.notes, "critical"));
  request.loss_nats = 3.1;
  const Hyperparams above = ChooseHyperparams(DeepSeekHyperparamsLaw(), request);
  EXPECT_TRUE(Near(above.critical_batch_tokens, 0.9146e6, 1e-3));
  EXPECT_TRUE(AnyContains(above.notes, "exceeds the critical batch"));
  EXPECT_TRUE(above.warnings.empty());
  request.compute_flops = 1e24;
  request.loss_nats = 2.0;
  EXPECT_TRUE(AnyContains(ChooseHyperparams(DeepSeekHyperparamsLaw(), request).notes, "critical batch 7.37M"));
  // An unknown loss (NaN) is no check.
  request.loss_nats = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(AnyContains(ChooseHyperparams(DeepSeekHyperparamsLaw(), request).notes, "critical"));
}

// A batch below one sequence still trains on one sequence; a run shorter than 10 steps has no warm-up.
TEST(Hyperparams, TinyPlansKeepOneSequenceAndOneStep) {
  HyperparamsRequest request;
  request.compute_flops = 1e12;  // B = 0.292 * 1e12^0.3271 = 2.5e3 tokens, below 4,096
  request.num_params = 1e5;
  request.num_tokens = 1e3;
  const Hyperparams h = ChooseHyperparams(DeepSeekHyperparamsLaw(), request);
  EXPECT_EQ(h.batch_sequences, 1);
  EXPECT_EQ(h.num_steps, 1);
  EXPECT_EQ(h.warmup_steps, 0);
}

TEST(Hyperparams, RequestCheckNamesTheBadQuantity) {
  HyperparamsRequest request;
  request.compute_flops = 1e20;
  request.num_params = 1e9;
  request.num_tokens = 1e10;
  std::string why;
  EXPECT_TRUE(request.Check(&why));
  request.seq_len = 100.5;
  EXPECT_FALSE(request.Check(&why));
  EXPECT_NE(why.find("sequence length"), std::string::npos);
  request.seq_len = 4096;
  request.num_tokens = -1;
  EXPECT_FALSE(request.Check(&why));
  EXPECT_NE(why.find("token count"), std::string::npos);
  EXPECT_THROW(ChooseHyperparams(DeepSeekHyperparamsLaw(), request), InternalError);
}


// A plan's hyper-parameters take the sequence length and non-embedding N of the practical shape the memory model
// chose, and for DeepSeek's law note how far their C = M D lies from the plan's 6ND there: M / 6N.
TEST(Hyperparams, PlanUsesTheShapeAndWritesItsKeys) {
  Allocation allocation;
  allocation.compute_flops = 1e20;
  allocation.num_params = 8.75e8;
  allocation.num_tokens = 1e20 / (6 * 8.75e8);
  allocation.loss_nats = 2.55;
  const ModelMemory memory = EstimateModelMemory(allocation.num_params, nullptr, RecomputeChoice::AUTO, 0.9);
  ASSERT_TRUE(memory.has_shape);
  const Hyperparams h = PlanHyperparams(DeepSeekHyperparamsLaw(), allocation, memory);
  EXPECT_EQ(h.seq_len, static_cast<double>(memory.shape.context_length));
  EXPECT_TRUE(Near(h.batch_tokens, 1.0171e6));
  EXPECT_EQ(h.batch_sequences, std::llround(h.batch_tokens / h.seq_len));
  ASSERT_EQ(h.notes.size(), 1u);
  // M = 72 L d^2 + 12 L d l against 6 N, by hand from the shape.
  const double layers = static_cast<double>(memory.shape.num_layers), d = static_cast<double>(memory.shape.d_model);
  const double ratio = (72.0 * layers * d * d + 12.0 * layers * d * h.seq_len) / (6.0 * allocation.num_params);
  EXPECT_NE(h.notes[0].find(FormatSignificant(ratio, 4) + "x the 6N used here"), std::string::npos) << h.notes[0];
  // Step Law takes the shape's non-embedding count: its learning rate is the law's at that N.
  const Hyperparams step = PlanHyperparams(StepLawHyperparamsLaw(), allocation, memory);
  const double n_nonembedding = static_cast<double>(CountParameters(memory.shape).non_embedding);
  EXPECT_TRUE(Near(step.learning_rate, 1.79 * std::pow(n_nonembedding, -0.713) *
                                           std::pow(allocation.num_tokens, 0.307), 1e-12));
  nlohmann::ordered_json json = {{"warnings", nlohmann::ordered_json::array()}};
  AddHyperparamsJson(h, &json);
  for (const char* key : {"batch_tokens", "batch_sequences", "learning_rate", "num_steps", "warmup_steps",
                          "hyperparams_source", "critical_batch_tokens", "hyperparams_warnings", "hyperparams_notes"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["batch_sequences"].get<long long>(), h.batch_sequences);
  EXPECT_TRUE(json["warnings"].empty());  // the plan's own warnings are left alone
}

}  // namespace
}  // namespace scaleplan
