// Speed of `scaleplan fit` on the bundled runs against the reference search in the same run.
//
// Reference: L-BFGS from every one of the 4,500 Hoffmann grid points on one thread, each to convergence, as the
// usual SciPy replication does it (`scaleplan fit --exhaustive --threads 1`). Measured: the default fit in-process
// (screened starts, all cores), and the whole `scaleplan fit` process (start-up, embedded CSV parse, fit, output).
// Prints medians and ratios; both searches must reach the same optimum, which is checked too.
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include <benchmark/benchmark.h>

#include "bench/bench_util.h"
#include "core/bundled_data.h"
#include "fitting/chinchilla_fit.h"

namespace scaleplan {
namespace {

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
  using bench::MedianSeconds;
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
  const char* binary = SCALEPLAN_BINARY;
  const std::string command = std::string(binary) + " fit --format json > /dev/null";
  int failures = 0;
  const double process_s = MedianSeconds(9, [&] { failures += std::system(command.c_str()) != 0; });

  std::printf("\nreference: exhaustive L-BFGS, 4,500 starts, 1 thread   median %8.3f s  objective %.10f\n",
              reference_s, reference_objective);
  std::printf("default fit in-process                                  median %8.3f s  objective %.10f\n",
              default_s, default_objective);
  std::printf("whole process '%s fit'                   median %8.3f s%s\n", "scaleplan", process_s,
              failures ? "  (FAILED RUNS)" : "");
  const std::string source_dir = SCALEPLAN_SOURCE_DIR;
  const double scipy_s =
      bench::PythonReferenceSeconds(source_dir, "fit " + source_dir + "/data/chinchilla_runs.csv");
  if (scipy_s > 0) {
    std::printf("SciPy L-BFGS-B, 4,500 starts, analytic gradients (reference)   %8.3f s\n", scipy_s);
    std::printf("ratio SciPy / scaleplan whole process: %.1fx\n", scipy_s / process_s);
  } else {
    std::printf("SciPy reference not run (no python3 with scipy)\n");
  }
  std::printf("ratio reference / default in-process:  %.1fx\n", reference_s / default_s);
  std::printf("ratio reference / whole process:       %.1fx\n", reference_s / process_s);
  const bool same = std::fabs(default_objective / reference_objective - 1) <= 1e-9;
  std::printf("same optimum (relative 1e-9): %s\n", same ? "yes" : "NO");
  return same && failures == 0 ? 0 : 1;
}
