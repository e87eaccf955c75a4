#include "core/error.h"

#include <sstream>

namespace scaleplan {

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
    if (!where.column_name.empty()) out << (where.column > 0 ? " " : "") << "('" << where.column_name << "')";
    out << ": ";
  }
  out << message;
  if (!where.text.empty()) out << ": '" << where.text << "'";
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
