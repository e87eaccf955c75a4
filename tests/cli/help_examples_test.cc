// Every example that a command's --help prints runs and exits 0, as a new user would type it: in a folder that
// holds the files the examples name (runs.csv, fit.json, golden.json, a probe profile, dictionary runs, a
// hyper-parameter sweep, data/).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::Lines;
using testing::RunCommand;
using testing::RunScaleplan;
using testing::SourcePath;
using Result = testing::CommandResult;
namespace fs = std::filesystem;

// The examples of `command --help`: the lines after "Examples:" up to the first blank line, comments removed.
std::vector<std::string> Examples(const std::string& command) {
  const Result help = RunScaleplan(command + " --help");
  EXPECT_EQ(help.exit_code, 0) << command;
  std::vector<std::string> examples;
  bool inside = false;
  for (const std::string& line : Lines(help.out)) {
    if (line == "Examples:") {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.empty()) break;
    std::string example = line.substr(line.find_first_not_of(' '));
    const size_t comment = example.find("  #");
    if (comment != std::string::npos) example = example.substr(0, comment);
    example = example.substr(0, example.find_last_not_of(' ') + 1);
    examples.push_back(example);
  }
  return examples;
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// The shell command for one example: the built binary for `scaleplan`; GNU parallel's "CMD {} ::: A B" as one run
// per argument (parallel need not be installed); a Slurm array's task id set; probes capped at 0.01 s per shape,
// so that the standard and full sweeps run in seconds (their options are what is checked, not the timings).
std::string ShellCommand(std::string example) {
  std::vector<std::string> runs = {example};
  if (example.rfind("parallel ", 0) == 0) {
    const size_t separator = example.find(" ::: ");
    const std::string body = example.substr(9, separator - 9);
    runs.clear();
    std::string arguments = example.substr(separator + 5);
    size_t begin = 0;
    while (begin < arguments.size()) {
      const size_t end = arguments.find(' ', begin);
      runs.push_back(Replace(body, "{}", arguments.substr(begin, end - begin)));
      if (end == std::string::npos) break;
      begin = end + 1;
    }
  }
  std::string shell = "{ export SLURM_ARRAY_TASK_ID=3";
  for (std::string run : runs) {
    run = Replace(" " + run, " scaleplan ", std::string(" '") + SCALEPLAN_BINARY + "' ");
    if (run.find(" probe ") != std::string::npos) {
      const size_t redirect = run.find(" >");
      run.insert(redirect == std::string::npos ? run.size() : redirect, " --max-seconds-per-shape 0.01");
    }
    shell += " &&" + run;
  }
  return shell + "; }";
}

// A folder with the files the examples name, made once.
const fs::path& Template() {
  static const fs::path dir = [] {
    const fs::path made = fs::path(testing::WriteTempFile("placeholder", "")).parent_path() / "examples-template";
    fs::remove_all(made);
    fs::create_directories(made);
    // The bundled runs, with the loss also under the name the examples give with --loss-col.
    std::ifstream in(SourcePath("data/chinchilla_runs.csv"));
    std::ofstream runs(made / "runs.csv");
    std::string line;
    bool header = true;
    size_t loss_column = 0;
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') {
        runs << line << '\n';
        continue;
      }
      const std::vector<std::string> fields = testing::Split(line);
      if (header) {
        for (size_t i = 0; i < fields.size(); ++i) {
          if (fields[i] == "loss") loss_column = i;
        }
        EXPECT_EQ(fields[loss_column], "loss") << "the bundled runs have no 'loss' column";
        runs << line << ",eval/loss\n";
        header = false;
        continue;
      }
      runs << line << ',' << fields.at(loss_column) << '\n';
    }
    runs.close();
    fs::copy_file(SourcePath("tests/bad_input/profile_valid.json"), made / "profile.json");
    fs::copy_file(SourcePath("tests/bad_input/profile_valid.json"), made / "h100.json");
    fs::copy_file(SourcePath("tests/bad_input/profile_interconnect.json"), made / "cluster.json");
    fs::copy_file(SourcePath("data/dictionary_runs_generated.csv"), made / "my_runs.csv");
    // A learning-rate and batch sweep (fit --law hyperparams): at 1e18, 1e19 and 1e20 FLOPs a 3 x 3 grid (factor 2)
    // around B* = 0.5 C^0.3 tokens and eta* = 0.6 C^-0.15, the loss rising quadratically in the log distances.
    std::ofstream sweep(made / "sweep.csv");
    sweep << "compute,batch_tokens,learning_rate,loss\n";
    for (const double compute : {1e18, 1e19, 1e20}) {
      for (int i = -1; i <= 1; ++i) {
        for (int j = -1; j <= 1; ++j) {
          const double x = i * std::log(2.0), y = j * std::log(2.0);
          sweep << compute << ',' << 0.5 * std::pow(compute, 0.3) * std::pow(2.0, i) << ','
                << 0.6 * std::pow(compute, -0.15) * std::pow(2.0, j) << ',' << 3.0 * (1 + 0.01 * (x * x + y * y))
                << '\n';
        }
      }
    }
    sweep.close();
    fs::create_directory_symlink(SourcePath("data"), made / "data");
    const std::string in_dir = "cd '" + made.string() + "' && '" + SCALEPLAN_BINARY + "' ";
    EXPECT_EQ(RunCommand(in_dir + "fit --out fit.json").exit_code, 0);
    EXPECT_EQ(RunCommand(in_dir + "fit runs.csv --bootstrap --save-golden golden.json").exit_code, 0);
    return made;
  }();
  return dir;
}

