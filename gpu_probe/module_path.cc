#include "gpu_probe/module_path.h"

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

}  // namespace scaleplan::probe
