#include "core/runs_table.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <optional>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/units.h"

namespace scaleplan {
namespace {

std::string TrimmedText(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && (text[begin] == ' ' || text[begin] == '\t')) ++begin;
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  return std::string(text.substr(begin, end - begin));
}

// Whether `cell OP value` holds: as numbers when both are numbers, otherwise as text. `cell_number` is the cell read
// as a quantity (nullopt when it is none); `cell_text()` gives its text, asked for only when the text compares.
template <typename CellText>
bool FilterHolds(const RunFilter& filter, std::optional<double> cell_number, const CellText& cell_text) {
  const std::optional<double> value_number = TryParseQuantity(filter.value);
  int order = 0;  // <0, 0, >0: cell before, equal to, after the value
  if (cell_number && value_number) {
    order = *cell_number < *value_number ? -1 : *cell_number > *value_number ? 1 : 0;
  } else {
    order = cell_text().compare(filter.value);
  }
  switch (filter.op) {
    case FilterOp::EQUAL: return order == 0;
    case FilterOp::NOT_EQUAL: return order != 0;
    case FilterOp::LESS: return order < 0;
    case FilterOp::LESS_EQUAL: return order <= 0;
    case FilterOp::GREATER: return order > 0;
    case FilterOp::GREATER_EQUAL: return order >= 0;
  }
  return false;
}

// A loss cell that holds no loss: empty, a missing-value word, or a non-finite number (nan, inf, 1e999).
bool IsMissingOrNonFinite(const std::string& cell) {
  std::string lower;
  for (char c : cell) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.empty() || lower == "na" || lower == "n/a" || lower == "null" || lower == "none" || lower == "-") {
    return true;
  }
  if (TryParseQuantity(cell)) return false;
  char* end = nullptr;
  const double value = std::strtod(lower.c_str(), &end);
  return end == lower.c_str() + lower.size() && !std::isfinite(value);
}

bool LineExcluded(const std::vector<LineRange>& ranges, int line) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [line](const LineRange& range) { return line >= range.first && line <= range.last; });
}

std::string LineList(const std::vector<int>& lines) {
  std::string text;
  for (size_t i = 0; i < lines.size() && i < 20; ++i) text += (i ? ", " : "") + std::to_string(lines[i]);
  if (lines.size() > 20) text += ", ...";
  return text;
}

// Where a cell sits, as CsvCellLocation says it: source, line, 1-based column and its header name.
InputLocation CellLocation(const CsvTable& header, int line, size_t column) {
  return InputLocation{header.source, line, static_cast<int>(column) + 1, header.header[column], ""};
}

// The cells of a CSV table, as the runs readers read them: by row index (into csv.rows) and column.
class CsvCells {
 public:
  explicit CsvCells(const CsvTable& csv) : csv_(csv) {}
  size_t NumRows() const { return csv_.rows.size(); }
  int Line(size_t row) const { return csv_.rows[row].line; }
  std::string Text(size_t row, size_t column) const { return csv_.rows[row].fields[column]; }
  bool Holds(const RunFilter& filter, size_t row, size_t column) const {
    const std::string& cell = csv_.rows[row].fields[column];
    return FilterHolds(filter, TryParseQuantity(cell), [&cell]() -> const std::string& { return cell; });
  }
  bool MissingOrNonFinite(size_t row, size_t column) const {
    return IsMissingOrNonFinite(csv_.rows[row].fields[column]);
  }
  double Positive(size_t row, size_t column) const { return ParsePositiveCsvCell(csv_, csv_.rows[row], column); }

 private:
  const CsvTable& csv_;
};

