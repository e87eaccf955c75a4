#include "core/csv.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"
#include "core/units.h"

namespace scaleplan {
namespace {

std::string Trimmed(const std::string& text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return text.substr(begin, end - begin);
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Walks the text once, producing rows with their starting line numbers.
class CsvScanner {
 public:
  CsvScanner(std::string_view text, const std::string& source, char delimiter)
      : text_(text), source_(source), delimiter_(delimiter) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") text_.remove_prefix(3);  // UTF-8 byte-order mark
  }

  // Reads the next row that is neither blank nor a comment. Returns false at the end of the text.
  bool Next(CsvRow* row) {
    while (pos_ < text_.size()) {
      SkipLineIfBlankOrComment();
      if (pos_ >= text_.size()) return false;
      if (!at_line_start_content_) continue;
      ReadRow(row);
      return true;
    }
    return false;
  }

 private:
  // At the start of a line: consumes it if it is blank or a comment.
  void SkipLineIfBlankOrComment() {
    size_t scan = pos_;
    while (scan < text_.size() && (text_[scan] == ' ' || text_[scan] == '\t')) ++scan;
    const bool at_end = scan >= text_.size();
    const bool blank = !at_end && (text_[scan] == '\n' || text_[scan] == '\r');
    const bool comment = !at_end && text_[scan] == '#';
    if (at_end) {
      pos_ = text_.size();
      at_line_start_content_ = false;
      return;
    }
    if (blank || comment) {
      // Up to the line end that ReadRow would see: a lone CR ends a line too, so a blank or comment line ending in
      // one does not swallow the row after it.
      while (scan < text_.size() && text_[scan] != '\n' && text_[scan] != '\r') ++scan;
      if (scan + 1 < text_.size() && text_[scan] == '\r' && text_[scan + 1] == '\n') ++scan;
      pos_ = scan + 1;
      ++line_;
      at_line_start_content_ = false;
      return;
    }
    at_line_start_content_ = true;
  }

  void ReadRow(CsvRow* row) {
    row->line = line_;
    row->fields.clear();
    std::string field;
    bool quoted = false;       // inside quotes now
    bool was_quoted = false;   // this field had quotes
    bool after_quote = false;  // just closed a quoted section
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (quoted) {
        if (c == '"') {
          if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
            field += '"';
            pos_ += 2;
            continue;
          }
          quoted = false;
          after_quote = true;
          ++pos_;
          continue;
        }
        if (c == '\n') ++line_;
        field += c;
        ++pos_;
        continue;
      }
      if (c == delimiter_) {
        row->fields.push_back(was_quoted ? field : Trimmed(field));
        field.clear();
        was_quoted = after_quote = false;
        ++pos_;
        continue;
      }
      if (c == '\r' || c == '\n') {
        if (c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') ++pos_;
        ++pos_;
        ++line_;
        row->fields.push_back(was_quoted ? field : Trimmed(field));
        return;
      }
      if (c == '"') {
        if (Trimmed(field).empty() && !was_quoted) {
          field.clear();
          quoted = was_quoted = true;
          ++pos_;
          continue;
        }
        throw InputError("stray quote inside an unquoted field (quote the whole field and double inner quotes)",
                         InputLocation{source_, line_, static_cast<int>(row->fields.size()) + 1, "", ""});
      }
      if (after_quote && c != ' ' && c != '\t') {
        throw InputError("text after a closing quote",
                         InputLocation{source_, line_, static_cast<int>(row->fields.size()) + 1, "", ""});
      }
      if (!after_quote) field += c;
      ++pos_;
    }
    if (quoted) {
      throw InputError("unterminated quoted field (missing closing quote)",
                       InputLocation{source_, row->line, static_cast<int>(row->fields.size()) + 1, "", ""});
    }
    row->fields.push_back(was_quoted ? field : Trimmed(field));
  }

