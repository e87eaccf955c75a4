// What every reader of a user's JSON file (saved fit, golden file, probe profile, hardware catalogue) shares: parsing
// with every failure an InputError naming the file, and a bounded excerpt of an offending value for messages.
#ifndef SCALEPLAN_CORE_JSON_INPUT_H_
#define SCALEPLAN_CORE_JSON_INPUT_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace scaleplan {

// What nlohmann says went wrong, without the prefix naming its exception class ("[json.exception.parse_error.101]
// parse error at "): "line 1, column 9: syntax error while parsing object key - unexpected ','; expected string
// literal", "number overflow parsing '1e999'".
inline std::string JsonErrorReason(std::string_view what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    const size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  for (const std::string_view prefix : {std::string_view("parse error at "), std::string_view("parse error: ")}) {
    if (what.rfind(prefix, 0) == 0) what.remove_prefix(prefix.size());
  }
  return std::string(what);
}

// Parses `text` (a UTF-8 byte-order mark and CRLF line ends are accepted). Every failure is an InputError naming
// `source`: "<source>: not valid JSON (line 6, column 11: <what nlohmann says>)", the reason cut at 300 bytes.
// nlohmann reports a number beyond the double range ("1e999") as out_of_range, not as a parse error: both land here.
template <class Json = nlohmann::json>
Json ParseJsonInput(std::string_view text, const std::string& source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const typename Json::exception& error) {
    throw InputError("not valid JSON (" + AbbreviatedText(JsonErrorReason(error.what()), 300) + ")",
                     InputLocation{source});
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

// Reading a user's JSON object by JSON pointer: every failure an InputError whose message starts with the pointer of
// the offending value and whose location names the file (`source_label`) and the value. Shared by the hardware
// catalogue and the architecture catalogue.
class LocatedJsonReader {
 public:
  explicit LocatedJsonReader(const std::string& source_label) : label_(source_label) {}

  [[noreturn]] void Fail(const std::string& pointer, const std::string& reason,
                         const nlohmann::json* value = nullptr) const {
    InputLocation where;
    where.file = label_;
    if (value != nullptr) where.text = value->is_string() ? value->get<std::string>() : JsonExcerpt(*value);
    throw InputError((pointer.empty() ? std::string("/") : pointer) + ": " + reason, std::move(where));
  }

  static const char* TypeName(const nlohmann::json& value) { return value.type_name(); }

  void RequireObject(const nlohmann::json& value, const std::string& pointer) const {
    if (!value.is_object()) Fail(pointer, std::string("expected an object, found ") + TypeName(value), &value);
  }

  void RejectUnknownKeys(const nlohmann::json& object, const std::string& pointer,
                         std::initializer_list<const char*> known) const {
    for (const auto& item : object.items()) {
      const std::string& key = item.key();  // not a structured binding: clang 14 cannot capture one in a lambda
      const bool is_known = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
      if (!is_known) {
        std::string joined;
        for (const char* name : known) joined += (joined.empty() ? "" : ", ") + std::string(name);
        Fail(pointer + "/" + key, "unknown key (known: " + joined + ")");
      }
    }
  }

  const nlohmann::json& Require(const nlohmann::json& object, const char* key, const std::string& pointer) const {
    auto it = object.find(key);
    if (it == object.end()) Fail(pointer + "/" + key, "required key is missing");
    return *it;
  }

  std::string RequireString(const nlohmann::json& object, const char* key, const std::string& pointer,
                            bool allow_empty = false) const {
    const nlohmann::json& value = Require(object, key, pointer);
    if (!value.is_string()) {
      Fail(pointer + "/" + key, std::string("expected a string, found ") + TypeName(value), &value);
    }
    std::string text = value.get<std::string>();
    if (!allow_empty && text.empty()) Fail(pointer + "/" + key, "must not be empty");
    return text;
  }

  std::string OptionalString(const nlohmann::json& object, const char* key, const std::string& pointer) const {
    if (!object.contains(key)) return {};
    return RequireString(object, key, pointer, /*allow_empty=*/true);
  }

  double Number(const nlohmann::json& value, const std::string& pointer, bool allow_zero) const {
    if (!value.is_number()) Fail(pointer, std::string("expected a number, found ") + TypeName(value), &value);
    const double number = value.get<double>();
    if (!std::isfinite(number)) Fail(pointer, "must be a finite number", &value);
    if (allow_zero ? number < 0.0 : number <= 0.0) {
      Fail(pointer, allow_zero ? "must not be negative" : "must be a positive number", &value);
    }
    return number;
  }

  // A whole number in [min_value, max_value].
  std::int64_t Integer(const nlohmann::json& value, const std::string& pointer, std::int64_t min_value,
                       std::int64_t max_value) const {
    if (!value.is_number_integer() || value.get<std::int64_t>() < min_value || value.get<std::int64_t>() > max_value) {
      Fail(pointer, "must be a whole number between " + std::to_string(min_value) + " and " + std::to_string(max_value),
           &value);
    }
    return value.get<std::int64_t>();
  }

  double RequireNumber(const nlohmann::json& object, const char* key, const std::string& pointer,
                       bool allow_zero) const {
    return Number(Require(object, key, pointer), pointer + "/" + key, allow_zero);
  }

 private:
  std::string label_;
};

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_JSON_INPUT_H_