// The cells of a columnar table: a text column's as a CSV file's, a number column's read in place and checked as the
// cell holding its text would be (the same reasons, PositiveQuantityProblem, quoting that text).
class ColumnarCells {
 public:
  ColumnarCells(const ColumnarTable& table, const CsvTable& header) : table_(table), header_(header) {}
  size_t NumRows() const { return table_.num_rows; }
  int Line(size_t row) const { return table_.header_line + 1 + static_cast<int>(row); }
  std::string Text(size_t row, size_t column) const {
    if (const NumberColumn* numbers = Numbers(column)) return numbers->Text(row);
    return Cells(column)[row];
  }
  bool Holds(const RunFilter& filter, size_t row, size_t column) const {
    if (const NumberColumn* numbers = Numbers(column)) {
      const double value = numbers->Value(row);
      const std::optional<double> number =
          QuantityValueProblem(value) == nullptr ? std::optional<double>(value) : std::nullopt;
      return FilterHolds(filter, number, [numbers, row] { return numbers->Text(row); });
    }
    const std::string& cell = Cells(column)[row];
    return FilterHolds(filter, TryParseQuantity(cell), [&cell]() -> const std::string& { return cell; });
  }
  bool MissingOrNonFinite(size_t row, size_t column) const {
    if (const NumberColumn* numbers = Numbers(column)) return QuantityValueProblem(numbers->Value(row)) != nullptr;
    return IsMissingOrNonFinite(Cells(column)[row]);
  }
  double Positive(size_t row, size_t column) const {
    const NumberColumn* numbers = Numbers(column);
    if (numbers == nullptr) return ParsePositiveQuantity(Cells(column)[row], CellLocation(header_, Line(row), column));
    const double value = numbers->Value(row);
    if (const char* problem = PositiveQuantityProblem(value)) {
      InputLocation where = CellLocation(header_, Line(row), column);
      where.text = numbers->Text(row);
      throw InputError(problem, std::move(where));
    }
    return value;
  }

 private:
  const NumberColumn* Numbers(size_t column) const { return std::get_if<NumberColumn>(&table_.columns[column]); }
  const std::vector<std::string>& Cells(size_t column) const {
    return std::get<std::vector<std::string>>(table_.columns[column]);
  }

  const ColumnarTable& table_;
  const CsvTable& header_;
};

// What a run selection keeps (SelectCsvRows' rules, on any cells): the indices of the kept rows, in order, and
// each one's group.
struct RowSelection {
  std::vector<size_t> rows;
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
  std::vector<int> groups;  // one per kept row
};

template <typename Cells>
RowSelection SelectRows(const CsvTable& header, const Cells& cells, const RunSelection& selection,
                        std::optional<size_t> loss_column) {
  std::vector<size_t> filter_columns;
  for (const RunFilter& filter : selection.filters) {
    filter_columns.push_back(
        RequireCsvColumn(header, CsvColumnRule{"the filter '" + filter.text + "'", {}, "--filter", filter.column}));
  }
  RowSelection out;
  std::vector<size_t> group_columns;
  for (const std::string& name : selection.group_by) {
    group_columns.push_back(RequireCsvColumn(header, CsvColumnRule{"the grouping", {}, "--group-by", name}));
    out.group_columns.push_back(header.header[group_columns.back()]);
  }
  int num_excluded = 0;
  int num_filtered = 0;
  std::vector<int> bad_lines;
  const size_t num_rows = cells.NumRows();
  out.rows.reserve(num_rows);
  for (size_t row = 0; row < num_rows; ++row) {
    const int line = cells.Line(row);
    if (LineExcluded(selection.excluded_lines, line)) {
      ++num_excluded;
      continue;
    }
    bool kept = true;
    for (size_t k = 0; k < selection.filters.size() && kept; ++k) {
      kept = cells.Holds(selection.filters[k], row, filter_columns[k]);
    }
    if (!kept) {
      ++num_filtered;
      continue;
    }
    if (selection.skip_bad_rows && loss_column && cells.MissingOrNonFinite(row, *loss_column)) {
      bad_lines.push_back(line);
      continue;
    }
    out.rows.push_back(row);
    int group = 0;
    if (!group_columns.empty()) {
      std::vector<std::string> values;
      for (size_t column : group_columns) values.push_back(cells.Text(row, column));
      const auto found = std::find(out.group_values.begin(), out.group_values.end(), values);
      group = static_cast<int>(found - out.group_values.begin());
      if (found == out.group_values.end()) out.group_values.push_back(std::move(values));
    }
    out.groups.push_back(group);
  }
  if (!bad_lines.empty()) {
    out.warnings.push_back("skipped " + std::to_string(bad_lines.size()) + " row" + (bad_lines.size() == 1 ? "" : "s") +
                           " whose loss ('" + header.header[*loss_column] +
                           "') is missing or not finite (--skip-bad-rows): line" +
                           (bad_lines.size() == 1 ? " " : "s ") + LineList(bad_lines));
  }
  if (selection.Selects()) {
    std::string what;
    if (!selection.excluded_lines.empty()) what += std::to_string(num_excluded) + " by --exclude-lines";
    if (!selection.filters.empty()) {
      what += (what.empty() ? "" : ", ") + std::to_string(num_filtered) + " by --filter";
    }
    if (out.rows.empty()) {
      throw InputError("no runs left: the selection left out all " + std::to_string(num_rows) + " rows (" + what + ")",
                       InputLocation{header.source, header.header_line});
    }
    out.notes.push_back("selected " + std::to_string(out.rows.size()) + " of " + std::to_string(num_rows) +
                        " rows (left out " + what + ")");
  }
  return out;
}

