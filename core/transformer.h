// Architecture accounting for decoder-only transformers: parameter counts, FLOPs per token, training memory, and
// the reverse (practical shapes for a target parameter count).
//
// What is counted (per layer, L layers; d = d_model, H query heads, K key/value heads, Q head_dim, f = d_ff,
// V = vocab_size, T = context_length, E experts of which k are active per token):
//   attention      W_q d x HQ, W_k d x KQ, W_v d x KQ, W_o HQ x d          (K < H is grouped-query attention)
//                  + biases HQ + 2KQ + d                                    (only with linear_biases)
//                  + Transformer-XL relative positions (RELATIVE_XL only): W_kR d x HQ and the u, v vectors 2HQ
//   MLP, per expert  2 d f (up, down), or 3 d f with a gated linear unit (gate, up, down)
//                  + biases f + d, or 2f + d with a GLU                     (only with linear_biases)
//   router         d x E, no bias                                           (only when E > 1)
//   norms          two per layer (before attention and before the MLP): d each for RMSNorm, 2d for LayerNorm
// Outside the layers:
//   token embedding V x d; learned absolute positions T x d (LEARNED_ABSOLUTE only); a final norm;
//   the unembedding V x d when it is not tied to the token embedding. No output bias.
//
// "Embedding" parameters are the token embedding, the learned position table and an untied unembedding (Kaplan et
// al. 2020 leave these out of N). "Active" parameters are those one token uses: all of them except the MLPs of the
// E - k experts the router did not pick.
#ifndef SCALEPLAN_CORE_TRANSFORMER_H_
#define SCALEPLAN_CORE_TRANSFORMER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scaleplan {

// ---------------------------------------------------------------------------------------------------------------
// Numeric formats, for storage (bytes per element) and for looking up an accelerator's peak.
// FP4 is a compute format with a catalogue peak (B200, GB200); no plan trains in it yet.
enum class NumericType { FP32, TF32, BF16, FP16, FP8, FP4 };
inline constexpr NumericType kAllNumericTypes[] = {NumericType::FP32, NumericType::TF32, NumericType::BF16,
                                                   NumericType::FP16, NumericType::FP8,  NumericType::FP4};
inline constexpr int kNumNumericTypes = 6;

// "fp32", "tf32", "bf16", "fp16", "fp8", "fp4".
const char* NumericTypeName(NumericType type);
// Case-insensitive inverse of NumericTypeName; nullopt for anything else.
std::optional<NumericType> TryParseNumericType(std::string_view name);
// Storage size: 4 for fp32 and tf32 (tf32 is a tensor-core mode over fp32 storage), 2 for bf16/fp16, 1 for fp8,
// 0.5 for fp4.
double BytesPerElement(NumericType type);

// ---------------------------------------------------------------------------------------------------------------
// The shape.
enum class NormKind { RMS_NORM, LAYER_NORM };

enum class PositionEncoding {
  ROTARY,            // no parameters (also right for ALiBi and no positional encoding)
  LEARNED_ABSOLUTE,  // a context_length x d_model table (GPT-2, GPT-3)
  RELATIVE_XL,       // Transformer-XL relative positions, as in Gopher and Chinchilla: per layer W_kR and u, v
};

struct TransformerShape {
  std::int64_t num_layers = 0;
  std::int64_t d_model = 0;
  std::int64_t num_heads = 0;         // query heads
  std::int64_t num_kv_heads = 0;      // key/value heads; 0 = num_heads (multi-head attention)
  std::int64_t head_dim = 0;          // 0 = d_model / num_heads
  std::int64_t d_ff = 0;              // MLP hidden width (per expert)
  bool glu = false;                   // gated linear unit MLP (SwiGLU, GeGLU): three matrices instead of two
  std::int64_t vocab_size = 0;
  std::int64_t context_length = 0;    // training sequence length in tokens
  bool tied_embeddings = false;       // the unembedding reuses the token embedding matrix
  std::int64_t num_experts = 1;       // routed MLP experts per MoE layer; 1 = dense
  std::int64_t active_experts = 1;    // routed experts each token is sent to (top-k)
  std::int64_t num_shared_experts = 0;  // experts every token passes through in an MoE layer (DeepSeek); width
                                        // expert_d_ff each
  std::int64_t expert_d_ff = 0;       // hidden width of one routed or shared expert; 0 = d_ff
  std::int64_t first_dense_layers = 0;  // the first k layers have a dense MLP of width d_ff (DeepSeek-V3: 3)
  std::int64_t moe_layer_interval = 1;  // after those, every m-th layer is an MoE layer (1: all; GShard: 2)
  // Multi-head latent attention (DeepSeek-V2/V3), used when kv_lora_rank > 0: queries through an optional
  // low-rank q_lora_rank (0 = a full d x H (nope + rope) projection), keys and values through a shared kv_lora_rank
  // latent plus one rope key of qk_rope_head_dim shared by all heads; per head qk_nope_head_dim + qk_rope_head_dim
  // for scores and v_head_dim for values. num_kv_heads and head_dim are then not used.
  std::int64_t q_lora_rank = 0;
  std::int64_t kv_lora_rank = 0;
  std::int64_t qk_nope_head_dim = 0;
  std::int64_t qk_rope_head_dim = 0;
  std::int64_t v_head_dim = 0;
  NormKind norm = NormKind::RMS_NORM;
  PositionEncoding position_encoding = PositionEncoding::ROTARY;
  bool linear_biases = false;         // biases on every attention and MLP matrix (GPT-2/3 style)

