// The CUDA backend, as seen from the always-built C++ side: it dlopen()s libscaleplan_probe_cuda.so (built only when
// nvcc is found) and calls its C interface (cuda_module_abi.h). Nothing here links against CUDA, so the scaleplan
// binary starts on machines without CUDA libraries; the module is looked for only when a CUDA probe is asked for.
#ifndef SCALEPLAN_GPU_PROBE_CUDA_BACKEND_H_
#define SCALEPLAN_GPU_PROBE_CUDA_BACKEND_H_

#include <memory>
#include <string>
#include <vector>

#include "gpu_probe/backend.h"

namespace scaleplan::probe {

// File name of the module.
inline constexpr const char* kCudaModuleFileName = "libscaleplan_probe_cuda.so";

// Whether this build compiled the CUDA module (CMake found nvcc).
bool CudaBackendCompiledIn();

// Where the module is looked for, in order: $SCALEPLAN_PROBE_CUDA_MODULE (a full path), the folder of the running
// executable, <that folder>/../lib/scaleplan, and the build tree's module folder.
std::vector<std::string> CudaModuleCandidates();

// Loads the module, checks its interface version, opens device 0. Returns nullptr and sets *why to a one-line
// reason (compiled out, module not found, dlopen error such as a missing libcublas, no driver, no device).
std::unique_ptr<Backend> OpenCudaBackend(std::string* why);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_CUDA_BACKEND_H_
