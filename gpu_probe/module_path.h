// Where a probe module loaded at run time (the CUDA kernels, the NCCL collectives) is looked for.
#ifndef SCALEPLAN_GPU_PROBE_MODULE_PATH_H_
#define SCALEPLAN_GPU_PROBE_MODULE_PATH_H_

#include <string>
#include <vector>

namespace scaleplan::probe {

// In order: $`environment_variable` (a full path) when set, the folder of the running executable,
// <that folder>/../lib/scaleplan, and `build_folder` (the build tree's module folder; "" = none).
std::vector<std::string> ModuleCandidates(const char* environment_variable, const std::string& file_name,
                                          const std::string& build_folder);

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_MODULE_PATH_H_