  std::int64_t KvHeads() const { return num_kv_heads > 0 ? num_kv_heads : num_heads; }
  std::int64_t HeadDim() const { return head_dim > 0 ? head_dim : (num_heads > 0 ? d_model / num_heads : 0); }
  bool IsMla() const { return kv_lora_rank > 0; }
  bool IsMoe() const { return num_experts > 1; }
  // Per-head widths of the score product (query/key) and of the value product: HeadDim() both without MLA.
  std::int64_t QkHeadDim() const { return IsMla() ? qk_nope_head_dim + qk_rope_head_dim : HeadDim(); }
  std::int64_t VHeadDim() const { return IsMla() ? v_head_dim : HeadDim(); }
  std::int64_t ExpertFfn() const { return expert_d_ff > 0 ? expert_d_ff : d_ff; }
  // Layers whose MLP is a mixture of experts (0 for a dense model); the others have a dense d_ff MLP.
  std::int64_t NumMoeLayers() const {
    return IsMoe() && num_layers > first_dense_layers ? (num_layers - first_dense_layers) / moe_layer_interval : 0;
  }

  // False, with the reason in *why (if given), when the shape is not buildable: a size below 1, head_dim left at 0
  // while num_heads does not divide d_model, query heads not a multiple of key/value heads, active experts outside
  // 1..num_experts, or a parameter count beyond 2^62.
  bool Check(std::string* why) const;
};

// Parameter counts by component (see the top of this file for exactly what each holds).
struct ParameterCounts {
  std::int64_t token_embedding = 0;     // V d
  std::int64_t position_embedding = 0;  // T d, LEARNED_ABSOLUTE only
  std::int64_t unembedding = 0;         // V d when untied, else 0
  std::int64_t attention = 0;           // all layers, biases and relative-position projections included
  std::int64_t mlp = 0;                 // all layers, all experts, biases included
  std::int64_t mlp_per_expert_layer = 0;  // one expert's MLP in one layer (expert_d_ff wide in an MoE model)
  std::int64_t dense_mlp_per_layer = 0;   // one dense layer's MLP (d_ff wide)
  std::int64_t attention_per_layer = 0;   // one layer's attention block
  std::int64_t routed_experts = 0;        // all layers, all routed experts (the part expert parallelism shards)
  std::int64_t router = 0;              // all layers
  std::int64_t norms = 0;               // all layers and the final norm
  std::int64_t per_layer = 0;           // one layer, everything in it (all experts; the largest kind of layer)

  std::int64_t total = 0;
  std::int64_t embedding = 0;             // token_embedding + position_embedding + unembedding
  std::int64_t non_embedding = 0;         // total - embedding
  std::int64_t active = 0;                // per token: total minus the unrouted experts' MLPs
  std::int64_t active_non_embedding = 0;  // active - embedding
};

ParameterCounts CountParameters(const TransformerShape& shape);

