#include "core/hash.h"

#include <gtest/gtest.h>

#include "core/runs_table.h"

namespace scaleplan {
namespace {

// Reference values from a separate FNV-1a 64 written from the specification (offset basis 0xcbf29ce484222325,
// prime 0x100000001b3) over the little-endian bytes of the doubles.
TEST(ValuesHash, IsFnv1a64OverTheBytesOfTheValues) {
  EXPECT_EQ(ValuesHash().value(), 0xcbf29ce484222325ull);  // no bytes: the offset basis
  ValuesHash one;
  one.Add(1.0);
  EXPECT_EQ(one.value(), 0xaab1693229ba1db8ull);
  ValuesHash two;
  two.Add(1.0);
  two.Add(-2.5);
  EXPECT_EQ(two.value(), 0x2f20b4ea1c69d79cull);
}

TEST(ValuesHash, HexHasSixteenLowerCaseDigits) {
  EXPECT_EQ(HashToHex(0xcbf29ce484222325ull), "cbf29ce484222325");
  EXPECT_EQ(HashToHex(0x1ull), "0000000000000001");
}

TEST(HashRuns, CoversParamsTokensAndLossInOrder) {
  RunsTable table;
  table.runs.push_back(TrainingRun{});
  table.runs[0].num_params = 1.0;
  table.runs[0].num_tokens = -2.5;
  table.runs[0].loss_nats = 0.0;
  ValuesHash expected;
  for (double value : {1.0, -2.5, 0.0}) expected.Add(value);
  EXPECT_EQ(HashRuns(table), expected.value());
  EXPECT_EQ(FormatRunsHash(table), HashToHex(expected.value()));
  table.runs[0].loss_nats = 1e-300;  // any change in a value changes the hash
  EXPECT_NE(HashRuns(table), expected.value());
}

}  // namespace
}  // namespace scaleplan
