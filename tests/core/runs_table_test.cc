#include "core/runs_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/bundled_data.h"
#include "core/error.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

// Runs ParseRunsCsv and returns the InputError message ("" when it parsed).
std::string ErrorOf(const std::string& text, const RunsColumns& columns = {}) {
  try {
    ParseRunsCsv(text, "runs.csv", columns);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(RunsTable, ReadsAliasesCaseInsensitively) {
  RunsTable table = ParseRunsCsv("Params,TRAIN_TOKENS,Val_Loss\n70B,1.4T,1.94\n1e9,20e9,2.5\n", "runs.csv");
  ASSERT_EQ(table.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(table.runs[0].num_params, 70e9);
  EXPECT_DOUBLE_EQ(table.runs[0].num_tokens, 1.4e12);
  EXPECT_DOUBLE_EQ(table.runs[0].loss_nats, 1.94);
  EXPECT_DOUBLE_EQ(table.runs[0].compute_flops, 6 * 70e9 * 1.4e12);
  EXPECT_TRUE(table.compute_from_tokens);
  EXPECT_FALSE(table.tokens_from_compute);
  EXPECT_EQ(table.runs[1].line, 3);
}

TEST(RunsTable, DerivesTokensFromComputeAndSaysSo) {
  RunsTable table = ParseRunsCsv("Model Size,Training FLOP,loss\n1e9,6e19,2.5\n", "runs.csv");
  ASSERT_EQ(table.runs.size(), 1u);
  EXPECT_DOUBLE_EQ(table.runs[0].num_tokens, 1e10);
  EXPECT_TRUE(table.tokens_from_compute);
  ASSERT_EQ(table.notes.size(), 1u);
  EXPECT_NE(table.notes[0].find("D = C / (6 N)"), std::string::npos);
}

TEST(RunsTable, AcceptsBomCrlfQuotesCommentsAndBlankLines) {
  const std::string text =
      "\xEF\xBB\xBF# exported from a tracker\r\n"
      "\"name\",N,D,loss\r\n"
      "\r\n"
      "\"run, one\",1e9,2e10,\"2.5\"\r\n"
      "# a comment between runs\r\n"
      "\"say \"\"hi\"\"\",2e9,4e10,2.3\r\n";
  RunsTable table = ParseRunsCsv(text, "runs.csv");
  ASSERT_EQ(table.runs.size(), 2u);
  EXPECT_DOUBLE_EQ(table.runs[0].loss_nats, 2.5);
  EXPECT_DOUBLE_EQ(table.runs[1].num_params, 2e9);
  EXPECT_EQ(table.runs[0].line, 4);
  EXPECT_EQ(table.runs[1].line, 6);
}

TEST(RunsTable, ExplicitColumnsOverrideAliases) {
  RunsColumns columns;
  columns.loss = "ppl_loss";
  columns.params = "size";
  RunsTable table = ParseRunsCsv("size,tokens,loss,ppl_loss\n1e9,2e10,9,2.5\n", "runs.csv", columns);
  EXPECT_DOUBLE_EQ(table.runs[0].loss_nats, 2.5);
  EXPECT_EQ(ErrorOf("size,tokens,loss\n1,2,3\n", RunsColumns{"nope", "", "", ""}),
            "runs.csv:1: no column named 'nope' (from --n-col) for N (parameters); the header has 'size', 'tokens', "
            "'loss'");
}

TEST(RunsTable, BadInputNamesFileLineColumnAndText) {
  EXPECT_EQ(ErrorOf(""), "runs.csv: empty file: no header row (expected a header such as 'N,D,loss')");
  EXPECT_EQ(ErrorOf("# only a comment\n\n"), "runs.csv: empty file: no header row (expected a header such as 'N,D,loss')");
  EXPECT_EQ(ErrorOf("N,D,loss\n"), "runs.csv:1: no runs: the file has a header but no data rows");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,2e10,abc\n"), "runs.csv:2: column 3 ('loss'): not a number: 'abc'");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,2e10,nan\n"), "runs.csv:2: column 3 ('loss'): NaN is not a value: 'nan'");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,inf,2\n"), "runs.csv:2: column 2 ('D'): infinite value: 'inf'");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,2e10,2\n0,2e10,2\n"), "runs.csv:3: column 1 ('N'): must be positive: '0'");
  EXPECT_EQ(ErrorOf("N,D,loss\n-1e9,2e10,2\n"), "runs.csv:2: column 1 ('N'): must be positive: '-1e9'");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,2e10,2\n1e9,2e10\n"), "runs.csv:3: ragged row: 2 fields, but the header has 3");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,,2\n"), "runs.csv:2: column 2 ('D'): empty value");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,\"2e10,2\n"), "runs.csv:2: column 2: unterminated quoted field (missing closing quote)");
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,2e\"10,2\n"),
            "runs.csv:2: column 2: stray quote inside an unquoted field (quote the whole field and double inner quotes)");
  EXPECT_NE(ErrorOf("params,loss\n1e9,2\n").find("missing column for D (tokens) or C (compute)"), std::string::npos);
  EXPECT_NE(ErrorOf("D,loss\n1e9,2\n").find("missing column for N (parameters): the header has 'D', 'loss'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("N,D\n1e9,2\n").find("missing column for the loss"), std::string::npos);
  EXPECT_NE(ErrorOf("N,params,D,loss\n1,1,1,1\n").find("two columns could be N (parameters) ('N' and 'params')"),
            std::string::npos);
}

// A D or C the loader derives is held to the same rule as one it reads (found by tests/fuzz/csv_runs_fuzz.cc: both
// were accepted as infinity or 0).
TEST(RunsTable, DerivedTokensOrComputeOutsideTheDoubleRangeIsAnInputError) {
  EXPECT_EQ(ErrorOf("N,D,loss\n1e9,2e10,2\n1e200,1e200,2\n"),
            "runs.csv:3: C = 6 N D is out of range for N = 1.00e+200, D = 1.00e+200");
  EXPECT_EQ(ErrorOf("N,C,loss\n1e300,1e-300,2\n"),
            "runs.csv:2: D = C / (6 N) is out of range for N = 1.00e+300, C = 1.00e-300");
  const RunsTable table = ParseRunsCsv("N,C,loss\n1e150,6e160,2\n", "runs.csv");
  EXPECT_DOUBLE_EQ(table.runs[0].num_tokens, 1e10);
}

TEST(RunsTable, MissingFileIsAnInputError) {
  try {
    LoadRunsCsv("/nonexistent/runs.csv");
    FAIL();
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()), "/nonexistent/runs.csv: cannot read the file (No such file or directory)");
  }
}

