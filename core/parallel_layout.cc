#include "core/parallel_layout.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "core/collective_cost.h"
#include "core/hyperparams.h"
#include "core/units.h"

namespace scaleplan {
namespace {

constexpr double kSecondsPerDay = 86400.0;
constexpr double kActivationBytes = 2.0;  // bf16 activations and gradients on the wire
constexpr double kWeightBytes = 2.0;      // bf16 weights
constexpr double kGradientBytes = 2.0;    // bf16 gradients
constexpr double kOptimizerBytes = 12.0;  // fp32 master copy + Adam's two fp32 moments

bool Fail(std::string* why, const std::string& reason) {
  if (why != nullptr) *why = reason;
  return false;
}

double D(std::int64_t value) { return static_cast<double>(value); }

std::int64_t CeilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

std::vector<std::int64_t> Divisors(std::int64_t n, std::int64_t limit) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 1; d * d <= n; ++d) {
    if (n % d != 0) continue;
    if (d <= limit) out.push_back(d);
    if (d != n / d && n / d <= limit) out.push_back(n / d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The parts of the model the layout model needs, computed once per request.
struct ModelFacts {
  ParameterCounts counts;
  double seq = 0;                        // s
  double hidden = 0;                     // h
  double layers = 0;                     // L
  double moe_share = 0;                  // fraction of layers that are MoE
  double model_flops_per_token = 0;      // 6 N + attention (non-causal, PaLM's convention)
  double output_flops_per_token = 0;     // 6 V h, the unembedding's share
  double attention_flops_per_token = 0;  // the score and value products, training
  double layer_dense_params = 0;         // per layer: attention, dense MLP share, shared experts, router, norms
  double layer_expert_params = 0;        // per layer: routed experts (the part EP shards)
  double routed_flops_per_token = 0;     // training FLOPs of the routed experts a token passes through, all layers
  double kv_width = 0;                   // bytes per token of K and V per layer / 2 (ring attention's payload)
  // LayerActivationBytes for one sequence of s / CP tokens, by log2(CP) (CP = 1..64) and recomputation: every term
  // is linear in the micro-batch, so a micro-batch of mb sequences needs mb times this.
  double activation_per_sequence[7][3] = {};
  double target_sequences = 0;  // the global batch in whole sequences (at least 1), before rounding to replicas
};

int CpIndex(std::int64_t cp) {
  for (int i = 0; i < 7; ++i) {
    if (cp == (std::int64_t{1} << i)) return i;
  }
  return -1;
}

// Bytes per layer of a micro-batch of `micro_batch` sequences split over `cp` ranks (before the TP split).
double ActivationBytes(const TransformerShape& shape, const ModelFacts& f, std::int64_t cp, std::int64_t micro_batch,
                       Recomputation recomputation) {
  const int index = CpIndex(cp);
  if (index >= 0) return D(micro_batch) * f.activation_per_sequence[index][static_cast<int>(recomputation)];
  const auto local_seq = static_cast<std::int64_t>(std::max(1.0, f.seq / D(cp)));
  return LayerActivationBytes(shape, local_seq, micro_batch, recomputation);
}

ModelFacts Facts(const LayoutRequest& request) {
  const TransformerShape& shape = request.shape;
  ModelFacts f;
  f.counts = CountParameters(shape);
  f.seq = D(shape.context_length);
  f.target_sequences = std::max(1.0, std::round(request.global_batch_tokens / f.seq));
  f.hidden = D(shape.d_model);
  f.layers = D(shape.num_layers);
  f.moe_share = D(shape.NumMoeLayers()) / f.layers;
  f.model_flops_per_token = TrainingFlopsPerToken(shape, AttentionFlops::NON_CAUSAL);
  f.output_flops_per_token = 6.0 * D(shape.vocab_size) * f.hidden;
  f.attention_flops_per_token = 6.0 * f.layers * D(shape.num_heads) * D(shape.QkHeadDim() + shape.VHeadDim()) * f.seq;
  f.layer_expert_params = D(f.counts.routed_experts) / f.layers;
  f.routed_flops_per_token = 6.0 * D(shape.NumMoeLayers()) * D(shape.active_experts) * D(f.counts.mlp_per_expert_layer);
  f.layer_dense_params = D(f.counts.non_embedding - f.counts.routed_experts) / f.layers;
  for (int i = 0; i < 7; ++i) {
    const auto local_seq = static_cast<std::int64_t>(std::max(1.0, f.seq / D(std::int64_t{1} << i)));
    for (Recomputation r : {Recomputation::NONE, Recomputation::SELECTIVE, Recomputation::FULL}) {
      f.activation_per_sequence[i][static_cast<int>(r)] = LayerActivationBytes(shape, local_seq, 1, r);
    }
  }
  f.kv_width =
      shape.IsMla() ? D(shape.kv_lora_rank + shape.qk_rope_head_dim) : D(shape.KvHeads() * shape.HeadDim()) * 2.0;
  return f;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
PartialLayout ParsePartialLayout(std::string_view text, const InputLocation& where) {
  PartialLayout layout;
  auto fail = [&](const std::string& reason, std::string_view item) {
    InputLocation at = where;
    at.text = std::string(item);
    throw InputError(reason, std::move(at));
  };
  if (text.empty()) fail("needs fields such as 'tp=8,pp=4'", text);
  std::vector<std::string> seen;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view item =
        text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    const size_t equals = item.find('=');
    if (item.empty() || equals == std::string_view::npos) fail("each field is KEY=VALUE", item);
    const std::string key(item.substr(0, equals));
    const std::string value(item.substr(equals + 1));
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) fail("'" + key + "' is given twice", item);
    seen.push_back(key);
    if (key == "recompute" || key == "recomputation") {
      const std::optional<Recomputation> recompute = TryParseRecomputation(value);
      if (!recompute) fail("recompute must be none, selective or full", item);
      layout.recomputation = *recompute;
      continue;
    }
    std::int64_t number = 0;
    bool whole = !value.empty() && value.size() <= 9;
    for (char c : value) whole = whole && c >= '0' && c <= '9';
    if (whole) number = std::stoll(value);
    if (key == "zero") {
      if (!whole || number > 3) fail("zero must be a ZeRO stage 0, 1, 2 or 3", item);
      layout.zero_stage = static_cast<int>(number);
      continue;
    }
    if (!whole || number < 1) fail("'" + key + "' must be a positive whole number", item);
    if (key == "tp")
      layout.tp = number;
    else if (key == "pp")
      layout.pp = number;
    else if (key == "dp")
      layout.dp = number;
    else if (key == "cp")
      layout.cp = number;
    else if (key == "ep")
      layout.ep = number;
    else if (key == "v")
      layout.virtual_stages = number;
    else if (key == "mb")
      layout.micro_batch = number;
    else
      fail("unknown field '" + key + "' (known: tp, pp, dp, cp, ep, v, mb, zero, recompute)", item);
  }
  return layout;
}

// ---------------------------------------------------------------------------------------------------------------
bool GoodputOptions::Check(std::string* why) const {
  if (!(failures_per_device_day >= 0.0) || !std::isfinite(failures_per_device_day)) {
    return Fail(why, "failures_per_device_day must not be negative");
  }
  if (!(restart_seconds >= 0.0) || !std::isfinite(restart_seconds)) {
    return Fail(why, "restart_seconds must not be negative");
  }
  if (!(checkpoint_bytes_per_second > 0.0)) return Fail(why, "checkpoint_bytes_per_second must be positive");
  return true;
}

GoodputEstimate EstimateGoodput(std::int64_t num_devices, double state_bytes, const GoodputOptions& options) {
  GoodputEstimate estimate;
  const double failures_per_second = options.failures_per_device_day * D(num_devices) / kSecondsPerDay;
  if (!(failures_per_second > 0.0)) return estimate;
  const double mtbf = 1.0 / failures_per_second;
  const double write_seconds =
      state_bytes / (options.checkpoint_bytes_per_second * D(std::max<std::int64_t>(1, num_devices)));
  const double interval = std::sqrt(2.0 * write_seconds * mtbf);
  // Lost per unit time: checkpoint writes, plus per failure half an interval of work and a restart.
  const double waste =
      (interval > 0.0 ? write_seconds / interval : 0.0) + (0.5 * interval + options.restart_seconds) / mtbf;
  estimate.goodput = std::clamp(1.0 - waste, 0.01, 1.0);
  estimate.checkpoint_interval_seconds = interval;
  estimate.mean_seconds_between_failures = mtbf;
  return estimate;
}

// ---------------------------------------------------------------------------------------------------------------
bool LayoutRequest::Check(std::string* why) const {
  std::string reason;
  if (!shape.Check(&reason)) return Fail(why, "architecture: " + reason);
  if (!(global_batch_tokens > 0.0) || !std::isfinite(global_batch_tokens)) {
    return Fail(why, "global_batch_tokens must be positive");
  }
  if (!(num_tokens >= 0.0) || !std::isfinite(num_tokens)) return Fail(why, "num_tokens must not be negative");
  if (precision != NumericType::BF16 && precision != NumericType::FP8 && precision != NumericType::FP16) {
    return Fail(why, "precision must be bf16, fp16 or fp8");
  }
  if (num_devices < 0) return Fail(why, "num_devices must not be negative");
  if (!(usable_memory_fraction > 0.0 && usable_memory_fraction <= 1.0)) {
    return Fail(why, "usable_memory_fraction must lie in (0, 1]");
  }
  return goodput.Check(why);
}

LayoutProblem CheckLayoutStructure(const LayoutRequest& request, const Accelerator& accelerator,
                                   const ParallelLayout& layout) {
  const TransformerShape& shape = request.shape;
  if (layout.tp < 1 || layout.pp < 1 || layout.dp < 1 || layout.cp < 1 || layout.ep < 1 || layout.virtual_stages < 1 ||
      layout.micro_batch < 1) {
    return LayoutProblem::DEGREE;
  }
  if (!accelerator.HasInterconnect()) return LayoutProblem::NO_INTERCONNECT;
  if (request.num_devices > 0 && layout.Devices() != request.num_devices) return LayoutProblem::DEVICE_COUNT;
  if (layout.tp > accelerator.devices_per_node) return LayoutProblem::TP_ABOVE_NODE;
  if (shape.num_heads % layout.tp != 0) return LayoutProblem::TP_HEADS;
  if (!shape.IsMla() && shape.KvHeads() % layout.tp != 0) return LayoutProblem::TP_KV_HEADS;
  if (shape.d_ff % layout.tp != 0 || shape.ExpertFfn() % layout.tp != 0) return LayoutProblem::TP_FFN;
  if (!shape.IsMoe() && layout.ep != 1) return LayoutProblem::EP_DENSE;
  if (shape.IsMoe() && shape.num_experts % layout.ep != 0) return LayoutProblem::EP_EXPERTS;
  if ((layout.dp * layout.cp) % layout.ep != 0) return LayoutProblem::EP_DP_CP;
  if (layout.pp * layout.virtual_stages > shape.num_layers) return LayoutProblem::LAYERS;
  if (layout.virtual_stages > 1 && layout.pp == 1) return LayoutProblem::V_WITHOUT_PP;
  if (layout.cp > 1 && shape.context_length % (2 * layout.cp) != 0) return LayoutProblem::CP_SEQUENCE;
  const double sequences = std::max(1.0, std::round(request.global_batch_tokens / D(shape.context_length)));
  if (sequences < D(layout.dp) * D(layout.micro_batch)) return LayoutProblem::BATCH;
  return LayoutProblem::NONE;
}

std::string DescribeLayoutProblem(LayoutProblem problem, const LayoutRequest& request, const Accelerator& accelerator,
                                  const ParallelLayout& layout) {
  const TransformerShape& shape = request.shape;
  auto text = [](const char* name, std::int64_t value) { return std::string(name) + " " + std::to_string(value); };
  switch (problem) {
    case LayoutProblem::NONE:
      return {};
    case LayoutProblem::DEGREE:
      return "every parallel degree must be at least 1";
    case LayoutProblem::NO_INTERCONNECT:
      return accelerator.name +
             " has no interconnect figures (give them in a hardware file or with "
             "--devices-per-node and the bandwidth options)";
    case LayoutProblem::DEVICE_COUNT:
      return "TP x PP x CP x DP = " + std::to_string(layout.Devices()) + " is not the device count " +
             std::to_string(request.num_devices);
    case LayoutProblem::TP_ABOVE_NODE:
      return text("TP", layout.tp) + " is larger than a node (" + std::to_string(accelerator.devices_per_node) +
             " devices of " + accelerator.name + ")";
    case LayoutProblem::TP_HEADS:
      return text("TP", layout.tp) + " does not divide the " + std::to_string(shape.num_heads) + " attention heads";
    case LayoutProblem::TP_KV_HEADS:
      return text("TP", layout.tp) + " does not divide the " + std::to_string(shape.KvHeads()) + " KV heads";
    case LayoutProblem::TP_FFN:
      return text("TP", layout.tp) + " does not divide the FFN width";
    case LayoutProblem::EP_DENSE:
      return "EP must be 1 for a dense model";
    case LayoutProblem::EP_EXPERTS:
      return text("EP", layout.ep) + " does not divide the " + std::to_string(shape.num_experts) + " experts";
    case LayoutProblem::EP_DP_CP:
      return text("EP", layout.ep) + " does not divide DP x CP";
    case LayoutProblem::LAYERS:
      return "fewer layers (" + std::to_string(shape.num_layers) + ") than pipeline stages x virtual stages (" +
             std::to_string(layout.pp * layout.virtual_stages) + ")";
    case LayoutProblem::V_WITHOUT_PP:
      return "interleaving (v > 1) needs pipeline parallelism";
    case LayoutProblem::CP_SEQUENCE:
      return text("CP", layout.cp) + " does not split the " + std::to_string(shape.context_length) +
             "-token sequence into 2 CP equal chunks";
    case LayoutProblem::BATCH: {
      const double sequences = std::max(1.0, std::round(request.global_batch_tokens / D(shape.context_length)));
      return "the global batch (" + std::to_string(static_cast<std::int64_t>(sequences)) +
             " sequences) is smaller than DP x micro-batch (" + std::to_string(layout.dp * layout.micro_batch) + ")";
    }
  }
  return {};
}

std::string LayoutStructureProblem(const LayoutRequest& request, const Accelerator& accelerator,
                                   const ParallelLayout& layout) {
  return DescribeLayoutProblem(CheckLayoutStructure(request, accelerator, layout), request, accelerator, layout);
}

std::string FixedLayoutProblem(const PartialLayout& fixed, const TransformerShape& shape,
                               const Accelerator& accelerator, std::int64_t num_devices) {
  const std::int64_t tp = fixed.tp.value_or(1), pp = fixed.pp.value_or(1), cp = fixed.cp.value_or(1);
  const std::int64_t v = fixed.virtual_stages.value_or(1), ep = fixed.ep.value_or(1);
  const std::string t = "tp=" + std::to_string(tp);
  if (accelerator.HasInterconnect() && tp > accelerator.devices_per_node) {
    return t + " is larger than a node of " + accelerator.name + " (" + std::to_string(accelerator.devices_per_node) +
           " devices)";
  }
  if (shape.num_heads % tp != 0) return t + " does not divide the " + std::to_string(shape.num_heads) + " heads";
  if (!shape.IsMla() && shape.KvHeads() % tp != 0) {
    return t + " does not divide the " + std::to_string(shape.KvHeads()) + " KV heads";
  }
  if (shape.d_ff % tp != 0 || shape.ExpertFfn() % tp != 0) return t + " does not divide the FFN width";
  if (!shape.IsMoe() && ep > 1) return "ep=" + std::to_string(ep) + " needs a mixture-of-experts model";
  if (shape.IsMoe() && shape.num_experts % ep != 0) {
    return "ep=" + std::to_string(ep) + " does not divide the " + std::to_string(shape.num_experts) + " experts";
  }
  if (pp * v > shape.num_layers) {
    return "pp x v = " + std::to_string(pp * v) + " is more than the " + std::to_string(shape.num_layers) + " layers";
  }
  if (fixed.virtual_stages && v > 1 && fixed.pp && pp == 1) return "v > 1 needs pp > 1";
  if (cp > 1 && shape.context_length % (2 * cp) != 0) {
    return "cp=" + std::to_string(cp) + " does not split the " + std::to_string(shape.context_length) +
           "-token sequence into 2 cp equal chunks";
  }
  if (fixed.tp && fixed.pp && fixed.dp && num_devices > 0) {
    const std::int64_t product = tp * pp * cp * *fixed.dp;
    if (product != num_devices) {
      return "tp x pp x cp x dp = " + std::to_string(product) + " is not the device count " +
             std::to_string(num_devices);
    }
  }
  return {};
}

namespace {

// The evaluation proper, for a structurally valid layout; `facts` are the request's model facts.
// With memory_only, the memory breakdown and the feasibility verdict alone (no times).
LayoutEstimate Evaluate(const LayoutRequest& request, const ModelFacts& f, const Accelerator& accelerator,
                        ParallelLayout layout, bool memory_only = false) {
  const TransformerShape& shape = request.shape;
  LayoutEstimate out;
  const double tp = D(layout.tp), pp = D(layout.pp), dp = D(layout.dp), cp = D(layout.cp), ep = D(layout.ep);
  const double v = D(layout.virtual_stages), mb = D(layout.micro_batch);

  // The batch: whole sequences, a whole number of micro-batches per replica.
  const double replica_step = dp * mb;
  const double target_sequences = f.target_sequences;
  const double sequences = std::max(replica_step, std::round(target_sequences / replica_step) * replica_step);
  const double m = sequences / replica_step;
  layout.grad_accumulation = static_cast<std::int64_t>(m);
  out.global_batch_sequences = static_cast<std::int64_t>(sequences);
  out.global_batch_tokens = sequences * f.seq;

  const double peak = accelerator.DenseFlopsPerSecond(request.precision);
  out.peak_flops_per_second = peak;
  out.usable_memory_bytes = request.usable_memory_fraction * accelerator.memory_bytes;

  // Layers on the busiest device, and the tokens one device handles per micro-batch (before the TP split).
  const double stage_layers = D(CeilDiv(shape.num_layers, layout.pp * layout.virtual_stages)) * v;
  const double tokens = mb * f.seq / cp;

  // FLOPs per token of one average layer, training, and the recomputed part.
  const double layer_flops = (f.model_flops_per_token - f.output_flops_per_token) / f.layers;
  double recompute_flops = 0.0;  // per token per layer
  if (layout.recomputation == Recomputation::FULL) recompute_flops = layer_flops / 3.0;
  if (layout.recomputation == Recomputation::SELECTIVE) recompute_flops = f.attention_flops_per_token / f.layers / 3.0;

  // Parameters on the busiest device: its layers' share, the embedding or unembedding (first or last stage).
  const double embedding = D(std::max(f.counts.token_embedding + f.counts.position_embedding, f.counts.unembedding));
  const double dense_params = (stage_layers * f.layer_dense_params + embedding) / tp;
  const double expert_params = stage_layers * f.layer_expert_params / (tp * ep);
  const double dense_group = dp * cp;        // replicas of the dense weights
  const double expert_group = dp * cp / ep;  // replicas of the expert weights

  // Memory on the busiest device.
  const double params = dense_params + expert_params;
  auto sharded = [&](double bytes_per_param, bool shard) {
    return shard ? dense_params * bytes_per_param / dense_group + expert_params * bytes_per_param / expert_group
                 : params * bytes_per_param;
  };
  out.memory.weight_bytes = sharded(kWeightBytes, layout.zero_stage >= 3);
  out.memory.gradient_bytes = sharded(kGradientBytes, layout.zero_stage >= 2);
  out.memory.optimizer_bytes = sharded(kOptimizerBytes, layout.zero_stage >= 1);
  if (layout.zero_stage >= 3) {
    // The module being computed and the one prefetched: the largest matrix of a layer (its FFN or expert
    // projection, or the attention output), unsharded by ZeRO but split by TP.
    const double largest = std::max(f.hidden * D(std::max(shape.d_ff, shape.ExpertFfn())),
                                    f.hidden * D(shape.num_heads * std::max(shape.QkHeadDim(), shape.VHeadDim())));
    out.memory.gathered_weight_bytes = 2.0 * largest / tp * kWeightBytes;
  }
  const double in_flight = std::min(m, pp) * (layout.virtual_stages > 1 ? 1.0 + (pp - 1.0) / (pp * v) : 1.0);
  const double stored_per_layer = ActivationBytes(shape, f, layout.cp, layout.micro_batch, layout.recomputation) / tp;
  double activations = in_flight * stage_layers * stored_per_layer;
  if (layout.recomputation == Recomputation::FULL) {
    activations += ActivationBytes(shape, f, layout.cp, layout.micro_batch, Recomputation::NONE) / tp;
  }
  out.memory.activation_bytes = activations;
  out.memory.logit_bytes = 4.0 * tokens * D(shape.vocab_size) / tp;
  out.memory.buffer_bytes = kBufferBytes;

  out.feasible = out.memory.Total() <= out.usable_memory_bytes;
  if (memory_only) {
    out.layout = layout;
    return out;
  }

  // Compute time of one micro-batch on the busiest device: GEMMs at kGemmEfficiency, elementwise through memory.
  const double device_flops = tokens / tp * (stage_layers * (layer_flops + recompute_flops) + f.output_flops_per_token);
  const double layer_bytes = ActivationBytes(shape, f, layout.cp, layout.micro_batch, Recomputation::SELECTIVE) / tp;
  const double recompute_passes = layout.recomputation == Recomputation::FULL ? 4.0 / 3.0 : 1.0;
  const double elementwise_seconds =
      kElementwisePasses * recompute_passes * stage_layers * layer_bytes / accelerator.memory_bytes_per_second;
  // Routed experts multiply few rows: each of a device's E / EP experts sees tokens x k x EP / E of them. A GEMM of
  // M rows runs at M / (M + kGemmHalfRows) of the rate of a tall one, relative to the dense layers' M = tokens.
  double expert_extra_seconds = 0.0;
  if (shape.IsMoe() && f.routed_flops_per_token > 0.0) {
    const double expert_rows = tokens * D(shape.active_experts) * ep / D(shape.num_experts);
    const double slowdown = (tokens / (tokens + kGemmHalfRows)) / (expert_rows / (expert_rows + kGemmHalfRows));
    const double expert_flops = tokens / tp * stage_layers / f.layers * f.routed_flops_per_token *
                                (layout.recomputation == Recomputation::FULL ? 4.0 / 3.0 : 1.0);
    expert_extra_seconds = (slowdown - 1.0) * expert_flops / (peak * kGemmEfficiency);
  }
  const double compute_mb = device_flops / (peak * kGemmEfficiency) + elementwise_seconds + expert_extra_seconds;
  const double attention_mb =
      tokens / tp * stage_layers * f.attention_flops_per_token / f.layers / (peak * kGemmEfficiency);

  // Tensor parallel: 4 all-reduces of the layer's activations per layer and micro-batch, 6 with full recompute.
  const double activation_message = tokens * f.hidden * kActivationBytes;
  const double tp_collectives = layout.recomputation == Recomputation::FULL ? 6.0 : 4.0;
  const double tp_mb =
      stage_layers * tp_collectives *
      CollectiveSeconds(Collective::ALL_REDUCE, activation_message, layout.tp, GroupLink(accelerator, layout.tp, 1));

  // Pipeline: a forward and a backward send per virtual stage and micro-batch, 1/TP of the activations each.
  const LinkModel pp_link = GroupLink(accelerator, layout.pp, layout.tp * layout.cp * layout.dp);
  const double pp_mb =
      layout.pp > 1 ? 2.0 * v * CollectiveSeconds(Collective::SEND_RECV, activation_message / tp, 2, pp_link) : 0.0;

  // Expert parallel: dispatch and combine, forward and backward (and the recomputed forward).
  double ep_mb = 0.0;
  if (shape.IsMoe() && layout.ep > 1) {
    const double routed_bytes = tokens / tp * D(shape.active_experts) * f.hidden * kActivationBytes;
    const double collectives = layout.recomputation == Recomputation::FULL ? 6.0 : 4.0;
    ep_mb = stage_layers * f.moe_share * collectives *
            CollectiveSeconds(Collective::ALL_TO_ALL, routed_bytes, layout.ep,
                              GroupLink(accelerator, layout.ep, layout.tp));
  }

  // Context parallel: K and V of the local tokens around the ring, (CP - 1) hops forward, twice that backward,
  // overlapped with the attention compute.
  double cp_mb = 0.0;
  if (layout.cp > 1) {
    const double kv_bytes = tokens / tp * f.kv_width * kActivationBytes;
    const double ring =
        3.0 * (cp - 1.0) *
        CollectiveSeconds(Collective::SEND_RECV, kv_bytes, 2, GroupLink(accelerator, layout.cp, layout.tp));
    cp_mb = std::max(0.0, stage_layers * ring - attention_mb);
  }

  // Data parallel traffic per step (ZeRO 0-2) or per micro-batch (ZeRO 3).
  auto dp_seconds = [&](Collective collective, double bytes_per_param) {
    return CollectiveSeconds(collective, dense_params * bytes_per_param, static_cast<std::int64_t>(dense_group),
                             GroupLink(accelerator, static_cast<std::int64_t>(dense_group), layout.tp)) +
           CollectiveSeconds(collective, expert_params * bytes_per_param, static_cast<std::int64_t>(expert_group),
                             GroupLink(accelerator, static_cast<std::int64_t>(expert_group), layout.tp * layout.ep));
  };
  const double backward_mb = compute_mb * 2.0 / 3.0;
  double dp_exposed = 0.0;
  if (layout.zero_stage == 3) {
    const double gathers = 2.0 * dp_seconds(Collective::ALL_GATHER, kWeightBytes);
    const double reduce = dp_seconds(Collective::REDUCE_SCATTER, kGradientBytes);
    const double per_mb = gathers + reduce;
    dp_exposed = request.overlap_data_parallel ? m * std::max(0.0, per_mb - compute_mb) : m * per_mb;
  } else {
    const double reduce = layout.zero_stage == 0 ? dp_seconds(Collective::ALL_REDUCE, kGradientBytes)
                                                 : dp_seconds(Collective::REDUCE_SCATTER, kGradientBytes) +
                                                       dp_seconds(Collective::ALL_GATHER, kWeightBytes);
    dp_exposed = request.overlap_data_parallel ? std::max(0.0, reduce - backward_mb) : reduce;
  }

  out.step.compute_seconds = m * compute_mb;
  out.step.tp_comm_seconds = m * tp_mb;
  out.step.pp_comm_seconds = m * pp_mb;
  out.step.ep_comm_seconds = m * ep_mb;
  out.step.cp_comm_seconds = m * cp_mb;
  out.step.dp_comm_seconds = dp_exposed;
  out.step.bubble_seconds = (pp - 1.0) / v * (compute_mb + tp_mb + ep_mb + cp_mb);
  out.step_seconds = out.step.Total();

  // FLOPs and rates.
  const double devices = D(layout.Devices());
  out.model_flops_per_step = f.model_flops_per_token * out.global_batch_tokens;
  double recompute_total = 0.0;
  if (layout.recomputation == Recomputation::FULL) {
    recompute_total = (f.model_flops_per_token - f.output_flops_per_token) / 3.0;
  } else if (layout.recomputation == Recomputation::SELECTIVE) {
    recompute_total = f.attention_flops_per_token / 3.0;
  }
  out.hardware_flops_per_step = out.model_flops_per_step + recompute_total * out.global_batch_tokens;
  out.flops_per_second_per_device = out.model_flops_per_step / (devices * out.step_seconds);
  out.hardware_flops_per_second_per_device = out.hardware_flops_per_step / (devices * out.step_seconds);
  out.mfu = out.flops_per_second_per_device / peak;
  out.tokens_per_second = out.global_batch_tokens / out.step_seconds;

  // Wall clock.
  const double state_bytes = D(f.counts.total) * (kWeightBytes + kOptimizerBytes);
  out.goodput = EstimateGoodput(layout.Devices(), state_bytes, request.goodput);
  if (request.num_tokens > 0.0) {
    const double seconds = request.num_tokens / out.tokens_per_second / out.goodput.goodput;
    out.days = seconds / kSecondsPerDay;
    out.device_hours = seconds / 3600.0 * devices;
  }
  out.layout = layout;
  return out;
}

// Seconds per training token: layouts round the global batch to their own replica step (whole micro-batches for
// each data-parallel replica), so their steps hold different token counts and only the time per token compares.
double SecondsPerToken(const LayoutEstimate& e) { return e.step_seconds / e.global_batch_tokens; }

bool Faster(const LayoutEstimate& a, const LayoutEstimate& b) {
  const double a_time = SecondsPerToken(a), b_time = SecondsPerToken(b);
  if (a_time != b_time) return a_time < b_time;
  return a.memory.Total() < b.memory.Total();
}

}  // namespace

LayoutEstimate EvaluateLayout(const LayoutRequest& request, const Accelerator& accelerator, ParallelLayout layout) {
  std::string why;
  SCALEPLAN_CHECK(request.Check(&why), "invalid layout request: " + why);
  const std::string problem = LayoutStructureProblem(request, accelerator, layout);
  if (!problem.empty()) {
    LayoutEstimate out;
    out.layout = layout;
    out.reasons.push_back(problem);
    return out;
  }
  if (!(accelerator.DenseFlopsPerSecond(request.precision) > 0.0)) {
    LayoutEstimate out;
    out.layout = layout;
    out.reasons.push_back(accelerator.name + " has no " + NumericTypeName(request.precision) + " peak");
    return out;
  }
  LayoutEstimate estimate = Evaluate(request, Facts(request), accelerator, layout);
  if (!estimate.feasible) {
    estimate.reasons.push_back("needs " + FormatSignificant(estimate.memory.Total() / 1e9, 3) +
                               " GB per device, over the usable " +
                               FormatSignificant(estimate.usable_memory_bytes / 1e9, 3) + " GB");
  }
  return estimate;
}

LayoutSearchResult SearchLayouts(const LayoutRequest& request, const Accelerator& accelerator, int top_k) {
  std::string why;
  SCALEPLAN_CHECK(request.Check(&why), "invalid layout request: " + why);
  SCALEPLAN_CHECK(request.num_devices >= 1, "the layout search needs a device count");
  SCALEPLAN_CHECK(top_k >= 1, "top_k must be at least 1");
  LayoutSearchResult result;
  // Problems counted by kind, each with its first layout as the example; memory is counted apart.
  std::map<LayoutProblem, std::pair<ParallelLayout, std::int64_t>> problems;
  std::int64_t over_memory = 0;
  auto note = [&](LayoutProblem problem, const ParallelLayout& layout) {
    auto [it, inserted] = problems.try_emplace(problem, layout, 0);
    ++it->second.second;
  };

  if (!accelerator.HasInterconnect() || !(accelerator.DenseFlopsPerSecond(request.precision) > 0.0)) {
    ParallelLayout any;
    any.dp = request.num_devices;
    result.binding.push_back(accelerator.HasInterconnect()
                                 ? accelerator.name + " has no " + NumericTypeName(request.precision) + " peak"
                                 : LayoutStructureProblem(request, accelerator, any));
    return result;
  }

  const TransformerShape& shape = request.shape;
  const ModelFacts facts = Facts(request);
  const PartialLayout& fixed = request.fixed;
  const std::int64_t n = request.num_devices;
  const std::int64_t target_sequences =
      std::max<std::int64_t>(1, std::llround(request.global_batch_tokens / D(shape.context_length)));

  auto choices = [](const std::optional<std::int64_t>& fixed_value, std::vector<std::int64_t> all) {
    if (fixed_value) return std::vector<std::int64_t>{*fixed_value};
    return all;
  };

  std::vector<std::int64_t> tp_all;
  for (std::int64_t tp : Divisors(n, std::min<std::int64_t>(accelerator.devices_per_node, 64))) tp_all.push_back(tp);
  std::vector<std::int64_t> cp_all;
  for (std::int64_t cp = 1; cp <= 64 && D(shape.context_length) / D(cp) >= 1024.0; cp *= 2) cp_all.push_back(cp);
  const std::vector<std::int64_t> v_all = {1, 2, 3, 4, 6, 8};
  const std::vector<std::int64_t> mb_all = {1, 2, 4, 8};
  const std::vector<Recomputation> recompute_all =
      fixed.recomputation
          ? std::vector<Recomputation>{*fixed.recomputation}
          : std::vector<Recomputation>{Recomputation::NONE, Recomputation::SELECTIVE, Recomputation::FULL};
  const std::vector<int> zero_all =
      fixed.zero_stage ? std::vector<int>{*fixed.zero_stage} : std::vector<int>{0, 1, 2, 3};

  std::optional<LayoutEstimate> least_memory;
  std::vector<LayoutEstimate> best;
  auto consider = [&](LayoutEstimate&& estimate) {
    if (best.size() < static_cast<size_t>(top_k) || Faster(estimate, best.back())) {
      best.push_back(std::move(estimate));
      std::sort(best.begin(), best.end(), Faster);
      if (best.size() > static_cast<size_t>(top_k)) best.pop_back();
    }
  };

  for (std::int64_t tp : choices(fixed.tp, tp_all)) {
    for (std::int64_t cp : choices(fixed.cp, cp_all)) {
      if (n % (tp * cp) != 0) continue;  // only with a fixed TP or CP; the device-count check below names it
      const std::int64_t rest = n / (tp * cp);
      for (std::int64_t pp : choices(fixed.pp, Divisors(rest, shape.num_layers))) {
        const std::int64_t dp = rest / pp;
        if (rest % pp != 0 || (fixed.dp && *fixed.dp != dp)) {
          ParallelLayout layout;
          layout.tp = tp;
          layout.cp = cp;
          layout.pp = pp;
          layout.dp = fixed.dp.value_or(dp);
          note(LayoutProblem::DEVICE_COUNT, layout);
          continue;
        }
        std::vector<std::int64_t> ep_all = {1};
        if (shape.IsMoe()) ep_all = Divisors(std::gcd(shape.num_experts, dp * cp), shape.num_experts);
        for (std::int64_t ep : choices(fixed.ep, ep_all)) {
          for (std::int64_t v : choices(fixed.virtual_stages, v_all)) {
            if (v > 1 && pp == 1) continue;
            for (std::int64_t mb : choices(fixed.micro_batch, mb_all)) {
              if (mb > 1 && dp * mb > target_sequences) break;
              ParallelLayout layout;
              layout.tp = tp;
              layout.pp = pp;
              layout.dp = dp;
              layout.cp = cp;
              layout.ep = ep;
              layout.virtual_stages = v;
              layout.micro_batch = mb;
              const LayoutProblem problem = CheckLayoutStructure(request, accelerator, layout);
              if (problem != LayoutProblem::NONE) {
                note(problem, layout);
                break;  // the same problem holds for larger micro-batches (or for every one)
              }
              // Bound: no recomputation and no exposed data-parallel time is a lower bound on every recomputation
              // and ZeRO stage of this split; a split whose bound cannot enter the top k is skipped.
              if (best.size() == static_cast<size_t>(top_k)) {
                layout.recomputation = recompute_all.front();
                layout.zero_stage = zero_all.front();
                const LayoutEstimate bound = Evaluate(request, facts, accelerator, layout);
                if ((bound.step_seconds - bound.step.dp_comm_seconds) / bound.global_batch_tokens >=
                    SecondsPerToken(best.back())) {
                  continue;
                }
              }
              // Dominance: for a recomputation, ZeRO 0 is at least as fast as 1, which moves the same bytes as 2,
              // which is at least as fast as 3 except when 3's per-micro-batch gathers hide behind compute. So
              // only the first stage that fits, and 3, are timed; and nothing beats no recomputation at ZeRO 0.
              bool any_fit = false;
              for (Recomputation recompute : recompute_all) {
                std::optional<int> first_fit;
                for (int zero : zero_all) {
                  layout.recomputation = recompute;
                  layout.zero_stage = zero;
                  ++result.layouts_considered;
                  LayoutEstimate memory = Evaluate(request, facts, accelerator, layout, /*memory_only=*/true);
                  if (memory.feasible) {
                    first_fit = zero;
                    break;
                  }
                  if (!least_memory || memory.memory.Total() < least_memory->memory.Total()) {
                    least_memory = Evaluate(request, facts, accelerator, layout);
                  }
                }
                if (!first_fit) continue;
                any_fit = true;
                for (int zero : zero_all) {
                  if (zero != *first_fit && !(zero == 3 && *first_fit < 3)) continue;
                  layout.recomputation = recompute;
                  layout.zero_stage = zero;
                  consider(Evaluate(request, facts, accelerator, layout));
                }
                if (*first_fit == zero_all.front() && recompute == Recomputation::NONE) break;
              }
              if (!any_fit) {
                ++over_memory;
                if (!fixed.micro_batch) break;  // larger micro-batches only need more
              }
            }
          }
        }
      }
    }
  }
  result.best = std::move(best);
  if (result.best.empty()) {
    std::vector<std::pair<std::int64_t, std::string>> ranked;
    for (const auto& [problem, entry] : problems) {
      const std::string text = DescribeLayoutProblem(problem, request, accelerator, entry.first);
      ranked.emplace_back(
          entry.second,
          entry.second > 1 ? text + " (and " + std::to_string(entry.second - 1) + " more layouts like it)" : text);
    }
    if (over_memory > 0) {
      ranked.emplace_back(over_memory, std::to_string(over_memory) + " layouts over the usable memory per device");
    }
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [count, problem] : ranked) {
      if (result.binding.size() < 5) result.binding.push_back(problem);
    }
    if (least_memory) {
      result.least_memory = least_memory;
      result.binding.insert(
          result.binding.begin(),
          "memory per device: the layout closest to fitting needs " +
              std::to_string(static_cast<long long>(least_memory->memory.Total() / 1e9)) + " GB of the usable " +
              std::to_string(static_cast<long long>(least_memory->usable_memory_bytes / 1e9)) + " GB");
    }
  }
  return result;
}

namespace {
// A larger device count (within a doubling) replaces the fewest that meet the deadline only when it costs this
// fraction of the device-hours or less: a 5% saving, well above the search's rounding of batches to whole
// micro-batches.
constexpr double kCheaperCountFactor = 0.95;
}  // namespace

std::optional<CountSearchResult> LeastDevicesForDays(const LayoutRequest& request, const Accelerator& accelerator,
                                                     double max_days, bool fastest_if_none, std::int64_t max_devices) {
  SCALEPLAN_CHECK(max_days > 0.0, "max_days must be positive");
  SCALEPLAN_CHECK(request.num_tokens > 0.0, "the device count for a duration needs num_tokens");
  if (!accelerator.HasInterconnect()) return std::nullopt;
  const std::int64_t node = accelerator.devices_per_node;
  // Candidate counts: q / 4 x 2^k nodes for q = 4..7 (whole nodes), ascending; index 4k is 2^k nodes.
  std::vector<std::int64_t> counts;
  for (std::int64_t power = 1; power * node <= max_devices; power *= 2) {
    for (std::int64_t quarter : {4, 5, 6, 7}) {
      if (power * quarter % 4 != 0) continue;
      const std::int64_t devices = power * quarter / 4 * node;
      if (devices <= max_devices && (counts.empty() || devices > counts.back())) counts.push_back(devices);
    }
  }
  std::map<size_t, CountSearchResult> evaluated;
  auto days_at = [&](size_t index) {
    auto it = evaluated.find(index);
    if (it == evaluated.end()) {
      LayoutRequest at = request;
      at.num_devices = counts[index];
      CountSearchResult result{counts[index], SearchLayouts(at, accelerator, 5), false};
      result.meets_max_days = !result.search.best.empty() && result.search.best.front().days <= max_days;
      it = evaluated.emplace(index, std::move(result)).first;
    }
    const LayoutSearchResult& search = it->second.search;
    return search.best.empty() ? std::numeric_limits<double>::infinity() : search.best.front().days;
  };
  auto device_hours_at = [&](size_t index) {
    days_at(index);
    const LayoutSearchResult& search = evaluated.at(index).search;
    return search.best.empty() ? std::numeric_limits<double>::infinity() : search.best.front().device_hours;
  };
  // Days fall as devices are added until goodput (failures grow with the count) or a batch too small for the data-
  // parallel width turns them up again. Walk the counts ascending: the first that meets max_days wins, unless a
  // count within the next doubling costs kCheaperCountFactor of its device-hours or less (a model that barely fits
  // trains at a low MFU, which more memory per device lifts), and then the same from there; past the fastest count
  // (days rising again after a finite minimum) nothing later can meet it.
  std::optional<size_t> fastest;
  for (size_t index = 0; index < counts.size(); ++index) {
    const double days = days_at(index);
    if (days <= max_days) {
      size_t chosen = index;
      for (;;) {
        size_t cheaper = chosen;
        for (size_t next = chosen + 1; next < counts.size() && next <= chosen + 4; ++next) {
          if (device_hours_at(next) < device_hours_at(cheaper)) cheaper = next;
        }
        if (!(device_hours_at(cheaper) < kCheaperCountFactor * device_hours_at(chosen))) break;
        chosen = cheaper;
      }
      const LayoutEstimate fewest = evaluated.at(index).search.best.front();  // a copy: `chosen` may be `index`
      CountSearchResult result = std::move(evaluated.at(chosen));
      result.fewest_num_devices = counts[index];
      result.fewest_device_hours = fewest.device_hours;
      result.fewest_mfu = fewest.mfu;
      return result;
    }
    if (std::isfinite(days) && (!fastest || days < days_at(*fastest))) {
      fastest = index;
    } else if (fastest && index > *fastest + 4) {
      break;  // a whole doubling past the fastest count without improvement
    }
  }
  if (!fastest || !fastest_if_none) return std::nullopt;
  return std::move(evaluated.at(*fastest));
}

double DefaultGlobalBatchTokens(double compute_flops, double num_tokens) {
  return std::max(1.0, LawBatchTokens(DeepSeekHyperparamsLaw(), compute_flops, num_tokens));
}

}  // namespace scaleplan
