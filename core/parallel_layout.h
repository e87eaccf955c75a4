// Parallel layouts for training a transformer on a cluster: memory per device, step time and its breakdown, MFU,
// and the search for the fastest layout that fits.
//
// A layout splits the devices as TP x PP x CP x DP (tensor, pipeline, context and data parallel), with expert
// parallel EP groups living inside DP x CP (as Megatron-LM and DeepSeek-V3 place them: EP divides DP x CP), pipeline
// stages interleaved v ways (virtual stages; a device holds v chunks of consecutive layers), micro-batches of mb
// sequences with gradient accumulation, a ZeRO stage (0-3; 3 is FSDP) and activation recomputation. Devices are
// numbered TP fastest, then CP, DP and PP (Megatron-LM's order), so a TP group of at most a node's devices stays on
// NVLink, and a DP or PP group that spans nodes uses the inter-node link (core/collective_cost.h).
//
// The model, per optimizer step of B sequences of s tokens (m = B / (DP mb) micro-batches per pipeline):
// - Compute. Every device does 1/(TP CP) of its stage's work. The busiest stage holds ceil(L / (PP v)) v layers
//   (stages may hold unequal numbers of layers, as Llama 3 405B's 126 on 16 stages) and is charged the output layer
//   too. Its FLOPs run at kGemmEfficiency of the dense peak of the chosen precision; on top, the memory-bound
//   elementwise work (norms, activations, softmax, dropout, residuals) streams kElementwisePasses x the layer's
//   activation bytes (Korthikanti et al.'s 34 s b h per layer) through device memory. That second term is what
//   makes small layers less efficient than large ones: it grows as h, the GEMMs as h^2. Routed experts multiply
//   few rows each (tokens x k x EP / E per expert), and a GEMM of M rows is taken to run at M / (M + kGemmHalfRows)
//   of a tall one's rate (an assumption: tensor-core GEMMs need M in the hundreds to fill their tiles); this is
//   what makes expert parallelism pay beyond memory. Hardware FLOPs count
//   recomputation (full: one more forward of every layer; selective: of the attention scores); model FLOPs
//   (MFU's numerator) do not.
// - Tensor parallel: per layer and micro-batch two all-reduces of s b h / CP activations forward and two backward
//   (Narayanan et al. 2021; the same volume as sequence parallelism's all-gather + reduce-scatter), two more with
//   full recomputation; exposed (not overlapped with compute).
// - Pipeline: per micro-batch a forward and a backward send of s b h / (TP CP) activations (the scatter-gather
//   optimisation) per virtual stage; the bubble (p - 1) / v of one micro-batch's time at each end of the step,
//   i.e. the published fraction (p - 1) / (v m) of the compute.
// - Data parallel (over DP x CP, expert weights over DP x CP / EP): ZeRO 0 all-reduces the bf16 gradients once per
//   step, ZeRO 1 and 2 reduce-scatter them and all-gather the updated weights (the same volume), ZeRO 3 gathers the
//   weights twice and reduce-scatters the gradients once per micro-batch (Rajbhandari et al. 2020: 1.5x the
//   volume per pass). With overlap_data_parallel, the gradient reduction overlaps the backward pass of the last
//   micro-batch and ZeRO 3's gathers overlap each micro-batch's compute; only the excess is exposed.
// - Expert parallel: per MoE layer and micro-batch a dispatch and a combine all-to-all of the tokens' top-k copies
//   forward and backward (two more with full recomputation), exposed.
// - Context parallel: ring attention passes each device's keys and values around the CP ring (twice the volume
//   backward), overlapped with the attention compute; the excess is exposed.
// - Memory on the busiest device: bf16 weights, bf16 gradients and 12 bytes of fp32 optimizer state per parameter
//   (master copy and Adam's two moments), sharded by ZeRO's stage over the data-parallel group; activations of the
//   micro-batches in flight on the first stage (min(m, PP) of them, x (1 + (PP - 1) / (PP v)) when interleaved:
//   Korthikanti et al. 2022, divided by TP with sequence parallelism and by CP); fp32 logits of one micro-batch on
//   the last stage; ZeRO 3's two gathered modules (the largest matrix of a layer, split by TP); kBufferBytes of
//   communication and workspace buffers. A layout fits when that is at most usable_memory_fraction of the device's
//   memory.
//
// fp8 (precision FP8) runs the GEMMs at the fp8 peak and keeps bf16 weights and gradients, as DeepSeek-V3 does.
#ifndef SCALEPLAN_CORE_PARALLEL_LAYOUT_H_
#define SCALEPLAN_CORE_PARALLEL_LAYOUT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/hardware.h"
#include "core/transformer.h"

