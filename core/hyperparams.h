// Hyper-parameters of a plan: the global batch (tokens and whole sequences), the peak learning rate, the number of
// optimizer steps and of warm-up steps, from a published law or from one fitted to the user's sweeps
// (fitting/hyperparams_fit.h), with a warning when the plan lies outside the range the law was fitted on and when
// the batch exceeds the critical batch size.
//
// Every law here has the one form
//     learning_rate = lr_coefficient    * C^lr_compute_exponent    * N^lr_params_exponent * D^lr_tokens_exponent
//     batch_tokens  = batch_coefficient * C^batch_compute_exponent * D^batch_tokens_exponent
// with C the training compute in FLOPs, N the non-embedding parameters and D the training tokens.
//
// DeepSeek LLM (Bi et al. 2024, arXiv 2401.02954, section 3.1, their eq. 1):
//     eta_opt = 0.3118 C^-0.1250,   B_opt = 0.2920 C^0.3271   (B in tokens)
// fitted on the near-optimal runs (within 0.25% of the best generalization error) of grid searches over batch and
// learning rate at compute budgets from 1e17 to 2e19 FLOPs, checked at 1e20, and used by DeepSeek for their 7B and
// 67B models (about 1e23 and 8e23 FLOPs by 6ND). These range figures are as recalled from the paper's section 3.1
// and its Figure 3, not re-read for this code. C is DeepSeek's own compute, C = M D with
// M = 72 n_layer d_model^2 + 12 n_layer d_model l_seq (non-embedding FLOPs per token, attention included): for a
// plain transformer 6 N_nonembedding = 72 n_layer d_model^2, so C / (6 N_nonembedding D) = 1 + l_seq / (6 d_model).
// Their allocation law is M_opt = 0.1715 C^0.5243, D_opt = 5.8316 C^0.4757 (eq. 4).
//
// Step Law (Li et al. 2025, arXiv 2503.04715):
//     eta = 1.79 N^-0.713 D^0.307,   B = 0.58 D^0.571   (B in tokens, N non-embedding)
// fitted on a grid search of about 3,700 runs. The model sizes and token counts of those runs, as recalled from the
// paper (not re-read here): N from about 6e7 to 1e9 non-embedding parameters, D from about 2e9 to 1e11 tokens (their
// held-out test point is 1B parameters on 100B tokens).
//
// What counts as "outside the range": DeepSeek's law warns outside [1e17, 1e24] FLOPs, the fitted budgets up to the
// largest model DeepSeek trained with it (the 67B model) rather than only up to 2e19, which every real plan exceeds;
// the warning says how far beyond the fitted budgets a plan lies all the same. Step Law warns when N or D lies more
// than a factor of 10 beyond its grid (above 1e10 parameters or 1e12 tokens, below 6e6 or 2e8), and says by how much.
//
// Warm-up: DeepSeek LLM warms up for 2,000 steps (their section 2.3); scaleplan takes 2,000 steps, capped at 10% of
// the run for short runs (the cap is scaleplan's choice, not DeepSeek's).
//
// Critical batch (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training", arXiv 1812.06162; fitted in
// Kaplan et al. 2020, arXiv 2001.08361, eq. 5.3): B_crit(L) = B* / L^(1/alpha_B), B* = 2e8 tokens, alpha_B = 0.21,
// with L the loss in nats per token. Beyond B_crit doubling the batch buys much less than halving the number of
// steps: more data parallelism stops paying. Kaplan et al.'s L is on WebText2 with their tokenizer; for other data
// the figure is indicative. It needs the plan's loss: without one there is no critical-batch check.
#ifndef SCALEPLAN_CORE_HYPERPARAMS_H_
#define SCALEPLAN_CORE_HYPERPARAMS_H_

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/chinchilla_law.h"
#include "core/training_plan.h"

