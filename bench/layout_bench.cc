// Speed of the frontier layout search (core/parallel_layout.h, core/frontier_plan.h), against references in the
// same run.
//
// 1. The full search for a 100T-parameter dense model (the practical shape `plan` proposes for 100T) on 100,000
//    H100s, against a brute force that evaluates every layout of the same space with EvaluateLayout and no pruning.
//    Both must find the same fastest step time; the ratio is the pruning's gain. Target: the search under 0.2 s.
// 2. Plans with a layout search per second on one core (PlanFrontier at a given count, as `sweep` rows are), over
//    7B-405B models and 64-16,384 devices, against the given-MFU plan (PlanTrainingHardware) of the same rows.
//    Target: at least 1,000 plans per second.
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <vector>

#include "bench/bench_util.h"
#include "core/architectures.h"
#include "core/bundled_data.h"
#include "core/frontier_plan.h"
#include "core/parallel_layout.h"
#include "core/training_plan.h"

namespace scaleplan {
namespace {

std::vector<std::int64_t> Divisors(std::int64_t n, std::int64_t limit) {
  std::vector<std::int64_t> out;
  for (std::int64_t d = 1; d <= std::min(n, limit); ++d) {
    if (n % d == 0) out.push_back(d);
  }
  return out;
}

// Every layout of the search space, evaluated one by one: the fewest seconds per training token of a feasible one
// (layouts round the global batch differently, so step times alone do not compare).
double BruteForceBest(const LayoutRequest& request, const Accelerator& accelerator, std::int64_t* evaluated) {
  double best = std::numeric_limits<double>::infinity();
  const TransformerShape& shape = request.shape;
  const std::int64_t n = request.num_devices;
  for (std::int64_t tp : Divisors(n, std::min<std::int64_t>(accelerator.devices_per_node, 64))) {
    for (std::int64_t cp = 1; cp <= 64 && shape.context_length / cp >= 1024; cp *= 2) {
      if (n % (tp * cp) != 0) continue;
      for (std::int64_t pp : Divisors(n / (tp * cp), shape.num_layers)) {
        const std::int64_t dp = n / (tp * cp * pp);
        std::vector<std::int64_t> eps = {1};
        if (shape.IsMoe()) eps = Divisors(std::gcd(shape.num_experts, dp * cp), shape.num_experts);
        for (std::int64_t ep : eps)
          for (std::int64_t v : {1, 2, 3, 4, 6, 8}) {
            for (std::int64_t mb : {1, 2, 4, 8}) {
              for (Recomputation recompute : {Recomputation::NONE, Recomputation::SELECTIVE, Recomputation::FULL}) {
                for (int zero = 0; zero <= 3; ++zero) {
                  ParallelLayout layout;
                  layout.tp = tp;
                  layout.cp = cp;
                  layout.pp = pp;
                  layout.dp = dp;
                  layout.ep = ep;
                  layout.virtual_stages = v;
                  layout.micro_batch = mb;
                  layout.recomputation = recompute;
                  layout.zero_stage = zero;
                  ++*evaluated;
                  const LayoutEstimate estimate = EvaluateLayout(request, accelerator, layout);
                  if (estimate.feasible) best = std::min(best, estimate.step_seconds / estimate.global_batch_tokens);
                }
              }
            }
          }
      }
    }
  }
  return best;
}

void SearchVersusBruteForce() {
  const Accelerator& h100 = BundledHardwareCatalogue().Find("H100-SXM");
  LayoutRequest request;
  request.shape = *ProposeFrontierShape(100e12);
  request.num_tokens = 1e27 / TrainingFlopsPerToken(request.shape);
  request.global_batch_tokens = DefaultGlobalBatchTokens(1e27, request.num_tokens);
  request.num_devices = 100000;
  LayoutSearchResult result;
  const double search_seconds = bench::MedianSeconds(5, [&] { result = SearchLayouts(request, h100, 5); });
  std::int64_t evaluated = 0;
  double brute_best = 0;
  const double brute_seconds = bench::MedianSeconds(1, [&] { brute_best = BruteForceBest(request, h100, &evaluated); });
  const double search_best =
      result.best.empty() ? std::numeric_limits<double>::infinity()
                          : result.best.front().step_seconds / result.best.front().global_batch_tokens;
  std::printf("layout search, 100T (%lld layers x %lld) on 100,000 H100-SXM:\n",
              static_cast<long long>(request.shape.num_layers), static_cast<long long>(request.shape.d_model));
  std::printf("  search       %8.4f s (median of 5), %lld layouts evaluated, best %.6g s per token\n", search_seconds,
              static_cast<long long>(result.layouts_considered), search_best);
  std::printf("  brute force  %8.4f s, %lld layouts evaluated, best %.6g s per token\n", brute_seconds,
              static_cast<long long>(evaluated), brute_best);
  std::printf("  ratio        %.1fx faster; same optimum: %s; target under 0.2 s: %s\n", brute_seconds / search_seconds,
              std::fabs(search_best / brute_best - 1.0) < 1e-12 ? "yes" : "NO",
              search_seconds < 0.2 ? "met" : "MISSED");
}

void PlansPerSecond() {
  const HardwareCatalogue& catalogue = BundledHardwareCatalogue();
  const Accelerator& h100 = catalogue.Find("H100-SXM");
  struct Row {
    TransformerShape shape;
    double tokens;
    std::int64_t devices;
  };
  std::vector<Row> rows;
  for (const char* name : {"llama3-8b", "llama3-70b", "llama3-405b", "mixtral-8x7b", "gpt3-175b"}) {
    const TransformerShape& shape = FindArchitecture(name).shape;
    for (std::int64_t devices : {64, 256, 1024, 4096, 16384}) {
      rows.push_back({shape, 20.0 * static_cast<double>(CountParameters(shape).total), devices});
    }
  }
  const int repeats = 5;
  int feasible = 0;
  const double search_seconds = bench::MedianSeconds(repeats, [&] {
    feasible = 0;
    for (const Row& row : rows) {
      FrontierRequest request;
      request.shape = row.shape;
      request.num_tokens = row.tokens;
      request.num_devices = row.devices;
      feasible += PlanFrontier(request, h100).feasible ? 1 : 0;
    }
  });
  TrainingPlanOptions options;
  const double given_seconds = bench::MedianSeconds(repeats, [&] {
    for (const Row& row : rows) {
      options.num_accelerators = row.devices;
      const double flops = TrainingFlopsPerToken(row.shape) * row.tokens;
      PlanTrainingHardware(static_cast<double>(CountParameters(row.shape).total), flops, h100, options,
                           RecomputeChoice::AUTO);
    }
  });
  // The same optimum as the brute force on every row.
  int same = 0;
  for (const Row& row : rows) {
    FrontierRequest request;
    request.shape = row.shape;
    request.num_tokens = row.tokens;
    request.num_devices = row.devices;
    const FrontierPlan plan = PlanFrontier(request, h100);
    LayoutRequest layout;
    layout.shape = row.shape;
    layout.num_tokens = row.tokens;
    layout.num_devices = row.devices;
    layout.global_batch_tokens = plan.global_batch_tokens;
    std::int64_t evaluated = 0;
    const double brute = BruteForceBest(layout, h100, &evaluated);
    const double searched = plan.Best() ? plan.Best()->step_seconds / plan.Best()->global_batch_tokens
                                        : std::numeric_limits<double>::infinity();
    same += (std::isinf(brute) && std::isinf(searched)) || std::fabs(searched / brute - 1.0) < 1e-12 ? 1 : 0;
  }
  const double rate = static_cast<double>(rows.size()) / search_seconds;
  std::printf("plans with a layout search, %zu rows (5 architectures x 5 counts, %d feasible), one core:\n",
              rows.size(), feasible);
  std::printf("  layout search   %9.0f plans/s (median of %d)\n", rate, repeats);
  std::printf("  given MFU       %9.0f plans/s (the reference: no search)\n",
              static_cast<double>(rows.size()) / given_seconds);
  std::printf("  same optimum as the brute force on %d of %zu rows\n", same, rows.size());
  std::printf("  ratio           %.1fx the cost of a given-MFU plan; target 1,000 plans/s: %s\n",
              search_seconds / given_seconds, rate >= 1000 ? "met" : "MISSED");
}

}  // namespace
}  // namespace scaleplan

int main() {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  sched_setaffinity(0, sizeof one, &one);
  scaleplan::SearchVersusBruteForce();
  scaleplan::PlansPerSecond();
  return 0;
}