namespace scaleplan {

// Model constants, calibrated once on Narayanan et al. 2021's Table 1 (GPT 1.7B-1T on A100s; see
// tests/core/parallel_layout_test.cc) and documented in the README.
inline constexpr double kGemmEfficiency = 0.60;     // of the dense peak, for the matrix products and attention
inline constexpr double kElementwisePasses = 10.0;  // times the layer's stored activation bytes, through memory
inline constexpr double kBufferBytes = 1.5e9;       // communication buffers and workspaces per device
inline constexpr double kGemmHalfRows = 256.0;      // a GEMM of M rows runs at M / (M + 256) of a tall one's rate

struct ParallelLayout {
  std::int64_t tp = 1;
  std::int64_t pp = 1;
  std::int64_t dp = 1;
  std::int64_t cp = 1;
  std::int64_t ep = 1;
  std::int64_t virtual_stages = 1;
  std::int64_t micro_batch = 1;        // sequences per micro-batch
  std::int64_t grad_accumulation = 1;  // micro-batches per pipeline per step (m); set by the evaluation
  int zero_stage = 1;
  Recomputation recomputation = Recomputation::SELECTIVE;

  std::int64_t Devices() const { return tp * pp * dp * cp; }
};

// A layout with some fields fixed (`--layout tp=8,pp=16`): the rest are searched.
struct PartialLayout {
  std::optional<std::int64_t> tp, pp, dp, cp, ep, virtual_stages, micro_batch;
  std::optional<int> zero_stage;
  std::optional<Recomputation> recomputation;
};

// "tp=8,pp=16,dp=128,cp=1,ep=1,v=1,mb=1,zero=1,recompute=full" (any subset, any order). Bad text throws InputError
// at `where` naming the field: unknown key, a value that is not a positive whole number, zero outside 0-3, a
// repeated key.
PartialLayout ParsePartialLayout(std::string_view text, const InputLocation& where);

// Failures and restarts, turning step time into wall-clock time. Defaults from Meta's Llama 3 report (2024): 419
// unexpected interruptions in 54 days on 16,384 H100s, about 4.7e-4 per device-day. Each failure costs a restart
// and the work since the last checkpoint (half an interval on average); checkpoints are taken at Young's optimal
// interval sqrt(2 x write time x mean time between failures), each device writing its shard at
// checkpoint_bytes_per_second (an assumption: 1 GB/s per device to a parallel file system).
struct GoodputOptions {
  double failures_per_device_day = 419.0 / (54.0 * 16384.0);
  double restart_seconds = 600.0;            // detect, reschedule, reload (an assumption; 10 minutes)
  double checkpoint_bytes_per_second = 5e9;  // per node, to the checkpoint store
  bool Check(std::string* why) const;
};

struct GoodputEstimate {
  double goodput = 1.0;  // fraction of wall-clock time spent on useful steps
  double checkpoint_interval_seconds = 0.0;
  double mean_seconds_between_failures = 0.0;
};

// `state_bytes`: what one checkpoint writes (weights and optimizer state, all devices together).
GoodputEstimate EstimateGoodput(std::int64_t num_devices, double state_bytes, const GoodputOptions& options);

struct LayoutRequest {
  TransformerShape shape;                     // its context_length is the sequence length
  double global_batch_tokens = 0.0;           // the target; rounded to whole sequences and replicas (see below)
  double num_tokens = 0.0;                    // training tokens, for days and cost (0: step time only)
  NumericType precision = NumericType::BF16;  // of the GEMMs: bf16 or fp8
  std::int64_t num_devices = 0;
  double usable_memory_fraction = 0.90;
  bool overlap_data_parallel = true;  // false for Megatron-LM 2021, which reduced gradients after the backward
  PartialLayout fixed;                // fields the search keeps
  GoodputOptions goodput;

