#include "core/file.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace scaleplan {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(std::string("cannot read the file (") + std::strerror(errno) + ")", InputLocation{path});
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw InputError("cannot read the file", InputLocation{path});
  return contents.str();
}

}  // namespace scaleplan
