#include "core/option_range.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace scaleplan {
namespace {

// The message CheckOptionValue throws for `value`, or "" when it returns.
std::string Refusal(double value, Range range, const std::string& text) {
  try {
    CheckOptionValue(value, range, "--compute", text);
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}

TEST(OptionRange, EachRangeRefusesWhatLiesOutsideIt) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(OptionValueProblem(1e23, Range::POSITIVE), "");
  EXPECT_EQ(OptionValueProblem(0.0, Range::POSITIVE), "must be positive");
  EXPECT_EQ(OptionValueProblem(-1e23, Range::POSITIVE), "must be positive");
  EXPECT_EQ(OptionValueProblem(0.0, Range::NON_NEGATIVE), "");
  EXPECT_EQ(OptionValueProblem(-0.5, Range::NON_NEGATIVE), "must be 0 or positive");
  EXPECT_EQ(OptionValueProblem(1.0, Range::FRACTION), "");
  EXPECT_EQ(OptionValueProblem(1.5, Range::FRACTION), "must lie in (0, 1]");
  EXPECT_EQ(OptionValueProblem(1.0, Range::OPEN_FRACTION), "must lie in (0, 1)");
  EXPECT_EQ(OptionValueProblem(-7.0, Range::ANY), "");
  // No range holds NaN or an infinity, not even ANY, and none passes them as in range.
  for (Range range : {Range::ANY, Range::POSITIVE, Range::NON_NEGATIVE, Range::FRACTION, Range::OPEN_FRACTION}) {
    EXPECT_EQ(OptionValueProblem(nan, range), "NaN is not a value");
    EXPECT_EQ(OptionValueProblem(inf, range), "infinite value");
    EXPECT_EQ(OptionValueProblem(-inf, range), "infinite value");
  }
}

TEST(OptionRange, TheRefusalIsTheCommandLinesMessage) {
  EXPECT_EQ(Refusal(-1e23, Range::POSITIVE, "-1e23"), "--compute: must be positive: '-1e23'");
  EXPECT_EQ(Refusal(std::nan(""), Range::POSITIVE, "nan"), "--compute: NaN is not a value: 'nan'");
  EXPECT_EQ(Refusal(1e23, Range::POSITIVE, "1e23"), "");
  EXPECT_EQ(CheckOptionValue(0.25, Range::FRACTION, "--mfu", "0.25"), 0.25);
}

TEST(OptionRange, CountsAreWholeNumbersWithinTheirLimits) {
  EXPECT_EQ(CountOptionProblem(0.0, 0, 100), "");
  EXPECT_EQ(CountOptionProblem(1.5, 0, 100), "must be a whole number");
  EXPECT_EQ(CountOptionProblem(-1.0, 0, 100), "must be 0 or more");
  EXPECT_EQ(CountOptionProblem(5.0, 10, 100), "must be at least 10");
  EXPECT_EQ(CountOptionProblem(101.0, 0, 100), "must be at most 100");
  EXPECT_EQ(CountOptionProblem(std::nan(""), 0, 100), "NaN is not a value");
  EXPECT_EQ(CountOptionProblem(-HUGE_VAL, 0, 100), "infinite value");
  // 2^63 no longer converts to a 64-bit count, whatever the limit says.
  EXPECT_EQ(CountOptionProblem(9.3e18, 0, std::numeric_limits<std::int64_t>::max()),
            "must be at most " + std::to_string(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(CheckCountOption(16000.0, 0, 100000, "--count", "16K"), 16000);
  try {
    CheckCountOption(-1.0, 0, 100, "--count", "-1");
    ADD_FAILURE() << "no error";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "--count: must be 0 or more: '-1'");
  }
}

}  // namespace
}  // namespace scaleplan
