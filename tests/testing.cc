#include "tests/testing.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace scaleplan::testing {

std::uint64_t TestSeed() {
  static const std::uint64_t seed = [] {
    const char* env = std::getenv("SCALEPLAN_TEST_SEED");
    return env != nullptr ? std::strtoull(env, nullptr, 10) : std::uint64_t{20240417};
  }();
  return seed;
}

std::string SourcePath(const std::string& relative) { return std::string(SCALEPLAN_SOURCE_DIR) + "/" + relative; }

std::string WriteTempFile(const std::string& name, const std::string& contents) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "scaleplan_tests";
  if (info != nullptr) dir /= std::string(info->test_suite_name()) + "." + info->name();
  std::filesystem::create_directories(dir);
  std::filesystem::path path = dir / name;
  std::ofstream(path, std::ios::binary) << contents;
  return path.string();
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

::testing::AssertionResult SameOptimum(double found_objective, double exhaustive_objective) {
  const double ratio = found_objective / exhaustive_objective;
  if (ratio <= 1.0 + 1e-9 && ratio >= 1.0 - 1e-8) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "objective " << found_objective << " vs the exhaustive search's "
                                       << exhaustive_objective << " (ratio - 1 = " << ratio - 1.0 << ")";
}

CommandResult RunCommand(const std::string& command_line) {
  const std::filesystem::path dir = std::filesystem::path(WriteTempFile(".command", "")).parent_path();
  const std::string out_path = (dir / "stdout.txt").string();
  const std::string err_path = (dir / "stderr.txt").string();
  const std::string command = command_line + " > '" + out_path + "' 2> '" + err_path + "' < /dev/null";
  CommandResult result;
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid < 0) return result;
  int status = 0;
  rusage usage{};
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return result;
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  // The shell's and every process it waited for (the command): the largest of them, in KiB on Linux.
  result.peak_rss_bytes = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  return result;
}

}  // namespace scaleplan::testing
