// The NCCL module's loader is tested everywhere (compiled out, module missing or broken, no driver or device, the
// device of each rank); the collectives themselves run on one rank when a GPU is there (NCCL refuses two ranks on
// one GPU) and the tests skip, saying why, when it is not. scripts/gpu_check.sh runs them on a GPU machine.
#include "gpu_probe/nccl_backend.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "gpu_probe/backend.h"
#include "gpu_probe/collectives.h"
#include "tests/testing.h"

namespace scaleplan::probe {
namespace {

TEST(NcclBackendTest, CompiledOutBackendSaysWhy) {
  if (NcclBackendCompiledIn()) GTEST_SKIP() << "this build has the NCCL module";
  std::string why;
  EXPECT_EQ(OpenNcclModule(nullptr, &why), nullptr);
  EXPECT_EQ(why,
            "this scaleplan was built without the NCCL backend (nvcc, nccl.h or libnccl was not found when it was "
            "configured)");
}

TEST(NcclBackendTest, AMissingModuleNamesWhereItLooked) {
  if (!NcclBackendCompiledIn()) GTEST_SKIP() << "this build has no NCCL module to look for";
  std::string why;
  EXPECT_EQ(
      LoadNcclModule({"/nonexistent/a/libscaleplan_probe_nccl.so", "/nonexistent/b/libscaleplan_probe_nccl.so"}, &why),
      nullptr);
  EXPECT_EQ(why,
            "NCCL probe module libscaleplan_probe_nccl.so not found (looked in "
            "/nonexistent/a/libscaleplan_probe_nccl.so, /nonexistent/b/libscaleplan_probe_nccl.so)");
}

TEST(NcclBackendTest, ABrokenModuleFileIsAReasonNotACrash) {
  if (!NcclBackendCompiledIn()) GTEST_SKIP() << "this build has no NCCL module to load";
  const std::string fake = testing::WriteTempFile("libscaleplan_probe_nccl.so", "not a shared library");
  std::string why;
  EXPECT_EQ(LoadNcclModule({fake}, &why), nullptr);
  EXPECT_EQ(why.find("cannot load " + fake + ": "), 0u) << why;
}

TEST(NcclBackendTest, AMissingLibncclIsNamed) {
  EXPECT_EQ(NcclModuleLoadFailure("/b/lib/libscaleplan_probe_nccl.so",
                                  "libnccl.so.2: cannot open shared object file: No such file or directory"),
            "cannot load /b/lib/libscaleplan_probe_nccl.so: libnccl.so.2: cannot open shared object file: No such file "
            "or directory (NCCL is not installed here, or its folder is not on LD_LIBRARY_PATH)");
  EXPECT_EQ(NcclModuleLoadFailure("/m.so", "/m.so: invalid ELF header"),
            "cannot load /m.so: /m.so: invalid ELF header");
}

TEST(NcclBackendTest, CandidatesStartWithTheEnvironmentThenTheExecutableFolder) {
  setenv("SCALEPLAN_PROBE_NCCL_MODULE", "/opt/x/libscaleplan_probe_nccl.so", 1);
  const std::vector<std::string> candidates = NcclModuleCandidates();
  unsetenv("SCALEPLAN_PROBE_NCCL_MODULE");
  ASSERT_GE(candidates.size(), 2u);
  EXPECT_EQ(candidates[0], "/opt/x/libscaleplan_probe_nccl.so");
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe");
  EXPECT_EQ(candidates[1], (executable.parent_path() / "libscaleplan_probe_nccl.so").string());
}

// Without a driver or a device the module still loads (libnccl is there) and its query gives the reason.
TEST(NcclBackendTest, WithoutADeviceTheReasonIsOneLine) {
  std::string why;
  if (OpenNcclModule(nullptr, &why) != nullptr) GTEST_SKIP() << "a CUDA device is available here";
  EXPECT_EQ(why.find('\n'), std::string::npos) << why;
  if (!NcclBackendCompiledIn() || LoadNcclModule(NcclModuleCandidates(), nullptr) == nullptr) return;
  const bool known = why == "no CUDA driver installed (libcuda.so.1 not found)" || why == "no CUDA device found" ||
                     why.rfind("the CUDA driver is older than the CUDA ", 0) == 0 ||
                     why.rfind("no usable CUDA device: ", 0) == 0;
  EXPECT_TRUE(known) << why;
}

TEST(NcclBackendTest, EachRankOfAHostGetsItsOwnDevice) {
  std::string why;
  EXPECT_EQ(NcclDeviceForRank(0, 8, 8, &why), 0);
  EXPECT_EQ(NcclDeviceForRank(7, 8, 8, &why), 7);
  EXPECT_EQ(NcclDeviceForRank(3, 4, 8, &why), 3);  // fewer ranks than devices: the first ones
  EXPECT_EQ(NcclDeviceForRank(5, 8, 1, &why), 0);  // each process sees only its own GPU (srun --gpus-per-task=1)
  EXPECT_EQ(NcclDeviceForRank(0, 1, 1, &why), 0);
  EXPECT_TRUE(why.empty()) << why;
  EXPECT_EQ(NcclDeviceForRank(2, 4, 2, &why), -1);
  EXPECT_EQ(why, "4 ranks on this host but 2 CUDA devices: start one rank per GPU");
}

// One rank on one GPU: every collective checked on its pattern at a small and a large size, a corrupted element
// seen, then timed. The figures go to stdout for scripts/gpu_check.sh's summary.
class NcclOneRankTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    module_ = OpenNcclModule(&info_, &why);
    if (!module_) GTEST_SKIP() << "no NCCL backend: " << why;
  }
  std::unique_ptr<NcclModule> module_;
  ScaleplanNcclDeviceInfo info_{};
};