namespace scaleplan {

struct HyperparamsLaw {
  std::string name;    // "deepseek", "steplaw" or "fit"
  std::string source;  // for reports: "DeepSeek LLM 2024 (arXiv 2401.02954)" or the fit's file
  double lr_coefficient = 0.0;
  double lr_compute_exponent = 0.0;
  double lr_params_exponent = 0.0;
  double lr_tokens_exponent = 0.0;
  double batch_coefficient = 0.0;
  double batch_compute_exponent = 0.0;
  double batch_tokens_exponent = 0.0;
  // The range a plan may lie in without a warning; 0 = that quantity is not checked.
  double min_compute_flops = 0.0, max_compute_flops = 0.0;
  double min_params = 0.0, max_params = 0.0;
  double min_tokens = 0.0, max_tokens = 0.0;
  // The compute the law was fitted on, for the warning's wording (0 = the range above).
  double fitted_min_compute_flops = 0.0, fitted_max_compute_flops = 0.0;
};

HyperparamsLaw DeepSeekHyperparamsLaw();
HyperparamsLaw StepLawHyperparamsLaw();

// The law's values. `num_params_nonembedding` and `num_tokens` are used only by laws with exponents on them.
double LawLearningRate(const HyperparamsLaw& law, double compute_flops, double num_params_nonembedding,
                       double num_tokens);
double LawBatchTokens(const HyperparamsLaw& law, double compute_flops, double num_tokens);

// DeepSeek LLM's allocation (eq. 4): M_opt = 0.1715 C^0.5243 non-embedding FLOPs per token, D_opt = 5.8316 C^0.4757.
struct DeepSeekScale {
  double flops_per_token = 0.0;  // M_opt
  double num_tokens = 0.0;       // D_opt
};
DeepSeekScale DeepSeekOptimalScale(double compute_flops);

// DeepSeek's M = 72 n_layer d_model^2 + 12 n_layer d_model l_seq, non-embedding FLOPs per token.
double DeepSeekFlopsPerToken(double num_layers, double d_model, double seq_len);

// Kaplan et al. 2020's critical batch in tokens at loss `loss_nats` (> 0).
inline constexpr double kCriticalBatchScaleTokens = 2e8;  // B*
inline constexpr double kCriticalBatchExponent = 0.21;    // alpha_B
double CriticalBatchTokens(double loss_nats);

// DeepSeek LLM's warm-up and scaleplan's cap for short runs.
inline constexpr std::int64_t kWarmupSteps = 2000;
inline constexpr double kMaxWarmupFraction = 0.1;

struct HyperparamsRequest {
  double compute_flops = 0.0;             // C, as the plan counts it (6 N D)
  double num_params = 0.0;                // N, all parameters (for messages only)
  double num_params_nonembedding = 0.0;   // N without embeddings (Step Law); 0 = take num_params
  double num_tokens = 0.0;                // D
  double seq_len = 4096.0;                // tokens per sequence
  double loss_nats = 0.0;                 // the plan's predicted loss; 0 or NaN = unknown (no critical-batch check)

  bool Check(std::string* why) const;
};

struct Hyperparams {
  double batch_tokens = 0.0;            // the law's value, unrounded
  std::int64_t batch_sequences = 0;     // batch_tokens / seq_len rounded to the nearest whole sequence, at least 1
  double seq_len = 0.0;                 // tokens per sequence (the request's)
  double learning_rate = 0.0;           // peak learning rate
  std::int64_t num_steps = 0;           // ceil(D / (batch_sequences seq_len)), at least 1
  std::int64_t warmup_steps = 0;        // min(2000, floor(0.1 num_steps))
  double critical_batch_tokens = 0.0;   // 0 when the plan has no loss
  std::string source;                   // the law's source, labelled
  std::vector<std::string> warnings;    // outside the law's range
  std::vector<std::string> notes;       // information, not a problem: batch beyond the critical batch (front ends
                                        // may add their own)
};

// The hyper-parameters of a plan. The request is checked with SCALEPLAN_CHECK (front ends call Check first).
Hyperparams ChooseHyperparams(const HyperparamsLaw& law, const HyperparamsRequest& request);

// The hyper-parameters of one plan: C = the plan's compute (6 N D), N and D its allocation, the sequence length and
// non-embedding N of the practical shape the memory model chose for N (4,096 tokens and all parameters when it has
// none), and the plan's loss for the critical batch. For DeepSeek's law a note says how far their C = M D (attention
// included, embeddings not) lies from the plan's 6 N D at that shape: M / 6N, N all parameters.
Hyperparams PlanHyperparams(const HyperparamsLaw& law, const Allocation& allocation, const ModelMemory& memory);

// The plan JSON keys batch_tokens, batch_sequences, learning_rate, num_steps, warmup_steps, hyperparams_source,
// critical_batch_tokens (0 without a loss), hyperparams_warnings (outside the law's range, beyond the critical batch)
// and hyperparams_notes, added to *out. The plan's own "warnings" stay the allocation's.
void AddHyperparamsJson(const Hyperparams& hyperparams, nlohmann::ordered_json* out);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_HYPERPARAMS_H_
