#include "cli/cli_common.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.h"

namespace scaleplan::cli {

namespace po = boost::program_options;

int RunGuarded(const std::string& command, const std::function<int()>& body) {
  const std::string prefix = "scaleplan " + command + ": error: ";
  try {
    return body();
  } catch (const UsageError& error) {
    std::cerr << prefix << error.what() << "\nTry 'scaleplan " << command << " --help'.\n";
    return kExitUsage;
  } catch (const po::error& error) {
    std::cerr << prefix << error.what() << "\nTry 'scaleplan " << command << " --help'.\n";
    return kExitUsage;
  } catch (const InputError& error) {
    std::cerr << prefix << error.what() << '\n';
    return kExitInputError;
  } catch (const IoError& error) {
    std::cerr << prefix << error.what() << '\n';
    return kExitIoError;
  } catch (const std::bad_alloc&) {
    std::cerr << prefix << "out of memory\n";
    return kExitInternal;
  } catch (const std::exception& error) {
    std::cerr << prefix << error.what() << "\n(this is a bug in scaleplan; please report it with the command line)\n";
    return kExitInternal;
  }
}

void ParseOptions(const std::vector<std::string>& args, const po::options_description& options,
                  const po::positional_options_description& positional, po::variables_map* vm) {
  po::store(po::command_line_parser(args).options(options).positional(positional).run(), *vm);
  po::notify(*vm);
}

void PrintHelp(const std::string& synopsis, const po::options_description& options,
               const std::vector<std::string>& examples) {
  std::cout << "Usage: " << synopsis << "\n\n" << options << '\n';
  if (!examples.empty()) {
    std::cout << "Examples:\n";
    for (const std::string& example : examples) std::cout << "  " << example << '\n';
  }
  std::cout << "\nExit codes: 0 ok, 1 check failed or plan infeasible, 2 usage error, 3 bad input (missing,\n"
               "            unreadable or malformed file or value), 4 fit did not converge, 5 output not written.\n";
}

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  if (path == "-") {
    std::cout << contents << std::flush;
    return;
  }
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp_name = ".";
  tmp_name.append(target.filename().string()).append(".tmp.XXXXXX");
  std::string tmp_template = (dir / tmp_name).string();
  const int fd = mkstemp(tmp_template.data());
  if (fd < 0) throw IoError("cannot write '" + path + "' (" + std::strerror(errno) + ")");
  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp_template.c_str());
      throw IoError("cannot write '" + path + "' (" + reason + ")");
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp_template.c_str());
    throw IoError("cannot write '" + path + "' (" + reason + ")");
  }
  // Keep the usual permissions for a new file (mkstemp creates it 0600).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(tmp_template.c_str(), 0666 & ~mask);
  if (std::rename(tmp_template.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(tmp_template.c_str());
    throw IoError("cannot write '" + path + "' (" + reason + ")");
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(std::string("cannot read the file (") + std::strerror(errno) + ")", InputLocation{path});
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw InputError("cannot read the file", InputLocation{path});
  return contents.str();
}

}  // namespace scaleplan::cli
