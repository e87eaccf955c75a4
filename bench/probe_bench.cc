// The probe's CPU kernels against references in the same run, as the probe itself measures them (its buffers, its
// threads, its protocol: warm-up, repeats, median):
//   encoder GEMM    probe FLOP/s  vs  a direct cblas_sgemm on the same shape                  target >= 85%
//   triad           the probe's triad kernel and threads vs a plain STREAM triad (OpenMP), same arrays, target 10%
//   decoder gather  probe bytes/s vs  the probe's triad bandwidth, dictionary >> cache          target >= 50%
//   scatter-add     probe bytes/s vs  the probe's triad bandwidth, dictionary >> cache          target >= 50%
// Each iteration times the probe, then the reference, so both see the same machine; the medians over iterations are
// compared. Each benchmark reports probe and reference rates and their ratio as counters; a summary with the targets
// is printed at the end. On a shared machine the ratios move by tens of percent: run it on a quiet one. Threads: every
// usable CPU (override with SCALEPLAN_BENCH_THREADS).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>
#include <cblas.h>

#include "gpu_probe/cpu_backend.h"
#include "gpu_probe/cpu_kernels.h"
#include "gpu_probe/host_info.h"
#include "gpu_probe/probe.h"
#include "gpu_probe/thread_pool.h"