  std::string_view text_;
  const std::string& source_;
  char delimiter_ = ',';
  size_t pos_ = 0;
  int line_ = 1;
  bool at_line_start_content_ = false;
};

}  // namespace

char DetectCsvDelimiter(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t pos = 0;
  // Past blank and comment lines.
  while (pos < text.size()) {
    size_t scan = pos;
    while (scan < text.size() && (text[scan] == ' ' || text[scan] == '\t')) ++scan;
    if (scan < text.size() && text[scan] != '\n' && text[scan] != '\r' && text[scan] != '#') break;
    while (scan < text.size() && text[scan] != '\n' && text[scan] != '\r') ++scan;
    pos = scan + 1;
  }
  int commas = 0, tabs = 0, semicolons = 0;
  bool quoted = false;
  for (size_t i = pos; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') quoted = !quoted;
    if (quoted) continue;
    if (c == '\n' || c == '\r') break;
    commas += c == ',';
    tabs += c == '\t';
    semicolons += c == ';';
  }
  if (tabs > commas && tabs >= semicolons) return '\t';
  if (semicolons > commas && semicolons > tabs) return ';';
  return ',';
}

std::string CsvDelimiterName(char delimiter) {
  if (delimiter == '\t') return "tab";
  if (delimiter == ';') return "semicolon";
  if (delimiter == ',') return "comma";
  std::string quoted = "'";
  quoted += delimiter;
  quoted += '\'';
  return quoted;
}

CsvTable ParseCsv(std::string_view text, const std::string& source, char delimiter) {
  CsvTable table;
  table.source = source;
  table.delimiter = delimiter == kDetectCsvDelimiter ? DetectCsvDelimiter(text) : delimiter;
  CsvScanner scanner(text, source, table.delimiter);
  CsvRow row;
  if (!scanner.Next(&row)) {
    throw InputError("empty file: no header row (expected a header such as 'N,D,loss')", InputLocation{source});
  }
  table.header = row.fields;
  table.header_line = row.line;
  while (scanner.Next(&row)) {
    if (row.fields.size() != table.header.size()) {
      // One field under a header of several: most likely the row is separated by another delimiter.
      const std::string mixed = row.fields.size() == 1 && table.header.size() > 1
                                    ? " (the header is " + CsvDelimiterName(table.delimiter) +
                                          "-separated: does this row use another delimiter? --delimiter chooses one)"
                                    : "";
      throw InputError("ragged row: " + std::to_string(row.fields.size()) + " fields, but the header has " +
                           std::to_string(table.header.size()) + mixed,
                       InputLocation{source, row.line});
    }
    table.rows.push_back(row);
  }
  return table;
}

