// Every number an option takes is read here, the same way for every command: plain, scientific or SI-suffixed
// (core/units.h: 16K, 5.76e23, 70B), and refused with one form of message, "--option: reason: 'text'", as a usage
// error (exit 2). Counts are whole numbers (--count 16K is 16000; 1.5 is refused); lists are comma-separated, with
// no empty item (a trailing comma is a mistake, not the end of the list). Defaults in --help print through one
// formatter (FormatDefault), so a default shows as the number it is ("0.035", never "0.035000000000000003").
#ifndef SCALEPLAN_CLI_OPTION_VALUES_H_
#define SCALEPLAN_CLI_OPTION_VALUES_H_

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <boost/any.hpp>
#include <boost/program_options.hpp>

#include "core/option_range.h"

namespace scaleplan::cli {

// What values a number option accepts: core/units.h's Range, whose OptionValueProblem gives the reasons here too.
using scaleplan::Range;

// `text` as a number in `range`. Throws UsageError "--option: reason: 'text'".
double ParseNumberOption(std::string_view text, const std::string& option, Range range = Range::POSITIVE);

// `text` as a whole number from `min_value` to `max_value` (SI suffixes allowed: 16K). Throws UsageError.
std::int64_t ParseCountOption(std::string_view text, const std::string& option, std::int64_t min_value = 0,
                              std::int64_t max_value = std::numeric_limits<std::int64_t>::max());

// A comma-separated list of numbers in `range` (one value is a list of one). Throws UsageError for an empty list,
// an empty item ("1e24," or "1e24,,1e25") or a bad value; "1,000" is explained as a thousands separator.
std::vector<double> ParseNumberList(std::string_view text, const std::string& option, Range range = Range::POSITIVE);

// The items of a comma-separated list, refused as ParseNumberList refuses them (for lists of other things).
std::vector<std::string> SplitListOption(std::string_view text, const std::string& option);

// The same for counts.
std::vector<std::int64_t> ParseCountList(std::string_view text, const std::string& option,
                                         std::int64_t min_value = 0);

// How --help shows a default number: 6 significant digits, no trailing zeros (0.035, 0.95, 5.76e+23, 2).
std::string FormatDefault(double value);

// What Boost parses a bound option into (the validate() overloads below); commands use the bindings further down.
template <Range kRange>
struct NumberArgument {
  double value = 0.0;
};
template <typename Int, std::int64_t kMin = 0>
struct CountArgument {
  Int value = 0;
};

// Boost finds these through the argument types; they throw Boost's error with the option's name filled in.
void ThrowOptionValueError(const std::string& reason, const std::string& text);  // "--option: reason: 'text'"
double ParseNumberArgument(const std::string& text, Range range);
std::int64_t ParseCountArgument(const std::string& text, std::int64_t min_value, std::int64_t max_value);

template <Range kRange>
void validate(boost::any& parsed, const std::vector<std::string>& values, NumberArgument<kRange>*, int) {
  parsed = NumberArgument<kRange>{ParseNumberArgument(boost::program_options::validators::get_single_string(values),
                                                      kRange)};
}
template <typename Int, std::int64_t kMin>
void validate(boost::any& parsed, const std::vector<std::string>& values, CountArgument<Int, kMin>*, int) {
  const std::int64_t highest = static_cast<std::int64_t>(
      std::min<std::uint64_t>(std::numeric_limits<Int>::max(), std::numeric_limits<std::int64_t>::max()));
  parsed = CountArgument<Int, kMin>{static_cast<Int>(
      ParseCountArgument(boost::program_options::validators::get_single_string(values), kMin, highest))};
}

// Binds a number option to `target`, whose current value is the default shown in --help.
template <Range kRange>
boost::program_options::typed_value<NumberArgument<kRange>>* NumberValue(double* target) {
  return boost::program_options::value<NumberArgument<kRange>>()
      ->default_value(NumberArgument<kRange>{*target}, FormatDefault(*target))
      ->notifier([target](const NumberArgument<kRange>& argument) { *target = argument.value; });
}

// Binds a count option (a whole number >= 0) to `target`, whose current value is the default shown in --help.
template <typename Int>
boost::program_options::typed_value<CountArgument<Int>>* CountValue(Int* target) {
  return boost::program_options::value<CountArgument<Int>>()
      ->default_value(CountArgument<Int>{*target}, std::to_string(*target))
      ->notifier([target](const CountArgument<Int>& argument) { *target = argument.value; });
}

// Binds a count option of at least kMin (--starts: 1) to `target`, whose current value is the default shown in --help;
// a smaller value is refused as "--starts: must be at least 1: '0'".
template <std::int64_t kMin, typename Int>
boost::program_options::typed_value<CountArgument<Int, kMin>>* CountValueFrom(Int* target) {
  return boost::program_options::value<CountArgument<Int, kMin>>()
      ->default_value(CountArgument<Int, kMin>{*target}, std::to_string(*target))
      ->notifier([target](const CountArgument<Int, kMin>& argument) { *target = argument.value; });
}

// A count option that may also be given alone (--bootstrap: `implicit`), with no default: absent, `target` keeps
// its value; given, it is at least kMin (so that --bootstrap=0 is refused like --bootstrap=1, not run as none).
template <std::int64_t kMin, typename Int>
boost::program_options::typed_value<CountArgument<Int, kMin>>* CountValueOrAlone(Int* target, Int implicit) {
  return boost::program_options::value<CountArgument<Int, kMin>>()
      ->implicit_value(CountArgument<Int, kMin>{implicit}, std::to_string(implicit))
      ->notifier([target](const CountArgument<Int, kMin>& argument) { *target = argument.value; });
}

}  // namespace scaleplan::cli

#endif  // SCALEPLAN_CLI_OPTION_VALUES_H_
