#include "core/transformer.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/error.h"

namespace scaleplan {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool Fail(std::string* why, const std::string& reason) {
  if (why != nullptr) *why = reason;
  return false;
}

void CheckShape(const TransformerShape& shape) {
  std::string why;
  SCALEPLAN_CHECK(shape.Check(&why), "invalid transformer shape: " + why);
}

double Bytes(NumericType type) { return BytesPerElement(type); }

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
const char* NumericTypeName(NumericType type) {
  switch (type) {
    case NumericType::FP32: return "fp32";
    case NumericType::TF32: return "tf32";
    case NumericType::BF16: return "bf16";
    case NumericType::FP16: return "fp16";
    case NumericType::FP8: return "fp8";
    case NumericType::FP4: return "fp4";
  }
  return "?";
}

std::optional<NumericType> TryParseNumericType(std::string_view name) {
  for (NumericType type : kAllNumericTypes) {
    if (EqualsIgnoringCase(name, NumericTypeName(type))) return type;
  }
  return std::nullopt;
}

double BytesPerElement(NumericType type) {
  switch (type) {
    case NumericType::FP32:
    case NumericType::TF32: return 4.0;
    case NumericType::BF16:
    case NumericType::FP16: return 2.0;
    case NumericType::FP8: return 1.0;
    case NumericType::FP4: return 0.5;
  }
  return 4.0;
}

// ---------------------------------------------------------------------------------------------------------------
bool TransformerShape::Check(std::string* why) const {
  if (num_layers < 1) return Fail(why, "num_layers must be at least 1");
  if (d_model < 1) return Fail(why, "d_model must be at least 1");
  if (num_heads < 1) return Fail(why, "num_heads must be at least 1");
  if (num_kv_heads < 0) return Fail(why, "num_kv_heads must be 0 (= num_heads) or positive");
  if (num_kv_heads > num_heads) return Fail(why, "num_kv_heads must not exceed num_heads");
  if (num_heads % KvHeads() != 0) return Fail(why, "num_heads must be a multiple of num_kv_heads");
  if (head_dim < 0) return Fail(why, "head_dim must be 0 (= d_model / num_heads) or positive");
  if (head_dim == 0 && d_model % num_heads != 0) {
    return Fail(why, "num_heads must divide d_model when head_dim is left at 0");
  }
  if (d_ff < 1) return Fail(why, "d_ff must be at least 1");
  if (vocab_size < 1) return Fail(why, "vocab_size must be at least 1");
  if (context_length < 1) return Fail(why, "context_length must be at least 1");
  if (num_experts < 1) return Fail(why, "num_experts must be at least 1");
  if (active_experts < 1 || active_experts > num_experts) {
    return Fail(why, "active_experts must lie between 1 and num_experts");
  }
  if (num_shared_experts < 0) return Fail(why, "num_shared_experts must not be negative");
  if (expert_d_ff < 0) return Fail(why, "expert_d_ff must be 0 (= d_ff) or positive");
  if (first_dense_layers < 0 || first_dense_layers > num_layers) {
    return Fail(why, "first_dense_layers must lie between 0 and num_layers");
  }
  if (moe_layer_interval < 1) return Fail(why, "moe_layer_interval must be at least 1");
  if (q_lora_rank < 0 || kv_lora_rank < 0 || qk_nope_head_dim < 0 || qk_rope_head_dim < 0 || v_head_dim < 0) {
    return Fail(why, "the multi-head latent attention sizes must not be negative");
  }
  if (IsMla() && (qk_nope_head_dim + qk_rope_head_dim < 1 || v_head_dim < 1)) {
    return Fail(why, "multi-head latent attention needs a query/key head size and v_head_dim of at least 1");
  }
  if (!IsMla() && (q_lora_rank > 0 || qk_nope_head_dim > 0 || qk_rope_head_dim > 0 || v_head_dim > 0)) {
    return Fail(why, "the multi-head latent attention sizes need kv_lora_rank");
  }
  // Overflow guard: a generous upper bound of the count in floating point.
  const double d = static_cast<double>(d_model);
  const double width = std::max({d, static_cast<double>(num_heads) * HeadDim(),
                                 static_cast<double>(num_heads) * static_cast<double>(qk_nope_head_dim + v_head_dim +
                                                                                      qk_rope_head_dim),
                                 static_cast<double>(q_lora_rank), static_cast<double>(kv_lora_rank),
                                 static_cast<double>(d_ff)});
  const double experts = static_cast<double>(num_experts + num_shared_experts);
  const double per_layer = 8.0 * d * width + 4.0 * width * width +
                           experts * 3.0 * d * static_cast<double>(std::max(d_ff, expert_d_ff)) +
                           static_cast<double>(num_experts) * d + 16.0 * width;
  const double bound = static_cast<double>(num_layers) * per_layer +
                       (2.0 * static_cast<double>(vocab_size) + static_cast<double>(context_length) + 2.0) * d;
  if (!(bound < 4.6e18)) return Fail(why, "the parameter count would exceed 2^62");
  return true;
}

ParameterCounts CountParameters(const TransformerShape& shape) {
  CheckShape(shape);
  const std::int64_t d = shape.d_model;
  const std::int64_t layers = shape.num_layers;
  const std::int64_t heads = shape.num_heads;
  const std::int64_t norm = shape.norm == NormKind::RMS_NORM ? d : 2 * d;

  std::int64_t attention = 0;
  if (shape.IsMla()) {
    // Queries: W_DQ d x q_lora, its RMSNorm, W_UQ q_lora x H (nope + rope); or W_Q d x H (nope + rope).
    const std::int64_t query_width = heads * shape.QkHeadDim();
    attention += shape.q_lora_rank > 0 ? d * shape.q_lora_rank + shape.q_lora_rank + shape.q_lora_rank * query_width
                                       : d * query_width;
    // Keys and values: W_DKV d x (kv_lora + rope) (the rope key is shared by all heads), its RMSNorm, and
    // W_UK, W_UV kv_lora x H nope and kv_lora x H v; then W_O H v x d.
    attention += d * (shape.kv_lora_rank + shape.qk_rope_head_dim) + shape.kv_lora_rank +
                 shape.kv_lora_rank * heads * (shape.qk_nope_head_dim + shape.v_head_dim);
    attention += heads * shape.v_head_dim * d;
  } else {
    const std::int64_t query_width = heads * shape.HeadDim();           // H Q
    const std::int64_t kv_width = shape.KvHeads() * shape.HeadDim();     // K Q
    attention = d * query_width + 2 * d * kv_width + query_width * d;
    if (shape.linear_biases) attention += query_width + 2 * kv_width + d;
    if (shape.position_encoding == PositionEncoding::RELATIVE_XL) attention += d * query_width + 2 * query_width;
  }

  auto mlp_of_width = [&](std::int64_t f) {
    std::int64_t mlp = (shape.glu ? 3 : 2) * d * f;
    if (shape.linear_biases) mlp += (shape.glu ? 2 : 1) * f + d;
    return mlp;
  };
  const std::int64_t dense_mlp = mlp_of_width(shape.d_ff);
  const std::int64_t expert = mlp_of_width(shape.ExpertFfn());
  const std::int64_t moe_layers = shape.NumMoeLayers();
  const std::int64_t dense_layers = layers - moe_layers;
  const std::int64_t router = shape.IsMoe() ? d * shape.num_experts : 0;
  const std::int64_t moe_mlp = (shape.num_experts + shape.num_shared_experts) * expert;

  ParameterCounts counts;
  counts.token_embedding = shape.vocab_size * d;
  counts.position_embedding =
      shape.position_encoding == PositionEncoding::LEARNED_ABSOLUTE ? shape.context_length * d : 0;
  counts.unembedding = shape.tied_embeddings ? 0 : shape.vocab_size * d;
  counts.attention = layers * attention;
  counts.attention_per_layer = attention;
  counts.mlp_per_expert_layer = shape.IsMoe() ? expert : dense_mlp;
  counts.dense_mlp_per_layer = dense_mlp;
  counts.mlp = dense_layers * dense_mlp + moe_layers * moe_mlp;
  counts.routed_experts = moe_layers * shape.num_experts * expert;
  counts.router = moe_layers * router;
  counts.norms = layers * 2 * norm + norm;
  counts.per_layer = attention + std::max(moe_layers > 0 ? moe_mlp + router : 0, dense_layers > 0 ? dense_mlp : 0) +
                     2 * norm;

  counts.embedding = counts.token_embedding + counts.position_embedding + counts.unembedding;
  counts.total = counts.embedding + counts.attention + counts.mlp + counts.router + counts.norms;
  counts.non_embedding = counts.total - counts.embedding;
  const std::int64_t unrouted = moe_layers * (shape.num_experts - shape.active_experts) * expert;
  counts.active = counts.total - unrouted;
  counts.active_non_embedding = counts.non_embedding - unrouted;
  return counts;
}

// ---------------------------------------------------------------------------------------------------------------
double MatmulParamsPerToken(const TransformerShape& shape) {
  const ParameterCounts counts = CountParameters(shape);
  return static_cast<double>(counts.active_non_embedding) +
         static_cast<double>(shape.vocab_size) * static_cast<double>(shape.d_model);
}

double TrainingFlopsPerToken(const TransformerShape& shape, AttentionFlops attention) {
  const double matmul = 6.0 * MatmulParamsPerToken(shape);
  // PaLM: 12 L H Q T for the full (non-causal) score and value products; half of it for the causal triangle.
  // With score and value head sizes that differ (MLA): 6 L H T (Q_qk + Q_v).
  const double full = 6.0 * static_cast<double>(shape.num_layers) * static_cast<double>(shape.num_heads) *
                      static_cast<double>(shape.QkHeadDim() + shape.VHeadDim()) *
                      static_cast<double>(shape.context_length);
  return matmul + (attention == AttentionFlops::CAUSAL ? 0.5 * full : full);
}

double TrainingFlops(const TransformerShape& shape, double num_tokens, AttentionFlops attention) {
  SCALEPLAN_CHECK(num_tokens >= 0.0, "num_tokens must not be negative");
  return TrainingFlopsPerToken(shape, attention) * num_tokens;
}

double InferenceFlopsPerToken(const TransformerShape& shape, std::int64_t context_tokens) {
  SCALEPLAN_CHECK(context_tokens >= 0, "context_tokens must not be negative");
  const double attention = 2.0 * static_cast<double>(shape.num_layers) * static_cast<double>(shape.num_heads) *
                           static_cast<double>(shape.QkHeadDim() + shape.VHeadDim()) *
                           static_cast<double>(context_tokens);
  return 2.0 * MatmulParamsPerToken(shape) + attention;
}

// ---------------------------------------------------------------------------------------------------------------
bool TrainingMemoryOptions::Check(std::string* why) const {
  if (param_type == NumericType::TF32) return Fail(why, "param_type tf32 is a compute mode; store weights as fp32");
  if (param_type == NumericType::FP8 || param_type == NumericType::FP4) {
    return Fail(why, std::string("param_type ") + NumericTypeName(param_type) +
                         " is not modelled: low-precision training keeps bf16 weights (choose bf16)");
  }
  if (micro_batch_sequences < 1) return Fail(why, "micro_batch_sequences must be at least 1");
  if (sequence_tokens < 0) return Fail(why, "sequence_tokens must be 0 (= context_length) or positive");
  return true;
}

double OptimizerBytesPerParam(const TransformerShape& shape, const TrainingMemoryOptions& options) {
  const double master = options.fp32_master_weights && options.param_type != NumericType::FP32 ? 4.0 : 0.0;
  double moments = 0.0;
  switch (options.optimizer) {
    case Optimizer::ADAM: moments = 8.0; break;
    case Optimizer::SGD_MOMENTUM: moments = 4.0; break;
    case Optimizer::SGD: moments = 0.0; break;
    case Optimizer::ADAFACTOR: moments = 8.0 / static_cast<double>(shape.d_model); break;
  }
  return master + moments;
}

double LayerActivationBytes(const TransformerShape& shape, std::int64_t sequence_tokens,
                            std::int64_t micro_batch_sequences, Recomputation recomputation) {
  CheckShape(shape);
  SCALEPLAN_CHECK(sequence_tokens >= 1 && micro_batch_sequences >= 1, "sequence and batch sizes must be positive");
  const double sb = static_cast<double>(sequence_tokens) * static_cast<double>(micro_batch_sequences);
  const double h = static_cast<double>(shape.d_model);
  if (recomputation == Recomputation::FULL) return 2.0 * sb * h;

  // Q, K and V widths: H Q, K Q, K Q; with MLA the up-projected keys and values of every head, H Q_qk and H Q_v
  // (the latents are smaller and kept beside them).
  const double query_width = static_cast<double>(shape.num_heads * shape.QkHeadDim());
  const double key_width = shape.IsMla() ? query_width : static_cast<double>(shape.KvHeads() * shape.HeadDim());
  const double value_width =
      shape.IsMla() ? static_cast<double>(shape.num_heads * shape.VHeadDim()) : key_width;
  const double kv_width = 0.5 * (key_width + value_width);
  // The MLP of the layer's kind: the average over layers of the MLP widths a token passes through (its top-k
  // routed experts and the shared ones in MoE layers, d_ff in dense layers), so that L x this is the model's total.
  const double moe_share = static_cast<double>(shape.NumMoeLayers()) / static_cast<double>(shape.num_layers);
  const double f = (1.0 - moe_share) * static_cast<double>(shape.d_ff) +
                   moe_share * static_cast<double>(shape.active_experts + shape.num_shared_experts) *
                       static_cast<double>(shape.ExpertFfn());
  const double norms = 4.0 * sb * h;
  const double attention = 3.0 * sb * h + 4.0 * sb * query_width + 4.0 * sb * kv_width;
  const double mlp = 3.0 * sb * h + (shape.glu ? 8.0 : 4.0) * sb * f;
  double bytes = norms + attention + mlp;
  if (recomputation == Recomputation::NONE) {
    // Softmax output 2 a s^2 b, its dropout mask a s^2 b, the dropout output 2 a s^2 b.
    bytes += 5.0 * static_cast<double>(shape.num_heads) * static_cast<double>(sequence_tokens) *
             static_cast<double>(sequence_tokens) * static_cast<double>(micro_batch_sequences);
  }
  return bytes;
}

TrainingMemory EstimateTrainingMemory(const TransformerShape& shape, const TrainingMemoryOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), "invalid training memory options: " + why);
  const ParameterCounts counts = CountParameters(shape);
  const double num_params = static_cast<double>(counts.total);
  const double param_bytes = Bytes(options.param_type);
  const std::int64_t s = options.sequence_tokens > 0 ? options.sequence_tokens : shape.context_length;
  const std::int64_t b = options.micro_batch_sequences;
  // Korthikanti's formula is for 2-byte activations; fp32 training holds them in 4 bytes.
  const double activation_scale = param_bytes / 2.0;

  TrainingMemory memory;
  memory.weight_bytes = num_params * param_bytes;
  memory.gradient_bytes = num_params * param_bytes;
  memory.optimizer_bytes = num_params * OptimizerBytesPerParam(shape, options);
  const double layers = static_cast<double>(shape.num_layers);
  if (options.recomputation == Recomputation::FULL) {
    // Every layer's input is kept; during the backward pass one layer at a time is rebuilt in full.
    memory.activation_bytes = activation_scale * (layers * LayerActivationBytes(shape, s, b, Recomputation::FULL) +
                                                  LayerActivationBytes(shape, s, b, Recomputation::NONE));
  } else {
    memory.activation_bytes = activation_scale * layers * LayerActivationBytes(shape, s, b, options.recomputation);
  }
  memory.logit_bytes = 4.0 * static_cast<double>(s) * static_cast<double>(b) * static_cast<double>(shape.vocab_size);
  memory.layer_weight_bytes = static_cast<double>(counts.per_layer) * param_bytes;
  return memory;
}