// ---------------------------------------------------------------------------------------------------------------
std::optional<size_t> FindCsvColumn(const CsvTable& table, const CsvColumnRule& rule) {
  const bool named = !rule.explicit_name.empty();
  std::vector<size_t> matches;
  for (size_t i = 0; i < table.header.size(); ++i) {
    const std::string& name = table.header[i];
    const bool match = named ? SameName(name, rule.explicit_name)
                             : std::any_of(rule.aliases.begin(), rule.aliases.end(),
                                           [&name](const std::string& alias) { return SameName(name, alias); });
    if (match) matches.push_back(i);
  }
  const InputLocation header{table.source, table.header_line};
  if (matches.size() >= 2) {
    const std::string& first = table.header[matches[0]];
    const std::string& second = table.header[matches[1]];
    const std::string pair = "'" + first + "' and '" + second + "'";
    if (!rule.option.empty() && SameName(first, second)) {
      // The same name twice: no name can choose, a column number can.
      const std::string numbers = std::to_string(matches[0] + 1) + " and " + std::to_string(matches[1] + 1);
      const std::string way_out = "choose one by its number, " + rule.option + " '#" +
                                  std::to_string(matches[0] + 1) + "' or '#" + std::to_string(matches[1] + 1) +
                                  "', or rename one of them";
      if (named) {
        throw InputError("two columns are named '" + rule.explicit_name + "' (from " + rule.option + ") for " +
                             rule.what + ": " + pair + ", columns " + numbers + "; " + way_out,
                         header);
      }
      throw InputError("two columns could be " + rule.what + " (" + pair + ", columns " + numbers + "); " + way_out,
                       header);
    }
    throw InputError("two columns could be " + rule.what + " (" + pair + "); choose one " +
                         (rule.option.empty() ? "by name" : "with " + rule.option),
                     header);
  }
  if (!matches.empty()) return matches.front();
  if (!named) return std::nullopt;
  // "#4" or "4" (when no column is named "4"): the fourth column, whatever its header says (for a header with a
  // name twice, or a file whose header names are long).
  const size_t digits_from = rule.explicit_name[0] == '#' ? 1 : 0;
  if (!rule.option.empty() && rule.explicit_name.size() > digits_from &&
      rule.explicit_name.find_first_not_of("0123456789", digits_from) == std::string::npos) {
    const std::string digits = rule.explicit_name.substr(digits_from);
    const size_t number = digits.size() > 9 ? 0 : std::stoul(digits);
    if (number >= 1 && number <= table.header.size()) return number - 1;
    throw InputError("no column " + rule.explicit_name + " (from " + rule.option + ") for " + rule.what +
                         ": the header has " + std::to_string(table.header.size()) + " columns",
                     header);
  }
  if (rule.option.empty()) {
    throw InputError("missing column for " + rule.what + ": the header has " + QuotedCsvHeader(table) +
                         "; no column is named '" + rule.explicit_name + "'",
                     header);
  }
  throw InputError("no column named '" + rule.explicit_name + "' (from " + rule.option + ") for " + rule.what +
                       "; the header has " + QuotedCsvHeader(table),
                   header);
}

InputError MissingCsvColumnError(const CsvTable& table, const CsvColumnRule& rule) {
  const std::string hint = rule.option.empty() ? "" : " (or name it with " + rule.option + ")";
  return InputError("missing column for " + rule.what + ": the header has " + QuotedCsvHeader(table) +
                        "; accepted names are " + CsvAliasList(rule) + hint,
                    InputLocation{table.source, table.header_line});
}

size_t RequireCsvColumn(const CsvTable& table, const CsvColumnRule& rule) {
  const std::optional<size_t> column = FindCsvColumn(table, rule);
  if (!column) throw MissingCsvColumnError(table, rule);
  return *column;
}

std::string QuotedCsvHeader(const CsvTable& table) {
  // Bounded, so that a header of a million columns (or one 10 MB name) does not become the message.
  constexpr size_t kMaxNames = 20;
  constexpr size_t kMaxNameBytes = 60;
  std::string out;
  for (size_t i = 0; i < table.header.size() && i < kMaxNames; ++i) {
    out += (out.empty() ? "'" : ", '") + AbbreviatedText(table.header[i], kMaxNameBytes) + "'";
  }
  if (table.header.size() > kMaxNames) out += ", ... (" + std::to_string(table.header.size()) + " columns)";
  return out;
}

std::string CsvAliasList(const CsvColumnRule& rule) {
  std::string out;
  for (const std::string& alias : rule.aliases) out += (out.empty() ? "" : ", ") + alias;
  return out;
}

InputLocation CsvCellLocation(const CsvTable& table, const CsvRow& row, size_t column) {
  SCALEPLAN_CHECK(column < table.header.size() && column < row.fields.size(), "CSV column index out of range");
  return InputLocation{table.source, row.line, static_cast<int>(column) + 1, table.header[column], ""};
}

double ParsePositiveCsvCell(const CsvTable& table, const CsvRow& row, size_t column) {
  return ParsePositiveQuantity(row.fields[column], CsvCellLocation(table, row, column));
}

}  // namespace scaleplan