TEST(BundledData, HasTheEpochSelection) {
  RunsTable all = BundledChinchillaRunsAll();
  ASSERT_EQ(all.runs.size(), 245u);
  EXPECT_TRUE(all.tokens_from_compute);
  RunsTable selected = BundledChinchillaRuns();
  ASSERT_EQ(selected.runs.size(), 240u);
  // Besiroglu et al.: the dropped points are those with loss >= 3.447 (rounded; the lowest of them is 3.446995).
  int dropped_high = 0;
  for (const TrainingRun& run : all.runs) dropped_high += run.loss_nats >= 3.4469 ? 1 : 0;
  EXPECT_EQ(dropped_high, 5);
  for (const TrainingRun& run : selected.runs) EXPECT_LT(run.loss_nats, 3.4469);
  // The embedded copy is byte-identical to data/chinchilla_runs.csv.
  RunsTable from_file = LoadRunsCsv(testing::SourcePath("data/chinchilla_runs.csv"));
  EXPECT_EQ(HashRuns(from_file), HashRuns(all));
}

// Runs held as columns (the Python module's arrays): one record per run, so that each number column is read in place
// with a 32-byte stride; D as int64. The same cells written as CSV text are what ParseRunsCsv is given.
struct RunRecord {
  double num_params;
  std::int64_t num_tokens;
  double loss_nats;
  double compute_flops;
};

ColumnarTable RecordColumns(const std::vector<RunRecord>& records, const std::vector<std::string>& sources) {
  ColumnarTable table;
  table.source = "runs.csv";
  table.header = {"N", "D", "loss", "C", "source"};
  table.num_rows = records.size();
  const auto column = [](const void* first, bool integers) {
    return NumberColumn{first, static_cast<std::ptrdiff_t>(sizeof(RunRecord)), integers};
  };
  table.columns = {column(&records[0].num_params, false), column(&records[0].num_tokens, true),
                   column(&records[0].loss_nats, false), column(&records[0].compute_flops, false), sources};
  return table;
}

TEST(RunsTable, NumberColumnTextIsTheCellPythonWritesForIt) {
  const double floats[] = {5.0, -5.0, 0.3478, 1e20, 6795600349.289497, std::nan(""), -HUGE_VAL, 0.0};
  const std::int64_t integers[] = {70000000000, -2};
  const NumberColumn float_column{floats, sizeof(double), false};
  const NumberColumn integer_column{integers, sizeof(std::int64_t), true};
  const std::vector<std::string> expected = {"5.0", "-5.0", "0.3478", "1e+20", "6795600349.289497",
                                             "nan", "-inf", "0.0"};
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(float_column.Text(i), expected[i]) << i;
  EXPECT_EQ(integer_column.Text(0), "70000000000");
  EXPECT_EQ(integer_column.Text(1), "-2");
  EXPECT_EQ(integer_column.Value(0), 7e10);
  // A reversed view: a negative stride from the last value.
  const NumberColumn reversed{&floats[7], -static_cast<std::ptrdiff_t>(sizeof(double)), false};
  EXPECT_EQ(reversed.Value(5), 0.3478);
}

