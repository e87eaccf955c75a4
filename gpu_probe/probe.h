// The hardware probe: picks a backend, checks every kernel against its reference, calibrates peak arithmetic (FMA
// loop) and memory bandwidth (a triad cache sweep, then a triad at least 4x the measured last-level cache), then
// times the sparse-autoencoder kernels over a shape sweep and returns a HardwareProfile (core/hardware_profile.h).
// Protocol and formulas: gpu_probe/README.md.
#ifndef SCALEPLAN_GPU_PROBE_PROBE_H_
#define SCALEPLAN_GPU_PROBE_PROBE_H_

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/hardware_profile.h"
#include "gpu_probe/backend.h"
#include "gpu_probe/kernel_cost.h"
#include "gpu_probe/timing.h"

namespace scaleplan::probe {

enum class BackendChoice { AUTO, CPU, CUDA };
enum class ProbeMode { QUICK, STANDARD, FULL };

struct ProbeOptions {
  BackendChoice backend = BackendChoice::AUTO;  // AUTO: CUDA when its module loads and finds a device, else CPU
  ProbeMode mode = ProbeMode::STANDARD;         // QUICK: small shapes, few repeats (< 1 min on 2 cores);
                                                // FULL: the whole d x n x k x batch sweep
  int threads = 0;                              // CPU threads for our kernels and OpenBLAS; 0 = all usable CPUs
  double max_seconds_per_shape = 0.0;           // time budget per timed shape (warm-up + repeats);
                                                // 0 = the mode's (quick 2 s, standard 8 s, full 30 s)

  bool Check(std::string* why) const;
};

// --backend cuda was asked for and CUDA cannot run here; what() gives the reason.
class BackendUnavailableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// fraction in [0, 1]; `what` names the step now running.
using ProgressCallback = std::function<void(double fraction, const std::string& what)>;

struct ProbeReport {
  HardwareProfile profile;
  std::vector<std::string> notes;  // one line each: fallbacks, shapes shrunk or skipped, a forced OpenBLAS core
};

// Runs the probe. Throws BackendUnavailableError (explicit CUDA that cannot run), KernelCheckError (a kernel
// disagrees with its reference) or BackendError (a kernel failed to run).
ProbeReport RunProbe(const ProbeOptions& options, const ProgressCallback& progress = {});

// ---- Pieces of the protocol, exposed for tests and the benchmark --------------------------------------------------

// Opens the backend `choice` asks for; AUTO falls back to the CPU with a note explaining why.
std::unique_ptr<Backend> OpenBackend(BackendChoice choice, int threads, std::vector<std::string>* notes);

// Measurement of a timed run: median and best seconds, flops and bytes from the formulas, rates. The roofline
// fraction is filled in by FillRoofline.
KernelMeasurement MakeMeasurement(const TimedRun& run);

// Sets arithmetic_intensity and roofline_fraction against `fma_peak_flops` and `bandwidth_bytes_per_s`.
void FillRoofline(double fma_peak_flops, double bandwidth_bytes_per_s, KernelMeasurement* kernel);

// From triad bandwidth against working-set size (ascending sizes): the memory bandwidth is the plateau at the large
// end; the last-level cache estimate is the largest working set still served at least kCacheSpeedup times faster
// than that. knee_found is false when the two largest sizes still differ by more than 10% (no plateau yet).
inline constexpr double kCacheSpeedup = 1.25;
struct CacheKnee {
  double last_level_cache_bytes = 0.0;
  double memory_bytes_per_second = 0.0;
  bool knee_found = false;
};
CacheKnee FindCacheKnee(const std::vector<CacheSweepPoint>& sweep);

// The shapes the mode sweeps (before budget and memory limits). `llc_bytes` sizes the memory-bound kernels' batch so
// that the dictionary rows they stream per call are at least 4x the last-level cache.
std::vector<KernelSpec> PlanSweep(ProbeMode mode, const Backend& backend, double llc_bytes);

// Timing protocol of a mode: warm-up calls and timed repeats.
TimingOptions ModeTiming(ProbeMode mode);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_PROBE_H_