const char* OptimizerName(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::ADAM: return "adam";
    case Optimizer::SGD_MOMENTUM: return "sgd-momentum";
    case Optimizer::SGD: return "sgd";
    case Optimizer::ADAFACTOR: return "adafactor";
  }
  return "?";
}

std::optional<Optimizer> TryParseOptimizer(std::string_view name) {
  for (Optimizer optimizer : {Optimizer::ADAM, Optimizer::SGD_MOMENTUM, Optimizer::SGD, Optimizer::ADAFACTOR}) {
    if (EqualsIgnoringCase(name, OptimizerName(optimizer))) return optimizer;
  }
  return std::nullopt;
}

const char* RecomputationName(Recomputation recomputation) {
  switch (recomputation) {
    case Recomputation::NONE: return "none";
    case Recomputation::SELECTIVE: return "selective";
    case Recomputation::FULL: return "full";
  }
  return "?";
}

std::optional<Recomputation> TryParseRecomputation(std::string_view name) {
  for (Recomputation recomputation : {Recomputation::NONE, Recomputation::SELECTIVE, Recomputation::FULL}) {
    if (EqualsIgnoringCase(name, RecomputationName(recomputation))) return recomputation;
  }
  return std::nullopt;
}

const char* AttentionFlopsName(AttentionFlops attention) {
  return attention == AttentionFlops::CAUSAL ? "causal" : "non-causal";
}

