// The number parser (core/units.h): plain, scientific and SI-suffixed quantities.
//
// Beyond not crashing, against an independent reading of the documented grammar
//   [space] [+|-] (DIGITS [. DIGITS] | . DIGITS) [(e|E) [+|-] DIGITS] [space] [K|M|B|G|T|P, any case] [space]
// whose number part is read with strtod: an accepted text matches the grammar and has the value strtod gives times
// the suffix's power of ten; ParseQuantity throws exactly when TryParseQuantity refuses; ParsePositiveQuantity
// returns only values > 0; and FormatQuantity's output reads back within its rounding.
#include <cctype>
#include <clocale>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/units.h"
#include "tests/fuzz/fuzz_target.h"

namespace {

bool IsSpace(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The documented grammar, read independently of the parser: the number's value (strtod of the number part, times
// the suffix) when `text` matches, nullopt otherwise.
std::optional<double> ReadByGrammar(std::string_view text) {
  size_t i = 0;
  const auto skip_space = [&] {
    while (i < text.size() && IsSpace(text[i])) ++i;
  };
  const auto digits = [&] {
    const size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    return i - start;
  };
  skip_space();
  const size_t number_start = i;
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  size_t mantissa_digits = digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    mantissa_digits += digits();
  }
  if (mantissa_digits == 0) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    const size_t exponent_start = i;
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) i = exponent_start;  // "5e" is 5 followed by text, not an exponent
  }
  const std::string number(text.substr(number_start, i - number_start));
  skip_space();
  double multiplier = 1.0;
  if (i < text.size()) {
    switch (std::toupper(static_cast<unsigned char>(text[i]))) {
      case 'K': multiplier = 1e3; break;
      case 'M': multiplier = 1e6; break;
      case 'B':
      case 'G': multiplier = 1e9; break;
      case 'T': multiplier = 1e12; break;
      case 'P': multiplier = 1e15; break;
      default: return std::nullopt;
    }
    ++i;
    skip_space();
  }
  if (i != text.size()) return std::nullopt;
  return std::strtod(number.c_str(), nullptr) * multiplier;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using scaleplan::fuzz::AsText;
  const std::string_view text = AsText(data, size);
  std::string why;
  const std::optional<double> value = scaleplan::TryParseQuantity(text, &why);
  bool threw = false;
  try {
    const double parsed = scaleplan::ParseQuantity(text, {"<fuzz>"});
    FUZZ_EXPECT(value.has_value() && (parsed == *value || (std::isnan(parsed) && std::isnan(*value))));
  } catch (const scaleplan::InputError& error) {
    threw = true;
    FUZZ_EXPECT(error.where().text == text);
  }
  FUZZ_EXPECT(threw == !value.has_value());
  try {
    FUZZ_EXPECT(scaleplan::ParsePositiveQuantity(text, {"<fuzz>"}) > 0.0);
  } catch (const scaleplan::InputError&) {
  }
  if (!value) {
    FUZZ_EXPECT(!why.empty());
    return 0;
  }
  FUZZ_EXPECT(std::isfinite(*value));
  const std::optional<double> expected = ReadByGrammar(text);
  FUZZ_EXPECT(expected.has_value());
  FUZZ_EXPECT(*value == *expected);

  // FormatQuantity rounds to `digits` significant digits: reading it back is within half a unit of the last one.
  // (Subnormal values are left out: their own precision is coarser.)
  if (*value == 0.0 || std::fabs(*value) >= 1e-300) {
    const std::string formatted = scaleplan::FormatQuantity(*value, 6);
    const std::optional<double> back = scaleplan::TryParseQuantity(formatted);
    FUZZ_EXPECT(back.has_value());
    FUZZ_EXPECT(std::fabs(*back - *value) <= 5e-6 * std::fabs(*value));
  }
  return 0;
}
