// The runs table: one row per training run (parameters N, tokens D, compute C, final loss), loaded from CSV.
#ifndef SCALEPLAN_CORE_RUNS_TABLE_H_
#define SCALEPLAN_CORE_RUNS_TABLE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/csv.h"

namespace scaleplan {

struct TrainingRun {
  double num_params = 0.0;     // N: all parameters, embeddings included (what the Chinchilla law expects)
  double num_tokens = 0.0;     // D: training tokens
  double compute_flops = 0.0;  // C: training FLOPs (6 N D when the file has no compute column)
  double loss_nats = 0.0;      // final loss, nats per token
  int line = 0;                // line in the source file, for messages
  int group = 0;               // index into RunsTable::group_values (0 when the runs are not grouped)
};

// Which rows of a runs file are read: --filter, --exclude-lines and --group-by. Applied to the file's rows before
// their cells are read, so a row left out is never checked, and every run kept keeps its file line.
enum class FilterOp { EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL };

// `column OP value`: the column by header name (case-insensitive) or by its 1-based number; the value compares as a
// number (SI suffixes allowed: 1B, 2.5e20) when both it and the cell are numbers, otherwise as text.
struct RunFilter {
  std::string column;
  FilterOp op = FilterOp::EQUAL;
  std::string value;
  std::string text;  // the expression as written, for messages
};

struct LineRange {
  int first = 0;  // file line numbers, as errors report them, both included
  int last = 0;
};

struct RunSelection {
  std::vector<RunFilter> filters;          // a row is kept when every filter holds
  std::vector<LineRange> excluded_lines;   // rows starting on these lines are left out
  std::vector<std::string> group_by;       // columns whose values split the runs into groups ("" = none)
  bool skip_bad_rows = false;              // leave out rows whose loss is missing or not finite (else an error)
  char delimiter = 0;                      // ',', ';' or '\t'; 0: detected from the header line
  bool Selects() const { return !filters.empty() || !excluded_lines.empty(); }
};

// "col=value", "col!=value", "col<value", "col<=value", "col>value", "col>=value" (spaces around the operator
// allowed). Throws InputError (file "--filter") for a missing operator, column or value.
RunFilter ParseRunFilter(std::string_view text);

// "12,40-45": single lines and ranges. Throws InputError (file "--exclude-lines") for anything else.
std::vector<LineRange> ParseLineRanges(std::string_view text);

// Explicit column names; an empty name means "detect from the aliases" (case-insensitive):
//   N:    N, params, num_params, n_params, N_params, model_size, Model Size, parameters
//   D:    D, tokens, num_tokens, n_tokens, D_tokens, train_tokens
//   C:    C, flops, compute, C_flops, Training FLOP, budget, flops_budget, compute_budget
//   loss: loss, val_loss, final_loss, validation_loss, eval_loss
// How a front end lets the user choose each column, as messages name it: the command line's options by default; the
// desktop planner names its import dialog's fields instead of flags its user never sees.
struct RunsColumnChoices {
  std::string params = "--n-col";
  std::string tokens = "--d-col";
  std::string compute = "--c-col";
  std::string loss = "--loss-col";
};

struct RunsColumns {
  std::string params;   // --n-col
  std::string tokens;   // --d-col
  std::string compute;  // --c-col
  std::string loss;     // --loss-col
  RunSelection selection;  // which rows are read (--filter, --exclude-lines, --group-by)
  RunsColumnChoices choices;  // named in messages
};

struct RunsTable {
  std::string source;  // path or label
  std::vector<TrainingRun> runs;
  // Header names actually used, for display ("" when the column is absent).
  std::string params_column, tokens_column, compute_column, loss_column;
  bool tokens_from_compute = false;   // D was derived as C / (6 N)
  bool compute_from_tokens = false;   // C was derived as 6 N D
  std::vector<std::string> notes;     // what the loader inferred, for the user (e.g. "D = C/(6N)")
  // What the loader doubts but accepts, for the user, once each (LoadRunsOrBundled prints them on stderr): C and
  // 6 N D more than 10% apart on some runs; an implausible scale (a run with N below 1e5 or a loss above 20, or D
  // below N on most runs: N in millions or billions, D and N swapped, a loss in bits summed over a sequence).
  std::vector<std::string> warnings;
  // --group-by: the columns (as the header spells them) and each group's values, in order of first appearance.
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
};

// Parses CSV text. Throws InputError naming source, line, column and text for: an empty file, a missing column
// (listing the header and the accepted aliases), a ragged row, a value that is not a number, NaN, Inf or <= 0,
// a derived D = C / (6 N) or C = 6 N D that is not a finite positive number, a file with a header but no runs, and a
// selection (columns.selection) that names a missing column or leaves no run.
RunsTable ParseRunsCsv(std::string_view text, const std::string& source, const RunsColumns& columns = {});

// A column of numbers read where they lie, without a copy (the Python module's float64 and int64 arrays and
// DataFrame columns): value i at data + i * stride_bytes (a stride of any size or sign: a column of a row-major
// block, a reversed view).
struct NumberColumn {
  const void* data = nullptr;
  std::ptrdiff_t stride_bytes = sizeof(double);
  bool integers = false;  // int64 values; otherwise float64
  double Value(size_t row) const;
  // The value as text, as the CSV file written from it holds it and messages quote it: an integer in full, a float
  // as its shortest round-trip text with ".0" on a whole number (5.0, -5.0, 0.3478, 1e+20, nan, -inf).
  std::string Text(size_t row) const;
};

// Runs held as columns rather than CSV text (the Python module's DataFrames and dicts of arrays): one header name per
// column, each column either text cells or numbers read in place. Row i is line header_line + 1 + i, as in the file
// df.to_csv(index=False) writes (header on line 1): messages and --exclude-lines number rows that way.
struct ColumnarTable {
  std::string source;  // "<DataFrame>", "<dict>": what messages name
  int header_line = 1;
  std::vector<std::string> header;
  // One per header name, each num_rows long.
  std::vector<std::variant<std::vector<std::string>, NumberColumn>> columns;
  size_t num_rows = 0;
};

// ParseRunsCsv's reader on columns: the same column rules, selection, checks, warnings and messages as the CSV file
// with the same cells (a number is checked as its Text would be, by PositiveQuantityProblem, and quoted as that
// text), numbers never turned into text except where a filter or a grouping compares them as text.
// columns.selection.delimiter is not used.
RunsTable RunsFromColumnarTable(const ColumnarTable& table, const RunsColumns& columns = {});

// Reads and parses a file. Throws InputError when it cannot be read.
RunsTable LoadRunsCsv(const std::string& path, const RunsColumns& columns = {});

// What a run selection keeps of a CSV table, shared by every runs reader (the Chinchilla-form runs here,
// data-constrained, dictionary, sparse, MoE and routing runs, hyper-parameter sweeps): --exclude-lines and --filter,
// and --skip-bad-rows on `loss_column` (nullopt: the reader has no loss column to check), and --group-by: each kept
// row's group. `notes` says what the selection left out ("selected 12 of 40 rows (left out 3 by --exclude-lines, 25
// by --filter)"), `warnings` which rows --skip-bad-rows skipped. Throws InputError for a filter or a grouping naming
// a column the header lacks (located like a missing quantity column) and for a --filter or --exclude-lines that
// leaves no row. The delimiter is the reader's (ParseCsv).
struct CsvSelection {
  CsvTable table;  // the header and the kept rows
  std::vector<std::string> notes;
  std::vector<std::string> warnings;
  // --group-by: the columns (as the header spells them), each group's values in order of first appearance, and the
  // group of each kept row (table.rows[i]: an index into group_values; all 0, group_values empty, when not grouped).
  std::vector<std::string> group_columns;
  std::vector<std::vector<std::string>> group_values;
  std::vector<int> groups;
};
CsvSelection SelectCsvRows(const CsvTable& csv, const RunSelection& selection, std::optional<size_t> loss_column);

// One table per group (group_values holds that group's values alone, its runs' group is 0), in group order; the
// table itself when it is not grouped.
std::vector<RunsTable> SplitRunsByGroup(const RunsTable& table);

// "source=a, size=2": a group's values with their columns.
std::string GroupLabel(const RunsTable& table, int group);

// Drops the `count` runs with the highest loss (ties broken by file order); keeps the rest in file order.
RunsTable DropHighestLoss(const RunsTable& table, int count);

// A stable FNV-1a 64-bit hash of the (N, D, loss) values in order, for recording which data a fit saw
// (core/hash.h), and its 16-hex-digit form, as saved fits and golden files record it.
std::uint64_t HashRuns(const RunsTable& table);
std::string FormatRunsHash(const RunsTable& table);

}  // namespace scaleplan

#endif  // SCALEPLAN_CORE_RUNS_TABLE_H_
