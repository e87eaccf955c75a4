// The values a number option accepts, and the one message that refuses any other: the command line checks the
// numbers it parses (cli/option_values.h) and the Python module each number keyword with these functions, so that
// `plan --compute -1e23` and scaleplan.plan(-1e23) both say "--compute: must be positive".
#ifndef SCALEPLAN_CORE_OPTION_RANGE_H_
#define SCALEPLAN_CORE_OPTION_RANGE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace scaleplan {

// What values a number option accepts.
enum class Range {
  ANY,            // any finite number
  POSITIVE,       // > 0
  NON_NEGATIVE,   // >= 0
  FRACTION,       // (0, 1]: a utilisation, a usable share
  OPEN_FRACTION,  // (0, 1): an interval level, a relative tolerance
};

// Why `value` is not a number in `range` ("NaN is not a value", "infinite value", "must be positive", "must be 0 or
// positive", "must lie in (0, 1]", "must lie in (0, 1)"), or "" when it is one.
std::string OptionValueProblem(double value, Range range);

// `value` when it is a number in `range`; otherwise throws UsageError "--option: reason: 'text'", the command line's
// message for an option given `text` (the value as the caller wrote it).
double CheckOptionValue(double value, Range range, const std::string& option, std::string_view text);

// Why `value` is not a whole number from `min_value` to `max_value` ("NaN is not a value", "infinite value", "must be
// a whole number", "must be 0 or more", "must be at least 10", "must be at most N"), or "" when it is one.
std::string CountOptionProblem(double value, std::int64_t min_value, std::int64_t max_value);

// `value` as a whole number when CountOptionProblem finds nothing; otherwise throws UsageError "--option: reason:
// 'text'", as CheckOptionValue.
std::int64_t CheckCountOption(double value, std::int64_t min_value, std::int64_t max_value, const std::string& option,
                              std::string_view text);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_OPTION_RANGE_H_