  bool Check(std::string* why) const;
};

struct StepBreakdown {
  double compute_seconds = 0.0;  // m micro-batches on the busiest device
  double tp_comm_seconds = 0.0;
  double pp_comm_seconds = 0.0;
  double dp_comm_seconds = 0.0;  // exposed part only
  double ep_comm_seconds = 0.0;
  double cp_comm_seconds = 0.0;  // exposed part only
  double bubble_seconds = 0.0;

  double Total() const {
    return compute_seconds + tp_comm_seconds + pp_comm_seconds + dp_comm_seconds + ep_comm_seconds + cp_comm_seconds +
           bubble_seconds;
  }
};

struct MemoryBreakdown {
  double weight_bytes = 0.0;
  double gradient_bytes = 0.0;
  double optimizer_bytes = 0.0;
  double activation_bytes = 0.0;
  double logit_bytes = 0.0;
  double gathered_weight_bytes = 0.0;  // ZeRO 3's prefetched layers
  double buffer_bytes = 0.0;

  double Total() const {
    return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes + logit_bytes + gathered_weight_bytes +
           buffer_bytes;
  }
};

struct LayoutEstimate {
  ParallelLayout layout;
  bool feasible = false;             // the structure is valid and it fits in memory
  std::vector<std::string> reasons;  // why not
  std::int64_t global_batch_sequences = 0;
  double global_batch_tokens = 0.0;  // as rounded
  StepBreakdown step;
  double step_seconds = 0.0;
  MemoryBreakdown memory;
  double usable_memory_bytes = 0.0;
  double model_flops_per_step = 0.0;     // no recomputation (MFU's convention)
  double hardware_flops_per_step = 0.0;  // recomputed forward passes counted
  double peak_flops_per_second = 0.0;    // per device, the precision's dense peak
  double mfu = 0.0;
  double flops_per_second_per_device = 0.0;  // model FLOPs
  double hardware_flops_per_second_per_device = 0.0;
  double tokens_per_second = 0.0;
  GoodputEstimate goodput;
  double days = 0.0;  // num_tokens at this step time and goodput (0 without num_tokens)
  double device_hours = 0.0;
};

// The first reason a layout cannot exist for this model and cluster (TP above a node or not dividing the heads,
// KV heads or FFN; EP not dividing the experts or DP x CP; fewer layers than PP x v; CP not dividing the sequence;
// interleaving without a pipeline; a product other than the device count; a batch too small for DP x mb), or
// empty.
std::string LayoutStructureProblem(const LayoutRequest& request, const Accelerator& accelerator,
                                   const ParallelLayout& layout);

// The same check as a code (no text is built: the search calls it for every split), and its message.
enum class LayoutProblem {
  NONE,
  DEGREE,
  NO_INTERCONNECT,
  DEVICE_COUNT,
  TP_ABOVE_NODE,
  TP_HEADS,
  TP_KV_HEADS,
  TP_FFN,
  EP_DENSE,
  EP_EXPERTS,
  EP_DP_CP,
  LAYERS,
  V_WITHOUT_PP,
  CP_SEQUENCE,
  BATCH,
};
LayoutProblem CheckLayoutStructure(const LayoutRequest& request, const Accelerator& accelerator,
                                   const ParallelLayout& layout);
std::string DescribeLayoutProblem(LayoutProblem problem, const LayoutRequest& request, const Accelerator& accelerator,
                                  const ParallelLayout& layout);

// The first reason a partly fixed layout (`--layout`) cannot exist whatever the searched fields are: a fixed degree
// that breaks one of LayoutStructureProblem's rules on its own (TP above a node or not dividing heads, KV heads or
// FFN; EP on a dense model or not dividing the experts; PP x v above the layers; CP not splitting the sequence;
// v > 1 with PP 1), or TP x PP x CP x DP (CP 1 when not given) other than num_devices when all of TP, PP and DP are
// fixed and num_devices > 0. Empty when it can exist.
std::string FixedLayoutProblem(const PartialLayout& fixed, const TransformerShape& shape,
                               const Accelerator& accelerator, std::int64_t num_devices);

// The estimate for one layout (grad_accumulation is derived from the batch). A structurally impossible layout is
// returned with feasible = false and the reason.
LayoutEstimate EvaluateLayout(const LayoutRequest& request, const Accelerator& accelerator, ParallelLayout layout);

struct LayoutSearchResult {
  std::vector<LayoutEstimate> best;            // the fastest feasible layouts, fastest first (at most top_k)
  std::int64_t layouts_considered = 0;         // structurally valid layouts evaluated
  std::vector<std::string> binding;            // when none fits: what stopped them, most common first
  std::optional<LayoutEstimate> least_memory;  // when none fits: the valid layout closest to fitting
};

// The search, for the layouts with the least time per training token (not per step: each layout rounds the global
// batch to whole micro-batches for each of its replicas, so steps differ in tokens). It enumerates TP (divisors of the
// device count up to a node that divide the heads, KV heads and FFN), CP (powers of two with at least 1,024 tokens per
// rank), PP (divisors up to the layer count), DP (the rest), EP (divisors of the experts and of DP x CP), v (1, 2, 3,
// 4, 6, 8 with PP v <= L), mb (1, 2, 4, 8), ZeRO 0-3 and the three recomputations, keeping the fields of request.fixed.
// Pruning, each by dominance: for a split, each recomputation's ZeRO stages are checked for memory alone from 0 up, and
// only the first that fits and stage 3 are timed (stage 0 is never slower than 1, which moves the same bytes as 2; 3
// can win only when its per-micro-batch gathers hide behind compute); no recomputation at the lowest stage ends the
// split (nothing is faster); micro-batch sizes stop growing once one does not fit (activations grow with mb); and once
// there are top_k layouts, a split whose time per token without recomputation and without data-parallel communication
// (a lower bound for all its recomputations and ZeRO stages) is no faster than the k-th is skipped. bench/layout_bench
// checks the result against a brute force over the whole space.
LayoutSearchResult SearchLayouts(const LayoutRequest& request, const Accelerator& accelerator, int top_k = 5);

// The fewest devices (whole nodes: 1, 1.25, 1.5, 1.75 x 2^k nodes, so steps of at most 25%) whose best layout
// trains request.num_tokens within max_days; then, while the cheapest count within the next doubling costs at least
// 5% fewer device-hours, that count (a model that barely fits the fewest devices trains at a low MFU). Counts are
// tried in ascending order (days fall with the count until
// failures, which grow with the count, or a batch too small for the data-parallel width turn them up again), so
// the walk stops a doubling past the fastest count. When none meets max_days and fastest_if_none, the fastest count
// (meets_max_days false); else nullopt. request.num_devices is ignored.
struct CountSearchResult {
  std::int64_t num_devices = 0;
  LayoutSearchResult search;
  bool meets_max_days = false;
  // The fewest devices that meet max_days, with their best layout's device-hours and MFU: num_devices itself unless
  // a cheaper count replaced it (0 when none meets them).
  std::int64_t fewest_num_devices = 0;
  double fewest_device_hours = 0.0;
  double fewest_mfu = 0.0;
};
std::optional<CountSearchResult> LeastDevicesForDays(const LayoutRequest& request, const Accelerator& accelerator,
                                                     double max_days, bool fastest_if_none = true,
                                                     std::int64_t max_devices = 1'000'000);

// The default global batch when none is given: DeepSeek LLM 2024's B_opt = 0.2920 C^0.3271 tokens
// (core/hyperparams.h), at least one token.
double DefaultGlobalBatchTokens(double compute_flops, double num_tokens);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_PARALLEL_LAYOUT_H_
