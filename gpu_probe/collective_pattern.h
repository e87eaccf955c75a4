// The known pattern every collective of the interconnect probe is checked on, shared by the MPI runner
// (mpi_collectives.cc) and the NCCL module (nccl_module.cc), which compile it on the host alike: the buffer sizes per
// rank, the value each rank sends, and the value each received element must then hold. Small integers in float, so
// every sum is exact and the comparison is equality. Header-only and free of core/, MPI and CUDA; the collective
// codes are those of nccl_module_abi.h (scaleplan::Collective's values).
#ifndef SCALEPLAN_GPU_PROBE_COLLECTIVE_PATTERN_H_
#define SCALEPLAN_GPU_PROBE_COLLECTIVE_PATTERN_H_

#include <cstdint>
#include <string>

#include "gpu_probe/nccl_module_abi.h"

namespace scaleplan::probe::pattern {

// Element counts of one rank's buffers for a collective of `elements` floats in all (nccl-tests' S / 4) among
// `ranks` ranks. `count` is what the library call takes: the whole array (all-reduce, send/recv) or one rank's block.
struct BufferSizes {
  std::int64_t send = 0;
  std::int64_t recv = 0;
  std::int64_t count = 0;
};

inline BufferSizes SizesOf(int collective, std::int64_t elements, int ranks) {
  const std::int64_t block = ranks > 0 ? elements / ranks : 0;
  switch (collective) {
    case SCALEPLAN_NCCL_ALL_GATHER:
      return {block, elements, block};
    case SCALEPLAN_NCCL_REDUCE_SCATTER:
      return {elements, block, block};
    case SCALEPLAN_NCCL_ALL_TO_ALL:
      return {elements, elements, block};
    default:
      return {elements, elements, elements};  // all-reduce, send/recv
  }
}

// Element i of `rank`'s send buffer: rank + 1 + (i mod 7); for all-to-all, block j (to rank j) is rank x ranks + j,
// which tags every block with its source and destination.
inline float SendValue(int collective, std::int64_t i, int rank, int ranks, std::int64_t count) {
  if (collective == SCALEPLAN_NCCL_ALL_TO_ALL) return static_cast<float>(rank * ranks + i / count);
  return static_cast<float>(rank + 1 + i % 7);
}

// Element i of `rank`'s receive buffer after the collective, n = ranks:
//   all-reduce      sum over ranks r of (r + 1 + i mod 7)           = n(n+1)/2 + n (i mod 7)
//   all-gather      block j is rank j's send buffer                 = i/count + 1 + (i mod count) mod 7
//   reduce-scatter  element rank x count + i of the all-reduce      = n(n+1)/2 + n ((rank count + i) mod 7)
//   all-to-all      block j is rank j's block for this rank         = j n + rank
//   send/recv       the previous rank's send buffer                 = (rank - 1 mod n) + 1 + i mod 7
inline float ExpectedValue(int collective, std::int64_t i, int rank, int ranks, std::int64_t count) {
  const float n = static_cast<float>(ranks);
  switch (collective) {
    case SCALEPLAN_NCCL_ALL_REDUCE:
      return n * (n + 1.0f) / 2.0f + n * static_cast<float>(i % 7);
    case SCALEPLAN_NCCL_ALL_GATHER:
      return static_cast<float>(i / count + 1 + (i % count) % 7);
    case SCALEPLAN_NCCL_REDUCE_SCATTER:
      return n * (n + 1.0f) / 2.0f + n * static_cast<float>((static_cast<std::int64_t>(rank) * count + i) % 7);
    case SCALEPLAN_NCCL_ALL_TO_ALL:
      return static_cast<float>((i / count) * ranks + rank);
    case SCALEPLAN_NCCL_SEND_RECV:
      return static_cast<float>((rank + ranks - 1) % ranks + 1 + i % 7);
    default:
      return 0.0f;
  }
}

// Fills `send` (sizes.send elements) with `rank`'s pattern.
inline void FillSend(int collective, int rank, int ranks, const BufferSizes& sizes, float* send) {
  for (std::int64_t i = 0; i < sizes.send; ++i) send[i] = SendValue(collective, i, rank, ranks, sizes.count);
}

// "" when the `sizes.recv` received elements are what they must be, else the first difference:
// "element 5 is 3.000000, expected 4.000000".
inline std::string FirstDifference(int collective, int rank, int ranks, const BufferSizes& sizes, const float* recv) {
  for (std::int64_t i = 0; i < sizes.recv; ++i) {
    const float expected = ExpectedValue(collective, i, rank, ranks, sizes.count);
    if (recv[i] != expected) {
      return "element " + std::to_string(i) + " is " + std::to_string(recv[i]) + ", expected " +
             std::to_string(expected);
    }
  }
  return "";
}

}  // namespace scaleplan::probe::pattern

#endif  // SCALEPLAN_GPU_PROBE_COLLECTIVE_PATTERN_H_
