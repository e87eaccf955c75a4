#include "cli/option_values.h"

#include <cmath>
#include <optional>

#include "cli/cli_common.h"
#include "core/units.h"

namespace scaleplan::cli {

namespace po = boost::program_options;

namespace {

// The number in `text`, or nullopt with *why set.
std::optional<double> Number(std::string_view text, Range range, std::string* why) {
  const std::optional<double> value = TryParseQuantity(text, why);
  if (!value) return std::nullopt;
  *why = OptionValueProblem(*value, range);
  if (!why->empty()) return std::nullopt;
  return value;
}

std::optional<std::int64_t> Count(std::string_view text, std::int64_t min_value, std::int64_t max_value,
                                  std::string* why) {
  const std::optional<double> value = TryParseQuantity(text, why);
  if (!value) return std::nullopt;
  *why = CountOptionProblem(*value, min_value, max_value);
  if (!why->empty()) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

std::string Message(const std::string& option, const std::string& reason, std::string_view text) {
  return option + ": " + reason + ": '" + std::string(text) + "'";
}

// Whether `text` reads as one number written with thousands separators ("1,000", "16,000,000") rather than as a
// list: digits grouped in threes after the first comma, and a list that makes no sense (an item such as "000", or
// one refused below). "8,512" is a fine list of counts and stays one.
bool LooksLikeThousands(std::string_view text) {
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos || comma == 0 || comma > 3 || text[0] == '0') return false;
  if ((text.size() - comma) % 4 != 0) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool separator_place = i >= comma && (i - comma) % 4 == 0;
    if (separator_place ? text[i] != ',' : !(text[i] >= '0' && text[i] <= '9')) return false;
  }
  return true;
}

[[noreturn]] void ThrowThousands(std::string_view text, const std::string& option) {
  throw UsageError(Message(option, "commas separate values, not thousands (write 1000, 1e3 or 1K)", text));
}

// Splits `text` at commas, refusing an empty list and an empty item.
std::vector<std::string_view> Items(std::string_view text, const std::string& option) {
  if (text.empty()) throw UsageError(option + ": empty value");
  std::vector<std::string_view> items;
  size_t begin = 0;
  while (true) {
    const size_t end = text.find(',', begin);
    const std::string_view item = text.substr(begin, end == std::string_view::npos ? end : end - begin);
    if (item.find_first_not_of(" \t") == std::string_view::npos) {
      throw UsageError(Message(option, "empty item in the list (a trailing or doubled comma)", text));
    }
    items.push_back(item);
    if (end == std::string_view::npos) return items;
    begin = end + 1;
  }
}

// Parses each item of `text` with `parse`; a list that reads as a number with thousands separators and has an item
// with a leading zero, or one that `parse` refuses, is explained as such.
template <typename Value, typename Parse>
std::vector<Value> ParseItems(std::string_view text, const std::string& option, const Parse& parse) {
  const std::vector<std::string_view> items = Items(text, option);
  const bool thousands = LooksLikeThousands(text);
  std::vector<Value> values;
  for (std::string_view item : items) {
    if (thousands && item.size() > 1 && item[0] == '0') ThrowThousands(text, option);
    try {
      values.push_back(parse(item));
    } catch (const UsageError&) {
      if (thousands) ThrowThousands(text, option);
      throw;
    }
  }
  return values;
}

}  // namespace

double ParseNumberOption(std::string_view text, const std::string& option, Range range) {
  std::string why;
  const std::optional<double> value = Number(text, range, &why);
  if (!value) throw UsageError(Message(option, why, text));
  return *value;
}

std::int64_t ParseCountOption(std::string_view text, const std::string& option, std::int64_t min_value,
                              std::int64_t max_value) {
  std::string why;
  const std::optional<std::int64_t> value = Count(text, min_value, max_value, &why);
  if (!value) throw UsageError(Message(option, why, text));
  return *value;
}

std::vector<std::string> SplitListOption(std::string_view text, const std::string& option) {
  std::vector<std::string> items;
  for (std::string_view item : Items(text, option)) items.emplace_back(item);
  return items;
}

std::vector<double> ParseNumberList(std::string_view text, const std::string& option, Range range) {
  return ParseItems<double>(text, option, [&](std::string_view item) { return ParseNumberOption(item, option, range); });
}

std::vector<std::int64_t> ParseCountList(std::string_view text, const std::string& option, std::int64_t min_value) {
  return ParseItems<std::int64_t>(text, option,
                                  [&](std::string_view item) { return ParseCountOption(item, option, min_value); });
}

std::string FormatDefault(double value) { return FormatSignificant(value, 6); }

void ThrowOptionValueError(const std::string& reason, const std::string& text) {
  // Boost fills in the option's name as the command line spelled it (--count) when the error leaves validate().
  po::error_with_option_name error("%canonical_option%: " + reason + ": '%value%'");
  error.set_substitute("value", text);
  throw error;
}

double ParseNumberArgument(const std::string& text, Range range) {
  std::string why;
  const std::optional<double> value = Number(text, range, &why);
  if (!value) ThrowOptionValueError(why, text);
  return *value;
}

std::int64_t ParseCountArgument(const std::string& text, std::int64_t min_value, std::int64_t max_value) {
  std::string why;
  const std::optional<std::int64_t> value = Count(text, min_value, max_value, &why);
  if (!value) ThrowOptionValueError(why, text);
  return *value;
}

}  // namespace scaleplan::cli
