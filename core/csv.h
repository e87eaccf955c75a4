// A small RFC 4180 reader for the CSV files people export from trackers and spreadsheets.
// Accepts: a UTF-8 byte-order mark, CRLF or LF line ends, quoted fields (with "" for a quote, commas and line breaks
// inside quotes), '#' comment lines and blank lines (skipped). Fields are trimmed of surrounding spaces.
#ifndef SCALEPLAN_CORE_CSV_H_
#define SCALEPLAN_CORE_CSV_H_

#include <string>
#include <string_view>
#include <vector>

namespace scaleplan {

struct CsvRow {
  int line = 0;  // 1-based line number of the row's first character in the file
  std::vector<std::string> fields;
};

struct CsvTable {
  std::string source;               // file path or label, used in error messages
  std::vector<std::string> header;  // the first non-comment, non-blank row
  int header_line = 0;
  std::vector<CsvRow> rows;
};

// Parses `text`. Throws InputError (naming `source` and the line) for an empty file, an unterminated quote, a
// stray quote inside an unquoted field, or a row whose field count differs from the header's (ragged row).
CsvTable ParseCsv(std::string_view text, const std::string& source);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_CSV_H_
