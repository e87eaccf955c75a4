// What every reader of a user's JSON file (saved fit, golden file, probe profile, hardware catalogue) shares: parsing
// with every failure an InputError naming the file, and a bounded excerpt of an offending value for messages.
#ifndef SCALEPLAN_CORE_JSON_INPUT_H_
#define SCALEPLAN_CORE_JSON_INPUT_H_

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace scaleplan {

// Parses `text` (a UTF-8 byte-order mark and CRLF line ends are accepted). Every failure is an InputError naming
// `source`: "<source>: not valid JSON (<what nlohmann says, with line and column>)", the reason cut at 300 bytes.
// nlohmann reports a number beyond the double range ("1e999") as out_of_range, not as a parse error: both land here.
template <class Json = nlohmann::json>
Json ParseJsonInput(std::string_view text, const std::string& source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const typename Json::exception& error) {
    throw InputError("not valid JSON (" + AbbreviatedText(error.what(), 300) + ")", InputLocation{source});
  }
}

// `value` as JSON text for a message, one level deep: nested arrays and objects show as [...] and {...}. dump()
// recurses once per level of nesting, so dumping a value nested a million deep would overflow the stack; this never
// recurses. Long texts are cut later by FormatInputError.
template <class Json>
std::string JsonExcerpt(const Json& value) {
  if (!value.is_structured()) return value.dump();
  const auto nested = [](const Json& item) -> std::string {
    if (item.is_array()) return item.empty() ? "[]" : "[...]";
    if (item.is_object()) return item.empty() ? "{}" : "{...}";
    return item.dump();
  };
  std::string out = value.is_array() ? "[" : "{";
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (out.size() > 2 * kMaxQuotedBytes) {
      out += ",...";
      break;
    }
    if (it != value.begin()) out += ',';
    if (value.is_object()) out += Json(it.key()).dump() + ':';
    out += nested(*it);
  }
  out += value.is_array() ? "]" : "}";
  return out;
}

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_JSON_INPUT_H_
