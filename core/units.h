// Numbers as people write them: plain (70000000000), scientific (7e10, 5.76e23) and SI-suffixed (70B, 1.4T, 300M).
// Suffixes (case-insensitive except where noted): K = 1e3, M = 1e6, B or G = 1e9, T = 1e12, P = 1e15.
// An underscore or comma between digit groups is not accepted: "1,000" is ambiguous across locales.
#ifndef SCALEPLAN_CORE_UNITS_H_
#define SCALEPLAN_CORE_UNITS_H_

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace scaleplan {

// Parses `text` (surrounding white space ignored). Returns nullopt and sets *why (if given) when it is not a finite
// number: empty, trailing garbage, unknown suffix, NaN, Inf or overflow.
std::optional<double> TryParseQuantity(std::string_view text, std::string* why = nullptr);

// As TryParseQuantity, but throws InputError naming `where` (whose `text` is filled in here).
double ParseQuantity(std::string_view text, InputLocation where = {});

// As ParseQuantity, and also rejects values <= 0 ("must be positive").
double ParsePositiveQuantity(std::string_view text, InputLocation where = {});

// Why a number is not a quantity ("NaN is not a value", "infinite value"), or nullptr when it is one: what
// TryParseQuantity checks of the number it parsed.
const char* QuantityValueProblem(double value);

// As QuantityValueProblem, and "must be positive" for a value <= 0: what ParsePositiveQuantity checks of the number
// it parsed, and what a reader of numbers held in memory (an array, not text) checks of each, so that both give the
// same reasons.
const char* PositiveQuantityProblem(double value);

// Human form with an SI suffix and `digits` significant digits: 7.24e10 -> "72.4B", 1.33e12 -> "1.33T".
// Values below 1e3 or at/above 1e18 use plain or scientific notation.
std::string FormatQuantity(double value, int digits = 3);

// `digits` significant digits, printf's %g: (5.76e23, 3) -> "5.76e+23", (0.34731, 4) -> "0.3473", (1e21, 6) ->
// "1e+21".
std::string FormatSignificant(double value, int digits);

// A ratio or plain number for tables, never rounded to nothing: `digits` significant digits (0.0096, 20.1, 1.5), a
// whole number from 10^digits up written in full (62000, not 6.2e+04), scientific notation below 1e-4 and from 1e15.
std::string FormatNumber(double value, int digits = 3);

// Scientific notation with `digits` significant digits: 5.76e23 -> "5.76e+23".
std::string FormatScientific(double value, int digits = 3);

// The shortest text that reads back as exactly `value` (std::to_chars), for machine-read outputs (sweep rows):
// 764282973.1 -> "764282973.1", in scientific notation from 1e17 on (1e+20, never 100000000000000000000, whose 21
// digits claim a precision the double does not hold); "" when it is not finite.
std::string FormatRoundTrip(double value);

// Bytes with a decimal unit and 3 significant digits: 8e10 -> "80 GB", 1.6e15 -> "1.6 PB", 512 -> "512 B".
// (FormatQuantity's "B" means billions, so byte counts never go through it.)
std::string FormatBytes(double bytes);

// A rate with a decimal prefix and 3 significant digits: (6.96e10, "FLOP") -> "69.6 GFLOP/s", (2e10, "B") ->
// "20 GB/s".
std::string FormatRate(double per_second, const char* unit);

// Dollars with an SI suffix: 1.234e6 -> "$1.23M"; "-" when negative or not finite.
std::string FormatUsd(double dollars);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_UNITS_H_
