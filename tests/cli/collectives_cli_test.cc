// probe --collectives on 2 and 4 local ranks (mpirun --oversubscribe, shared memory), and its bad input: no launcher,
// one rank, a wrong result, a rank that stops. Skipped, with the reason, where the build has no MPI or mpirun is
// absent.
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_testing.h"

namespace scaleplan::testing {
namespace {

bool HaveMpirun() { return std::system("command -v mpirun >/dev/null 2>&1") == 0; }

bool FileExists(const std::string& path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0;
}

// `mpirun -np RANKS scaleplan ARGS` on this host: root allowed (containers), no single-copy kernel mechanism
// (containers forbid it), and ranks that yield when idle (the suite oversubscribes 2 cores). Under the address
// sanitizer the ranks run without its leak check: MPI unloads its plug-ins at MPI_Finalize, and what they keep is then
// reported from an unknown module that no suppression can name (addresses and undefined behaviour are still checked;
// the probe's own arithmetic is leak-checked in gpu_probe/collectives_test).
CommandResult RunRanks(int ranks, const std::string& args, const std::string& environment = "") {
  return RunCommand("env ASAN_OPTIONS=\"${ASAN_OPTIONS:-}:detect_leaks=0\" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
                    "OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_mpi_yield_when_idle=1 "
                    "OMPI_MCA_rmaps_base_oversubscribe=1 " +
                    environment + " mpirun --oversubscribe -np " + std::to_string(ranks) + " " + SCALEPLAN_BINARY +
                    " " + args);
}

class CollectivesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!SCALEPLAN_HAS_MPI) GTEST_SKIP() << "built without MPI: probe --collectives is compiled out";
    if (!HaveMpirun()) GTEST_SKIP() << "mpirun not found (apt-get install openmpi-bin)";
  }

  // The quick probe on `ranks` ranks: every key of the interconnect section, busbw from algbw by the factor.
  void CheckQuickProfile(int ranks) {
    const std::string out = WriteTempFile("collectives_" + std::to_string(ranks) + ".json", "");
    std::remove(out.c_str());
    const CommandResult r = RunRanks(ranks, "probe --collectives --quick --out '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // Rank 0 alone prints: one table.
    EXPECT_EQ(r.out.find("interconnect (mpi)"), r.out.rfind("interconnect (mpi)")) << r.out;
    const nlohmann::json profile = nlohmann::json::parse(ReadWholeFile(out));
    const nlohmann::json& ic = profile.at("interconnect");
    EXPECT_EQ(ic.at("ranks"), ranks);
    EXPECT_EQ(ic.at("nodes"), 1);
    EXPECT_EQ(ic.at("ranks_per_node"), ranks);
    EXPECT_EQ(ic.at("backend"), "mpi");
    const double n = ranks;
    const std::map<std::string, double> factor = {{"all_reduce", 2.0 * (n - 1.0) / n},
                                                  {"all_gather", (n - 1.0) / n},
                                                  {"reduce_scatter", (n - 1.0) / n},
                                                  {"all_to_all", (n - 1.0) / n},
                                                  {"send_recv", 1.0}};
    std::map<std::string, int> sizes;
    double largest = 0.0;
    for (const nlohmann::json& c : ic.at("collectives")) {
      const std::string name = c.at("name");
      ASSERT_EQ(factor.count(name), 1u) << name;
      EXPECT_EQ(c.at("scope"), "intra_node");
      EXPECT_EQ(c.at("ranks"), ranks);
      const double bytes = c.at("bytes"), median = c.at("seconds_median"), best = c.at("seconds_best");
      EXPECT_GT(best, 0.0);
      EXPECT_LE(best, median);
      EXPECT_DOUBLE_EQ(c.at("algbw_bytes_per_s").get<double>(), bytes / median);
      EXPECT_DOUBLE_EQ(c.at("busbw_bytes_per_s").get<double>(), bytes / median * factor.at(name)) << name;
      ++sizes[name];
      largest = std::max(largest, bytes);
    }
    EXPECT_EQ(sizes.size(), 5u);
    for (const auto& [name, count] : sizes) EXPECT_EQ(count, 4) << name;
    EXPECT_GE(largest, 16.0 * 1024 * 1024);
    EXPECT_EQ(ic.at("models").size(), 5u);
    for (const nlohmann::json& m : ic.at("models")) {
      EXPECT_EQ(m.at("scope"), "intra_node");
      EXPECT_GT(m.at("busbw_bytes_per_s").get<double>(), 0.0);
      EXPECT_GE(m.at("latency_seconds").get<double>(), 0.0);
      // A model that misses its measurements (a busy machine) says so in the profile and on stderr, by rank 0 alone.
      const nlohmann::json& warnings = m.at("warnings");
      ASSERT_TRUE(warnings.is_array());
      if (warnings.empty()) continue;
      const std::string line = "scaleplan probe: warning: " + m.at("name").get<std::string>() + " (intra_node, " +
                               std::to_string(ranks) + " ranks): " + warnings[0].get<std::string>();
      EXPECT_NE(r.err.find(line), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find(line), r.err.rfind(line)) << r.err;
    }
  }
};

