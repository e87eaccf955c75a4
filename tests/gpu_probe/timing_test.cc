#include "gpu_probe/timing.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace scaleplan::probe {
namespace {

TEST(TimingTest, MedianOfAnOddCount) {
  const TimingSummary summary = Summarize({0.5, 0.1, 0.3});
  EXPECT_DOUBLE_EQ(summary.seconds_median, 0.3);
  EXPECT_DOUBLE_EQ(summary.seconds_best, 0.1);
}

TEST(TimingTest, MedianOfAnEvenCountIsTheMiddlePairsMean) {
  const TimingSummary summary = Summarize({4.0, 1.0, 3.0, 2.0});
  EXPECT_DOUBLE_EQ(summary.seconds_median, 2.5);
  EXPECT_DOUBLE_EQ(summary.seconds_best, 1.0);
}

TEST(TimingTest, SummarizeRejectsNoSamples) { EXPECT_THROW(Summarize({}), InternalError); }

TEST(TimingTest, TimeCallsRunsWarmupThenRepeatsTimesCalls) {
  TimingOptions options;
  options.warmup = 2;
  options.repeats = 3;
  options.calls_per_sample = 4;
  int calls = 0;
  const std::vector<double> seconds = TimeCalls(options, [&] { ++calls; });
  EXPECT_EQ(calls, 2 + 3 * 4);
  ASSERT_EQ(seconds.size(), 3u);
  for (double value : seconds) EXPECT_GE(value, 0.0);
}

TEST(TimingTest, OptionsCheck) {
  std::string why;
  EXPECT_TRUE(TimingOptions{}.Check(&why));
  TimingOptions options;
  options.repeats = 0;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "at least one timed repeat is needed");
  options = TimingOptions{};
  options.warmup = -1;
  EXPECT_FALSE(options.Check(&why));
  EXPECT_EQ(why, "warm-up calls must not be negative");
  options = TimingOptions{};
  options.calls_per_sample = 0;
  EXPECT_FALSE(options.Check(&why));
}

}  // namespace
}  // namespace scaleplan::probe