// ---------------------------------------------------------------------------------------------------------------
// FLOPs per token (one multiply-add = 2 FLOPs).
//
// Matrix part: 2 N forward and 4 N backward, with N = active non-embedding parameters + V d (the unembedding
// matmul, which runs whether or not it is tied; the embedding lookup costs nothing). Norms, biases and the router
// sit inside N; their few elementwise FLOPs are counted as if they were matmul weights, which is negligible.
//
// Attention part (PaLM, Chowdhery et al. 2022, appendix B): 12 L H Q T per token for training, counting the full
// T x T score and value products (non-causal). A causal model only needs the lower triangle, half of it: 6 L H Q T,
// which is also Kaplan et al.'s 6 n_layer n_ctx d_attn. The default is PaLM's non-causal count because published
// MFU figures (PaLM 46.2%, and the 40% planning default) are measured with it: time = FLOPs / (peak x MFU) is
// only right when FLOPs and MFU follow the same convention. Softmax, norms and activations are not counted.
// With different score and value head sizes (MLA) the product is 6 L H T (Q_qk + Q_v), which is 12 L H Q T when
// both are Q. For a dense GPT (H Q = h, N = 12 L h^2 + V h) the total is 72 L h^2 + 12 L h T + 6 V h per token,
// Narayanan et al. 2021's 72 b s L h^2 (1 + s/(6h) + V/(12 L h)) per iteration of b sequences of s = T tokens.
enum class AttentionFlops {
  NON_CAUSAL,  // 12 L H Q T (PaLM's MFU convention)
  CAUSAL,      // 6 L H Q T (only the unmasked half)
};

// The N of the matrix part: active non-embedding parameters + V d.
double MatmulParamsPerToken(const TransformerShape& shape);

// 6 N + attention, at the shape's context_length.
double TrainingFlopsPerToken(const TransformerShape& shape, AttentionFlops attention = AttentionFlops::NON_CAUSAL);

// TrainingFlopsPerToken x num_tokens.
double TrainingFlops(const TransformerShape& shape, double num_tokens,
                     AttentionFlops attention = AttentionFlops::NON_CAUSAL);

// One generated token attending to `context_tokens` cached positions: 2 N + 4 L H Q context_tokens (the score
// product and the value product, 2 H Q FLOPs each per cached position and layer).
double InferenceFlopsPerToken(const TransformerShape& shape, std::int64_t context_tokens);

// ---------------------------------------------------------------------------------------------------------------
// Training memory on one data-parallel replica before sharding: weights, gradients, optimizer state, activations.
enum class Optimizer {
  ADAM,          // two fp32 moments: 8 bytes per parameter
  SGD_MOMENTUM,  // one fp32 momentum: 4 bytes per parameter
  SGD,           // no state
  ADAFACTOR,     // factored fp32 second moment, no momentum: 4 (rows + cols) bytes per matrix, approximated as
                 // 8 / d_model bytes per parameter (exact for a square d_model x d_model matrix)
};

// Activation memory per layer follows Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
// Transformer Models", section 4.1, for 16-bit activations without tensor or sequence parallelism, with s sequence
// tokens, b sequences per micro-batch, h = d_model and a = heads:
//   34 s b h + 5 a s^2 b bytes per layer (no recomputation), 34 s b h with selective recomputation of the attention
//   scores, and 2 s b h (the layer input alone) with full recomputation.
// Their 34 s b h is 4 (two norm inputs) + 11 (attention) + 19 (MLP). We write the attention and MLP parts for the
// general shape so that the published formula is the special case of multi-head attention with a 4h non-gated MLP:
//   attention  3 s b h + 4 s b HQ + 4 s b KQ           (input, Q, K, V, the attention output, the dropout mask)
//   MLP        3 s b h + 4 s b f, or 3 s b h + 8 s b f with a GLU; each of the k routed experts adds its f terms.
// Dropout masks (1 byte) are kept as in the paper, so the figure is slightly high for models trained without
// dropout. FP32 activations double it. On top of the layers we count fp32 logits for the loss, 4 s b V bytes.
enum class Recomputation {
  NONE,       // store everything: 34 s b h + 5 a s^2 b per layer
  SELECTIVE,  // recompute the attention scores (what FlashAttention-style kernels do anyway): 34 s b h per layer
  FULL,       // store each layer's input, 2 s b h, and recompute one layer at a time during the backward pass
};

struct TrainingMemoryOptions {
  NumericType param_type = NumericType::BF16;  // weights and gradients as used for compute: FP32, BF16 or FP16
  bool fp32_master_weights = true;             // mixed precision: an fp32 copy for the update (not with FP32)
  Optimizer optimizer = Optimizer::ADAM;
  Recomputation recomputation = Recomputation::SELECTIVE;
  std::int64_t micro_batch_sequences = 1;      // sequences per device per forward pass
  std::int64_t sequence_tokens = 0;            // 0 = the shape's context_length

  bool Check(std::string* why) const;
};

struct TrainingMemory {
  double weight_bytes = 0;         // total parameters x bytes of param_type
  double gradient_bytes = 0;       // same
  double optimizer_bytes = 0;      // fp32 master copy (mixed precision) + optimizer moments
  double activation_bytes = 0;     // all layers, one micro-batch, per device
  double logit_bytes = 0;          // fp32 logits for the loss, one micro-batch
  double layer_weight_bytes = 0;   // one layer's weights (all experts) in param_type, gathered when sharded

