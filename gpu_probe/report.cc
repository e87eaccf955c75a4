#include "gpu_probe/report.h"

#include <cstdio>
#include <sstream>

#include "core/units.h"

namespace scaleplan::probe {
namespace {

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

std::string Join(const std::vector<std::string>& words, const std::string& separator) {
  std::string out;
  for (const std::string& word : words) out += (out.empty() ? "" : separator) + word;
  return out;
}

std::string Shape(std::int64_t value) { return value > 0 ? std::to_string(value) : "-"; }

}  // namespace

std::string FormatProbeTable(const HardwareProfile& profile, const std::vector<std::string>& notes) {
  std::ostringstream out;
  out << "backend      " << profile.backend << "\n";
  out << "device       " << profile.device << "\n";
  if (profile.cuda_device) {
    const CudaDeviceInfo& gpu = *profile.cuda_device;
    out << "gpu          " << gpu.sm_count << " SMs, compute " << gpu.compute_capability_major << "."
        << gpu.compute_capability_minor << ", " << Format("%.1f", gpu.memory_bytes / 1e9) << " GB, clock "
        << gpu.clock_khz / 1000 << " MHz, memory clock " << gpu.memory_clock_khz / 1000 << " MHz x "
        << gpu.memory_bus_width_bits << " bit\n";
  }
  out << "cpu          " << profile.host.cpu_model << " (" << profile.host.threads << " threads; "
      << Join(profile.host.isa, " ") << ")\n";
  out << "blas         OpenBLAS " << profile.host.blas_corename;
  if (profile.host.openblas_coretype) out << " (OPENBLAS_CORETYPE=" << *profile.host.openblas_coretype << ")";
  out << "\n";
  out << "peak         " << Format("%.1f", profile.peak_flops / 1e9) << " GFLOP/s dense GEMM, "
      << Format("%.1f", profile.calibration.fma_peak_flops / 1e9) << " GFLOP/s FMA loop\n";
  out << "bandwidth    " << Format("%.1f", profile.bandwidth_bytes_per_s / 1e9) << " GB/s triad beyond the caches\n";
  out << "cache        last level ~" << Format("%.1f", profile.calibration.last_level_cache_bytes / 1048576.0)
      << " MiB (triad sweep" << (profile.calibration.cache_knee_found ? "" : ", no plateau reached") << ")\n";
  if (!profile.calibration.cache_sweep.empty()) {
    out << "sweep        ";
    for (const CacheSweepPoint& point : profile.calibration.cache_sweep) {
      out << Format("%.3g", point.working_set_bytes / 1048576.0)
          << "MiB:" << Format("%.0f", point.bytes_per_second / 1e9) << " ";
    }
    out << "(GB/s)\n";
  }
  out << "\n";
  char line[256];
  std::snprintf(line, sizeof(line), "%-15s %-5s %6s %5s %7s %4s %10s %10s %9s %8s %7s %6s\n", "kernel", "dtype",
                "batch", "d", "n", "k", "median ms", "best ms", "GFLOP/s", "GB/s", "flop/B", "roof%");
  out << line;
  const double in_cache_limit = 4.0 * profile.calibration.last_level_cache_bytes;
  bool any_in_cache = false;
  for (const KernelMeasurement& kernel : profile.kernels) {
    const bool memory_bound = kernel.name == "topk" || kernel.name == "decoder_gather" ||
                              kernel.name == "scatter_add" || kernel.name == "triad";
    const bool in_cache = memory_bound && kernel.working_set_bytes < in_cache_limit;
    any_in_cache = any_in_cache || in_cache;
    // The n column is the dictionary's latents; the calibration kernels keep their size (FMAs, array elements) in
    // the same field, which is shown after the row in its own words instead.
    const bool calibration = kernel.name == "fma_peak" || kernel.name == "triad";
    std::snprintf(line, sizeof(line), "%-15s %-5s %6s %5s %7s %4s %10.3f %10.3f %9.1f %8.1f %7.2f %5.0f%%%s",
                  kernel.name.c_str(), kernel.dtype.c_str(), Shape(kernel.batch).c_str(), Shape(kernel.d).c_str(),
                  calibration ? "-" : Shape(kernel.n).c_str(), Shape(kernel.k).c_str(), kernel.seconds_median * 1e3,
                  kernel.seconds_best * 1e3, kernel.flops_per_second / 1e9, kernel.bytes_per_second / 1e9,
                  kernel.arithmetic_intensity, 100.0 * kernel.roofline_fraction, in_cache ? " *" : "");
    out << line;
    if (calibration && kernel.n > 0) {
      out << "  (" << FormatQuantity(static_cast<double>(kernel.n))
          << (kernel.name == "triad" ? " elements per array)" : " FMA operations)");
    }
    out << '\n';
  }
  if (any_in_cache) out << "* working set under 4x the last-level cache: partly served from cache\n";
  if (!notes.empty()) {
    out << "\nnotes:\n";
    for (const std::string& note : notes) out << "  - " << note << "\n";
  }
  return out.str();
}

}  // namespace scaleplan::probe
