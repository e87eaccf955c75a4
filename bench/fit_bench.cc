// Speed of `scaleplan fit` on the bundled runs against the reference search in the same run.
//
// Reference: L-BFGS from every one of the 4,500 Hoffmann grid points on one thread, each to convergence, as the
// usual SciPy replication does it (`scaleplan fit --exhaustive --threads 1`). Measured: the default fit in-process
// (screened starts, all cores), and the whole `scaleplan fit` process (start-up, embedded CSV parse, fit, output).
// Prints medians and ratios; both searches must reach the same optimum, which is checked too.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/bundled_data.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

template <class F>
double MedianSeconds(int repeats, F&& body) {
  std::vector<double> seconds;
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Median(seconds);
}

void BM_FitDefault(benchmark::State& state) {
  const RunsTable runs = BundledChinchillaRuns();
  for (auto _ : state) benchmark::DoNotOptimize(FitChinchilla(runs, MultiStartOptions{}).search.objective);
}
BENCHMARK(BM_FitDefault)->Unit(benchmark::kMillisecond);

void BM_FitDefaultOneThread(benchmark::State& state) {
  const RunsTable runs = BundledChinchillaRuns();
  MultiStartOptions options;
  options.num_threads = 1;
  for (auto _ : state) benchmark::DoNotOptimize(FitChinchilla(runs, options).search.objective);
}
BENCHMARK(BM_FitDefaultOneThread)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace scaleplan

int main(int argc, char** argv) {
  using namespace scaleplan;
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();

  const RunsTable runs = BundledChinchillaRuns();
  MultiStartOptions reference_options;
  reference_options.exhaustive = true;
  reference_options.num_threads = 1;
  double reference_objective = 0;
  const double reference_s = MedianSeconds(3, [&] {
    reference_objective = FitChinchilla(runs, reference_options).search.objective;
  });
  double default_objective = 0;
  const double default_s = MedianSeconds(9, [&] {
    default_objective = FitChinchilla(runs, MultiStartOptions{}).search.objective;
  });
  const char* binary = argc > 1 ? argv[1] : SCALEPLAN_BINARY;
  const std::string command = std::string(binary) + " fit --format json > /dev/null";
  int failures = 0;
  const double process_s = MedianSeconds(9, [&] { failures += std::system(command.c_str()) != 0; });

  std::printf("\nreference: exhaustive L-BFGS, 4,500 starts, 1 thread   median %8.3f s  objective %.10f\n",
              reference_s, reference_objective);
  std::printf("default fit in-process                                  median %8.3f s  objective %.10f\n",
              default_s, default_objective);
  std::printf("whole process '%s fit'                   median %8.3f s%s\n", "scaleplan", process_s,
              failures ? "  (FAILED RUNS)" : "");
  std::printf("ratio reference / default in-process:  %.1fx\n", reference_s / default_s);
  std::printf("ratio reference / whole process:       %.1fx\n", reference_s / process_s);
  const bool same = std::fabs(default_objective / reference_objective - 1) <= 1e-9;
  std::printf("same optimum (relative 1e-9): %s\n", same ? "yes" : "NO");
  return same && failures == 0 ? 0 : 1;
}
