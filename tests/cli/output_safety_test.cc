// Output safety on the real binary: an output never replaces an input (whatever the spelling), a run that fails
// leaves an existing output exactly as it was, and a run killed by SIGINT or SIGTERM leaves no temporary file.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::ReadWholeFile;
using testing::RunScaleplan;
using testing::SourcePath;
using testing::WriteTempFile;
using Result = testing::CommandResult;
namespace fs = std::filesystem;

// A copy of the bundled runs in this test's temporary folder.
std::string CopyOfBundledRuns() { return WriteTempFile("runs.csv", ReadWholeFile(SourcePath("data/chinchilla_runs.csv"))); }

void ExpectRefused(const Result& r, const std::string& output) {
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("refusing to write '" + output + "': it is an input of this command"), std::string::npos)
      << r.err;
}

TEST(OutputSafety, FitOutNamingTheRunsFileIsRefusedAndTheRunsSurvive) {
  const std::string runs = CopyOfBundledRuns();
  const std::string before = ReadWholeFile(runs);
  ASSERT_GT(before.size(), 10000u);
  ExpectRefused(RunScaleplan("fit '" + runs + "' --out '" + runs + "'"), runs);
  ExpectRefused(RunScaleplan("fit '" + runs + "' --save-golden '" + runs + "'"), runs);
  EXPECT_EQ(ReadWholeFile(runs), before);
}

TEST(OutputSafety, AnotherSpellingOrALinkOfTheInputIsTheInput) {
  const std::string runs = CopyOfBundledRuns();
  const std::string before = ReadWholeFile(runs);
  const fs::path dir = fs::path(runs).parent_path();
  fs::create_directories(dir / "sub");
  const std::string dotted = (dir / "sub" / ".." / "runs.csv").string();
  ExpectRefused(RunScaleplan("fit '" + runs + "' --out '" + dotted + "'"), dotted);
  const fs::path link = dir / "link.csv";
  fs::remove(link);
  fs::create_symlink(runs, link);
  ExpectRefused(RunScaleplan("fit '" + link.string() + "' --out '" + runs + "'"), runs);
  const fs::path hard = dir / "hard.csv";
  fs::remove(hard);
  fs::create_hard_link(runs, hard);
  ExpectRefused(RunScaleplan("fit '" + runs + "' --out '" + hard.string() + "'"), hard.string());
  EXPECT_EQ(ReadWholeFile(runs), before);
}

TEST(OutputSafety, CheckJunitNamingTheGoldenIsRefused) {
  const std::string golden = WriteTempFile("golden.json", ReadWholeFile(SourcePath("data/golden/chinchilla.json")));
  const std::string before = ReadWholeFile(golden);
  ExpectRefused(RunScaleplan("check --golden '" + golden + "' --junit '" + golden + "'"), golden);
  EXPECT_EQ(ReadWholeFile(golden), before);
}

TEST(OutputSafety, SweepOutNamingItsDictionaryRunsIsRefused) {
  const std::string runs =
      WriteTempFile("dictionary_runs.csv", ReadWholeFile(SourcePath("data/dictionary_runs_generated.csv")));
  const std::string before = ReadWholeFile(runs);
  ExpectRefused(
      RunScaleplan("sweep --dictionary --d-model 4096 --compute 1e18:1e20:3 --runs '" + runs + "' --out '" + runs + "'"),
      runs);
  EXPECT_EQ(ReadWholeFile(runs), before);
}

TEST(OutputSafety, AFailedRunLeavesTheOldOutputUntouched) {
  const std::string out = WriteTempFile("fit.json", "{\"old\": true}\n");
  const std::string bad = WriteTempFile("bad.csv", "params,tokens,loss\n1e8,2e9,not-a-number\n");
  const Result r = RunScaleplan("fit '" + bad + "' --out '" + out + "'");
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_EQ(ReadWholeFile(out), "{\"old\": true}\n");
  // A target that cannot be replaced (a folder) fails with exit 5, and leaves neither a change nor a temporary file.
  const fs::path folder = fs::path(out).parent_path() / "a-folder.json";
  fs::create_directories(folder);
  const Result w = RunScaleplan("fit --out '" + folder.string() + "'");
  EXPECT_EQ(w.exit_code, 5) << w.err;
  EXPECT_TRUE(fs::is_directory(folder));
  for (const auto& entry : fs::directory_iterator(folder.parent_path())) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

// The temporary files (".NAME.tmp.XXXXXX") in `dir`.
std::vector<fs::path> TempFiles(const fs::path& dir) {
  std::vector<fs::path> temps;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".tmp.") != std::string::npos) temps.push_back(entry.path());
  }
  return temps;
}

// Starts a sweep far too large to finish (3 million rows, hundreds of MB) writing to `out`, sends it `signal_number`
// as soon as its temporary file exists, and returns how it ended (waitpid's status).
int SweepKilledBy(int signal_number, const fs::path& out) {
  const pid_t child = fork();
  if (child == 0) {
    // A child inherits ignored signals through exec; this one must see the signal as a user's shell would send it.
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    const std::string out_path = out.string();
    ::execl(SCALEPLAN_BINARY, SCALEPLAN_BINARY, "sweep", "--compute", "1e18:1e26:100000", "--count", "0,8,64,512,4096",
            "--mfu", "0.3,0.4,0.5", "--accelerator", "H100-SXM,A100-80GB", "--out", out_path.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  // Wait for the temporary file (or for the child to end, which fails the test below), then signal.
  while (TempFiles(out.parent_path()).empty()) {
    if (::waitpid(child, &status, WNOHANG) == child) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(child, signal_number);
  ::waitpid(child, &status, 0);
  return status;
}

TEST(OutputSafety, ASignalRemovesTheTemporaryFileAndLeavesNoTarget) {
  for (const int signal_number : {SIGINT, SIGTERM}) {
    const fs::path dir = fs::path(WriteTempFile("placeholder", "")).parent_path() /
                         ("signal-" + std::to_string(signal_number));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path out = dir / "sweep.csv";
    const int status = SweepKilledBy(signal_number, out);
    const std::vector<fs::path> left = TempFiles(dir);
    const bool target_written = fs::exists(out);
    fs::remove_all(dir);
    // It died of the signal, as a process a scheduler stops should, and took its temporary file with it.
    ASSERT_TRUE(WIFSIGNALED(status)) << "signal " << signal_number << ": exit status " << status;
    EXPECT_EQ(WTERMSIG(status), signal_number);
    EXPECT_TRUE(left.empty()) << "signal " << signal_number << " left " << left.front();
    EXPECT_FALSE(target_written);
  }
}

}  // namespace
}  // namespace scaleplan
