#include "core/parallel_layout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "core/bundled_data.h"
#include "core/collective_cost.h"
#include "core/error.h"

namespace scaleplan {
namespace {

const Accelerator& Catalogue(const char* name) { return BundledHardwareCatalogue().Find(name); }

// Narayanan et al. 2021 ("Efficient Large-Scale Language Model Training on GPU Clusters Using Megatron-LM"),
// Table 1: GPT models with vocabulary 51,200 and 2,048-token sequences on DGX A100 (80 GB) nodes, full activation
// recomputation, achieved teraFLOP/s per GPU counted with their 96 b s L h^2 (1 + s/(6h) + V/(16 L h)) formula.
struct MegatronRow {
  double billions;
  std::int64_t heads, hidden, layers, tp, pp, gpus, batch;
  double teraflops;
};
constexpr MegatronRow kTable1[] = {
    {1.7, 24, 2304, 24, 1, 1, 32, 512, 137},          {3.6, 32, 3072, 30, 2, 1, 64, 512, 138},
    {7.5, 32, 4096, 36, 4, 1, 128, 512, 142},         {18.4, 48, 6144, 40, 8, 1, 256, 1024, 135},
    {39.1, 64, 8192, 48, 8, 2, 512, 1536, 138},       {76.1, 80, 10240, 60, 8, 4, 1024, 1792, 140},
    {145.6, 96, 12288, 80, 8, 8, 1536, 2304, 148},    {310.1, 128, 16384, 96, 8, 16, 1920, 2160, 155},
    {529.6, 128, 20480, 105, 8, 35, 2520, 2520, 163}, {1008.0, 160, 25600, 128, 8, 64, 3072, 3072, 163},
};

TransformerShape MegatronGpt(const MegatronRow& row) {
  TransformerShape shape;
  shape.num_layers = row.layers;
  shape.d_model = row.hidden;
  shape.num_heads = row.heads;
  shape.d_ff = 4 * row.hidden;
  shape.vocab_size = 51200;
  shape.context_length = 2048;
  shape.tied_embeddings = true;
  shape.norm = NormKind::LAYER_NORM;
  shape.position_encoding = PositionEncoding::LEARNED_ABSOLUTE;
  shape.linear_biases = true;
  return shape;
}

LayoutRequest MegatronRequest(const MegatronRow& row) {
  LayoutRequest request;
  request.shape = MegatronGpt(row);
  request.global_batch_tokens = static_cast<double>(row.batch) * 2048.0;
  request.num_devices = row.gpus;
  request.overlap_data_parallel = false;  // Megatron-LM 2021 reduced gradients after the backward pass
  request.fixed.recomputation = Recomputation::FULL;
  request.fixed.zero_stage = 0;
  return request;
}

// Their FLOP count per iteration of b sequences (with full recomputation), per GPU per second.
double NarayananTeraflops(const MegatronRow& row, double step_seconds) {
  const double b = static_cast<double>(row.batch), s = 2048, l = static_cast<double>(row.layers);
  const double h = static_cast<double>(row.hidden), vocab = 51200;
  const double flops = 96.0 * b * s * l * h * h * (1.0 + s / (6.0 * h) + vocab / (16.0 * l * h));
  return flops / step_seconds / static_cast<double>(row.gpus) / 1e12;
}

TEST(ParallelLayoutTest, HardwareFlopsFollowNarayananWithFullRecomputation) {
  // Our hardware FLOPs per step equal their 96 b s L h^2 (...) up to the biases, norms and position table that
  // their formula leaves out (under 0.5% at these sizes).
  for (const MegatronRow& row : kTable1) {
    LayoutRequest request = MegatronRequest(row);
    ParallelLayout layout;
    layout.tp = row.tp;
    layout.pp = row.pp;
    layout.dp = row.gpus / (row.tp * row.pp);
    layout.zero_stage = 0;
    layout.recomputation = Recomputation::FULL;
    const LayoutEstimate estimate = EvaluateLayout(request, Catalogue("A100-80GB"), layout);
    ASSERT_TRUE(estimate.reasons.empty() || estimate.feasible) << row.billions << "B: " << estimate.reasons[0];
    const double theirs =
        NarayananTeraflops(row, estimate.step_seconds) * 1e12 * estimate.step_seconds * static_cast<double>(row.gpus);
    EXPECT_NEAR(estimate.hardware_flops_per_step / theirs, 1.0, 0.005) << row.billions << "B";
  }
}

TEST(ParallelLayoutTest, PublishedMegatronLayoutsWithinTwentyPercent) {
  // With the published TP, PP and DP (micro-batch and interleaving searched, as the table does not give them), the
  // predicted teraFLOP/s per GPU lie within 20% of the measured ones, and the full search is at least as fast.
  for (const MegatronRow& row : kTable1) {
    LayoutRequest request = MegatronRequest(row);
    request.fixed.tp = row.tp;
    request.fixed.pp = row.pp;
    request.fixed.dp = row.gpus / (row.tp * row.pp);
    const LayoutSearchResult published = SearchLayouts(request, Catalogue("A100-80GB"), 1);
    ASSERT_FALSE(published.best.empty()) << row.billions << "B: " << published.binding.front();
    const LayoutEstimate& estimate = published.best.front();
    const double predicted = estimate.hardware_flops_per_second_per_device / 1e12;
    std::printf(
        "%7.1fB TP %2lld PP %2lld DP %3lld mb %lld v %lld: predicted %6.1f TFLOP/s, published %5.0f (%+.1f%%)\n",
        row.billions, static_cast<long long>(row.tp), static_cast<long long>(row.pp),
        static_cast<long long>(estimate.layout.dp), static_cast<long long>(estimate.layout.micro_batch),
        static_cast<long long>(estimate.layout.virtual_stages), predicted, row.teraflops,
        100.0 * (predicted / row.teraflops - 1.0));
    EXPECT_NEAR(predicted / row.teraflops, 1.0, 0.20) << row.billions << "B";

    LayoutRequest free_request = MegatronRequest(row);
    free_request.fixed = PartialLayout{};
    free_request.fixed.recomputation = Recomputation::FULL;
    free_request.fixed.zero_stage = 0;
    const LayoutSearchResult searched = SearchLayouts(free_request, Catalogue("A100-80GB"), 1);
    ASSERT_FALSE(searched.best.empty());
    const LayoutEstimate& found = searched.best.front();
    EXPECT_LE(found.step_seconds / found.global_batch_tokens,
              estimate.step_seconds / estimate.global_batch_tokens * (1.0 + 1e-12))
        << row.billions << "B";
  }
}

TEST(ParallelLayoutTest, MtNlg530BWithinTwentyPercent) {
  // Smith et al. 2022 (Megatron-Turing NLG 530B), 105 layers x 20480, 128 heads, 2,048-token sequences, batch
  // 1,920, TP 8 x PP 35 on 280, 350 and 420 DGX A100 nodes: 126, 121 and 113 teraFLOP/s per GPU (iteration times
  // 60.1, 50.2 and 44.4 s), counted with Narayanan et al.'s full-recomputation formula.
  const MegatronRow mtnlg = {529.6, 128, 20480, 105, 8, 35, 0, 1920, 0};
  const struct {
    std::int64_t nodes;
    double teraflops;
  } rows[] = {{280, 126}, {350, 121}, {420, 113}};
  double previous = 1e30;
  for (const auto& row : rows) {
    MegatronRow r = mtnlg;
    r.gpus = row.nodes * 8;
    LayoutRequest request = MegatronRequest(r);
    request.fixed.tp = 8;
    request.fixed.pp = 35;
    request.fixed.dp = r.gpus / 280;
    request.fixed.zero_stage = 1;
    request.fixed.virtual_stages = 1;  // DeepSpeed's pipeline: no interleaving
    const LayoutSearchResult result = SearchLayouts(request, Catalogue("A100-80GB"), 1);
    ASSERT_FALSE(result.best.empty()) << row.nodes;
    const double predicted = result.best.front().hardware_flops_per_second_per_device / 1e12;
    std::printf("MT-NLG on %lld nodes: predicted %.1f TFLOP/s, published %.0f (%+.1f%%)\n",
                static_cast<long long>(row.nodes), predicted, row.teraflops, 100.0 * (predicted / row.teraflops - 1.0));
    EXPECT_NEAR(predicted / row.teraflops, 1.0, 0.20) << row.nodes;
    EXPECT_LT(predicted, previous) << "per-GPU throughput falls as data parallelism grows at a fixed batch";
    previous = predicted;
  }
}

TEST(ParallelLayoutTest, MfuFallsWithCountAtFixedBatch) {
  // Narayanan et al.'s Figure 13 effect: at a fixed global batch, more data-parallel replicas leave fewer
  // micro-batches per pipeline, so the bubble (p - 1) / (v m) grows and MFU falls.
  const MegatronRow& row = kTable1[7];  // 310B, TP 8, PP 16
  double previous_mfu = 1.0;
  for (std::int64_t dp : {1, 2, 4, 8, 15}) {
    LayoutRequest request = MegatronRequest(row);
    request.num_devices = 8 * 16 * dp;
    ParallelLayout layout;
    layout.tp = 8;
    layout.pp = 16;
    layout.dp = dp;
    layout.zero_stage = 0;
    layout.recomputation = Recomputation::FULL;
    const LayoutEstimate estimate = EvaluateLayout(request, Catalogue("A100-80GB"), layout);
    ASSERT_TRUE(estimate.feasible) << dp << ": " << (estimate.reasons.empty() ? "" : estimate.reasons[0]);
    const double m = 2160.0 / static_cast<double>(dp);
    EXPECT_NEAR(estimate.step.bubble_seconds / estimate.step.compute_seconds, 15.0 / std::round(m),
                0.1 * 15.0 / std::round(m));
    EXPECT_LT(estimate.mfu, previous_mfu) << dp;
    previous_mfu = estimate.mfu;
  }
}

TEST(ParallelLayoutTest, MemoryMatchesClosedForms) {
  // Llama 3 70B style dense model on 64 H100s, TP 8, PP 1, DP 8: 16 bytes per parameter before sharding.
  TransformerShape shape;
  shape.num_layers = 80;
  shape.d_model = 8192;
  shape.num_heads = 64;
  shape.num_kv_heads = 8;
  shape.d_ff = 28672;
  shape.glu = true;
  shape.vocab_size = 128256;
  shape.context_length = 8192;
  const ParameterCounts counts = CountParameters(shape);
  LayoutRequest request;
  request.shape = shape;
  request.global_batch_tokens = 8192.0 * 64;
  request.num_devices = 64;
  ParallelLayout layout;
  layout.tp = 8;
  layout.dp = 8;
  const double dense_per_device =
      (static_cast<double>(counts.non_embedding) + static_cast<double>(counts.token_embedding)) / 8.0;
  for (int zero : {0, 1, 2, 3}) {
    layout.zero_stage = zero;
    const LayoutEstimate estimate = EvaluateLayout(request, Catalogue("H100-SXM"), layout);
    EXPECT_NEAR(estimate.memory.weight_bytes, 2.0 * dense_per_device / (zero >= 3 ? 8.0 : 1.0), 1.0);
    EXPECT_NEAR(estimate.memory.gradient_bytes, 2.0 * dense_per_device / (zero >= 2 ? 8.0 : 1.0), 1.0);
    EXPECT_NEAR(estimate.memory.optimizer_bytes, 12.0 * dense_per_device / (zero >= 1 ? 8.0 : 1.0), 1.0);
  }
  // Selective recomputation with sequence parallelism: 34 s b h / t per layer (Korthikanti et al. 2022, their
  // MLP term generalised to the 3.5h SwiGLU and 8 KV heads), 80 layers, one micro-batch in flight without PP.
  layout.zero_stage = 1;
  layout.recomputation = Recomputation::SELECTIVE;
  const LayoutEstimate estimate = EvaluateLayout(request, Catalogue("H100-SXM"), layout);
  const double s = 8192, h = 8192, f = 28672, kv = 1024;
  const double per_layer = 4 * s * h + (3 * s * h + 4 * s * h + 4 * s * kv) + (3 * s * h + 8 * s * f);
  EXPECT_NEAR(estimate.memory.activation_bytes, 80.0 * per_layer / 8.0, 1.0);
  EXPECT_NEAR(estimate.memory.logit_bytes, 4.0 * s * 128256 / 8.0, 1.0);
}

TEST(ParallelLayoutTest, CollectiveTimesFollowBusBandwidth) {
  // nccl-tests: t = S x 2 (n - 1) / n / busbw for an all-reduce; (n - 1) / n for all-gather and all-to-all.
  const LinkModel link{100e9, 0.0};
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::ALL_REDUCE, 1e9, 8, link), 1e9 * 2 * 7 / 8 / 100e9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::ALL_GATHER, 1e9, 8, link), 1e9 * 7 / 8 / 100e9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::ALL_TO_ALL, 1e9, 4, link), 1e9 * 3 / 4 / 100e9);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::SEND_RECV, 1e9, 2, link), 1e9 / 100e9);
  EXPECT_EQ(CollectiveSeconds(Collective::ALL_REDUCE, 1e9, 1, link), 0.0);
  const LinkModel slow{100e9, 1e-5};
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::ALL_REDUCE, 0.0, 8, slow), 0.0);
  EXPECT_DOUBLE_EQ(CollectiveSeconds(Collective::ALL_REDUCE, 1e6, 8, slow), 1e6 * 1.75 / 100e9 + 6 * 1e-5);
  // An 8-GPU group with stride 1 stays on NVLink; with stride 8 it crosses nodes.
  const Accelerator& h100 = Catalogue("H100-SXM");
  EXPECT_DOUBLE_EQ(GroupLink(h100, 8, 1).busbw_bytes_per_second, 450e9 * 370.0 / 450.0);
  EXPECT_DOUBLE_EQ(GroupLink(h100, 8, 8).busbw_bytes_per_second, 50e9 * 0.96);
}