TEST_F(NcclOneRankTest, EveryCollectiveIsRightThenTimed) {
  std::printf("nccl: %s, NCCL %d, driver %d, runtime %d, %d device(s)\n", info_.name, info_.nccl_version,
              info_.driver_version, info_.runtime_version, info_.device_count);
  const std::unique_ptr<NcclCommunicator> comm = module_->Open(0, 1, 0, module_->UniqueId());
  for (Collective collective : kProbedCollectives) {
    for (std::int64_t bytes : {std::int64_t{4096}, std::int64_t{64} << 20}) {
      EXPECT_EQ(comm->Check(collective, bytes, false), "") << CollectiveName(collective) << " " << bytes;
      EXPECT_EQ(comm->Check(collective, bytes, true).rfind("element 0 is ", 0), 0u) << CollectiveName(collective);
      EXPECT_EQ(comm->Check(collective, bytes, false), "") << CollectiveName(collective) << " " << bytes;
      const std::vector<double> seconds = comm->Time(collective, bytes, 2, 5, CallsPerSample(bytes));
      ASSERT_EQ(seconds.size(), 5u);
      for (double s : seconds) EXPECT_GT(s, 0.0);
      const CollectiveMeasurement m =
          MakeCollectiveMeasurement(collective, "intra_node", 1, static_cast<double>(bytes), seconds);
      std::printf("nccl one rank: %-14s %10lld bytes  median %9.2f us  algbw %8.2f GB/s\n", m.name.c_str(),
                  static_cast<long long>(bytes), m.seconds_median * 1e6, m.algbw_bytes_per_s / 1e9);
    }
  }
}

TEST_F(NcclOneRankTest, TwoCommunicatorsAtOnceLikeTheTwoScopes) {
  const std::unique_ptr<NcclCommunicator> intra = module_->Open(0, 1, 0, module_->UniqueId());
  const std::unique_ptr<NcclCommunicator> inter = module_->Open(0, 1, 0, module_->UniqueId());
  EXPECT_EQ(intra->Check(Collective::ALL_REDUCE, 1 << 20, false), "");
  EXPECT_EQ(inter->Check(Collective::ALL_GATHER, 1 << 20, false), "");
  EXPECT_EQ(intra->Check(Collective::SEND_RECV, 1 << 20, false), "");
}

TEST_F(NcclOneRankTest, TimingBeforeACheckIsRefused) {
  const std::unique_ptr<NcclCommunicator> comm = module_->Open(0, 1, 0, module_->UniqueId());
  try {
    comm->Time(Collective::ALL_REDUCE, 4096, 1, 1, 1);
    FAIL() << "timing without a check ran";
  } catch (const BackendError& error) {
    EXPECT_EQ(std::string(error.what()),
              "NCCL all_reduce: scaleplan_nccl_time: check this collective at this size first");
  }
}

}  // namespace
}  // namespace scaleplan::probe
