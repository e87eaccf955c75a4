#include "gpu_probe/probe.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/units.h"
#include "gpu_probe/cpu_backend.h"
#include "gpu_probe/cpu_kernels.h"
#include "gpu_probe/cuda_backend.h"
#include "gpu_probe/host_info.h"
#include "gpu_probe/kernel_check.h"

namespace scaleplan::probe {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

// Largest working set the triad sweep goes to, per mode (also capped at a quarter of the memory).
double SweepLimitBytes(ProbeMode mode) {
  switch (mode) {
    case ProbeMode::QUICK: return 512.0 * kMiB;
    case ProbeMode::STANDARD: return 1.0 * kGiB;
    case ProbeMode::FULL: return 2.0 * kGiB;
  }
  return 512.0 * kMiB;
}

double ShapeBudgetSeconds(const ProbeOptions& options) {
  if (options.max_seconds_per_shape > 0.0) return options.max_seconds_per_shape;
  switch (options.mode) {
    case ProbeMode::QUICK: return 2.0;
    case ProbeMode::STANDARD: return 8.0;
    case ProbeMode::FULL: return 30.0;
  }
  return 2.0;
}

std::int64_t NextPowerOfTwo(double value) {
  std::int64_t power = 1;
  while (static_cast<double>(power) < value && power < (std::int64_t{1} << 40)) power *= 2;
  return power;
}

std::string Bytes(double bytes) {
  std::ostringstream out;
  out.precision(3);
  if (bytes >= kGiB) {
    out << bytes / kGiB << " GiB";
  } else if (bytes >= kMiB) {
    out << bytes / kMiB << " MiB";
  } else {
    out << bytes / 1024.0 << " KiB";
  }
  return out.str();
}

// Steps for the progress bar.
class Progress {
 public:
  Progress(const ProgressCallback& callback, int total) : callback_(callback), total_(std::max(1, total)) {}
  void Step(const std::string& what) {
    if (callback_) callback_(std::min(1.0, static_cast<double>(done_) / total_), what);
    ++done_;
  }
  void Finish() {
    if (callback_) callback_(1.0, "done");
  }

 private:
  const ProgressCallback& callback_;
  int total_;
  int done_ = 0;
};

// Runs the FMA loop with a growing count until one call takes at least `target_seconds`, then times it.
TimedRun TimeFmaPeak(Backend& backend, const TimingOptions& timing, double target_seconds) {
  KernelSpec spec{KernelKind::FMA_PEAK, DType::FP32, 0, 0, /*n=*/std::int64_t{1} << 24, 0};
  TimingOptions once;
  once.warmup = 0;
  once.repeats = 1;
  for (int attempt = 0; attempt < 40; ++attempt) {
    const TimedRun trial = backend.Time(spec, once);
    const double seconds = trial.seconds.front();
    if (seconds >= target_seconds) break;
    const double scale = seconds > 0.0 ? std::min(16.0, 1.2 * target_seconds / seconds) : 16.0;
    spec.n = static_cast<std::int64_t>(static_cast<double>(trial.executed.n) * std::max(2.0, scale));
  }
  return backend.Time(spec, timing);
}

}  // namespace

bool ProbeOptions::Check(std::string* why) const {
  std::string reason;
  if (threads < 0) reason = "threads must be >= 0 (0 = all usable CPUs)";
  if (threads > 1024) reason = "threads must be <= 1024";
  if (!(max_seconds_per_shape >= 0.0) || !std::isfinite(max_seconds_per_shape)) {
    reason = "the time budget per shape must be a non-negative number of seconds";
  }
  if (reason.empty()) return true;
  if (why != nullptr) *why = reason;
  return false;
}

TimingOptions ModeTiming(ProbeMode mode) {
  TimingOptions timing;
  switch (mode) {
    case ProbeMode::QUICK:
      timing.warmup = 1;
      timing.repeats = 3;
      break;
    case ProbeMode::STANDARD:
      timing.warmup = 1;
      timing.repeats = 5;
      break;
    case ProbeMode::FULL:
      timing.warmup = 2;
      timing.repeats = 7;
      break;
  }
  return timing;
}

std::unique_ptr<Backend> OpenBackend(BackendChoice choice, int threads, std::vector<std::string>* notes) {
  if (choice == BackendChoice::CPU) return std::make_unique<CpuBackend>(threads);
  std::string why;
  std::unique_ptr<Backend> cuda = OpenCudaBackend(&why);
  if (cuda) return cuda;
  if (choice == BackendChoice::CUDA) throw BackendUnavailableError("the CUDA backend is not available: " + why);
  if (notes != nullptr) notes->push_back("CUDA backend not used: " + why + "; probing the CPU");
  return std::make_unique<CpuBackend>(threads);
}