TEST_F(CollectivesCliTest, TwoRanks) { CheckQuickProfile(2); }

TEST_F(CollectivesCliTest, FourRanks) { CheckQuickProfile(4); }

TEST_F(CollectivesCliTest, ASingleRankHasNothingToMeasure) {
  const CommandResult r = RunRanks(1, "probe --collectives --quick");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the job has a single rank: nothing to measure"), std::string::npos) << r.err;
}

TEST_F(CollectivesCliTest, AWrongResultIsAnErrorAndWritesNothing) {
  const std::string out = WriteTempFile("wrong.json", "");
  std::remove(out.c_str());
  const CommandResult r =
      RunRanks(2, "probe --collectives --quick --out '" + out + "'", "SCALEPLAN_COLLECTIVES_CORRUPT=reduce_scatter");
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("reduce_scatter (intra_node, 2 ranks, 1024 bytes) returned a wrong result on rank 1"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(FileExists(out));
}

TEST_F(CollectivesCliTest, ARankThatStopsEndsTheJobAtTheTimeout) {
  const std::string out = WriteTempFile("stalled.json", "");
  std::remove(out.c_str());
  const CommandResult r = RunRanks(2, "probe --collectives --quick --collective-timeout 5 --out '" + out + "'",
                                   "SCALEPLAN_COLLECTIVES_STALL=all_gather");
  EXPECT_EQ(r.exit_code, 6);
  EXPECT_NE(r.err.find("all_gather (intra_node, 2 ranks, 1024 bytes) did not complete within 5 s"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(FileExists(out));
}

// A usage error under the launcher is the same on every rank: said once (by rank 0, as the command line says it), and
// every rank leaves through MPI_Finalize with exit 2, so no rank is aborted (no "MPI_ABORT was invoked" banner).
TEST_F(CollectivesCliTest, AUsageErrorIsSaidOnceAndEveryRankExitsTwo) {
  const std::string said =
      "scaleplan probe: error: --collective-timeout: must be positive: '0'\nTry 'scaleplan probe --help'.\n";
  for (int ranks : {2, 4}) {
    const CommandResult r = RunRanks(ranks, "probe --collectives --quick --collective-timeout 0");
    EXPECT_EQ(r.exit_code, 2) << ranks << " ranks: " << r.err;
    const std::size_t first = r.err.find(said);
    ASSERT_NE(first, std::string::npos) << r.err;
    EXPECT_EQ(r.err.rfind(said), first) << "said more than once on " << ranks << " ranks: " << r.err;
    EXPECT_EQ(r.err.find("MPI_ABORT"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("without calling \"finalize\""), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
  }
  // Ranks started with different options (an MPMD launch): the one that refused them is heard through rank 0, and the
  // rank that accepted them stops too, with the same code, before measuring anything.
  const CommandResult mixed =
      RunRanks(1, "probe --collectives --quick --backend cpu : -np 1 " + std::string(SCALEPLAN_BINARY) +
                      " probe --collectives --quick --collective-timeout 0");
  EXPECT_EQ(mixed.exit_code, 2) << mixed.err;
  EXPECT_EQ(mixed.err.find(said), mixed.err.rfind(said)) << mixed.err;
  EXPECT_NE(mixed.err.find(said), std::string::npos) << mixed.err;
  EXPECT_EQ(mixed.out.find("interconnect"), std::string::npos) << mixed.out;
}

// Ranks that accept their options but disagree on what to measure (an MPMD launch: --quick's 4 sizes on rank 0, the
// standard 11 on rank 1) would call collectives of different sizes and hang: they compare their plans first, rank 0
// says so once, every rank exits 6 and nothing is written.
TEST_F(CollectivesCliTest, RanksThatDisagreeOnTheSizesStopBeforeMeasuring) {
  const std::string out = WriteTempFile("disagree.json", "");
  std::remove(out.c_str());
  const CommandResult r = RunRanks(1, "probe --collectives --quick --out '" + out + "' : -np 1 " +
                                          std::string(SCALEPLAN_BINARY) + " probe --collectives --out '" + out + "'");
  EXPECT_EQ(r.exit_code, 6) << r.err;
  const std::string said =
      "scaleplan probe: error: --collectives: the ranks disagree on the message sizes, warm-up, repeats or backend to "
      "measure: start every rank with the same options (no profile written)\n";
  ASSERT_NE(r.err.find(said), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(said), r.err.rfind(said)) << r.err;
  EXPECT_EQ(r.out.find("interconnect"), std::string::npos) << r.out;
  EXPECT_FALSE(FileExists(out));
}

// The smoke-test hook scripts/gpu_check.sh uses on one GPU: one rank runs every collective (its check included) and
// reports them, with busbw 0 (the factors vanish at n = 1) and no fit; without the hook one rank is refused (above).
TEST_F(CollectivesCliTest, TheOneRankHookMeasuresWithoutAFit) {
  const CommandResult r =
      RunRanks(1, "probe --collectives --quick --backend cpu --format json", "SCALEPLAN_COLLECTIVES_ONE_RANK=1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json ic = nlohmann::json::parse(r.out).at("interconnect");
  EXPECT_EQ(ic.at("ranks"), 1);
  EXPECT_EQ(ic.at("collectives").size(), 20u);  // 5 collectives x 4 sizes
  for (const nlohmann::json& c : ic.at("collectives")) EXPECT_EQ(c.at("busbw_bytes_per_s").get<double>(), 0.0);
  EXPECT_TRUE(ic.at("models").empty());
  EXPECT_NE(r.err.find("one rank (SCALEPLAN_COLLECTIVES_ONE_RANK): a smoke test"), std::string::npos) << r.err;
}

// Ranks that cannot use NCCL (no GPU here; on a one-GPU machine, two ranks sharing it): --backend cuda refuses on
// every rank with the reason, said once, and writes nothing; --backend auto says why NCCL is not used and measures
// with MPI. (Where every rank has its own GPU the NCCL path runs instead, and this test skips.)
TEST_F(CollectivesCliTest, ExplicitNcclWhereRanksCannotUseItIsRefusedWithTheReason) {
  const CommandResult auto_run = RunRanks(2, "probe --collectives --quick --format json");
  ASSERT_EQ(auto_run.exit_code, 0) << auto_run.err;
  const nlohmann::json profile = nlohmann::json::parse(auto_run.out);
  if (profile.at("interconnect").at("backend") == "nccl") GTEST_SKIP() << "NCCL runs here: the GPU path was taken";
  EXPECT_EQ(profile.at("backend"), "cpu");
  const std::size_t note = auto_run.err.find("scaleplan probe: note: NCCL backend not used (rank 0 on ");
  EXPECT_NE(note, std::string::npos) << auto_run.err;
  EXPECT_NE(auto_run.err.find("); measuring with MPI", note), std::string::npos) << auto_run.err;

  const std::string out = WriteTempFile("nccl.json", "");
  std::remove(out.c_str());
  const CommandResult r = RunRanks(2, "probe --collectives --quick --backend cuda --out '" + out + "'");
  EXPECT_EQ(r.exit_code, 2);
  const std::string said =
      "scaleplan probe: error: --collectives --backend cuda: the NCCL backend is not available: rank 0 on ";
  const std::size_t first = r.err.find(said);
  EXPECT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.rfind(said), first) << "said more than once: " << r.err;
  EXPECT_FALSE(FileExists(out));

  // --backend cpu: MPI without trying NCCL, so no note.
  const CommandResult cpu = RunRanks(2, "probe --collectives --quick --backend cpu --format json");
  ASSERT_EQ(cpu.exit_code, 0) << cpu.err;
  EXPECT_EQ(cpu.err.find("NCCL"), std::string::npos) << cpu.err;
  EXPECT_EQ(nlohmann::json::parse(cpu.out).at("interconnect").at("backend"), "mpi");
}

// Without a launcher (and, below, without MPI in the build) the option says why there is nothing to measure.
TEST(CollectivesCliNoLauncherTest, SaysWhyAndExitsTwo) {
  const CommandResult r = RunCommand(
      "env -u OMPI_COMM_WORLD_SIZE -u PMI_SIZE -u PMI_RANK -u PMIX_RANK -u SLURM_PROCID " +
      std::string(SCALEPLAN_BINARY) + " probe --collectives --quick");
  EXPECT_EQ(r.exit_code, 2);
  const std::string expected =
      SCALEPLAN_HAS_MPI ? "no MPI launcher started this process" : "this scaleplan was built without MPI";
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
}

}  // namespace
}  // namespace scaleplan::testing
