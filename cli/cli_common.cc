#include "cli/cli_common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/file.h"

namespace scaleplan::cli {

namespace po = boost::program_options;

int FinishStdout(const std::string& program, int exit_code) {
  // Small outputs are still buffered here, so flushing now gives the reason; a failure in an earlier, larger write
  // only left the stream's error state behind.
  errno = 0;
  std::cout.flush();
  const bool flushed = std::fflush(stdout) == 0;
  if (flushed && !std::ferror(stdout) && std::cout) return exit_code;
  const int error_number = errno;
  std::cerr << program << ": error: cannot write stdout"
            << (error_number != 0 ? std::string(" (") + std::strerror(error_number) + ")" : std::string())
            << ": the output is lost\n";
  return kExitIoError;
}

int RunGuarded(const std::string& command, const std::function<int()>& body) {
  const std::string prefix = "scaleplan " + command + ": error: ";
  try {
    return FinishStdout("scaleplan " + command, body());
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

namespace {
void RefuseClashingFiles(const po::parsed_options& parsed);

// "-1", "-0.5", "-.5", "-1e3": a value, not an option.
bool LooksLikeNegativeNumber(const std::string& text) {
  const size_t digit = text.size() > 2 && text[1] == '.' ? 2 : 1;
  return text.size() > digit && text[0] == '-' && text[digit] >= '0' && text[digit] <= '9';
}
}  // namespace

void ParseOptions(const std::vector<std::string>& args, const po::options_description& options,
                  const po::positional_options_description& positional, po::variables_map* vm) {
  // A negative number after an option that takes a value is that value (--bootstrap -1), which the value check then
  // refuses ("--bootstrap: must be at least 10: '-1'"): Boost would read it as an unknown option '-1' when the
  // option's value is optional.
  std::vector<std::string> joined;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      joined.insert(joined.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (i + 1 < args.size() && arg.size() > 2 && arg.rfind("--", 0) == 0 && arg.find('=') == std::string::npos &&
        LooksLikeNegativeNumber(args[i + 1])) {
      const po::option_description* option = options.find_nothrow(arg.substr(2), false);
      if (option != nullptr && option->semantic()->max_tokens() > 0) {
        joined.push_back(arg + "=" + args[++i]);
        continue;
      }
    }
    joined.push_back(arg);
  }
  const po::parsed_options parsed = po::command_line_parser(joined).options(options).positional(positional).run();
  // An empty value is an unset shell variable (--compute "$BUDGET"), never a choice: refused for every option
  // before it can fall back to a default or switch a section off.
  for (const po::option& option : parsed.options) {
    for (const std::string& value : option.value) {
      if (!value.empty()) continue;
      if (option.position_key >= 0) throw UsageError("empty argument '' (where " + option.string_key + " goes)");
      throw UsageError("--" + option.string_key + ": empty value (an unset shell variable?)");
    }
  }
  po::store(parsed, *vm);
  po::notify(*vm);
  RefuseClashingFiles(parsed);
}

void PrintHelp(const std::string& synopsis, const po::options_description& options,
               const std::vector<std::string>& examples, const std::string& command_exit_codes) {
  std::cout << "Usage: " << synopsis << "\n\n" << options << '\n';
  if (!examples.empty()) {
    std::cout << "Examples:\n";
    for (const std::string& example : examples) std::cout << "  " << example << '\n';
  }
  std::cout << "\nExit codes: 0 ok, 1 check failed or plan infeasible, 2 usage error, 3 bad input (missing,\n"
               "            unreadable or malformed file or value), 4 fit did not converge, 5 output not written"
            << (command_exit_codes.empty() ? ".\n" : ",\n            " + command_exit_codes + ".\n");
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

namespace {
// The options that name a file a command reads, and those that name one it writes: every command spells them so,
// and a clash is refused as soon as the command line is read, before any work.
constexpr std::string_view kInputFileOptions[] = {"runs", "golden", "fit", "profile"};
constexpr std::string_view kOutputFileOptions[] = {"out", "save-golden", "junit", "generate-runs"};

bool Among(const std::string& name, const auto& names) {
  for (const std::string_view candidate : names) {
    if (name == candidate) return true;
  }
  return false;
}

// Every output checked against every input and against every other output of the command line.
void RefuseClashingFiles(const po::parsed_options& parsed) {
  std::vector<std::pair<std::string, std::string>> outputs;  // (option, path)
  for (const po::option& option : parsed.options) {
    if (option.value.size() != 1) continue;
    if (Among(option.string_key, kInputFileOptions)) InputPath(option.value.front());
    if (Among(option.string_key, kOutputFileOptions) && option.value.front() != "-") {
      outputs.emplace_back("--" + option.string_key, option.value.front());
    }
  }
  for (size_t i = 0; i < outputs.size(); ++i) {
    RefuseToOverwriteInput(outputs[i].second);
    for (size_t j = 0; j < i; ++j) {
      if (!SameFile(outputs[i].second, outputs[j].second)) continue;
      throw UsageError(outputs[j].first + " '" + outputs[j].second + "' and " + outputs[i].first + " '" +
                       outputs[i].second + "' are the same file: one output would be lost; choose another file");
    }
  }
}
}  // namespace

void WriteFileAtomically(const std::string& path, const std::string& contents) {
  AtomicFileWriter writer(path);
  writer.Write(contents);
  writer.Commit();
}

namespace {

// The temporary files of the writers still open, for the signal handler below. A handler may call only
// async-signal-safe functions and touch only lock-free atomics: the paths live in fixed slots of static storage, each
// published by its flag after the path is written and withdrawn before the slot is reused.
constexpr int kMaxPendingTemps = 16;
constexpr size_t kMaxTempPathBytes = 4096;
char pending_temp_paths[kMaxPendingTemps][kMaxTempPathBytes];
std::atomic<bool> pending_temp_used[kMaxPendingTemps];     // the handler's view: the slot's path is to be removed
std::atomic<bool> pending_temp_claimed[kMaxPendingTemps];  // the writers' view: the slot is taken
static_assert(std::atomic<bool>::is_always_lock_free);

// SIGINT (Ctrl-C), SIGTERM (what a batch scheduler sends on pre-emption or time-out) and SIGHUP (the terminal went
// away) end the process; without this its half-written temporary files, often hundreds of MB, would stay behind.
constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};

extern "C" void RemovePendingTempsAndDie(int signal_number) {
  for (int i = 0; i < kMaxPendingTemps; ++i) {
    if (pending_temp_used[i].load()) ::unlink(pending_temp_paths[i]);
  }
  // Die of the same signal, so that the parent (a shell, the scheduler) sees what happened.
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

void InstallCleanupHandlers() {
  static const bool installed = [] {
    for (const int signal_number : kCleanupSignals) {
      struct sigaction current = {};
      ::sigaction(signal_number, nullptr, &current);
      if (current.sa_handler == SIG_IGN) continue;  // run under nohup, or in the background: leave it ignored
      struct sigaction action = {};
      action.sa_handler = RemovePendingTempsAndDie;
      ::sigemptyset(&action.sa_mask);
      for (const int other : kCleanupSignals) ::sigaddset(&action.sa_mask, other);
      ::sigaction(signal_number, &action, nullptr);
    }
    return true;
  }();
  (void)installed;
}

// The slot now holding `path`, or -1 when every slot is taken or the path is too long (the file is then only
// removed on the ordinary paths).
int RegisterPendingTemp(const std::string& path) {
  if (path.size() >= kMaxTempPathBytes) return -1;
  for (int i = 0; i < kMaxPendingTemps; ++i) {
    bool expected = false;
    if (!pending_temp_claimed[i].compare_exchange_strong(expected, true)) continue;
    // The path is written before the handler's flag says it is there.
    std::memcpy(pending_temp_paths[i], path.c_str(), path.size() + 1);
    pending_temp_used[i].store(true);
    return i;
  }
  return -1;
}

void UnregisterPendingTemp(int slot) {
  if (slot < 0) return;
  pending_temp_used[slot].store(false);
  pending_temp_claimed[slot].store(false);
}

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
  const OutputTarget resolved = ResolveOutputTarget(path_);
  if (resolved.direct) {
    // A device or a pipe is written in place; O_APPEND keeps what the shell's redirection already holds when the
    // path is a descriptor of this process (/dev/stdout to a file).
    std::cout.flush();
    do {
      fd_ = ::open(resolved.path.c_str(), O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0) Fail(errno);
    direct_ = true;
    return;
  }
  namespace fs = std::filesystem;
  const fs::path target(resolved.path);
  target_path_ = resolved.path;
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::string tmp_name = ".";
  tmp_name.append(target.filename().string()).append(".tmp.XXXXXX");
  temp_path_ = (dir / tmp_name).string();
  // The file and its registration appear together for the signal handler: a signal in between waits, blocked.
  InstallCleanupHandlers();
  sigset_t cleanup_signals, previous;
  ::sigemptyset(&cleanup_signals);
  for (const int signal_number : kCleanupSignals) ::sigaddset(&cleanup_signals, signal_number);
  ::pthread_sigmask(SIG_BLOCK, &cleanup_signals, &previous);
  fd_ = mkstemp(temp_path_.data());
  const int error_number = errno;
  if (fd_ >= 0) temp_slot_ = RegisterPendingTemp(temp_path_);
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (fd_ < 0) {
    temp_path_.clear();
    Fail(error_number);
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  if (path_ == "-" || committed_) return;
  if (fd_ >= 0) ::close(fd_);
  if (direct_) return;
  if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
  UnregisterPendingTemp(temp_slot_);
}

void AtomicFileWriter::Fail(int error_number) {
  const std::string reason = std::strerror(error_number);
  if (path_ != "-") {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
    temp_path_.clear();
    UnregisterPendingTemp(temp_slot_);
    temp_slot_ = -1;
  }
  committed_ = true;  // nothing left to clean up
  throw IoError("cannot write " + (path_ == "-" ? std::string("stdout") : "'" + path_ + "'") + " (" + reason + ")");
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
  if (path_ != "-" && !direct_ && file_bytes_ - synced_bytes_ >= kWriteBackChunkBytes) {
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
  if (direct_) {
    // Nothing to sync or rename; close(2) reports a device's deferred write error.
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) Fail(errno);
    committed_ = true;
    return;
  }
  if (::fsync(fd_) != 0) Fail(errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) Fail(errno);
  // Keep the usual permissions for a new file (mkstemp creates it 0600).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp_path_.c_str(), 0666 & ~mask);
  if (std::rename(temp_path_.c_str(), target_path_.c_str()) != 0) Fail(errno);
  UnregisterPendingTemp(temp_slot_);
  temp_slot_ = -1;
  committed_ = true;
}

std::string ReadFile(const std::string& path) {
  InputPath(path);
  return ReadWholeFile(path);
}

}  // namespace scaleplan::cli
