// A small RFC 4180 reader for the CSV files people export from trackers and spreadsheets.
// Accepts: a UTF-8 byte-order mark, CRLF or LF line ends, quoted fields (with "" for a quote, commas and line breaks
// inside quotes), '#' comment lines and blank lines (skipped). Fields are trimmed of surrounding spaces.
// Below the reader: how every table reader finds a quantity's column by its header name and reads a located cell, so
// that all of them accept names and word their errors the same way.
#ifndef SCALEPLAN_CORE_CSV_H_
#define SCALEPLAN_CORE_CSV_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace scaleplan {

struct CsvRow {
  int line = 0;  // 1-based line number of the row's first character in the file
  std::vector<std::string> fields;
};

struct CsvTable {
  std::string source;               // file path or label, used in error messages
  char delimiter = ',';             // ',', ';' or '\t'
  std::vector<std::string> header;  // the first non-comment, non-blank row
  int header_line = 0;
  std::vector<CsvRow> rows;
};

// The field separators a file may use, and the value that asks ParseCsv to detect one.
inline constexpr char kDetectCsvDelimiter = 0;

// The delimiter of `text`: whichever of ',', '\t' and ';' occurs most often outside quotes in the header line (the
// first line that is neither blank nor a comment); ',' when none does or on a tie with ','.
char DetectCsvDelimiter(std::string_view text);

// Parses `text`, fields separated by `delimiter` (',', ';' or '\t'; kDetectCsvDelimiter: DetectCsvDelimiter).
// Throws InputError (naming `source` and the line) for an empty file, an unterminated quote, a stray quote inside an
// unquoted field, or a row whose field count differs from the header's (ragged row; a row of one field under a
// header of several asks whether the file mixes delimiters).
CsvTable ParseCsv(std::string_view text, const std::string& source, char delimiter = kDetectCsvDelimiter);

// "comma", "tab", "semicolon": a delimiter's name for messages.
std::string CsvDelimiterName(char delimiter);

// ---------------------------------------------------------------------------------------------------------------
// Columns by header name. Names compare case-insensitively (ASCII); errors are InputErrors at the header line.

// How a reader finds the column of one quantity.
struct CsvColumnRule {
  std::string what;                  // the quantity, for messages: "N (parameters)", "the loss"
  std::vector<std::string> aliases;  // accepted header names, lower case, in the order messages list them
  std::string option;                // the option that names the column ("--n-col"); "" when none does
  std::string explicit_name;         // the header the user named; "" = detect by the aliases
};

// The column `rule` picks: given an explicit name, the column with that header (or, for a rule with an option and
// no header of that name, "#3" or "3": the third column); otherwise the column whose header is one of the aliases, or
// nullopt when none is. Throws InputError when the named header is absent or when two columns match, never picking
// one of two silently, and always with a way out that works:
//   "no column named 'x' (from --n-col) for N (parameters); the header has 'a', 'b'"
//   "two columns could be N (parameters) ('N' and 'params'); choose one with --n-col"
//   "two columns could be the loss ('loss' and 'loss', columns 3 and 4); choose one by its number, --loss-col '#3'
//   or '#4', or rename one of them"
//   "two columns are named 'n' (from --n-col) for N (parameters): 'n' and 'N', columns 1 and 3; choose one by its
//   number, --n-col '#1' or '#3', or rename one of them"
// and for a rule without option
//   "missing column for U (unique tokens): the header has 'a', 'b'; no column is named 'x'"
//   "two columns could be U (unique tokens) ('u' and 'U'); choose one by name"   (by the name or by the aliases)
std::optional<size_t> FindCsvColumn(const CsvTable& table, const CsvColumnRule& rule);

// The error for a rule that found no column (the parenthesis is left out for a rule without option):
//   "missing column for the loss: the header has 'N', 'D'; accepted names are loss, val_loss (or name it with
//   --loss-col)"
InputError MissingCsvColumnError(const CsvTable& table, const CsvColumnRule& rule);

// FindCsvColumn, with an absent column an error too (MissingCsvColumnError).
size_t RequireCsvColumn(const CsvTable& table, const CsvColumnRule& rule);

// For composing other header messages: the header quoted ("'N', 'D', 'loss'"; at most 20 names of at most 60 bytes
// each, then "... (N columns)") and the aliases listed ("n, params").
std::string QuotedCsvHeader(const CsvTable& table);
std::string CsvAliasList(const CsvColumnRule& rule);

// ---------------------------------------------------------------------------------------------------------------
// Cells. `column` must index the header (every row has as many fields as the header).

// Where a cell sits: source, row line, 1-based column and its header name (text left empty).
InputLocation CsvCellLocation(const CsvTable& table, const CsvRow& row, size_t column);

// The cell as a positive quantity (core/units.h), else an InputError such as
//   "runs.csv:3: column 1 ('N'): must be positive: '0'"
double ParsePositiveCsvCell(const CsvTable& table, const CsvRow& row, size_t column);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_CSV_H_
