#include "core/error.h"

#include <sstream>

namespace scaleplan {

namespace {

// Where to cut `text` to at most `max_bytes` bytes without splitting a UTF-8 character.
size_t CutPoint(std::string_view text, size_t max_bytes) {
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return cut;
}

// `text` with its control bytes written out (\t, \r, \n; \x00, \x1b, ... for the others): quoted input stays one
// line in a message, and a NUL byte, which ends a C string, cannot cut the message short.
std::string Visible(std::string_view text) {
  std::string visible;
  visible.reserve(text.size());
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7F) {
      visible.push_back(c);
      continue;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    switch (byte) {
      case '\t': visible += "\\t"; break;
      case '\r': visible += "\\r"; break;
      case '\n': visible += "\\n"; break;
      default: visible += std::string("\\x") + kHex[byte >> 4] + kHex[byte & 0xF];
    }
  }
  return visible;
}

}  // namespace

std::string AbbreviatedText(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return Visible(text);
  return Visible(text.substr(0, CutPoint(text, max_bytes))) + "... (" + std::to_string(text.size()) + " bytes)";
}

std::string FormatInputError(const std::string& message, const InputLocation& where) {
  std::ostringstream out;
  if (!where.file.empty()) {
    out << where.file;
    if (where.line > 0) out << ':' << where.line;
    out << ": ";
  } else if (where.line > 0) {
    out << "line " << where.line << ": ";
  }
  if (where.column > 0 || !where.column_name.empty()) {
    out << "column ";
    if (where.column > 0) out << where.column;
    if (!where.column_name.empty()) {
      out << (where.column > 0 ? " " : "") << "('" << AbbreviatedText(where.column_name) << "')";
    }
    out << ": ";
  }
  out << message;
  if (where.text.size() > kMaxQuotedBytes) {
    out << ": '" << Visible(std::string_view(where.text).substr(0, CutPoint(where.text, kMaxQuotedBytes))) << "...' ("
        << where.text.size() << " bytes)";
  } else if (!where.text.empty()) {
    out << ": '" << Visible(where.text) << "'";
  }
  return out.str();
}

InputError::InputError(const std::string& message, InputLocation where)
    : std::runtime_error(FormatInputError(message, where)), where_(std::move(where)), message_(message) {}

void ThrowInternalError(const char* file, int line, const std::string& message) {
  std::ostringstream out;
  out << "internal error at " << file << ':' << line << ": " << message;
  throw InternalError(out.str());
}

}  // namespace scaleplan