KernelMeasurement MakeMeasurement(const TimedRun& run) {
  const TimingSummary summary = Summarize(run.seconds);
  const KernelSpec& spec = run.executed;
  const KernelCost cost = CostOf(spec);
  KernelMeasurement kernel;
  kernel.name = std::string(KernelName(spec.kind));
  kernel.dtype = std::string(DTypeName(spec.dtype));
  kernel.d = spec.d;
  kernel.n = spec.n;
  kernel.k = spec.k;
  kernel.batch = spec.batch;
  kernel.seconds_median = summary.seconds_median;
  kernel.seconds_best = summary.seconds_best;
  kernel.flops = cost.flops;
  kernel.bytes = cost.bytes;
  if (summary.seconds_median > 0.0) {
    kernel.flops_per_second = cost.flops / summary.seconds_median;
    kernel.bytes_per_second = cost.bytes / summary.seconds_median;
  }
  kernel.working_set_bytes = WorkingSetBytes(spec);
  kernel.arithmetic_intensity = ArithmeticIntensity(cost);
  return kernel;
}

void FillRoofline(double fma_peak_flops, double bandwidth_bytes_per_s, KernelMeasurement* kernel) {
  kernel->arithmetic_intensity = kernel->bytes > 0.0 ? kernel->flops / kernel->bytes : 0.0;
  const std::optional<KernelKind> kind = ParseKernelName(kernel->name);
  if (!kind) return;
  if (*kind == KernelKind::FMA_PEAK) {
    kernel->roofline_fraction = 1.0;
  } else if (*kind == KernelKind::ENCODER_GEMM) {
    const double roof = std::min(fma_peak_flops, kernel->arithmetic_intensity * bandwidth_bytes_per_s);
    kernel->roofline_fraction = roof > 0.0 ? kernel->flops_per_second / roof : 0.0;
  } else {
    kernel->roofline_fraction = bandwidth_bytes_per_s > 0.0 ? kernel->bytes_per_second / bandwidth_bytes_per_s : 0.0;
  }
}

CacheKnee FindCacheKnee(const std::vector<CacheSweepPoint>& sweep) {
  CacheKnee knee;
  if (sweep.empty()) return knee;
  const std::size_t last = sweep.size() - 1;
  knee.memory_bytes_per_second = sweep[last].bytes_per_second;
  knee.knee_found = sweep.size() >= 2 && std::abs(sweep[last - 1].bytes_per_second - sweep[last].bytes_per_second) <=
                                             0.10 * sweep[last].bytes_per_second;
  knee.last_level_cache_bytes = sweep.front().working_set_bytes;
  for (const CacheSweepPoint& point : sweep) {
    if (point.bytes_per_second >= kCacheSpeedup * knee.memory_bytes_per_second) {
      knee.last_level_cache_bytes = point.working_set_bytes;
    }
  }
  return knee;
}

std::vector<KernelSpec> PlanSweep(ProbeMode mode, const Backend& backend, double llc_bytes) {
  struct Grid {
    std::vector<std::int64_t> d, n, k, gemm_batch, topk_batch;
  };
  const bool gpu = backend.Name() == "cuda";
  Grid grid;
  switch (mode) {
    case ProbeMode::QUICK:
      grid = {{768}, {16384}, {32}, {256}, {256}};
      break;
    case ProbeMode::STANDARD:
      grid = {{768, 2304, 4096}, {16384, 131072}, {64}, {gpu ? 4096 : 512}, {gpu ? 4096 : 256}};
      break;
    case ProbeMode::FULL:
      grid = {{768, 2304, 4096},
              {16384, 32768, 65536, 131072, 262144},
              {32, 64, 128},
              {256, 1024, 4096},
              {256, 1024, 4096}};
      break;
  }
  std::vector<KernelSpec> shapes;
  for (DType dtype : {DType::FP32, DType::TF32, DType::BF16}) {
    if (!backend.Supports(dtype)) continue;
    for (std::int64_t d : grid.d) {
      for (std::int64_t n : grid.n) {
        for (std::int64_t batch : grid.gemm_batch) shapes.push_back({KernelKind::ENCODER_GEMM, dtype, batch, d, n, 0});
      }
    }
  }
  for (std::int64_t n : grid.n) {
    for (std::int64_t k : grid.k) {
      for (std::int64_t batch : grid.topk_batch) shapes.push_back({KernelKind::TOPK, DType::FP32, batch, 0, n, k});
    }
  }
  // Memory-bound sparse kernels: enough tokens that the rows streamed per call (batch * k * d * 4 bytes) are at
  // least 4x the last-level cache.
  for (KernelKind kind : {KernelKind::DECODER_GATHER, KernelKind::SCATTER_ADD}) {
    for (std::int64_t d : grid.d) {
      for (std::int64_t n : grid.n) {
        // Quick mode has one dictionary: make it at least 4x the cache (the other modes sweep n as given).
        const std::int64_t rows =
            mode == ProbeMode::QUICK
                ? std::clamp<std::int64_t>(NextPowerOfTwo(llc_bytes / static_cast<double>(d)), n, std::int64_t{1} << 22)
                : n;
        for (std::int64_t k : grid.k) {
          const double streamed_per_token = 4.0 * static_cast<double>(k * d);
          const std::int64_t batch =
              std::clamp<std::int64_t>(NextPowerOfTwo(4.0 * llc_bytes / streamed_per_token), 256, 65536);
          shapes.push_back({kind, DType::FP32, batch, d, rows, k});
        }
      }
    }
  }
  return shapes;
}