// The runs of a table: `csv` gives the source, header and header line (its rows are not read), `cells` the rows.
template <typename Cells>
RunsTable ReadRuns(const CsvTable& csv, const Cells& cells, const RunsColumns& columns) {
  const std::string& source = csv.source;
  // The aliases are runs_table.h's, in lower case.
  const CsvColumnRule params_rule{"N (parameters)",
                                  {"n", "params", "num_params", "n_params", "model_size", "model size", "parameters"},
                                  columns.choices.params,
                                  columns.params};
  const CsvColumnRule tokens_rule{"D (tokens)",
                                  {"d", "tokens", "num_tokens", "n_tokens", "d_tokens", "train_tokens"},
                                  columns.choices.tokens,
                                  columns.tokens};
  const CsvColumnRule compute_rule{
      "C (compute)",
      {"c", "flops", "compute", "c_flops", "training flop", "budget", "flops_budget", "compute_budget"},
      columns.choices.compute,
      columns.compute};
  const CsvColumnRule loss_rule{"the loss",
                                {"loss", "val_loss", "final_loss", "validation_loss", "eval_loss"},
                                columns.choices.loss,
                                columns.loss};
  // Every column is located (and a named or ambiguous one reported) before any is reported missing.
  const std::optional<size_t> params = FindCsvColumn(csv, params_rule);
  const std::optional<size_t> tokens = FindCsvColumn(csv, tokens_rule);
  const std::optional<size_t> compute = FindCsvColumn(csv, compute_rule);
  const std::optional<size_t> loss = FindCsvColumn(csv, loss_rule);
  const InputLocation header_where{source, csv.header_line};
  if (!params) throw MissingCsvColumnError(csv, params_rule);
  if (!loss) throw MissingCsvColumnError(csv, loss_rule);
  if (!tokens && !compute) {
    throw InputError("missing column for D (tokens) or C (compute): the header has " + QuotedCsvHeader(csv) +
                         "; accepted names are " + CsvAliasList(tokens_rule) + " for D and " +
                         CsvAliasList(compute_rule) + " for C (or " + tokens_rule.option + " / " +
                         compute_rule.option + ")",
                     header_where);
  }
  if (cells.NumRows() == 0) throw InputError("no runs: the file has a header but no data rows", header_where);
  // The selection's columns, located (and reported) like the quantities' columns.
  const RunSelection& selection = columns.selection;
  const RowSelection selected = SelectRows(csv, cells, selection, *loss);

  RunsTable table;
  table.source = source;
  table.params_column = csv.header[*params];
  table.loss_column = csv.header[*loss];
  if (tokens) table.tokens_column = csv.header[*tokens];
  if (compute) table.compute_column = csv.header[*compute];
  table.tokens_from_compute = !tokens;
  table.compute_from_tokens = !compute;
  if (table.tokens_from_compute) {
    table.notes.push_back("no tokens column: D = C / (6 N) from '" + table.compute_column + "'");
  }
  table.group_columns = selected.group_columns;
  table.group_values = selected.group_values;
  table.runs.reserve(selected.rows.size());
  for (size_t i = 0; i < selected.rows.size(); ++i) {
    const size_t row = selected.rows[i];
    TrainingRun run;
    run.line = cells.Line(row);
    run.group = selected.groups[i];
    run.num_params = cells.Positive(row, *params);
    run.loss_nats = cells.Positive(row, *loss);
    if (tokens) run.num_tokens = cells.Positive(row, *tokens);
    if (compute) run.compute_flops = cells.Positive(row, *compute);
    if (!tokens) run.num_tokens = run.compute_flops / (6.0 * run.num_params);
    if (!compute) run.compute_flops = 6.0 * run.num_params * run.num_tokens;
    if (!tokens || !compute) {
      // A derived D or C is range-checked like a read one: 6 N D overflows to infinity for N = D = 1e200, and
      // C / (6 N) underflows to 0 for N = 1e300, C = 1e-300.
      const double derived = tokens ? run.compute_flops : run.num_tokens;
      if (!(std::isfinite(derived) && derived > 0.0)) {
        const std::string inputs = "N = " + FormatScientific(run.num_params) +
                                   (tokens ? ", D = " + FormatScientific(run.num_tokens)
                                           : ", C = " + FormatScientific(run.compute_flops));
        throw InputError(std::string(tokens ? "C = 6 N D" : "D = C / (6 N)") + " is out of range for " + inputs,
                         InputLocation{source, run.line});
      }
    }
    table.runs.push_back(run);
  }
  for (const std::string& warning : selected.warnings) table.warnings.push_back(warning);

  if (tokens && compute) {
    // A compute column beside N and D: C should be about 6 N D. Far apart, one of the columns is another quantity
    // (a budget counted otherwise, N in millions), which fits would silently mix.
    constexpr double kComputeMismatch = 0.10;
    int num_apart = 0;
    const TrainingRun* worst = nullptr;
    double worst_apart = 0.0;
    for (const TrainingRun& run : table.runs) {
      const double apart = std::fabs(run.compute_flops / (6.0 * run.num_params * run.num_tokens) - 1.0);
      if (!(apart > kComputeMismatch)) continue;
      ++num_apart;
      if (apart > worst_apart) {
        worst_apart = apart;
        worst = &run;
      }
    }
    if (worst != nullptr) {
      table.warnings.push_back(
          "C ('" + table.compute_column + "') and 6 N D differ by more than 10% on " + std::to_string(num_apart) +
          " of " + std::to_string(table.runs.size()) + " runs; the most, line " + std::to_string(worst->line) +
          ": C = " + FormatScientific(worst->compute_flops) +
          ", 6 N D = " + FormatScientific(6.0 * worst->num_params * worst->num_tokens) +
          " (is one of the columns in other units, or not training compute?)");
    }
  }
  {
    // Scales no language-model run has: one warning naming each, with its count and the most extreme run.
    constexpr double kMinPlausibleParams = 1e5;
    constexpr double kMaxPlausibleLoss = 20.0;
    std::vector<std::string> reasons;
    const TrainingRun* smallest = nullptr;
    const TrainingRun* highest = nullptr;
    int num_small = 0, num_high = 0, num_tokens_below = 0;
    for (const TrainingRun& run : table.runs) {
      if (run.num_params < kMinPlausibleParams) {
        ++num_small;
        if (smallest == nullptr || run.num_params < smallest->num_params) smallest = &run;
      }
      if (run.loss_nats > kMaxPlausibleLoss) {
        ++num_high;
        if (highest == nullptr || run.loss_nats > highest->loss_nats) highest = &run;
      }
      num_tokens_below += run.num_tokens < run.num_params;
    }
    if (smallest != nullptr) {
      reasons.push_back("N below 1e5 on " + std::to_string(num_small) + " runs (the smallest N = " +
                        FormatSignificant(smallest->num_params, 3) + ", line " + std::to_string(smallest->line) +
                        ")");
    }
    if (2 * num_tokens_below > static_cast<int>(table.runs.size())) {
      reasons.push_back("D below N on " + std::to_string(num_tokens_below) + " of " +
                        std::to_string(table.runs.size()) + " runs");
    }
    if (highest != nullptr) {
      reasons.push_back("losses above 20 nats on " + std::to_string(num_high) + " runs (the highest " +
                        FormatSignificant(highest->loss_nats, 4) + ", line " + std::to_string(highest->line) + ")");
    }
    if (!reasons.empty()) {
      std::string warning = "implausible scale for training runs: ";
      for (size_t k = 0; k < reasons.size(); ++k) warning += (k ? "; " : "") + reasons[k];
      table.warnings.push_back(warning + " (parameters in millions or billions? tokens and parameters swapped? a "
                                      "loss per sequence rather than per token?)");
    }
  }
  for (const std::string& note : selected.notes) table.notes.push_back(note);
  return table;
}

}  // namespace

