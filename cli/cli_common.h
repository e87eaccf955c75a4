// What every subcommand shares: exit codes, the error-to-exit-code mapping, and output helpers.
#ifndef SCALEPLAN_CLI_CLI_COMMON_H_
#define SCALEPLAN_CLI_CLI_COMMON_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

#include "core/error.h"

namespace scaleplan::cli {

// Documented in README.md ("Exit codes"). Scripts depend on them: never renumber.
enum ExitCode : int {
  kExitOk = 0,
  kExitCheckFailed = 1,   // `check` found drift; a plan is infeasible under the given limits
  kExitUsage = 2,         // unknown option, missing or conflicting arguments
  kExitInputError = 3,    // bad input: a missing, unreadable or malformed file (CSV, JSON) or value
  kExitFitFailed = 4,     // the fit did not converge to a usable optimum
  kExitIoError = 5,       // an output file could not be written (the old file, if any, is left untouched)
  kExitCollectiveFailed = 6,  // probe --collectives: a wrong result, ranks that disagree, or a collective past its
                              // timeout (gpu_probe/mpi_collectives.h kCollectiveTimeoutExit)
  kExitInternal = 70,     // a bug: please report it with the command line
};

// UsageError (core/error.h) is thrown for a usage problem found after option parsing (conflicting options, a missing
// positional argument) or by the library for a request it cannot serve (core/plan.h).

// Thrown when an output file cannot be written.
struct IoError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a command printed is its result: a write to stdout that failed (a full disk) means an output not written,
// whatever the command concluded. Flushes stdout and returns `exit_code` when everything reached it, or prints
// "<program>: error: cannot write stdout (reason): the output is lost" and returns kExitIoError.
int FinishStdout(const std::string& program, int exit_code);

// Runs `body` (its stdout checked by FinishStdout), mapping every exception kind to its exit code with one line on stderr:
// "scaleplan <command>: error: <message>". Usage errors also print "Try 'scaleplan <command> --help'.".
int RunGuarded(const std::string& command, const std::function<int()>& body);

// Parses `args` into `vm` against `options` (and positional `positional`), throwing UsageError on failure.
void ParseOptions(const std::vector<std::string>& args, const boost::program_options::options_description& options,
                  const boost::program_options::positional_options_description& positional,
                  boost::program_options::variables_map* vm);

// Prints "Usage: ..." help: `synopsis`, the option table, `examples` (one per line) and the exit codes, with
// `command_exit_codes` (a command's own, "6 ...") after the common ones.
void PrintHelp(const std::string& synopsis, const boost::program_options::options_description& options,
               const std::vector<std::string>& examples, const std::string& command_exit_codes = "");

// Inputs and outputs never meet: every file a command reads is noted (ReadFile notes it; commands whose loaders
// live in core/ call InputPath), and every file it writes (WriteFileAtomically, AtomicFileWriter) is refused with a
// UsageError when it is one of them: the same path, another spelling of it, or a link to it. Checked when the output
// is opened and again before it is renamed into place, so the order of reading and writing does not matter. And
// first of all in ParseOptions, before any work: the files named by --runs, --golden, --fit, --profile and the
// positional runs are inputs, those named by --out, --save-golden, --junit and --generate-runs outputs, and an
// output that is an input, or the same file as another output (one would be lost), is refused there.
const std::string& InputPath(const std::string& path);  // notes `path` as an input and returns it ("" and "-": none)
void RefuseToOverwriteInput(const std::string& output_path);  // UsageError when output_path is a noted input

// Writes `contents` to `path` atomically (temporary file in the same folder, then rename). Throws IoError.
// "-" writes to stdout.
void WriteFileAtomically(const std::string& path, const std::string& contents);

// Writes a file as it is produced, atomically: the bytes go to a temporary file in the target's folder, which
// Commit() renames over the target; a writer destroyed before Commit() removes its temporary file, so a failed or
// interrupted run never leaves a half-written target. Buffered (1 MiB, then write(2)), for outputs too large to
// hold in memory. "-" streams to stdout instead (nothing to rename). A symbolic link is followed and its target
// replaced; a device or a pipe (/dev/null, /dev/stdout, a FIFO) is written in place, its write errors thrown as for
// any file (core/file.h ResolveOutputTarget). Throws IoError naming the path.
// SIGINT, SIGTERM and SIGHUP remove the temporary files of every writer still open before the process dies of the
// signal (unless the signal was ignored when the first writer opened: then it stays ignored).
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::string& path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void Write(std::string_view bytes);
  // Flushes, syncs and renames the temporary file over the target (or flushes stdout).
  void Commit();

 private:
  void Flush();
  [[noreturn]] void Fail(int error_number);

  std::string path_;         // as the user named it (messages)
  std::string target_path_;  // the file replaced: path_, or where its symbolic links lead
  bool direct_ = false;      // a device or pipe, written in place (core/file.h ResolveOutputTarget)
  std::string temp_path_;
  int temp_slot_ = -1;  // where the signal handler finds temp_path_ (-1: not registered)
  int fd_ = -1;
  bool committed_ = false;
  std::vector<char> buffer_;
  size_t used_ = 0;
  std::uint64_t file_bytes_ = 0;    // written to the file so far
  std::uint64_t synced_bytes_ = 0;  // of which write-back has been started
};

// Reads a whole input file. Throws InputError naming the path when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_CLI_COMMON_H_
