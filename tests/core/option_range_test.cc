#include "core/option_range.h"

#include <cmath>
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

}  // namespace
}  // namespace scaleplan
