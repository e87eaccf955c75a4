// Where a probe module loaded at run time (the CUDA kernels, the NCCL collectives) is looked for, and how it is
// opened and its entry points resolved: one loader for both modules.
#ifndef SCALEPLAN_GPU_PROBE_MODULE_PATH_H_
#define SCALEPLAN_GPU_PROBE_MODULE_PATH_H_

#include <functional>
#include <string>
#include <vector>

namespace scaleplan::probe {

// In order: $`environment_variable` (a full path) when set, the folder of the running executable,
// <that folder>/../lib/scaleplan, and `build_folder` (the build tree's module folder; "" = none).
std::vector<std::string> ModuleCandidates(const char* environment_variable, const std::string& file_name,
                                          const std::string& build_folder);

// Opens the first of `candidates` that exists (dlopen, RTLD_NOW | RTLD_LOCAL). nullptr with *why when none exists
// ("<description> <file_name> not found (looked in ...)") or when the first that exists does not load:
// load_failure(path, the loader's message), or "cannot load PATH: MESSAGE" when load_failure is empty.
using ModuleLoadFailure = std::function<std::string(const std::string& path, const std::string& message)>;
void* OpenModule(const std::vector<std::string>& candidates, const std::string& description,
                 const std::string& file_name, const ModuleLoadFailure& load_failure, std::string* why);

// The address of entry point `name` in an opened module; nullptr with *why = "the <description> lacks NAME (a module
// from another scaleplan version?)".
void* ModuleSymbol(void* library, const char* name, const std::string& description, std::string* why);

// ModuleSymbol into a typed function pointer (the type from the module's ABI header's declaration).
template <typename Function>
bool ResolveModuleSymbol(void* library, const char* name, const std::string& description, Function* function,
                         std::string* why) {
  void* symbol = ModuleSymbol(library, name, description, why);
  if (symbol == nullptr) return false;
  *function = reinterpret_cast<Function>(symbol);
  return true;
}

}  // namespace scaleplan::probe

#endif  // SCALEPLAN_GPU_PROBE_MODULE_PATH_H_
