// A measured hardware profile: what `scaleplan probe` writes and `scaleplan plan --profile` reads.
//
// JSON layout (schema_version 1; keys not listed here are ignored, so later v1 writers may add fields):
//   {
//     "schema_version": 1,
//     "backend": "cpu" | "cuda",
//     "device": "AMD EPYC ...",                    CPU model or GPU name
//     "peak_flops": 1.2e11,                        best measured dense GEMM rate, FLOP/s (> 0)
//     "bandwidth_bytes_per_s": 2.1e10,             best measured triad bandwidth beyond the caches, bytes/s (> 0)
//     "host": { "cpu_model": "...", "isa": ["avx2", "fma"], "threads": 2, "blas_corename": "Haswell",
//               "blas_config": "...", "openblas_coretype": "Haswell" (only when the variable is set) },
//     "cuda_device": { ... }                       only for backend "cuda"
//     "calibration": { "fma_peak_flops": ..., "last_level_cache_bytes": ..., "cache_knee_found": true,
//                      "cache_sweep": [ { "working_set_bytes": ..., "bytes_per_second": ... }, ... ] },
//     "kernels": [ { "name": "encoder_gemm", "dtype": "fp32", "d": 768, "n": 16384, "k": 0, "batch": 256,
//                    "seconds_median": ..., "seconds_best": ..., "flops": ..., "bytes": ...,
//                    "flops_per_second": ..., "bytes_per_second": ..., "working_set_bytes": ...,
//                    "arithmetic_intensity": ..., "roofline_fraction": ... }, ... ]
//   }
//     "interconnect": {                            only from 'probe --collectives' (gpu_probe/README.md)
//       "ranks": 4, "nodes": 1, "ranks_per_node": 4, "backend": "mpi",
//       "collectives": [ { "name": "all_reduce", "scope": "intra_node", "ranks": 4, "bytes": 16777216,
//                          "seconds_median": ..., "seconds_best": ..., "algbw_bytes_per_s": ...,
//                          "busbw_bytes_per_s": ... }, ... ],
//       "models": [ { "name": "all_reduce", "scope": "intra_node", "ranks": 4, "latency_seconds": ...,
//                     "busbw_bytes_per_s": ..., "warnings": [ "...", ... ] }, ... ] }
//                     (warnings: written since the probe checks its fits; optional on reading, [] when absent)
// A profile written by 'probe --collectives' alone measured no kernels: its peak_flops and bandwidth_bytes_per_s
// are 0 (allowed only when it has an interconnect section) and 'plan' keeps the catalogue's compute figures.
// Kernel names: encoder_gemm, topk, decoder_gather, scatter_add, triad, fma_peak. Shape fields that do not apply are
// 0; for triad `n` is the length of each array, for fma_peak `n` is the number of fused multiply-adds.
#ifndef SCALEPLAN_CORE_HARDWARE_PROFILE_H_
#define SCALEPLAN_CORE_HARDWARE_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace scaleplan {

inline constexpr int kHardwareProfileSchemaVersion = 1;

// One timed kernel at one shape.
struct KernelMeasurement {
  std::string name;               // encoder_gemm, topk, decoder_gather, scatter_add, triad, fma_peak
  std::string dtype = "fp32";     // fp32, tf32 or bf16 (GEMM inputs); every other kernel is fp32
  std::int64_t d = 0;             // activation width
  std::int64_t n = 0;             // dictionary size (latents); see the header comment for triad and fma_peak
  std::int64_t k = 0;             // active latents per token
  std::int64_t batch = 0;         // tokens per step
  double seconds_median = 0.0;    // median over the timed repeats
  double seconds_best = 0.0;      // fastest timed repeat
  double flops = 0.0;             // per call, from the kernel's formula (gpu_probe/README.md)
  double bytes = 0.0;             // per call, compulsory traffic from the kernel's formula
  double flops_per_second = 0.0;  // flops / seconds_median
  double bytes_per_second = 0.0;  // bytes / seconds_median
  double working_set_bytes = 0.0;   // memory the kernel's buffers occupy
  double arithmetic_intensity = 0.0; // flops / bytes (0 when bytes is 0): the roofline x coordinate
  double roofline_fraction = 0.0;    // flops_per_second / min(fma peak, intensity * bandwidth); bandwidth-only
                                     // kernels: bytes_per_second / bandwidth; fma_peak: 1 by definition
};

// The machine the probe ran on.
struct HostInfo {
  std::string cpu_model;                         // /proc/cpuinfo "model name"
  std::vector<std::string> isa;                  // the flags that matter for the kernels: avx2, fma, avx512f, ...
  int threads = 1;                               // CPU threads used by the CPU kernels
  std::string blas_corename;                     // openblas_get_corename(): the code path that ran
  std::string blas_config;                       // openblas_get_config()
  std::optional<std::string> openblas_coretype;  // $OPENBLAS_CORETYPE when set (it can force a slower path)
};

// A CUDA device (backend "cuda" only).
struct CudaDeviceInfo {
  std::string name;
  int sm_count = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  double memory_bytes = 0.0;
  double l2_cache_bytes = 0.0;
  int clock_khz = 0;
  int memory_clock_khz = 0;
  int memory_bus_width_bits = 0;
};