CsvSelection SelectCsvRows(const CsvTable& csv, const RunSelection& selection, std::optional<size_t> loss_column) {
  RowSelection selected = SelectRows(csv, CsvCells(csv), selection, loss_column);
  CsvSelection out;
  out.table.source = csv.source;
  out.table.header = csv.header;
  out.table.header_line = csv.header_line;
  out.table.delimiter = csv.delimiter;
  out.table.rows.reserve(selected.rows.size());
  for (size_t row : selected.rows) out.table.rows.push_back(csv.rows[row]);
  out.notes = std::move(selected.notes);
  out.warnings = std::move(selected.warnings);
  out.group_columns = std::move(selected.group_columns);
  out.group_values = std::move(selected.group_values);
  out.groups = std::move(selected.groups);
  return out;
}

RunFilter ParseRunFilter(std::string_view text) {
  const InputLocation where{"--filter", 0, 0, "", std::string(text)};
  const size_t at = text.find_first_of("=!<>");
  if (at == std::string_view::npos) {
    throw InputError("no comparison: write COLUMN=VALUE, COLUMN!=VALUE, COLUMN<VALUE, COLUMN<=VALUE, COLUMN>VALUE "
                     "or COLUMN>=VALUE",
                     where);
  }
  RunFilter filter;
  filter.text = std::string(text);
  filter.column = TrimmedText(text.substr(0, at));
  const std::string_view rest = text.substr(at);
  size_t length = 1;
  if (rest.substr(0, 2) == "!=") {
    filter.op = FilterOp::NOT_EQUAL;
    length = 2;
  } else if (rest.substr(0, 2) == "<=") {
    filter.op = FilterOp::LESS_EQUAL;
    length = 2;
  } else if (rest.substr(0, 2) == ">=") {
    filter.op = FilterOp::GREATER_EQUAL;
    length = 2;
  } else if (rest.substr(0, 2) == "==") {
    filter.op = FilterOp::EQUAL;
    length = 2;
  } else if (rest[0] == '=') {
    filter.op = FilterOp::EQUAL;
  } else if (rest[0] == '<') {
    filter.op = FilterOp::LESS;
  } else if (rest[0] == '>') {
    filter.op = FilterOp::GREATER;
  } else {
    throw InputError("'!' must be followed by '=' (COLUMN!=VALUE)", where);
  }
  filter.value = TrimmedText(rest.substr(length));
  if (filter.column.empty()) throw InputError("no column before the comparison", where);
  if (filter.value.empty()) throw InputError("no value after the comparison", where);
  if (filter.value.find_first_of("=<>!") == 0) {
    throw InputError("unknown comparison: use =, !=, <, <=, > or >=", where);
  }
  return filter;
}