TEST(ParallelLayoutTest, StructureProblemsNameTheConstraint) {
  const MegatronRow& row = kTable1[0];
  LayoutRequest request = MegatronRequest(row);
  ParallelLayout layout;
  layout.tp = 16;
  layout.dp = 2;
  EXPECT_NE(LayoutStructureProblem(request, Catalogue("A100-80GB"), layout).find("larger than a node"),
            std::string::npos);
  layout.tp = 8;
  layout.dp = 4;
  request.shape.num_heads = 36;  // 64-wide heads
  EXPECT_NE(LayoutStructureProblem(request, Catalogue("A100-80GB"), layout).find("does not divide the 36"),
            std::string::npos);
  request.shape.num_heads = 24;
  layout.tp = 1;
  layout.dp = 1;
  layout.pp = 32;
  EXPECT_NE(LayoutStructureProblem(request, Catalogue("A100-80GB"), layout).find("fewer layers"), std::string::npos);
  layout.pp = 1;
  layout.dp = 16;
  EXPECT_NE(LayoutStructureProblem(request, Catalogue("A100-80GB"), layout).find("not the device count"),
            std::string::npos);
}

TEST(ParallelLayoutTest, ParsesLayoutText) {
  const PartialLayout layout = ParsePartialLayout("tp=8,pp=16,dp=128,v=2,mb=1,zero=1,recompute=full", {"--layout"});
  EXPECT_EQ(*layout.tp, 8);
  EXPECT_EQ(*layout.pp, 16);
  EXPECT_EQ(*layout.dp, 128);
  EXPECT_EQ(*layout.virtual_stages, 2);
  EXPECT_EQ(*layout.zero_stage, 1);
  EXPECT_EQ(*layout.recomputation, Recomputation::FULL);
  EXPECT_FALSE(layout.cp.has_value());
  EXPECT_THROW(ParsePartialLayout("tp=0", {"--layout"}), InputError);
  EXPECT_THROW(ParsePartialLayout("tq=8", {"--layout"}), InputError);
  EXPECT_THROW(ParsePartialLayout("tp=8,tp=4", {"--layout"}), InputError);
  EXPECT_THROW(ParsePartialLayout("zero=4", {"--layout"}), InputError);
  EXPECT_THROW(ParsePartialLayout("tp=8,", {"--layout"}), InputError);
}

