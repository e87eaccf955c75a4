#include "gpu_probe/module_path.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace scaleplan::probe {

std::vector<std::string> ModuleCandidates(const char* environment_variable, const std::string& file_name,
                                          const std::string& build_folder) {
  std::vector<std::string> candidates;
  if (const char* path = std::getenv(environment_variable); path != nullptr && *path != '\0') {
    candidates.emplace_back(path);
  }
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path folder = executable.parent_path();
    candidates.push_back((folder / file_name).string());
    candidates.push_back((folder.parent_path() / "lib" / "scaleplan" / file_name).string());
  }
  if (!build_folder.empty()) candidates.push_back(build_folder + "/" + file_name);
  return candidates;
}

void* OpenModule(const std::vector<std::string>& candidates, const std::string& description,
                 const std::string& file_name, const ModuleLoadFailure& load_failure, std::string* why) {
  std::string looked_in;
  for (const std::string& candidate : candidates) {
    std::error_code error;
    if (!std::filesystem::exists(candidate, error)) {
      looked_in += (looked_in.empty() ? "" : ", ") + candidate;
      continue;
    }
    void* library = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* message = dlerror();
      const std::string text = message != nullptr ? message : "unknown dlopen error";
      *why = load_failure ? load_failure(candidate, text) : "cannot load " + candidate + ": " + text;
    }
    return library;
  }
  *why = description + " " + file_name + " not found (looked in " + (looked_in.empty() ? "no folder" : looked_in) + ")";
  return nullptr;
}

void* ModuleSymbol(void* library, const char* name, const std::string& description, std::string* why) {
  dlerror();
  void* symbol = dlsym(library, name);
  if (symbol == nullptr) *why = "the " + description + " lacks " + name + " (a module from another scaleplan version?)";
  return symbol;
}

}  // namespace scaleplan::probe
