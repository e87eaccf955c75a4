#include "core/file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

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

}  // namespace scaleplan