std::vector<LineRange> ParseLineRanges(std::string_view text) {
  std::vector<LineRange> ranges;
  const auto bad = [&text](const std::string& why) {
    return InputError(why + " (write lines and ranges such as 12,40-45)",
                      InputLocation{"--exclude-lines", 0, 0, "", std::string(text)});
  };
  const auto line_number = [&](std::string_view digits) {
    const std::string item = TrimmedText(digits);
    if (item.empty() || item.size() > 9 || item.find_first_not_of("0123456789") != std::string::npos) {
      throw bad("not a line number: '" + item + "'");
    }
    const int line = std::stoi(item);
    if (line < 1) throw bad("line numbers start at 1");
    return line;
  };
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string_view item = text.substr(begin, comma == std::string_view::npos ? comma : comma - begin);
    const size_t dash = item.find('-');
    LineRange range;
    range.first = line_number(item.substr(0, dash));
    range.last = dash == std::string_view::npos ? range.first : line_number(item.substr(dash + 1));
    if (range.last < range.first) throw bad("a range runs backwards: '" + TrimmedText(item) + "'");
    ranges.push_back(range);
    if (comma == std::string_view::npos) break;
    begin = comma + 1;
  }
  return ranges;
}

RunsTable ParseRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns) {
  const CsvTable csv = ParseCsv(text, source, columns.selection.delimiter);
  return ReadRuns(csv, CsvCells(csv), columns);
}