TEST(ParallelLayoutTest, GoodputFollowsYoungsInterval) {
  GoodputOptions options;
  options.failures_per_device_day = 1e-3;
  options.restart_seconds = 600;
  options.checkpoint_bytes_per_second = 1e9;
  // 1,000 devices at 1e-3 failures per device-day: one failure a day. 125 GB written at 1 GB/s by each device.
  const GoodputEstimate estimate = EstimateGoodput(1000, 125e9, options);
  const double mtbf = 86400.0;
  const double write = 125e9 / (1e9 * 1000.0);
  const double interval = std::sqrt(2.0 * write * mtbf);
  EXPECT_NEAR(estimate.checkpoint_interval_seconds, interval, 1e-9);
  EXPECT_NEAR(estimate.goodput, 1.0 - write / interval - (interval / 2 + 600) / mtbf, 1e-12);
  // Llama 3 405B's reported scale (16,384 H100s, 419 interruptions in 54 days): above 90% with these assumptions,
  // as the report's "higher than 90% effective training time".
  const GoodputEstimate llama = EstimateGoodput(16384, 405e9 * 14.0, GoodputOptions{});
  EXPECT_GT(llama.goodput, 0.90);
  EXPECT_LT(llama.goodput, 0.99);
}

// The device count for a deadline against a walk over every candidate count (whole nodes: 1, 1.25, 1.5, 1.75 x 2^k),
// each searched on its own. A 1T model on 20B tokens fits the fewest devices only with ZeRO 3 and full
// recomputation, at a low MFU; more devices lift it, so a larger count costs fewer device-hours and replaces the
// fewest. A 175B model on 300B tokens is compute-bound at the fewest count, which stays.
TEST(ParallelLayoutTest, TheCountForADeadlineIsTheFewestUnlessALargerOneCostsLess) {
  const Accelerator& h100 = Catalogue("H100-SXM");
  struct Case {
    const MegatronRow* row;
    double num_tokens;
    bool larger_is_cheaper;
  };
  for (const Case& c : {Case{&kTable1[9], 20e9, true}, Case{&kTable1[6], 300e9, false}}) {
    LayoutRequest request = MegatronRequest(*c.row);
    request.num_devices = 0;
    request.num_tokens = c.num_tokens;
    request.overlap_data_parallel = true;
    request.fixed = PartialLayout{};
    const double max_days = 90.0;
    const std::optional<CountSearchResult> found = LeastDevicesForDays(request, h100, max_days);
    ASSERT_TRUE(found && found->meets_max_days);
    const double found_hours = found->search.best.front().device_hours;

    // Every candidate count, searched here, with its best layout's days and device-hours.
    std::vector<std::pair<std::int64_t, LayoutEstimate>> searched;
    for (std::int64_t nodes = 1; nodes <= 4096; nodes *= 2) {
      for (const std::int64_t quarters : {4, 5, 6, 7}) {
        if (nodes * quarters % 4 != 0) continue;
        LayoutRequest at = request;
        at.num_devices = nodes * quarters / 4 * h100.devices_per_node;
        if (!searched.empty() && at.num_devices <= searched.back().first) continue;
        const LayoutSearchResult result = SearchLayouts(at, h100, 1);
        if (!result.best.empty()) searched.emplace_back(at.num_devices, result.best.front());
      }
    }
    size_t fewest = 0;
    while (fewest < searched.size() && searched[fewest].second.days > max_days) ++fewest;
    ASSERT_LT(fewest, searched.size());
    size_t chosen = fewest;
    while (chosen < searched.size() && searched[chosen].first != found->num_devices) ++chosen;
    ASSERT_LT(chosen, searched.size()) << found->num_devices << " is not a candidate count";
    EXPECT_NEAR(found_hours, searched[chosen].second.device_hours, 1e-9 * found_hours);
    // The fewest count that meets the days is recorded beside the chosen one, with its device-hours and MFU.
    EXPECT_EQ(found->fewest_num_devices, searched[fewest].first);
    EXPECT_NEAR(found->fewest_device_hours, searched[fewest].second.device_hours,
                1e-9 * searched[fewest].second.device_hours);
    EXPECT_NEAR(found->fewest_mfu, searched[fewest].second.mfu, 1e-12);
    if (!c.larger_is_cheaper) {
      EXPECT_EQ(chosen, fewest) << found->num_devices << " devices, not the fewest " << searched[fewest].first;
      continue;
    }
    ASSERT_GT(chosen, fewest);
    // Each move is to the cheapest count within a doubling (4 candidate counts), when it saves at least 5%.
    size_t at = fewest;
    while (at < chosen) {
      size_t cheaper = at;
      for (size_t i = at + 1; i < searched.size() && i <= at + 4; ++i) {
        if (searched[i].second.device_hours < searched[cheaper].second.device_hours) cheaper = i;
      }
      ASSERT_LT(searched[cheaper].second.device_hours, 0.95 * searched[at].second.device_hours) << searched[at].first;
      at = cheaper;
    }
    EXPECT_EQ(at, chosen);
    for (size_t i = chosen + 1; i < searched.size() && i <= chosen + 4; ++i) {
      EXPECT_GE(searched[i].second.device_hours, 0.95 * found_hours) << searched[i].first;
    }
    // What it buys: 1.25x fewer device-hours than the fewest count (MFU 0.40 -> 0.50), and within 5% of the cheapest
    // count that meets the deadline.
    EXPECT_LT(found_hours, searched[fewest].second.device_hours / 1.2);
    double cheapest = found_hours;
    for (size_t i = fewest; i < searched.size(); ++i) {
      if (searched[i].second.days <= max_days) cheapest = std::min(cheapest, searched[i].second.device_hours);
    }
    EXPECT_LE(found_hours, 1.05 * cheapest);
    std::printf(
        "%s on %.3g tokens: the fewest count %lld costs %.4g device-hours (MFU %.3f); %lld devices %.4g "
        "(MFU %.3f); the cheapest %.4g\n",
        "Megatron 1T", c.num_tokens, static_cast<long long>(searched[fewest].first),
        searched[fewest].second.device_hours, searched[fewest].second.mfu, static_cast<long long>(found->num_devices),
        found_hours, found->search.best.front().mfu, cheapest);
  }
}

}  // namespace
}  // namespace scaleplan
