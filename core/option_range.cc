#include "core/option_range.h"

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

}  // namespace scaleplan