  double ModelStateBytes() const { return weight_bytes + gradient_bytes + optimizer_bytes; }
  double ActivationAndLogitBytes() const { return activation_bytes + logit_bytes; }
  double TotalBytes() const { return ModelStateBytes() + ActivationAndLogitBytes(); }
};

TrainingMemory EstimateTrainingMemory(const TransformerShape& shape, const TrainingMemoryOptions& options = {});

// Bytes of optimizer state per parameter (fp32 master copy + moments), as EstimateTrainingMemory counts them.
double OptimizerBytesPerParam(const TransformerShape& shape, const TrainingMemoryOptions& options);

// Korthikanti et al.'s per-layer activation bytes for one layer of `shape` (see Recomputation); in a model that
// mixes dense and MoE layers, the average layer (L times this is the model's total).
double LayerActivationBytes(const TransformerShape& shape, std::int64_t sequence_tokens,
                            std::int64_t micro_batch_sequences, Recomputation recomputation);

const char* OptimizerName(Optimizer optimizer);          // "adam", "sgd-momentum", "sgd", "adafactor"
std::optional<Optimizer> TryParseOptimizer(std::string_view name);
const char* RecomputationName(Recomputation recomputation);  // "none", "selective", "full"
std::optional<Recomputation> TryParseRecomputation(std::string_view name);
const char* AttentionFlopsName(AttentionFlops attention);    // "non-causal", "causal"
std::optional<AttentionFlops> TryParseAttentionFlops(std::string_view name);

// ---------------------------------------------------------------------------------------------------------------
// The reverse: practical dense shapes for a target parameter count.
//
// Each candidate has d_model a multiple of head_dim (so of 128 by default), on a grid that coarsens with width to
// about widths_per_octave steps per doubling (with 16: steps of 128 up to 4096, then 256 to 8192, 512 to 16384, ...;
// published widths such as 5120, 12288, 14336, 14848 and 18432 lie on it), num_heads = d_model / head_dim,
// d_ff = 8/3 d_model rounded to the nearest multiple of ffn_multiple with a GLU (at least one multiple) or
// 4 d_model without, RMSNorm, rotary positions and no biases. For each width the depth whose count is closest to
// the target is kept when d_model / num_layers lies in [min_width_per_layer, max_width_per_layer]. Published models
// span about 40 (GPT-3 350M, 1024 / 24) to 205 (Gopher 280B, 16384 / 80), with 100-130 the most common
// (Chinchilla, Llama 2 and 3, GPT-3 175B). Small targets are dominated by the embedding: with an untied 32k vocabulary
// a 256-wide model already holds 16M embedding parameters and a 128-wide one cannot be made deep enough, so ~10M
// needs tied embeddings or a smaller vocabulary, and below ~300M only a handful of widths fit. The result is empty when no candidate comes
// within max_relative_error.
struct ShapeProposalOptions {
  bool count_embeddings = true;         // target counts all parameters (Hoffmann's N); false: non-embedding (Kaplan)
  bool glu = true;                      // SwiGLU MLP with d_ff ~ 8/3 d_model; false: d_ff = 4 d_model
  std::int64_t vocab_size = 32000;      // Llama 2's tokenizer
  std::int64_t context_length = 4096;
  bool tied_embeddings = false;
  std::int64_t head_dim = 128;
  std::int64_t num_kv_heads = 0;        // 0 = multi-head attention; else this many key/value heads (GQA), which
                                        // must divide the head count (widths where it does not are skipped)
  std::int64_t ffn_multiple = 256;      // d_ff rounding with a GLU
  int widths_per_octave = 16;           // width grid density; 0 = every multiple of head_dim
  double min_width_per_layer = 40.0;    // d_model / num_layers range, about the published one (43 to 205)
  double max_width_per_layer = 208.0;
  double max_relative_error = 0.05;     // drop candidates further than this from the target
  int max_proposals = 5;

  bool Check(std::string* why) const;
};

struct ShapeProposal {
  TransformerShape shape;
  std::int64_t num_params = 0;   // on the basis of ShapeProposalOptions::count_embeddings
  double relative_error = 0.0;   // (num_params - target) / target
};

// Sorted by |relative_error|, at most one proposal per width. `target_params` in [1e6, 1e15].
std::vector<ShapeProposal> ProposeShapes(double target_params, const ShapeProposalOptions& options = {});

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_TRANSFORMER_H_