TEST(HelpExamples, EveryExampleOfEveryCommandRuns) {
  int count = 0;
  for (const std::string command : {"fit", "plan", "sweep", "probe", "plot", "validate", "check", "dictionary"}) {
    const std::vector<std::string> examples = Examples(command);
    EXPECT_GE(examples.size(), 3u) << command;
    for (const std::string& example : examples) {
      // An example that starts ranks under an MPI launcher needs one (and more than one process); the collective
      // measurements it runs have tests of their own.
      if (example.rfind("mpirun ", 0) == 0 || example.rfind("srun ", 0) == 0) continue;
      // Each in a fresh copy of the folder: one example's output (runs.csv from --generate-runs) is not the next's
      // input.
      const fs::path dir = Template().parent_path() / ("example-" + std::to_string(count++));
      fs::remove_all(dir);
      fs::copy(Template(), dir, fs::copy_options::recursive | fs::copy_options::copy_symlinks);
      const Result r = RunCommand("cd '" + dir.string() + "' && " + ShellCommand(example));
      EXPECT_EQ(r.exit_code, 0) << example << "\n" << r.err.substr(0, 2000);
      fs::remove_all(dir);
    }
  }
  EXPECT_GE(count, 50);
}

TEST(HelpExamples, AFixedKThatCannotReachTheLossSaysSo) {
  // The message names the k given, not a range that was never searched.
  const Result r = RunScaleplan("dictionary --d-model 4096 --target-loss 0.15 --k 64");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("k = 64 does not reach loss 0.15: the law's loss at 1e12 latents is at best 0.1965"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("no k in range"), std::string::npos) << r.err;
}

// The help says what a value of 0 means and who reads what it writes, and lists every exit code and chart kind.
TEST(HelpText, ZeroValuesReadersExitCodesAndChartKinds) {
  // Every chart kind `plot` names when none is given appears in the top-level help's line for plot.
  const Result no_kind = RunScaleplan("plot");
  const size_t kinds_at = no_kind.err.find("give fit, ");
  ASSERT_NE(kinds_at, std::string::npos) << no_kind.err;
  std::string kinds = no_kind.err.substr(kinds_at + 5, no_kind.err.find('\n', kinds_at) - kinds_at - 5);
  kinds = Replace(Replace(kinds, " or ", ","), " ", "");
  std::string top = RunScaleplan("--help").out;
  top = top.substr(top.find("  plot "));
  top = top.substr(0, top.find('\n'));
  size_t begin = 0;
  int num_kinds = 0;
  while (begin < kinds.size()) {
    const size_t end = std::min(kinds.find(',', begin), kinds.size());
    const std::string kind = kinds.substr(begin, end - begin);
    EXPECT_NE(top.find(kind), std::string::npos) << "'scaleplan --help' omits plot " << kind << ": " << top;
    ++num_kinds;
    begin = end + 1;
  }
  EXPECT_EQ(num_kinds, 6) << kinds;
  // probe exits 6 when a collective fails; its help says so.
  EXPECT_NE(RunScaleplan("probe --help").out.find("            6 --collectives: a wrong result"), std::string::npos);
  // A 0 default that switches something off says so.
  const std::string plan = Replace(RunScaleplan("plan --help").out, "\n", " ");
  std::string flat = plan;
  while (flat.find("  ") != std::string::npos) flat = Replace(flat, "  ", " ");
  EXPECT_NE(flat.find("--max-days arg (=0) wall-clock limit in days, 0 = no limit"), std::string::npos);
  EXPECT_NE(flat.find("--peak-flops arg (=0) override the device's dense peak (FLOP/s); 0 = no override"),
            std::string::npos);
  // A custom-expression fit saved by --out is read by plan and sweep too (as plan_sweep and expression tests run).
  std::string expr = Replace(RunScaleplan("fit --law-expr 'E + A/N^alpha' --help").out, "\n", " ");
  while (expr.find("  ") != std::string::npos) expr = Replace(expr, "  ", " ");
  EXPECT_NE(expr.find("(read by plan --fit, sweep --fit and validate --fit)"), std::string::npos);
}

}  // namespace
}  // namespace scaleplan