std::optional<AttentionFlops> TryParseAttentionFlops(std::string_view name) {
  for (AttentionFlops attention : {AttentionFlops::NON_CAUSAL, AttentionFlops::CAUSAL}) {
    if (EqualsIgnoringCase(name, AttentionFlopsName(attention))) return attention;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------------------------
bool ShapeProposalOptions::Check(std::string* why) const {
  if (vocab_size < 1) return Fail(why, "vocab_size must be at least 1");
  if (context_length < 1) return Fail(why, "context_length must be at least 1");
  if (head_dim < 1) return Fail(why, "head_dim must be at least 1");
  if (num_kv_heads < 0) return Fail(why, "num_kv_heads must be 0 (= query heads) or positive");
  if (ffn_multiple < 1) return Fail(why, "ffn_multiple must be at least 1");
  if (widths_per_octave < 0) return Fail(why, "widths_per_octave must be 0 (every multiple) or positive");
  if (!(min_width_per_layer > 0.0) || !(max_width_per_layer >= min_width_per_layer)) {
    return Fail(why, "need 0 < min_width_per_layer <= max_width_per_layer");
  }
  if (!(max_relative_error > 0.0)) return Fail(why, "max_relative_error must be positive");
  if (max_proposals < 1) return Fail(why, "max_proposals must be at least 1");
  return true;
}

std::vector<ShapeProposal> ProposeShapes(double target_params, const ShapeProposalOptions& options) {
  std::string why;
  SCALEPLAN_CHECK(options.Check(&why), "invalid shape proposal options: " + why);
  SCALEPLAN_CHECK(target_params >= 1e6 && target_params <= 1e15, "target_params must lie in [1e6, 1e15]");

  auto basis = [&](const TransformerShape& shape) {
    const ParameterCounts counts = CountParameters(shape);
    return options.count_embeddings ? counts.total : counts.non_embedding;
  };

  // Width grid: multiples of head_dim, coarsening to about widths_per_octave steps per doubling.
  auto width_step = [&](std::int64_t d) {
    std::int64_t step = options.head_dim;
    if (options.widths_per_octave > 0) {
      std::int64_t octave = 1;
      while (octave * 2 <= d) octave *= 2;
      while (step * 2 * options.widths_per_octave <= octave) step *= 2;
    }
    return step;
  };

  std::vector<ShapeProposal> proposals;
  for (std::int64_t d = options.head_dim;; d += width_step(d)) {
    TransformerShape shape;
    shape.d_model = d;
    shape.num_heads = d / options.head_dim;
    shape.head_dim = options.head_dim;
    shape.num_kv_heads = options.num_kv_heads;
    shape.glu = options.glu;
    if (options.glu) {
      const double multiples = std::round(8.0 / 3.0 * static_cast<double>(d) / static_cast<double>(options.ffn_multiple));
      shape.d_ff = std::max<std::int64_t>(1, static_cast<std::int64_t>(multiples)) * options.ffn_multiple;
    } else {
      shape.d_ff = 4 * d;
    }
    shape.vocab_size = options.vocab_size;
    shape.context_length = options.context_length;
    shape.tied_embeddings = options.tied_embeddings;

    const auto min_layers = static_cast<std::int64_t>(std::ceil(static_cast<double>(d) / options.max_width_per_layer));
    const auto max_layers = static_cast<std::int64_t>(std::floor(static_cast<double>(d) / options.min_width_per_layer));
    const std::int64_t shallowest = std::max<std::int64_t>(1, min_layers);
    if (options.num_kv_heads > 0 &&
        (options.num_kv_heads > shape.num_heads || shape.num_heads % options.num_kv_heads != 0)) {
      continue;
    }
    // The count is linear in depth: fixed + layers * per_layer.
    shape.num_layers = 1;
    const std::int64_t one_layer = basis(shape);
    shape.num_layers = 2;
    const std::int64_t per_layer = basis(shape) - one_layer;
    const std::int64_t fixed = one_layer - per_layer;
    // Wider models only get bigger, from their shallowest allowed depth on: stop once that overshoots.
    if (static_cast<double>(fixed + shallowest * per_layer) > target_params * (1.0 + options.max_relative_error)) {
      break;
    }
    if (shallowest > max_layers) continue;

    const double ideal = (target_params - static_cast<double>(fixed)) / static_cast<double>(per_layer);
    const auto nearest = std::clamp<std::int64_t>(std::llround(ideal), shallowest, max_layers);
    ShapeProposal best;
    bool found = false;
    for (std::int64_t layers = std::max(shallowest, nearest - 1); layers <= std::min(max_layers, nearest + 1);
         ++layers) {
      shape.num_layers = layers;
      const std::int64_t count = basis(shape);
      const double error = (static_cast<double>(count) - target_params) / target_params;
      if (!found || std::fabs(error) < std::fabs(best.relative_error)) {
        best = ShapeProposal{shape, count, error};
        found = true;
      }
    }
    if (found && std::fabs(best.relative_error) <= options.max_relative_error) proposals.push_back(best);
  }

  std::stable_sort(proposals.begin(), proposals.end(), [](const ShapeProposal& a, const ShapeProposal& b) {
    return std::fabs(a.relative_error) < std::fabs(b.relative_error);
  });
  if (proposals.size() > static_cast<size_t>(options.max_proposals)) proposals.resize(options.max_proposals);
  return proposals;
}

}  // namespace scaleplan
