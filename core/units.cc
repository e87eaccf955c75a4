#include "core/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace scaleplan {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::optional<double> SuffixMultiplier(char suffix) {
  switch (std::toupper(static_cast<unsigned char>(suffix))) {
    case 'K': return 1e3;
    case 'M': return 1e6;
    case 'B':
    case 'G': return 1e9;
    case 'T': return 1e12;
    case 'P': return 1e15;
    default: return std::nullopt;
  }
}

// `value` rounded to `digits` significant digits, as printf would print it.
double RoundedToDigits(double value, int digits) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*e", digits > 0 ? digits - 1 : 0, value);
  return std::strtod(text, nullptr);
}

bool Fail(std::string* why, const char* reason) {
  if (why != nullptr) *why = reason;
  return false;
}

}  // namespace

std::optional<double> TryParseQuantity(std::string_view text, std::string* why) {
  text = Trim(text);
  if (text.empty()) {
    Fail(why, "empty value");
    return std::nullopt;
  }
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  if (*begin == '+') {  // from_chars does not accept a leading '+', and "+-5" is not a number
    ++begin;
    if (begin != end && *begin == '-') {
      Fail(why, "not a number");
      return std::nullopt;
    }
  }
  double value = 0.0;
  auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) {
    Fail(why, "number out of range");
    return std::nullopt;
  }
  if (ec != std::errc() || ptr == begin) {
    Fail(why, "not a number");
    return std::nullopt;
  }
  if (const char* problem = QuantityValueProblem(value)) {
    Fail(why, problem);
    return std::nullopt;
  }
  std::string_view rest = Trim(std::string_view(ptr, static_cast<size_t>(end - ptr)));
  if (!rest.empty()) {
    std::optional<double> multiplier;
    if (rest.size() == 1) multiplier = SuffixMultiplier(rest.front());
    if (!multiplier && rest.find(',') != std::string_view::npos) {
      Fail(why, "not a number (no commas in numbers: write 1500000, 1.5e6 or 1.5M, with '.' as the decimal point)");
      return std::nullopt;
    }
    if (!multiplier) {
      // Only a letter can be meant as a suffix ("70X"); anything else after the digits is not ("2.5" and a NUL byte).
      const bool letter = std::isalpha(static_cast<unsigned char>(rest.front())) != 0;
      Fail(why, letter ? "not a number (unknown suffix; use K, M, B/G, T or P)" : "not a number");
      return std::nullopt;
    }
    value *= *multiplier;
    if (std::isinf(value)) {
      Fail(why, "number out of range");
      return std::nullopt;
    }
  }
  return value;
}

double ParseQuantity(std::string_view text, InputLocation where) {
  std::string why;
  std::optional<double> value = TryParseQuantity(text, &why);
  if (!value) {
    where.text = std::string(text);
    throw InputError(why, std::move(where));
  }
  return *value;
}

double ParsePositiveQuantity(std::string_view text, InputLocation where) {
  double value = ParseQuantity(text, where);
  if (const char* problem = PositiveQuantityProblem(value)) {
    where.text = std::string(text);
    throw InputError(problem, std::move(where));
  }
  return value;
}

const char* QuantityValueProblem(double value) {
  if (std::isnan(value)) return "NaN is not a value";
  if (std::isinf(value)) return "infinite value";
  return nullptr;
}

const char* PositiveQuantityProblem(double value) {
  if (const char* problem = QuantityValueProblem(value)) return problem;
  return value > 0.0 ? nullptr : "must be positive";
}

std::string FormatQuantity(double value, int digits) {
  // The suffix follows the value as it will print: 999.99 at 3 digits is "1K", not "1e+03".
  const double magnitude = std::fabs(RoundedToDigits(value, digits));
  if (!std::isfinite(value) || magnitude < 1e3 || magnitude >= 1e18) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
    return buffer;
  }
  static constexpr struct { double scale; const char* suffix; } kSuffixes[] = {
      {1e15, "P"}, {1e12, "T"}, {1e9, "B"}, {1e6, "M"}, {1e3, "K"}};
  for (const auto& s : kSuffixes) {
    if (magnitude >= s.scale) {
      char buffer[64];
      std::snprintf(buffer, sizeof buffer, "%.*g%s", digits, value / s.scale, s.suffix);
      return buffer;
    }
  }
  return std::to_string(value);
}

std::string FormatSignificant(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, value);
  return buffer;
}

std::string FormatNumber(double value, int digits) {
  const double magnitude = std::fabs(value);
  char buffer[64];
  if (std::isfinite(value) && magnitude >= std::pow(10.0, digits) && magnitude < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", value);
    return buffer;
  }
  if (magnitude != 0.0 && (magnitude < 1e-4 || magnitude >= 1e15)) return FormatScientific(value, digits);
  return FormatSignificant(value, digits);
}

std::string FormatScientific(double value, int digits) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*e", digits > 0 ? digits - 1 : 0, value);
  return buffer;
}

std::string FormatRoundTrip(double value) {
  if (!std::isfinite(value)) return "";
  char buffer[32];
  const auto result = std::fabs(value) < 1e17
                          ? std::to_chars(buffer, buffer + sizeof buffer, value)
                          : std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  return std::string(buffer, result.ptr);
}

namespace {

// `value` scaled down by 1000 per step (at most max_steps) while it would print as 1000 or more at 3 digits.
int ThousandsSteps(double* value, int max_steps) {
  int steps = 0;
  while (steps < max_steps && std::fabs(RoundedToDigits(*value, 3)) >= 1000.0) {
    *value /= 1000.0;
    ++steps;
  }
  return steps;
}

std::string WithUnit(double value, const char* unit) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.3g %s", value, unit);
  return buffer;
}

}  // namespace

std::string FormatBytes(double bytes) {
  static const char* const kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  const int step = ThousandsSteps(&bytes, 6);
  return WithUnit(bytes, kUnits[step]);
}

std::string FormatRate(double per_second, const char* unit) {
  static const char* const kPrefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  const int step = ThousandsSteps(&per_second, 6);
  return WithUnit(per_second, (std::string(kPrefixes[step]) + unit + "/s").c_str());
}

std::string FormatUsd(double dollars) {
  if (!std::isfinite(dollars) || dollars < 0) return "-";
  std::string text = FormatQuantity(dollars, 3);
  text.insert(text.begin(), '$');  // not "$" + text: GCC 12 warns falsely (-Wrestrict) about that concatenation
  return text;
}

}  // namespace scaleplan