namespace scaleplan::probe {
namespace {

struct Comparison {
  std::string name;
  std::string unit;
  double probe = 0.0;
  double reference = 0.0;
  double target_low = 0.0;   // the ratio probe / reference should be at least this
  double target_high = 0.0;  // ... and at most this (0 = no upper bound)
};

std::vector<Comparison>& Results() {
  static std::vector<Comparison> results;
  return results;
}

int BenchThreads() {
  if (const char* text = std::getenv("SCALEPLAN_BENCH_THREADS")) return std::max(1, std::atoi(text));
  return HardwareThreads();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

template <typename Body>
double MedianSeconds(const TimingOptions& timing, Body body) {
  for (int i = 0; i < timing.warmup; ++i) body();
  std::vector<double> seconds;
  for (int i = 0; i < timing.repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    body();
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return Median(seconds);
}

TimingOptions BenchTiming() {
  TimingOptions timing;
  timing.warmup = 1;
  timing.repeats = 5;
  return timing;
}

void Record(benchmark::State& state, Comparison comparison, const std::vector<double>& probe,
            const std::vector<double>& reference) {
  comparison.probe = Median(probe);
  comparison.reference = Median(reference);
  const double scale = comparison.unit == "GFLOP/s" || comparison.unit == "GB/s" ? 1e-9 : 1.0;
  if (comparison.target_low > 0.0 || comparison.target_high > 0.0) {  // the compared pair, not the information rows
    state.counters["probe_" + comparison.unit] = comparison.probe * scale;
    state.counters["reference_" + comparison.unit] = comparison.reference * scale;
    state.counters["ratio"] = comparison.reference > 0.0 ? comparison.probe / comparison.reference : 0.0;
  }
  Results().push_back(comparison);
}

// Probe encoder GEMM vs cblas_sgemm on plain vectors, same shape, same thread count.
void BM_EncoderGemmVsCblas(benchmark::State& state) {
  const int threads = BenchThreads();
  CpuBackend backend(threads);
  const KernelSpec spec{KernelKind::ENCODER_GEMM, DType::FP32, state.range(0), state.range(1), state.range(2), 0};
  std::vector<float> x(static_cast<std::size_t>(spec.batch * spec.d), 0.5f);
  std::vector<float> w(static_cast<std::size_t>(spec.n * spec.d), 0.25f);
  std::vector<float> scores(static_cast<std::size_t>(spec.batch * spec.n));
  std::vector<double> probe_rates, reference_rates;
  for (auto _ : state) {
    probe_rates.push_back(MakeMeasurement(backend.Time(spec, BenchTiming())).flops_per_second);
    openblas_set_num_threads(threads);
    const double seconds = MedianSeconds(BenchTiming(), [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(spec.batch),
                  static_cast<blasint>(spec.n), static_cast<blasint>(spec.d), 1.0f, x.data(),
                  static_cast<blasint>(spec.d), w.data(), static_cast<blasint>(spec.d), 0.0f, scores.data(),
                  static_cast<blasint>(spec.n));
    });
    reference_rates.push_back(CostOf(spec).flops / seconds);
  }
  Record(state, {spec.Describe() + " vs cblas_sgemm", "GFLOP/s", 0, 0, 0.85, 0.0}, probe_rates, reference_rates);
}
BENCHMARK(BM_EncoderGemmVsCblas)
    ->Args({256, 768, 16384})
    ->Args({512, 2304, 16384})
    ->Iterations(5)
    ->Unit(benchmark::kMillisecond);

// The plain STREAM triad, as STREAM writes it: one OpenMP parallel loop, static schedule.
void PlainTriad(int threads, std::int64_t count, float scalar, const float* b, const float* c, float* a) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t i = 0; i < count; ++i) a[i] = b[i] + scalar * c[i];
}

template <typename Body>
double SecondsOf(Body body) {
  const auto start = std::chrono::steady_clock::now();
  body();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// 3 arrays of `state.range(0)` MiB each, allocated as the probe allocates them (2 MiB aligned, transparent huge pages
// requested), shared by both loops; each iteration times the probe's triad (its kernel on its thread pool) and the
// plain loop back to back, in alternating order. A second line shows the plain loop on std::vector memory (4 KiB
// pages), for information.
void BM_TriadVsPlainStream(benchmark::State& state) {
  const int threads = BenchThreads();
  ThreadPool pool(threads);
  const std::int64_t count = state.range(0) * 1024 * 1024 / 4;
  const auto size = static_cast<std::size_t>(count);
  const double bytes = CostOf({KernelKind::TRIAD, DType::FP32, 0, 0, count, 0}).bytes;
  cpu::AlignedBuffer<float> a(size), b(size), c(size);
  cpu::FillUniform(pool, a.data(), count, 1);
  cpu::FillUniform(pool, b.data(), count, 2);
  cpu::FillUniform(pool, c.data(), count, 3);
  std::vector<float> va(size, 0.0f), vb(size, 1.0f), vc(size, 2.0f);
  cpu::Triad(pool, count, 3.0f, b.data(), c.data(), a.data());  // warm-up of both
  PlainTriad(threads, count, 3.0f, b.data(), c.data(), a.data());
  PlainTriad(threads, count, 3.0f, vb.data(), vc.data(), va.data());
  std::vector<double> probe_rates, reference_rates, vector_rates;
  const auto probe = [&] {
    probe_rates.push_back(bytes / SecondsOf([&] { cpu::Triad(pool, count, 3.0f, b.data(), c.data(), a.data()); }));
  };
  const auto plain = [&] {
    reference_rates.push_back(bytes /
                              SecondsOf([&] { PlainTriad(threads, count, 3.0f, b.data(), c.data(), a.data()); }));
  };
  bool probe_first = true;  // alternated, so that neither side always follows the std::vector loop
  for (auto _ : state) {
    if (probe_first) {
      probe();
      plain();
    } else {
      plain();
      probe();
    }
    probe_first = !probe_first;
    vector_rates.push_back(bytes /
                           SecondsOf([&] { PlainTriad(threads, count, 3.0f, vb.data(), vc.data(), va.data()); }));
    benchmark::DoNotOptimize(a.data());
    benchmark::DoNotOptimize(va.data());
  }
  const std::string arrays = "triad 3 x " + std::to_string(state.range(0)) + " MiB";
  Record(state, {arrays + " vs plain STREAM loop, same memory", "GB/s", 0, 0, 0.90, 1.10}, probe_rates,
         reference_rates);
  Record(state, {arrays + " vs plain STREAM loop, std::vector (info)", "GB/s", 0, 0, 0.0, 0.0}, probe_rates,
         vector_rates);
}
BENCHMARK(BM_TriadVsPlainStream)->Arg(256)->Iterations(21)->Unit(benchmark::kMillisecond);

// Sparse kernels against the probe's own triad bandwidth (3 x 256 MiB), dictionary n x d far beyond the cache.
void BM_SparseVsTriad(benchmark::State& state) {
  const int threads = BenchThreads();
  CpuBackend backend(threads);
  const auto kind = static_cast<KernelKind>(state.range(0));
  const KernelSpec spec{kind, DType::FP32, state.range(1), state.range(2), state.range(3), state.range(4)};
  const KernelSpec triad{KernelKind::TRIAD, DType::FP32, 0, 0, 64 * 1024 * 1024, 0};
  std::vector<double> probe_rates, reference_rates;
  for (auto _ : state) {
    probe_rates.push_back(MakeMeasurement(backend.Time(spec, BenchTiming())).bytes_per_second);
    reference_rates.push_back(MakeMeasurement(backend.Time(triad, BenchTiming())).bytes_per_second);
  }
  const std::string dictionary = std::to_string(4 * spec.n * spec.d / (1024 * 1024)) + " MiB dictionary";
  Record(state, {spec.Describe() + " (" + dictionary + ") vs triad", "GB/s", 0, 0, 0.50, 0.0}, probe_rates,
         reference_rates);
}
BENCHMARK(BM_SparseVsTriad)
    ->Args({static_cast<int>(KernelKind::DECODER_GATHER), 2048, 768, 131072, 64})
    ->Args({static_cast<int>(KernelKind::DECODER_GATHER), 1024, 4096, 65536, 32})
    ->Args({static_cast<int>(KernelKind::SCATTER_ADD), 2048, 768, 131072, 64})
    ->Args({static_cast<int>(KernelKind::SCATTER_ADD), 1024, 4096, 65536, 32})
    ->Iterations(3)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace scaleplan::probe

int main(int argc, char** argv) {
  using scaleplan::probe::Comparison;
  // Idle OpenMP threads must not spin while the probe's kernels run: by default they busy-wait for milliseconds after
  // each plain loop, on the CPUs the probe's threads then need (on 2 CPUs that alone made the probe's triad look 30%
  // slower). The OpenMP runtime reads OMP_WAIT_POLICY once, when it is loaded, before main: so set it and start again.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv("/proc/self/exe", argv);
    std::fprintf(stderr, "probe_bench: could not restart with OMP_WAIT_POLICY=PASSIVE; idle OpenMP threads may spin\n");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::printf("\nprobe vs reference (medians over iterations), %d threads:\n", scaleplan::probe::BenchThreads());
  for (const Comparison& result : scaleplan::probe::Results()) {
    const double scale = result.unit == "GFLOP/s" || result.unit == "GB/s" ? 1e-9 : 1.0;
    const double ratio = result.reference > 0.0 ? result.probe / result.reference : 0.0;
    const bool met = ratio >= result.target_low && (result.target_high <= 0.0 || ratio <= result.target_high);
    char target[64];
    if (result.target_low <= 0.0 && result.target_high <= 0.0) {
      std::snprintf(target, sizeof(target), "none");
    } else if (result.target_high > 0.0) {
      std::snprintf(target, sizeof(target), "%.0f-%.0f%%", 100.0 * result.target_low, 100.0 * result.target_high);
    } else {
      std::snprintf(target, sizeof(target), ">= %.0f%%", 100.0 * result.target_low);
    }
    std::printf("  %-72s %8.1f vs %8.1f %-7s ratio %5.1f%%  target %s  %s\n", result.name.c_str(), result.probe * scale,
                result.reference * scale, result.unit.c_str(), 100.0 * ratio, target,
                result.target_low <= 0.0 && result.target_high <= 0.0 ? ""
                : met                                                 ? "met"
                                                                      : "OFF TARGET");
  }
  return 0;
}