TEST(RunsTable, ColumnsReadInPlaceGiveTheRunsWarningsAndNotesOfTheirCsv) {
  // Run 2's C (6.24e20) is 30% above 6 N D (the C-vs-6ND warning names its line, 3); runs are grouped by source, one
  // left out by --filter and one by --exclude-lines.
  const std::vector<RunRecord> records = {{1e9, 20000000000, 3.1, 1.2e20},
                                          {2e9, 40000000000, 2.9, 6.24e20},
                                          {4e8, 8000000000, 3.4, 1.92e19},
                                          {8e9, 160000000000, 2.6, 7.68e21},
                                          {3e8, 6000000000, 3.5, 1.08e19}};
  const std::vector<std::string> sources = {"a", "b", "a", "b", "a"};
  const std::string csv =
      "N,D,loss,C,source\n1000000000.0,20000000000,3.1,1.2e+20,a\n2000000000.0,40000000000,2.9,6.24e+20,b\n"
      "400000000.0,8000000000,3.4,1.92e+19,a\n8000000000.0,160000000000,2.6,7.68e+21,b\n"
      "300000000.0,6000000000,3.5,1.08e+19,a\n";
  RunsColumns columns;
  columns.selection.filters = {ParseRunFilter("N<5e9")};
  columns.selection.excluded_lines = ParseLineRanges("6");
  columns.selection.group_by = {"source"};
  const RunsTable from_text = ParseRunsCsv(csv, "runs.csv", columns);
  const RunsTable in_place = RunsFromColumnarTable(RecordColumns(records, sources), columns);
  ASSERT_EQ(in_place.runs.size(), 3u);
  ASSERT_EQ(from_text.runs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(in_place.runs[i].num_params, from_text.runs[i].num_params);
    EXPECT_EQ(in_place.runs[i].num_tokens, from_text.runs[i].num_tokens);
    EXPECT_EQ(in_place.runs[i].loss_nats, from_text.runs[i].loss_nats);
    EXPECT_EQ(in_place.runs[i].compute_flops, from_text.runs[i].compute_flops);
    EXPECT_EQ(in_place.runs[i].line, from_text.runs[i].line);
    EXPECT_EQ(in_place.runs[i].group, from_text.runs[i].group);
  }
  EXPECT_EQ(in_place.runs[2].line, 4);  // lines 2, 3, 4 kept: 5 filtered (N = 8e9), 6 excluded
  EXPECT_EQ(in_place.runs[1].num_tokens, 4e10);
  EXPECT_EQ(in_place.group_values, (std::vector<std::vector<std::string>>{{"a"}, {"b"}}));
  EXPECT_EQ(in_place.warnings, from_text.warnings);
  ASSERT_EQ(in_place.warnings.size(), 1u);
  EXPECT_NE(in_place.warnings[0].find("differ by more than 10% on 1 of 3 runs; the most, line 3"), std::string::npos)
      << in_place.warnings[0];
  EXPECT_EQ(in_place.notes, from_text.notes);
  EXPECT_EQ(in_place.notes.back(), "selected 3 of 5 rows (left out 1 by --exclude-lines, 1 by --filter)");
}

