// What the probe records about the host: CPU model and ISA flags from /proc/cpuinfo, the OpenBLAS code path that
// runs, and whether OPENBLAS_CORETYPE forces one (reported, never overridden).
#ifndef SCALEPLAN_GPU_PROBE_HOST_INFO_H_
#define SCALEPLAN_GPU_PROBE_HOST_INFO_H_

#include <optional>
#include <string>
#include <vector>

#include "core/hardware_profile.h"

namespace scaleplan::probe {

// The ISA flags that matter to the kernels, in this order when present.
inline const std::vector<std::string>& RelevantIsaFlags() {
  static const std::vector<std::string> flags = {"sse4_2",   "avx",      "avx2",     "fma",         "f16c",
                                                 "avx512f",  "avx512bw", "avx512vl", "avx512_bf16", "amx_bf16"};
  return flags;
}

// Parses the text of /proc/cpuinfo: the first "model name" and the relevant flags of the first processor.
void ParseCpuInfo(const std::string& cpuinfo, std::string* model, std::vector<std::string>* isa);

// Reads /proc/cpuinfo and OpenBLAS; `threads` is the CPU thread count the probe uses.
HostInfo CollectHostInfo(int threads);

// Hardware threads available to this process (at least 1).
int HardwareThreads();

// Physical memory in bytes (0 when unknown).
double PhysicalMemoryBytes();

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_HOST_INFO_H_
