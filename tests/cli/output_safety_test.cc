// Output safety on the real binary: an output never replaces an input (whatever the spelling), a run that fails
// leaves an existing output exactly as it was, a run killed by SIGINT or SIGTERM leaves no temporary file, two
// outputs never share a file, and an output that is a link, a device or a pipe is written through, never replaced.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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

TEST(OutputSafety, TwoOutputsNamingOneFileAreRefusedBeforeAnyWork) {
  const std::string runs = CopyOfBundledRuns();
  const fs::path dir = fs::path(runs).parent_path();
  const std::string same = (dir / "same.json").string();
  fs::remove(same);
  const Result r = RunScaleplan("fit '" + runs + "' --out '" + same + "' --save-golden '" + same + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(
      r.err.find("--out '" + same + "' and --save-golden '" + same + "' are the same file: one output would be lost"),
      std::string::npos)
      << r.err;
  EXPECT_EQ(r.out, "");  // refused before the fit: nothing printed
  EXPECT_FALSE(fs::exists(same));
  // Another spelling of the same file is the same file.
  const std::string dotted = (dir / "." / "same.json").string();
  EXPECT_EQ(RunScaleplan("fit '" + runs + "' --out '" + same + "' --save-golden '" + dotted + "'").exit_code, 2);
}

TEST(OutputSafety, GenerateRunsNamingTheRunsIsRefusedAndIgnoredOptionsToo) {
  const std::string runs =
      WriteTempFile("dictionary_runs.csv", ReadWholeFile(SourcePath("data/dictionary_runs_generated.csv")));
  const std::string before = ReadWholeFile(runs);
  ExpectRefused(RunScaleplan("dictionary --generate-runs '" + runs + "' --runs '" + runs + "'"), runs);
  EXPECT_EQ(ReadWholeFile(runs), before);
  // The generator uses --seed alone: a plan's options would be silently ignored.
  const std::string generated = (fs::path(runs).parent_path() / "generated.csv").string();
  fs::remove(generated);
  const Result r = RunScaleplan("dictionary --generate-runs '" + generated + "' --d-model 4096 --compute 1e20");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--generate-runs writes the synthetic runs and stops: it uses --seed alone, not --compute"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(generated));
  EXPECT_EQ(RunScaleplan("dictionary --generate-runs '" + generated + "' --seed 7").exit_code, 0);
  EXPECT_NE(ReadWholeFile(generated).find("--seed 7"), std::string::npos);
}

// A fresh folder for one test.
fs::path FreshDir(const std::string& name) {
  const fs::path dir = fs::path(WriteTempFile("placeholder", "")).parent_path() / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const char kSweep[] = "sweep --compute 1e20 --out ";

TEST(OutputSafety, AnOutputThatIsASymbolicLinkWritesItsTargetAndStaysALink) {
  const fs::path dir = FreshDir("links");
  const std::string expected = RunScaleplan(std::string(kSweep) + "-").out;
  ASSERT_NE(expected.find("compute_flops,"), std::string::npos);
  fs::create_directories(dir / "real");
  std::ofstream(dir / "real" / "target.csv") << "old\n";
  fs::create_symlink("real/target.csv", dir / "link.csv");  // relative, as ln -s writes it
  fs::create_symlink(dir / "link.csv", dir / "link2.csv");  // a link to the link
  fs::create_symlink("real/new.csv", dir / "dangling.csv");
  for (const char* link : {"link.csv", "link2.csv", "dangling.csv"}) {
    const Result r = RunScaleplan(std::string(kSweep) + "'" + (dir / link).string() + "'");
    EXPECT_EQ(r.exit_code, 0) << link << ": " << r.err;
    EXPECT_TRUE(fs::is_symlink(dir / link)) << link << " was replaced by a file";
  }
  EXPECT_EQ(ReadWholeFile((dir / "real" / "target.csv").string()), expected);
  EXPECT_EQ(ReadWholeFile((dir / "real" / "new.csv").string()), expected);  // created where the link points
  EXPECT_EQ(fs::read_symlink(dir / "link.csv"), fs::path("real/target.csv"));
  // The temporary file went beside the target and is gone.
  for (const fs::path& where : {dir, dir / "real"}) {
    for (const auto& entry : fs::directory_iterator(where)) {
      EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
    }
  }
}

TEST(OutputSafety, AFifoIsWrittenInPlaceForItsReader) {
  const fs::path dir = FreshDir("fifo");
  const std::string expected = RunScaleplan(std::string(kSweep) + "-").out;
  const fs::path fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // A reader in the background, as `scaleplan ... --out pipe` beside `cat pipe` would run (bounded, should the
  // writer never open the pipe).
  const fs::path got = dir / "got.csv";
  const Result r =
      testing::RunCommand("(timeout 30 cat '" + fifo.string() + "' > '" + got.string() + "' & " + SCALEPLAN_BINARY +
                          " " + kSweep + "'" + fifo.string() + "'; rc=$?; wait; exit $rc)");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("wrote 1 rows to"), std::string::npos) << r.err;
  struct stat after = {};
  ASSERT_EQ(::lstat(fifo.c_str(), &after), 0);
  EXPECT_TRUE(S_ISFIFO(after.st_mode)) << "the FIFO was replaced by a file";
  EXPECT_EQ(ReadWholeFile(got.string()), expected);
  EXPECT_EQ(RunScaleplan(std::string(kSweep) + "/dev/null").exit_code, 0);
}

TEST(OutputSafety, AFullDeviceFailsWithExit5AndStaysADevice) {
  // A node of its own for the full device (char 1:7), so that a writer that replaced its output could only ever
  // replace this one, never /dev/full.
  const fs::path dir = FreshDir("device");
  const fs::path full = dir / "full";
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) {
    GTEST_SKIP() << "cannot create a device node here (" << std::strerror(errno) << ")";
  }
  const int probe = ::open(full.c_str(), O_WRONLY);
  if (probe < 0) GTEST_SKIP() << "device nodes cannot be opened here (" << std::strerror(errno) << ")";
  ::close(probe);
  struct stat before = {};
  ASSERT_EQ(::lstat(full.c_str(), &before), 0);
  ASSERT_TRUE(S_ISCHR(before.st_mode));
  for (const std::string& command : {std::string(kSweep), std::string("fit --out ")}) {
    const Result r = RunScaleplan(command + "'" + full.string() + "'");
    EXPECT_EQ(r.exit_code, 5) << command << ": " << r.err;
    EXPECT_NE(r.err.find("cannot write '" + full.string() + "' (No space left on device)"), std::string::npos) << r.err;
    struct stat after = {};
    ASSERT_EQ(::lstat(full.c_str(), &after), 0);
    EXPECT_TRUE(S_ISCHR(after.st_mode)) << command << " replaced the device by a file";
    EXPECT_EQ(after.st_rdev, before.st_rdev);
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

// plot writes its charts through the same rule: a link's file, a FIFO and a full device in place.
TEST(OutputSafety, PlotWritesThroughLinksAndIntoPipesAndDevices) {
  const fs::path dir = FreshDir("plot");
  const Result probe = RunScaleplan("plot fit --out '" + (dir / "chart.svg").string() + "'");
  if (probe.exit_code == 2 && probe.err.find("Qt") != std::string::npos) GTEST_SKIP() << "built without the GUI";
  ASSERT_EQ(probe.exit_code, 0) << probe.err;
  const std::string expected = ReadWholeFile((dir / "chart.svg").string());
  ASSERT_NE(expected.find("<svg"), std::string::npos);
  fs::create_symlink("chart.svg", dir / "link.svg");
  EXPECT_EQ(RunScaleplan("plot fit --out '" + (dir / "link.svg").string() + "'").exit_code, 0);
  EXPECT_TRUE(fs::is_symlink(dir / "link.svg"));
  const fs::path fifo = dir / "pipe.svg";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path got = dir / "got.svg";
  const Result r = testing::RunCommand("(timeout 30 cat '" + fifo.string() + "' > '" + got.string() + "' & " +
                                       SCALEPLAN_BINARY + " plot fit --out '" + fifo.string() +
                                       "'; rc=$?; wait; exit $rc)");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  struct stat after = {};
  ASSERT_EQ(::lstat(fifo.c_str(), &after), 0);
  EXPECT_TRUE(S_ISFIFO(after.st_mode)) << "the FIFO was replaced by a file";
  EXPECT_EQ(ReadWholeFile(got.string()), expected);
  // A node of its own for the full device, never /dev/full itself.
  const fs::path full = dir / "full.svg";
  if (::mknod(full.c_str(), S_IFCHR | 0666, makedev(1, 7)) != 0) GTEST_SKIP() << "cannot create a device node here";
  const int can_open = ::open(full.c_str(), O_WRONLY);
  if (can_open < 0) GTEST_SKIP() << "device nodes cannot be opened here";
  ::close(can_open);
  const Result w = RunScaleplan("plot fit --out '" + full.string() + "'");
  EXPECT_EQ(w.exit_code, 5) << w.err;
  EXPECT_NE(w.err.find("No space left on device"), std::string::npos) << w.err;
  ASSERT_EQ(::lstat(full.c_str(), &after), 0);
  EXPECT_TRUE(S_ISCHR(after.st_mode)) << "plot replaced the device by a file";
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