TEST(RunsTable, ABadNumberInPlaceIsReportedAsItsCsvCell) {
  const std::vector<RunRecord> good = {{1e9, 20000000000, 3.1, 1.2e20}, {2e9, 40000000000, 2.9, 4.8e20}};
  const std::vector<std::string> sources = {"a", "b"};
  struct Case {
    RunRecord second;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{-5.0, 40000000000, 2.9, 4.8e20}, "runs.csv:3: column 1 ('N'): must be positive: '-5.0'"},
      {{2e9, 40000000000, std::nan(""), 4.8e20}, "runs.csv:3: column 3 ('loss'): NaN is not a value: 'nan'"},
      {{2e9, -2, 2.9, 4.8e20}, "runs.csv:3: column 2 ('D'): must be positive: '-2'"},
      {{2e9, 40000000000, 2.9, HUGE_VAL}, "runs.csv:3: column 4 ('C'): infinite value: 'inf'"},
      {{0.0, 40000000000, 2.9, 4.8e20}, "runs.csv:3: column 1 ('N'): must be positive: '0.0'"},
  };
  for (const Case& bad : cases) {
    std::vector<RunRecord> records = good;
    records[1] = bad.second;
    std::string in_place;
    try {
      RunsFromColumnarTable(RecordColumns(records, sources));
    } catch (const InputError& error) {
      in_place = error.what();
    }
    EXPECT_EQ(in_place, bad.message);
    // The CSV whose second row holds the same cells as text.
    const ColumnarTable columns = RecordColumns(records, sources);
    std::string row;
    for (size_t k = 0; k < 4; ++k) row += std::get<NumberColumn>(columns.columns[k]).Text(1) + ",";
    EXPECT_EQ(ErrorOf("N,D,loss,C,source\n1e9,20000000000,3.1,1.2e20,a\n" + row + "b\n"), bad.message);
  }
  // --skip-bad-rows leaves out a NaN loss as it leaves out the cell 'nan'.
  std::vector<RunRecord> records = {good[0], good[1], {4e9, 80000000000, std::nan(""), 1.92e21}};
  RunsColumns columns;
  columns.selection.skip_bad_rows = true;
  const RunsTable table = RunsFromColumnarTable(RecordColumns(records, {"a", "b", "c"}), columns);
  EXPECT_EQ(table.runs.size(), 2u);
  ASSERT_EQ(table.warnings.size(), 1u);
  EXPECT_EQ(table.warnings[0], "skipped 1 row whose loss ('loss') is missing or not finite (--skip-bad-rows): line 4");
}

// The one selection every runs reader applies: each kept row's group, by the values of the --group-by columns in
// order of first appearance among the rows kept (a group whose rows were all filtered out does not appear).
TEST(SelectCsvRows, GivesEachKeptRowItsGroupInOrderOfFirstAppearance) {
  const CsvTable csv = ParseCsv(
      "Router,size,loss\n"
      "hash,s,3\n"     // line 2: left out by --filter
      "dense,s,2.9\n"  // line 3: group 0 (dense, s)
      "hash,m,2.8\n"   // line 4: group 1 (hash, m)
      "dense,s,2.7\n"  // line 5: group 0
      "dense,m,2.6\n"  // line 6: left out by --exclude-lines
      "hash,m,2.5\n",  // line 7: group 1
      "runs.csv");
  RunSelection selection;
  selection.filters = {ParseRunFilter("loss<2.95")};
  selection.excluded_lines = ParseLineRanges("6");
  selection.group_by = {"router", "2"};  // a name in any case, a column by its 1-based number
  const CsvSelection selected = SelectCsvRows(csv, selection, std::nullopt);
  ASSERT_EQ(selected.table.rows.size(), 4u);
  std::vector<int> lines;
  for (const CsvRow& row : selected.table.rows) lines.push_back(row.line);
  EXPECT_EQ(lines, (std::vector<int>{3, 4, 5, 7}));
  EXPECT_EQ(selected.groups, (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(selected.group_columns, (std::vector<std::string>{"Router", "size"}));
  EXPECT_EQ(selected.group_values, (std::vector<std::vector<std::string>>{{"dense", "s"}, {"hash", "m"}}));
  EXPECT_EQ(selected.notes, (std::vector<std::string>{"selected 4 of 6 rows (left out 1 by --exclude-lines, 1 by "
                                                      "--filter)"}));

  // Ungrouped, every kept row is in group 0 and there are no groups.
  selection.group_by.clear();
  const CsvSelection plain = SelectCsvRows(csv, selection, std::nullopt);
  EXPECT_EQ(plain.groups, (std::vector<int>{0, 0, 0, 0}));
  EXPECT_TRUE(plain.group_values.empty());

  // A grouping column the header lacks is located like a missing quantity column, naming --group-by.
  selection.group_by = {"seed"};
  try {
    SelectCsvRows(csv, selection, std::nullopt);
    ADD_FAILURE() << "no error for a missing grouping column";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("runs.csv:1: no column named 'seed' (from --group-by)"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace scaleplan

namespace scaleplan {
namespace {

TEST(BundledData, HardwareCatalogueIsTheFileInData) {
  const HardwareCatalogue& bundled = BundledHardwareCatalogue();
  const HardwareCatalogue from_file = ReadHardwareCatalogueFile(testing::SourcePath("data/hardware.json"));
  ASSERT_EQ(bundled.Names(), from_file.Names());
  EXPECT_DOUBLE_EQ(bundled.Find("h100-sxm").DenseFlopsPerSecond(NumericType::BF16), 989e12);
}

}  // namespace
}  // namespace scaleplan
