#include "core/file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>

#include "core/error.h"

namespace scaleplan {

std::string ReadWholeFile(const std::string& path) {
  errno = 0;
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    throw InputError(std::string("cannot read the file (") + std::strerror(errno) + ")", InputLocation{path});
  }
  std::string contents;
  char chunk[1 << 16];
  size_t read = 0;
  while ((read = std::fread(chunk, 1, sizeof chunk, file.get())) > 0) contents.append(chunk, read);
  if (std::ferror(file.get())) {
    // A directory opens like a file and fails on the first read: say so, instead of reading it as empty.
    const int error_number = errno;
    if (error_number == EISDIR) throw InputError("is a directory, not a file", InputLocation{path});
    throw InputError("read error after " + std::to_string(contents.size()) + " bytes (" +
                         std::strerror(error_number) + ")",
                     InputLocation{path});
  }
  return contents;
}

OutputTarget ResolveOutputTarget(const std::string& path) {
  namespace fs = std::filesystem;
  // Follow the links one hop at a time, as the kernel would (at most 40, its own limit); a hop through /proc is a
  // process's open descriptor, whose "target" may be no path at all (pipe:[1234]) or a file the shell has open.
  fs::path current(path);
  for (int hop = 0; hop < 40; ++hop) {
    struct stat link_status = {};
    if (::lstat(current.c_str(), &link_status) != 0) return {current.string(), false};  // new: create it
    if (!S_ISLNK(link_status.st_mode)) {
      const bool in_place = !S_ISREG(link_status.st_mode) && !S_ISDIR(link_status.st_mode);
      return {current.string(), in_place};
    }
    if (current.lexically_normal().string().rfind("/proc/", 0) == 0) return {current.string(), true};
    std::error_code error;
    const fs::path target = fs::read_symlink(current, error);
    if (error) return {current.string(), false};
    current = target.is_absolute() ? target : (current.parent_path() / target);
  }
  return {path, true};  // a loop of links: opening it fails (ELOOP), and nothing is renamed over it
}

}  // namespace scaleplan
