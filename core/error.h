// Errors, one mechanism per kind (see README "Errors and exit codes"):
//  1. InputError: bad user input (a CSV cell, a JSON field, an option). Names the file, line, column and the
//     offending text; front ends print what() and exit with a documented code.
//  2. SCALEPLAN_CHECK: a broken precondition inside the library; throws InternalError with file:line.
//  3. A fit that does not converge is a result (see fitting/), never an exception.
#ifndef SCALEPLAN_CORE_ERROR_H_
#define SCALEPLAN_CORE_ERROR_H_

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scaleplan {

// Where in the user's input a problem sits. Empty/zero fields are unknown and left out of messages.
struct InputLocation {
  std::string file;    // path, or a label such as "<bundled chinchilla runs>" or "--compute"
  int line = 0;        // 1-based, 0 = unknown
  int column = 0;      // 1-based field index, 0 = unknown
  std::string column_name;  // header of that column, if any
  std::string text;         // the offending text, verbatim
};

class InputError : public std::runtime_error {
 public:
  InputError(const std::string& message, InputLocation where = {});
  const InputLocation& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  InputLocation where_;
  std::string message_;
};

// Formats "file:line: column 3 ('loss'): message: 'text'" from whatever parts are known. A text or column name
// longer than kMaxQuotedBytes is cut there (at a UTF-8 character boundary) and its full size given, so that a
// 10 MB cell or line never turns into a 10 MB message: "...: 'first 100 bytes...' (10485760 bytes)".
std::string FormatInputError(const std::string& message, const InputLocation& where);

inline constexpr size_t kMaxQuotedBytes = 100;

// `text` when it has at most `max_bytes` bytes; otherwise its first `max_bytes` (cut at a UTF-8 character
// boundary) followed by "... (N bytes)". For user text quoted inside messages: control bytes are written out (\t,
// \n, \x00, \x1b), here and in FormatInputError, so that a NUL byte cannot end the message early.
std::string AbbreviatedText(std::string_view text, size_t max_bytes = kMaxQuotedBytes);

// A request the library cannot serve as asked (options that conflict, a target loss no law reaches, a model too
// small for any shape): the front end names the option and exits with its usage code.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void ThrowInternalError(const char* file, int line, const std::string& message);

}  // namespace scaleplan

#define SCALEPLAN_CHECK(condition, message)                                             \
  do {                                                                                  \
    if (!(condition)) ::scaleplan::ThrowInternalError(__FILE__, __LINE__, (message));   \
  } while (false)

#endif  // SCALEPLAN_CORE_ERROR_H_
