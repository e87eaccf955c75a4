#include "core/option_range.h"

#include <cmath>

#include "core/error.h"
#include "core/units.h"

namespace scaleplan {

std::string OptionValueProblem(double value, Range range) {
  if (const char* problem = QuantityValueProblem(value)) return problem;
  switch (range) {
    case Range::ANY:
      return "";
    case Range::POSITIVE:
      return value > 0 ? "" : "must be positive";
    case Range::NON_NEGATIVE:
      return value >= 0 ? "" : "must be 0 or positive";
    case Range::FRACTION:
      return value > 0 && value <= 1 ? "" : "must lie in (0, 1]";
    case Range::OPEN_FRACTION:
      return value > 0 && value < 1 ? "" : "must lie in (0, 1)";
  }
  return "";
}

double CheckOptionValue(double value, Range range, const std::string& option, std::string_view text) {
  const std::string problem = OptionValueProblem(value, range);
  if (!problem.empty()) throw UsageError(option + ": " + problem + ": '" + std::string(text) + "'");
  return value;
}

std::string CountOptionProblem(double value, std::int64_t min_value, std::int64_t max_value) {
  if (const char* problem = QuantityValueProblem(value)) return problem;
  if (value != std::floor(value)) return "must be a whole number";
  if (value < static_cast<double>(min_value)) {
    return min_value == 0 ? std::string("must be 0 or more") : "must be at least " + std::to_string(min_value);
  }
  // 2^63 and above no longer convert; every limit lies below.
  if (value > static_cast<double>(max_value) || value >= 9.2e18) return "must be at most " + std::to_string(max_value);
  return "";
}

std::int64_t CheckCountOption(double value, std::int64_t min_value, std::int64_t max_value, const std::string& option,
                              std::string_view text) {
  const std::string problem = CountOptionProblem(value, min_value, max_value);
  if (!problem.empty()) throw UsageError(option + ": " + problem + ": '" + std::string(text) + "'");
  return static_cast<std::int64_t>(value);
}

}  // namespace scaleplan
