// The pattern the interconnect probe checks every collective on (MPI and NCCL alike): the closed-form expected
// values against a naive simulation of each collective over the ranks' send buffers, a few by hand, and the report
// of a wrong element.
#include "gpu_probe/collective_pattern.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace scaleplan::probe::pattern {
namespace {

constexpr int kCollectives[] = {SCALEPLAN_NCCL_ALL_REDUCE, SCALEPLAN_NCCL_ALL_GATHER, SCALEPLAN_NCCL_REDUCE_SCATTER,
                                SCALEPLAN_NCCL_ALL_TO_ALL, SCALEPLAN_NCCL_SEND_RECV};

// What every rank receives, computed from the ranks' send buffers by the collective's definition.
std::vector<std::vector<float>> Simulate(int collective, std::int64_t elements, int ranks) {
  const BufferSizes sizes = SizesOf(collective, elements, ranks);
  std::vector<std::vector<float>> send(ranks, std::vector<float>(sizes.send));
  for (int r = 0; r < ranks; ++r) FillSend(collective, r, ranks, sizes, send[r].data());
  std::vector<std::vector<float>> recv(ranks, std::vector<float>(sizes.recv, 0.0f));
  const std::int64_t count = sizes.count;
  for (int r = 0; r < ranks; ++r) {
    for (std::int64_t i = 0; i < sizes.recv; ++i) {
      float& out = recv[r][i];
      switch (collective) {
        case SCALEPLAN_NCCL_ALL_REDUCE:
          for (int s = 0; s < ranks; ++s) out += send[s][i];
          break;
        case SCALEPLAN_NCCL_ALL_GATHER:
          out = send[i / count][i % count];
          break;
        case SCALEPLAN_NCCL_REDUCE_SCATTER:
          for (int s = 0; s < ranks; ++s) out += send[s][r * count + i];
          break;
        case SCALEPLAN_NCCL_ALL_TO_ALL:
          out = send[i / count][r * count + i % count];
          break;
        case SCALEPLAN_NCCL_SEND_RECV:
          out = send[(r + ranks - 1) % ranks][i];
          break;
      }
    }
  }
  return recv;
}

TEST(CollectivePatternTest, BufferSizesFollowNcclTestsByteCounts) {
  // 24 floats among 4 ranks: blocks of 6.
  EXPECT_EQ(SizesOf(SCALEPLAN_NCCL_ALL_REDUCE, 24, 4).send, 24);
  EXPECT_EQ(SizesOf(SCALEPLAN_NCCL_ALL_REDUCE, 24, 4).count, 24);
  const BufferSizes gather = SizesOf(SCALEPLAN_NCCL_ALL_GATHER, 24, 4);
  EXPECT_EQ(gather.send, 6);
  EXPECT_EQ(gather.recv, 24);
  EXPECT_EQ(gather.count, 6);
  const BufferSizes scatter = SizesOf(SCALEPLAN_NCCL_REDUCE_SCATTER, 24, 4);
  EXPECT_EQ(scatter.send, 24);
  EXPECT_EQ(scatter.recv, 6);
  const BufferSizes all_to_all = SizesOf(SCALEPLAN_NCCL_ALL_TO_ALL, 24, 4);
  EXPECT_EQ(all_to_all.send, 24);
  EXPECT_EQ(all_to_all.recv, 24);
  EXPECT_EQ(all_to_all.count, 6);
}

TEST(CollectivePatternTest, ExpectedValuesEqualANaiveSimulationOfEachCollective) {
  for (int ranks : {1, 2, 3, 4, 8}) {
    // 7 elements per block and 9: the i mod 7 pattern both aligned with the blocks and not.
    for (std::int64_t per_rank : {7, 9}) {
      for (int collective : kCollectives) {
        const std::int64_t elements = per_rank * ranks;
        const BufferSizes sizes = SizesOf(collective, elements, ranks);
        const std::vector<std::vector<float>> received = Simulate(collective, elements, ranks);
        for (int r = 0; r < ranks; ++r) {
          for (std::int64_t i = 0; i < sizes.recv; ++i) {
            ASSERT_EQ(ExpectedValue(collective, i, r, ranks, sizes.count), received[r][i])
                << "collective " << collective << ", " << ranks << " ranks, rank " << r << ", element " << i;
          }
          EXPECT_EQ(FirstDifference(collective, r, ranks, sizes, received[r].data()), "");
        }
      }
    }
  }
}

TEST(CollectivePatternTest, HandComputedValues) {
  // All-reduce over 4 ranks, element 3: (1+3) + (2+3) + (3+3) + (4+3) = 22.
  EXPECT_EQ(ExpectedValue(SCALEPLAN_NCCL_ALL_REDUCE, 3, 0, 4, 100), 22.0f);
  // One rank: the all-reduce returns the rank's own array, 1 + i mod 7.
  EXPECT_EQ(ExpectedValue(SCALEPLAN_NCCL_ALL_REDUCE, 10, 0, 1, 100), 4.0f);
  // All-to-all, 3 ranks: rank 2's block 1 comes from rank 1, tagged 1 x 3 + 2.
  EXPECT_EQ(ExpectedValue(SCALEPLAN_NCCL_ALL_TO_ALL, 5 + 4, 2, 3, 5), 5.0f);
  // Send/recv ring of 4: rank 0 receives rank 3's buffer, 4 + i mod 7.
  EXPECT_EQ(ExpectedValue(SCALEPLAN_NCCL_SEND_RECV, 8, 0, 4, 16), 5.0f);
}

TEST(CollectivePatternTest, SumsStayExactAtEightRanksAndAGibibyte) {
  // The largest all-reduce value, n(n+1)/2 + 6n at n = 8 ranks (element 2^28 - 3, which is 6 mod 7), is 84: far
  // below 2^24, so every partial float sum is exact.
  EXPECT_EQ(ExpectedValue(SCALEPLAN_NCCL_ALL_REDUCE, (std::int64_t{1} << 28) - 3, 0, 8, std::int64_t{1} << 28), 84.0f);
}

TEST(CollectivePatternTest, AWrongElementIsNamed) {
  const BufferSizes sizes = SizesOf(SCALEPLAN_NCCL_ALL_GATHER, 8, 2);
  std::vector<std::vector<float>> received = Simulate(SCALEPLAN_NCCL_ALL_GATHER, 8, 2);
  received[1][5] += 1.0f;  // block 1 (from rank 1), element 1: 2 + 1 = 3, now 4
  EXPECT_EQ(FirstDifference(SCALEPLAN_NCCL_ALL_GATHER, 1, 2, sizes, received[1].data()),
            "element 5 is 4.000000, expected 3.000000");
  // A buffer the collective never wrote (the module fills it with 0xff bytes, a NaN) is wrong too.
  std::vector<float> unwritten(8);
  std::memset(unwritten.data(), 0xff, unwritten.size() * sizeof(float));
  EXPECT_NE(FirstDifference(SCALEPLAN_NCCL_ALL_GATHER, 0, 2, sizes, unwritten.data()), "");
}

}  // namespace
}  // namespace scaleplan::probe::pattern