// Triad bandwidth at one working-set size (the cache sweep).
struct CacheSweepPoint {
  double working_set_bytes = 0.0;
  double bytes_per_second = 0.0;
};

struct Calibration {
  double fma_peak_flops = 0.0;          // dense FMA loop, all threads
  double last_level_cache_bytes = 0.0;  // largest working set still served faster than memory (from the sweep)
  bool cache_knee_found = false;        // false: bandwidth had not levelled off at the largest size swept
  std::vector<CacheSweepPoint> cache_sweep;
};

// One collective at one message size (nccl-tests' definitions, core/collective_cost.h): algbw = bytes /
// seconds_median, busbw = algbw x BusBandwidthFactor(name, ranks).
struct CollectiveMeasurement {
  std::string name;               // all_reduce, all_gather, reduce_scatter, all_to_all, send_recv
  std::string scope;              // intra_node (ranks of one host) or inter_node (one rank per host)
  std::int64_t ranks = 0;         // ranks in the communicator that ran it
  double bytes = 0.0;             // nccl-tests' S: the array (all-reduce), the whole gathered/scattered array, ...
  double seconds_median = 0.0;    // median over the timed repeats of the slowest rank's time
  double seconds_best = 0.0;      // fastest timed repeat
  double algbw_bytes_per_s = 0.0;
  double busbw_bytes_per_s = 0.0;
};

// The latency-bandwidth fit of one collective and scope: seconds = steps(ranks) x latency_seconds +
// F(ranks) x bytes / busbw_bytes_per_s, steps and F from core/collective_cost.h (a LinkModel as it stands).
struct CollectiveModel {
  std::string name;
  std::string scope;
  std::int64_t ranks = 0;
  double latency_seconds = 0.0;    // per latency step
  double busbw_bytes_per_s = 0.0;  // > 0
  // Why the model may not describe the link (gpu_probe/collectives.h FitCollectiveModel): a measured size whose time
  // the line misses by more than 2x, an anchor size (the smallest, the largest) whose median time is more than 1.5x
  // its best, a latency clamped to 0. Empty for a model that fits every measured size.
  std::vector<std::string> warnings;
};

struct InterconnectProfile {
  std::int64_t ranks = 0;           // the whole job
  std::int64_t nodes = 0;           // distinct hosts
  std::int64_t ranks_per_node = 0;  // ranks on the host of rank 0
  std::string backend = "mpi";      // the library that ran the collectives
  std::vector<CollectiveMeasurement> collectives;
  std::vector<CollectiveModel> models;

  // The model for `name` and `scope`; nullptr when none was fitted.
  const CollectiveModel* FindModel(const std::string& name, const std::string& scope) const;
};

struct HardwareProfile {
  int schema_version = kHardwareProfileSchemaVersion;
  std::string backend;                 // "cpu" or "cuda"
  std::string device;                  // CPU model or GPU name
  double peak_flops = 0.0;             // best measured dense GEMM FLOP/s
  double bandwidth_bytes_per_s = 0.0;  // best measured triad bytes/s on working sets beyond the caches
  HostInfo host;
  std::optional<CudaDeviceInfo> cuda_device;
  Calibration calibration;
  std::vector<KernelMeasurement> kernels;
  std::optional<InterconnectProfile> interconnect;  // from 'probe --collectives'
};

// Whether `profile` measured the kernels (peak_flops and bandwidth_bytes_per_s > 0), so that a roofline can be drawn:
// a profile of 'probe --collectives' alone did not.
bool HasKernelMeasurements(const HardwareProfile& profile);
// Why a roofline of such a profile cannot be drawn (the message `plot roofline` gives after the file's name).
inline constexpr const char* kNoKernelMeasurements =
    "the profile has no kernel measurements (probe without --collectives measures them: 'scaleplan probe --out "
    "PROFILE.json'; a profile of 'probe --collectives' holds the interconnect only, drawn by 'plot collectives')";
// Whether `profile` has collectives measured at some size to draw against message size: an interconnect section
// whose `collectives` list is not empty (one with fitted models alone, written by hand, plans but draws nothing).
bool HasCollectiveMeasurements(const HardwareProfile& profile);
// Why the collectives chart of a profile cannot be drawn (the message `plot collectives` gives after the file's name).
std::string NoCollectiveMeasurementsReason(const HardwareProfile& profile);

// Serialises `profile` as indented JSON (with a trailing newline).
std::string HardwareProfileToJson(const HardwareProfile& profile);

// Parses a profile. `source` names the input in errors (a path, or a label such as "<stdin>"). Throws InputError
// naming `source` and the JSON path of the offending value (e.g. "kernels[2].flops_per_second") when the text is not
// JSON, a required key is missing, a value has the wrong type, a throughput or time is negative (peaks must be > 0),
// or schema_version is newer than this build reads.
HardwareProfile HardwareProfileFromJson(const std::string& text, const std::string& source);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_HARDWARE_PROFILE_H_
