// The interconnect probe's arithmetic, free of MPI: the message sizes a mode measures, the nccl-tests bandwidths of
// one measurement, and the latency-bandwidth (alpha-beta) least-squares fit per collective and scope. The MPI runner
// (gpu_probe/mpi_collectives.h) times the collectives and hands its samples here. Protocol: gpu_probe/README.md.
#ifndef SCALEPLAN_GPU_PROBE_COLLECTIVES_H_
#define SCALEPLAN_GPU_PROBE_COLLECTIVES_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/collective_cost.h"
#include "core/hardware_profile.h"

namespace scaleplan::probe {

inline constexpr std::array<Collective, 5> kProbedCollectives = {
    Collective::ALL_REDUCE, Collective::ALL_GATHER, Collective::REDUCE_SCATTER, Collective::ALL_TO_ALL,
    Collective::SEND_RECV};

// The library that runs the collectives: MPI on host buffers (the CPUs' view of the network), NCCL on GPU buffers
// (one rank per GPU, the module of gpu_probe/nccl_backend.h), or AUTO: NCCL when every rank can use it, else MPI.
enum class CollectiveBackend { AUTO, MPI, NCCL };

struct CollectiveProbeOptions {
  CollectiveBackend backend = CollectiveBackend::AUTO;
  bool quick = false;              // quick: 1 KiB, 64 KiB, 1 MiB, 16 MiB, few repeats (under a minute on 2 cores);
                                   // else 1 KiB .. 1 GiB in steps of 4x
  int warmup = 0;                  // untimed calls per size before the check and the timing; 0 = the mode's (2)
  int repeats = 0;                 // timed samples per size; 0 = the mode's (quick 5, standard 10)
  std::vector<std::int64_t> sizes;  // non-empty: these message sizes (bytes) instead of the mode's (the benchmark)
  double timeout_seconds = 120.0;  // limit on each collective at each size (warm-up, check and samples together):
                                   // a rank still waiting then ends the whole job (exit 6) instead of hanging

  bool Check(std::string* why) const;
  int Warmup() const { return warmup > 0 ? warmup : 2; }
  int Repeats() const { return repeats > 0 ? repeats : (quick ? 5 : 10); }
};

// The message sizes in bytes (nccl-tests' S) the mode asks for, ascending; each runner rounds them to whole elements
// per rank (RoundedBytes).
std::vector<std::int64_t> CollectiveSizes(const CollectiveProbeOptions& options);

// `bytes` rounded down to what `collective` among `ranks` ranks can move with 4-byte elements: a multiple of
// 4 x ranks for the collectives that split the array into one block per rank, of 4 otherwise (at least one element
// per block).
std::int64_t RoundedBytes(Collective collective, std::int64_t ranks, std::int64_t bytes);

// Calls per timed sample: enough calls that a sample of a small message is not one clock tick.
int CallsPerSample(std::int64_t bytes);

// One measurement from the per-sample seconds (each already the slowest rank's): median and best, algbw = bytes /
// median, busbw = algbw x BusBandwidthFactor(collective, ranks).
CollectiveMeasurement MakeCollectiveMeasurement(Collective collective, const std::string& scope, std::int64_t ranks,
                                                double bytes, std::vector<double> seconds);

// The latency-bandwidth model seconds = a + b x bytes of `measurements` (one collective, one scope, median seconds):
// the line through the smallest and the largest message, so that the latency is the small messages' and the
// bandwidth the large messages' (a transport that changes regime in between is not averaged); a < 0 is clamped to 0
// with the line through the largest. Returns latency_seconds = a / CollectiveLatencySteps and busbw_bytes_per_s =
// F(ranks) / b, or nullopt with fewer than 2 sizes or a time that does not grow with size.
// Two points decide the line, so one disturbed sample moves it: the model's `warnings` say, one text each, where
// a + b S misses a measured size's median time by more than kModelMissFactor (either way), where an anchor size's
// median time is more than kAnchorSpreadFactor times its best, and that the latency was clamped to 0.
inline constexpr double kModelMissFactor = 2.0;
inline constexpr double kAnchorSpreadFactor = 1.5;
std::optional<CollectiveModel> FitCollectiveModel(const std::vector<CollectiveMeasurement>& measurements);

// Collective from its name ("all_reduce", ...); nullopt when unknown.
std::optional<Collective> CollectiveFromName(const std::string& name);

// The table `probe --collectives` prints.
std::string FormatCollectivesTable(const InterconnectProfile& interconnect);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_COLLECTIVES_H_
