// Output safety on the real binary: an output never replaces an input (whatever the spelling), and a run that fails
// leaves an existing output exactly as it was.
#include <filesystem>
#include <string>

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

}  // namespace
}  // namespace scaleplan
