// The NCCL module's own code without a GPU: gpu_probe/nccl_module.cc built with a CPU emulation of the CUDA and NCCL
// calls it makes (nccl_emulation.cc: host memory, ranks as threads, each collective computed from its definition),
// loaded through the real loader. Every collective at 1 to 8 ranks and awkward sizes must pass its check, a corrupted
// element must be seen on the rank that has it, and the timing must return one sample per repeat. What it cannot
// show (NCCL and the GPU themselves) is left to scripts/gpu_check.sh on a GPU machine.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gpu_probe/backend.h"
#include "gpu_probe/collectives.h"
#include "gpu_probe/nccl_backend.h"

namespace scaleplan::probe {
namespace {

// What went wrong on one rank, "" when nothing did.
std::string RunRank(const NcclModule& module, const NcclUniqueId& id, int rank, int ranks) {
  try {
    const std::unique_ptr<NcclCommunicator> comm = module.Open(rank, ranks, 0, id);
    const bool last = rank == ranks - 1;
    for (Collective collective : kProbedCollectives) {
      // 1 and 7 floats per rank, and a size RoundedBytes leaves uneven (1000 bytes).
      for (std::int64_t asked : {std::int64_t{4} * ranks, std::int64_t{28} * ranks, std::int64_t{1000}}) {
        const std::int64_t bytes = RoundedBytes(collective, ranks, asked);
        const std::string where = std::string(CollectiveName(collective)) + " at " + std::to_string(bytes) +
                                  " bytes on rank " + std::to_string(rank) + " of " + std::to_string(ranks);
        if (const std::string wrong = comm->Check(collective, bytes, false); !wrong.empty()) {
          return where + ": " + wrong;
        }
        const std::string corrupted = comm->Check(collective, bytes, last);
        if (corrupted.empty() == last) return where + ": the corrupted element was " + (last ? "not seen" : "invented");
        const std::vector<double> seconds = comm->Time(collective, bytes, 1, 3, 2);
        if (seconds.size() != 3u) return where + ": " + std::to_string(seconds.size()) + " samples";
      }
    }
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

TEST(NcclEmulatedTest, EveryCollectiveIsCheckedAndTimedAtOneToEightRanks) {
  std::string why;
  const std::unique_ptr<NcclModule> module = LoadNcclModule({SCALEPLAN_NCCL_EMULATED_MODULE}, &why);
  ASSERT_NE(module, nullptr) << why;
  for (int ranks : {1, 2, 3, 4, 8}) {
    const NcclUniqueId id = module->UniqueId();
    std::vector<std::string> failures(static_cast<std::size_t>(ranks));
    std::vector<std::thread> threads;
    for (int rank = 0; rank < ranks; ++rank) {
      threads.emplace_back([&, rank] { failures[static_cast<std::size_t>(rank)] = RunRank(*module, id, rank, ranks); });
    }
    for (std::thread& thread : threads) thread.join();
    for (const std::string& failure : failures) EXPECT_EQ(failure, "") << ranks << " ranks";
  }
}

TEST(NcclEmulatedTest, TheQueryGivesTheDeviceAndTheNcclVersion) {
  std::string why;
  const std::unique_ptr<NcclModule> module = LoadNcclModule({SCALEPLAN_NCCL_EMULATED_MODULE}, &why);
  ASSERT_NE(module, nullptr) << why;
  const ScaleplanNcclDeviceInfo info = module->Query(0);
  EXPECT_EQ(std::string(info.name), "Emulated GPU");
  EXPECT_EQ(info.device_count, 1);
  EXPECT_EQ(info.uuid[15], 15);
  try {
    module->Query(1);
    FAIL() << "a device that does not exist was queried";
  } catch (const BackendError& error) {
    EXPECT_EQ(std::string(error.what()), "device 1 does not exist (1 visible)");
  }
}

}  // namespace
}  // namespace scaleplan::probe
