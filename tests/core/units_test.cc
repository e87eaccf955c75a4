#include "core/units.h"

#include <limits>

#include <gtest/gtest.h>

namespace scaleplan {
namespace {

TEST(ParseQuantity, AcceptsPlainScientificAndSiSuffixedForms) {
  EXPECT_DOUBLE_EQ(ParseQuantity("70e9"), 70e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("70B"), 70e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("70b"), 70e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("70G"), 70e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("1.4T"), 1.4e12);
  EXPECT_DOUBLE_EQ(ParseQuantity("5.76e23"), 5.76e23);
  EXPECT_DOUBLE_EQ(ParseQuantity("300M"), 300e6);
  EXPECT_DOUBLE_EQ(ParseQuantity("16k"), 16e3);
  EXPECT_DOUBLE_EQ(ParseQuantity("2P"), 2e15);
  EXPECT_DOUBLE_EQ(ParseQuantity(" 42 "), 42.0);
  EXPECT_DOUBLE_EQ(ParseQuantity("+3.5"), 3.5);
  EXPECT_DOUBLE_EQ(ParseQuantity("1.5 B"), 1.5e9);
  EXPECT_DOUBLE_EQ(ParseQuantity("-2"), -2.0);
}

TEST(ParseQuantity, RejectsWhatIsNotAFiniteNumber) {
  for (const char* bad : {"", "  ", "abc", "1.2.3", "NaN", "nan", "inf", "-Inf", "1e999", "70X", "70BB", "5E", "0x10",
                          "1,000", "1e"}) {
    std::string why;
    EXPECT_FALSE(TryParseQuantity(bad, &why).has_value()) << "'" << bad << "'";
    EXPECT_FALSE(why.empty()) << "'" << bad << "'";
  }
}

// A '+' is followed by digits: "+-5" once read as -5 (found by tests/fuzz/units_fuzz.cc).
TEST(ParseQuantity, RejectsTwoSigns) {
  for (const char* bad : {"+-5", " +-1.5B", "+-inf", "-+5", "++5"}) {
    EXPECT_FALSE(TryParseQuantity(bad).has_value()) << "'" << bad << "'";
  }
  EXPECT_THROW(ParseQuantity("+-5"), InputError);
  EXPECT_DOUBLE_EQ(ParseQuantity("+5"), 5.0);
}

TEST(ParseQuantity, ErrorNamesWhereAndWhat) {
  try {
    ParseQuantity("12abc", InputLocation{"runs.csv", 7, 3, "loss", ""});
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(),
                 "runs.csv:7: column 3 ('loss'): not a number (unknown suffix; use K, M, B/G, T or P): '12abc'");
  }
  EXPECT_THROW(ParsePositiveQuantity("0", {}), InputError);
  EXPECT_THROW(ParsePositiveQuantity("-1B", {}), InputError);
  EXPECT_DOUBLE_EQ(ParsePositiveQuantity("1B", {}), 1e9);
}

TEST(FormatQuantity, UsesSiSuffixes) {
  EXPECT_EQ(FormatQuantity(72.4e9), "72.4B");
  EXPECT_EQ(FormatQuantity(1.33e12), "1.33T");
  EXPECT_EQ(FormatQuantity(300e6), "300M");
  EXPECT_EQ(FormatQuantity(18.3), "18.3");
  EXPECT_EQ(FormatQuantity(999.9999), "1K");  // the suffix follows the rounded value, not "1e+03"
  EXPECT_EQ(FormatQuantity(999.96e9), "1T");
  EXPECT_EQ(FormatQuantity(999.4), "999");
  EXPECT_EQ(FormatScientific(5.76e23), "5.76e+23");
}

TEST(FormatSignificant, IsPrintfsG) {
  EXPECT_EQ(FormatSignificant(5.76e23, 3), "5.76e+23");
  EXPECT_EQ(FormatSignificant(0.34731, 4), "0.3473");
  EXPECT_EQ(FormatSignificant(1e21, 6), "1e+21");
  EXPECT_EQ(FormatSignificant(0.1 + 0.2, 10), "0.3");
}

TEST(FormatBytes, UsesDecimalUnitsWithThreeDigits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(8e10), "80 GB");
  EXPECT_EQ(FormatBytes(7.15e10), "71.5 GB");
  EXPECT_EQ(FormatBytes(1.6e15), "1.6 PB");
  EXPECT_EQ(FormatBytes(999.4e9), "999 GB");
  EXPECT_EQ(FormatBytes(999.6e9), "1 TB");  // would print as "1e+03 GB" without the rounding guard
  EXPECT_EQ(FormatBytes(3e21), "3e+03 EB");  // beyond the largest unit
}

TEST(FormatRate, PrefixesTheUnit) {
  EXPECT_EQ(FormatRate(6.96e10, "FLOP"), "69.6 GFLOP/s");
  EXPECT_EQ(FormatRate(2e10, "B"), "20 GB/s");
  EXPECT_EQ(FormatRate(989e12, "FLOP"), "989 TFLOP/s");
  EXPECT_EQ(FormatRate(12, "B"), "12 B/s");
}

TEST(FormatUsd, UsesSiSuffixesAndRefusesNonsense) {
  EXPECT_EQ(FormatUsd(1.234e6), "$1.23M");
  EXPECT_EQ(FormatUsd(0), "$0");
  EXPECT_EQ(FormatUsd(-1), "-");
  EXPECT_EQ(FormatUsd(std::numeric_limits<double>::infinity()), "-");
}

}  // namespace
}  // namespace scaleplan