ProbeReport RunProbe(const ProbeOptions& options, const ProgressCallback& progress_callback) {
  std::string why;
  if (!options.Check(&why)) throw InputError(why, InputLocation{"probe options"});
  ProbeReport report;
  HardwareProfile& profile = report.profile;
  const int threads = options.threads > 0 ? options.threads : HardwareThreads();
  std::unique_ptr<Backend> backend = OpenBackend(options.backend, threads, &report.notes);
  profile.host = CollectHostInfo(threads);
  backend->Describe(&profile);
  if (profile.host.openblas_coretype && backend->Name() == "cpu") {
    report.notes.push_back("OPENBLAS_CORETYPE=" + *profile.host.openblas_coretype + " forces OpenBLAS's " +
                           profile.host.blas_corename + " code path (reported, not overridden)");
  }

  if (backend->Name() == "cpu" && !cpu::TransparentHugePagesAvailable()) {
    report.notes.push_back("transparent huge pages are off: the sparse kernels' random row reads also pay TLB misses");
  }

  const TimingOptions timing = ModeTiming(options.mode);
  const double budget_seconds = ShapeBudgetSeconds(options);
  const double memory_limit = 0.6 * backend->MemoryBytes();

  // Sweep sizes: 256 KiB (CPU) or 1 MiB (GPU) doubling up to the mode's limit.
  std::vector<double> sweep_sizes;
  const double sweep_limit = std::min(SweepLimitBytes(options.mode),
                                      memory_limit > 0.0 ? memory_limit / 2.0 : SweepLimitBytes(options.mode));
  for (double size = backend->Name() == "cuda" ? kMiB : 256.0 * 1024.0; size <= sweep_limit; size *= 2.0) {
    sweep_sizes.push_back(size);
  }

  // A sweep planned with a nominal cache gives the step count for the progress bar; the real plan follows the sweep.
  const std::vector<KernelSpec> nominal_plan = PlanSweep(options.mode, *backend, 32.0 * kMiB);
  Progress progress(progress_callback,
                    8 + static_cast<int>(sweep_sizes.size()) + 2 + static_cast<int>(nominal_plan.size()));

  // 1. Every kernel must agree with its reference before anything is timed.
  for (KernelKind kind : {KernelKind::ENCODER_GEMM, KernelKind::TOPK, KernelKind::DECODER_GATHER,
                          KernelKind::SCATTER_ADD, KernelKind::TRIAD, KernelKind::FMA_PEAK}) {
    progress.Step("checking " + std::string(KernelName(kind)));
    if (kind == KernelKind::ENCODER_GEMM) {
      for (DType dtype : {DType::FP32, DType::TF32, DType::BF16}) {
        if (backend->Supports(dtype)) CheckKernel(*backend, kind, dtype);
      }
    } else {
      CheckKernel(*backend, kind);
    }
  }

  // 2. Peak arithmetic.
  progress.Step("fma_peak");
  const TimedRun fma_run = TimeFmaPeak(*backend, timing, options.mode == ProbeMode::QUICK ? 0.05 : 0.2);
  KernelMeasurement fma = MakeMeasurement(fma_run);
  profile.calibration.fma_peak_flops = fma.flops_per_second;

  // 3. Bandwidth against working-set size. Small sizes repeat the triad inside each sample (at least 64 MiB of
  //    traffic), so that the threads' start-up does not swamp a few microseconds of work.
  for (double size : sweep_sizes) {
    progress.Step("triad sweep " + Bytes(size));
    const std::int64_t elements = static_cast<std::int64_t>(size / 12.0);
    TimingOptions sweep_timing = timing;
    sweep_timing.repeats = std::max(timing.repeats, 5);
    sweep_timing.calls_per_sample =
        static_cast<int>(std::clamp(64.0 * kMiB / size, 1.0, 1024.0));
    const TimedRun run = backend->Time({KernelKind::TRIAD, DType::FP32, 0, 0, elements, 0}, sweep_timing);
    // The best sample, as STREAM reports: a neighbour's burst of activity only ever slows a sample down.
    const KernelMeasurement point = MakeMeasurement(run);
    profile.calibration.cache_sweep.push_back({point.working_set_bytes, point.bytes / point.seconds_best});
  }
  const CacheKnee knee = FindCacheKnee(profile.calibration.cache_sweep);
  profile.calibration.last_level_cache_bytes = knee.last_level_cache_bytes;
  profile.calibration.cache_knee_found = knee.knee_found;
  if (!knee.knee_found) {
    report.notes.push_back("triad bandwidth was still falling at the largest working set swept (" +
                           Bytes(sweep_sizes.empty() ? 0.0 : sweep_sizes.back()) +
                           "): the last-level cache estimate may be low");
  }

  // 4. The bandwidth figure: a triad at least 4x the last-level cache (and at least the largest sweep size).
  progress.Step("triad");
  double triad_bytes = std::max(4.0 * knee.last_level_cache_bytes, sweep_sizes.empty() ? 0.0 : sweep_sizes.back());
  if (memory_limit > 0.0 && triad_bytes > memory_limit) {
    report.notes.push_back("triad working set capped at " + Bytes(memory_limit) + " (4x the cache would be " +
                           Bytes(triad_bytes) + ")");
    triad_bytes = memory_limit;
  }
  const std::int64_t triad_elements = std::max<std::int64_t>(1, static_cast<std::int64_t>(triad_bytes / 12.0));
  KernelMeasurement triad =
      MakeMeasurement(backend->Time({KernelKind::TRIAD, DType::FP32, 0, 0, triad_elements, 0}, timing));
  profile.bandwidth_bytes_per_s = triad.bytes_per_second;
  profile.kernels.push_back(fma);
  profile.kernels.push_back(triad);

  // 5. The sparse-autoencoder kernels over the shape sweep, within the memory and time budgets.
  const std::vector<KernelSpec> plan = PlanSweep(options.mode, *backend, knee.last_level_cache_bytes);
  const int timed_calls = timing.warmup + timing.repeats;
  for (KernelSpec spec : plan) {
    progress.Step(spec.Describe());
    if (WorkingSetBytes(spec) > memory_limit && memory_limit > 0.0) {
      report.notes.push_back("skipped " + spec.Describe() + ": needs " + Bytes(WorkingSetBytes(spec)) +
                             ", over 60% of the memory");
      continue;
    }
    const auto estimate_seconds = [&](const KernelSpec& shape) {
      const KernelCost cost = CostOf(shape);
      const double compute = profile.calibration.fma_peak_flops > 0.0 ? cost.flops / profile.calibration.fma_peak_flops
                                                                      : 0.0;
      const double memory = profile.bandwidth_bytes_per_s > 0.0 ? cost.bytes / profile.bandwidth_bytes_per_s : 0.0;
      // The roofline bound is optimistic; real kernels reach a fraction of it.
      const double fraction = spec.kind == KernelKind::ENCODER_GEMM ? 0.5 : 0.3;
      return timed_calls * std::max(compute, memory) / fraction;
    };
    if (estimate_seconds(spec) > budget_seconds) {
      const std::string original = spec.Describe();
      while (spec.kind == KernelKind::ENCODER_GEMM && spec.batch > 64 && estimate_seconds(spec) > budget_seconds) {
        spec.batch /= 2;
      }
      if (estimate_seconds(spec) > budget_seconds) {
        report.notes.push_back("skipped " + original + ": over the " + FormatQuantity(budget_seconds) +
                               " s budget per shape");
        continue;
      }
      report.notes.push_back("ran " + original + " with batch " + std::to_string(spec.batch) + " to fit the " +
                             FormatQuantity(budget_seconds) + " s budget per shape");
    }
    profile.kernels.push_back(MakeMeasurement(backend->Time(spec, timing)));
  }

  // 6. Summary figures and roofline placement.
  for (const KernelMeasurement& kernel : profile.kernels) {
    if (kernel.name == KernelName(KernelKind::ENCODER_GEMM)) {
      profile.peak_flops = std::max(profile.peak_flops, kernel.flops_per_second);
    }
  }
  if (profile.peak_flops <= 0.0) profile.peak_flops = profile.calibration.fma_peak_flops;
  for (KernelMeasurement& kernel : profile.kernels) {
    FillRoofline(profile.calibration.fma_peak_flops, profile.bandwidth_bytes_per_s, &kernel);
  }
  progress.Finish();
  return report;
}

}  // namespace scaleplan::probe
