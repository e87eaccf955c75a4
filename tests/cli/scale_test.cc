// Scale on the real binary: a million runs load and fit in bounded memory to the law that generated them, and a sweep
// streams its rows (its memory does not grow with the number of rows).
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan {
namespace {

using testing::RunScaleplan;
using testing::TestSeed;
using testing::WriteTempFile;
using Result = testing::CommandResult;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // shadow memory makes resident sizes meaningless
#else
constexpr bool kSanitized = false;
#endif

constexpr double kMiB = 1024.0 * 1024.0;

// `count` runs of L = (E + A/N^alpha + B/D^beta) exp(eps), eps ~ Normal(0, 0.01), N log-uniform in 1e7..1e10 and D in
// 1e9..1e12, written as a CSV file.
std::string WriteGeneratedRuns(int count) {
  const std::string path = WriteTempFile("runs.csv", "");
  std::FILE* file = std::fopen(path.c_str(), "w");
  EXPECT_NE(file, nullptr);
  std::mt19937_64 rng(TestSeed());
  std::uniform_real_distribution<double> log_params(7.0, 10.0), log_tokens(9.0, 12.0);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::fprintf(file, "params,tokens,loss\n");
  for (int i = 0; i < count; ++i) {
    const double params = std::pow(10.0, log_params(rng)), tokens = std::pow(10.0, log_tokens(rng));
    const double loss = (1.82 + 480.0 / std::pow(params, 0.347) + 2140.0 / std::pow(tokens, 0.367)) *
                        std::exp(noise(rng));
    std::fprintf(file, "%.7g,%.7g,%.7f\n", params, tokens, loss);
  }
  std::fclose(file);
  return path;
}

TEST(Scale, AMillionRunsFitToTheGeneratingLawInBoundedMemory) {
  const std::string runs = WriteGeneratedRuns(1000000);
  const Result r = RunScaleplan("fit '" + runs + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  EXPECT_EQ(json["data"]["num_runs"].get<int>(), 1000000);
  EXPECT_TRUE(json["usable"].get<bool>());
  EXPECT_NEAR(json["E"].get<double>(), 1.82, 0.005);
  EXPECT_NEAR(json["alpha"].get<double>(), 0.347, 0.002);
  EXPECT_NEAR(json["beta"].get<double>(), 0.367, 0.002);
  EXPECT_NEAR(json["A"].get<double>() / 480.0, 1.0, 0.02);
  EXPECT_NEAR(json["B"].get<double>() / 2140.0, 1.0, 0.02);
  std::printf("1,000,000 runs: peak resident memory %.0f MiB\n", r.peak_rss_bytes / kMiB);
  // 33 MB of CSV; the runs table, its log-space copy and the per-thread buffers come to ~250 MB.
  if (!kSanitized) {
    EXPECT_LT(r.peak_rss_bytes, 400 * kMiB);
  }
}

TEST(Scale, ASweepStreamsItsRows) {
  // 10 MFUs per budget; the rows are counted on the fly (the group keeps wc reading the pipe).
  const auto count_rows = [](const std::string& budgets) {
    return testing::RunCommand("{ " + std::string(SCALEPLAN_BINARY) + " sweep --compute " + budgets +
                               " --mfu 0.3,0.32,0.34,0.36,0.38,0.4,0.42,0.44,0.46,0.48 --out - | wc -l; }");
  };
  const Result small = count_rows("1e20:1e26:1000");
  const Result large = count_rows("1e20:1e26:100000");
  ASSERT_EQ(small.exit_code, 0) << small.err;
  ASSERT_EQ(large.exit_code, 0) << large.err;
  EXPECT_EQ(std::stol(small.out), 10000 + 1);  // rows and the header
  EXPECT_EQ(std::stol(large.out), 1000000 + 1);
  std::printf("sweep peak resident memory: 10,000 rows %.1f MiB, 1,000,000 rows %.1f MiB\n",
              small.peak_rss_bytes / kMiB, large.peak_rss_bytes / kMiB);
  // Holding the rows would take > 200 MB (each row is > 200 bytes of CSV); streaming keeps the difference to the
  // output buffer and the per-point state.
  if (!kSanitized) {
    EXPECT_LT(static_cast<double>(large.peak_rss_bytes) - small.peak_rss_bytes, 16 * kMiB);
  }
}

}  // namespace
}  // namespace scaleplan