RunsTable RunsFromColumnarTable(const ColumnarTable& table, const RunsColumns& columns) {
  SCALEPLAN_CHECK(table.columns.size() == table.header.size(), "one column per header name");
  CsvTable header;  // the header alone, for the column rules and messages
  header.source = table.source;
  header.header = table.header;
  header.header_line = table.header_line;
  for (const auto& column : table.columns) {
    const auto* cells = std::get_if<std::vector<std::string>>(&column);
    SCALEPLAN_CHECK(cells == nullptr || cells->size() == table.num_rows, "columns of equal length");
  }
  return ReadRuns(header, ColumnarCells(table, header), columns);
}

double NumberColumn::Value(size_t row) const {
  const char* at = static_cast<const char*>(data) + static_cast<std::ptrdiff_t>(row) * stride_bytes;
  if (integers) {
    std::int64_t value = 0;
    std::memcpy(&value, at, sizeof value);
    return static_cast<double>(value);
  }
  double value = 0.0;
  std::memcpy(&value, at, sizeof value);
  return value;
}

std::string NumberColumn::Text(size_t row) const {
  const char* at = static_cast<const char*>(data) + static_cast<std::ptrdiff_t>(row) * stride_bytes;
  if (integers) {
    std::int64_t value = 0;
    std::memcpy(&value, at, sizeof value);
    return std::to_string(value);
  }
  const double value = Value(row);
  char text[64];
  const auto result = std::to_chars(text, text + sizeof text, value);
  std::string out(text, result.ptr);
  if (std::isfinite(value) && out.find_first_of(".e") == std::string::npos) out += ".0";  // 5.0, as Python writes it
  return out;
}

std::vector<RunsTable> SplitRunsByGroup(const RunsTable& table) {
  if (table.group_values.empty()) return {table};
  std::vector<RunsTable> out(table.group_values.size());
  for (size_t g = 0; g < out.size(); ++g) {
    RunsTable& part = out[g];
    part.source = table.source;
    part.params_column = table.params_column;
    part.tokens_column = table.tokens_column;
    part.compute_column = table.compute_column;
    part.loss_column = table.loss_column;
    part.tokens_from_compute = table.tokens_from_compute;
    part.compute_from_tokens = table.compute_from_tokens;
    part.notes = table.notes;
    part.group_columns = table.group_columns;
    part.group_values = {table.group_values[g]};
  }
  for (TrainingRun run : table.runs) {
    const int group = run.group;
    run.group = 0;
    out[static_cast<size_t>(group)].runs.push_back(run);
  }
  return out;
}

std::string GroupLabel(const RunsTable& table, int group) {
  SCALEPLAN_CHECK(group >= 0 && static_cast<size_t>(group) < table.group_values.size(), "no such group");
  std::string out;
  for (size_t k = 0; k < table.group_columns.size(); ++k) {
    out += (k ? ", " : "") + table.group_columns[k] + "=" + table.group_values[static_cast<size_t>(group)][k];
  }
  return out;
}

RunsTable LoadRunsCsv(const std::string& path, const RunsColumns& columns) {
  return ParseRunsCsv(ReadWholeFile(path), path, columns);
}

RunsTable DropHighestLoss(const RunsTable& table, int count) {
  SCALEPLAN_CHECK(count >= 0, "count must be non-negative");
  RunsTable out = table;
  if (count == 0) return out;
  std::vector<size_t> order(table.runs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return table.runs[i].loss_nats > table.runs[j].loss_nats; });
  std::vector<bool> drop(table.runs.size(), false);
  for (size_t i = 0; i < std::min<size_t>(static_cast<size_t>(count), order.size()); ++i) drop[order[i]] = true;
  out.runs.clear();
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (!drop[i]) out.runs.push_back(table.runs[i]);
  }
  return out;
}

std::uint64_t HashRuns(const RunsTable& table) {
  ValuesHash hash;
  for (const TrainingRun& run : table.runs) {
    hash.Add(run.num_params);
    hash.Add(run.num_tokens);
    hash.Add(run.loss_nats);
  }
  return hash.value();
}

std::string FormatRunsHash(const RunsTable& table) { return HashToHex(HashRuns(table)); }

}  // namespace scaleplan
