#include "cli/cli_common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "core/file.h"

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

namespace {
std::vector<std::string>& NotedInputs() {
  static std::vector<std::string> inputs;  // a command runs once per process: no locking needed
  return inputs;
}

bool SameFile(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (fs::equivalent(a, b, error)) return true;  // both exist: same inode, whatever the spelling or links
  const fs::path canonical_a = fs::weakly_canonical(a, error);
  if (error) return false;
  const fs::path canonical_b = fs::weakly_canonical(b, error);
  return !error && canonical_a == canonical_b;
}
}  // namespace

const std::string& InputPath(const std::string& path) {
  if (!path.empty() && path != "-") NotedInputs().push_back(path);
  return path;
}

void RefuseToOverwriteInput(const std::string& output_path) {
  if (output_path.empty() || output_path == "-") return;
  for (const std::string& input : NotedInputs()) {
    if (SameFile(output_path, input)) {
      throw UsageError("refusing to write '" + output_path + "': it is an input of this command" +
                       (input == output_path ? std::string() : " ('" + input + "')") +
                       "; choose another output file");
    }
  }
}

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  AtomicFileWriter writer(path);
  writer.Write(contents);
  writer.Commit();
}

namespace {
constexpr size_t kWriterBufferBytes = size_t{1} << 20;
[[maybe_unused]] constexpr std::uint64_t kWriteBackChunkBytes = std::uint64_t{8} << 20;
}  // namespace

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path), buffer_(kWriterBufferBytes) {
  if (path_ == "-") {
    std::cout.flush();  // whatever was printed before comes first
    fd_ = STDOUT_FILENO;
    return;
  }
  RefuseToOverwriteInput(path_);
  namespace fs = std::filesystem;
  const fs::path target(path_);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp_name = ".";
  tmp_name.append(target.filename().string()).append(".tmp.XXXXXX");
  temp_path_ = (dir / tmp_name).string();
  fd_ = mkstemp(temp_path_.data());
  if (fd_ < 0) {
    const int error_number = errno;
    temp_path_.clear();
    Fail(error_number);
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (path_ == "-" || committed_) return;
  if (fd_ >= 0) ::close(fd_);
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::Fail(int error_number) {
  const std::string reason = std::strerror(error_number);
  if (path_ != "-") {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
  }
  committed_ = true;  // nothing left to clean up
  throw IoError("cannot write '" + path_ + "' (" + reason + ")");
}

void AtomicFileWriter::Write(std::string_view bytes) {
  SCALEPLAN_CHECK(!committed_, "write after commit");
  if (used_ + bytes.size() > buffer_.size()) {
    Flush();
    if (bytes.size() > buffer_.size()) buffer_.resize(bytes.size());
  }
  std::memcpy(buffer_.data() + used_, bytes.data(), bytes.size());
  used_ += bytes.size();
}

void AtomicFileWriter::Flush() {
  size_t written = 0;
  while (written < used_) {
    const ssize_t n = ::write(fd_, buffer_.data() + written, used_ - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      Fail(errno);
    }
    written += static_cast<size_t>(n);
  }
  used_ = 0;
#ifdef __linux__
  // Start writing back what is complete while the caller produces more, so that Commit()'s fsync waits only for
  // the tail instead of the whole file (a no-op for small files and for stdout).
  file_bytes_ += written;
  if (path_ != "-" && file_bytes_ - synced_bytes_ >= kWriteBackChunkBytes) {
    ::sync_file_range(fd_, static_cast<off64_t>(synced_bytes_), static_cast<off64_t>(file_bytes_ - synced_bytes_),
                      SYNC_FILE_RANGE_WRITE);
    synced_bytes_ = file_bytes_;
  }
#endif
}

void AtomicFileWriter::Commit() {
  SCALEPLAN_CHECK(!committed_, "commit twice");
  Flush();
  if (path_ == "-") {
    committed_ = true;
    return;
  }
  RefuseToOverwriteInput(path_);  // an input noted after the file was opened
  if (::fsync(fd_) != 0) Fail(errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) Fail(errno);
  // Keep the usual permissions for a new file (mkstemp creates it 0600).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp_path_.c_str(), 0666 & ~mask);
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) Fail(errno);
  committed_ = true;
}

std::string ReadFile(const std::string& path) {
  InputPath(path);
  return ReadWholeFile(path);
}

}  // namespace scaleplan::cli
