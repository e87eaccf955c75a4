#include "core/csv.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

namespace scaleplan {
namespace {

// A table whose header sits on line 3 (two comment lines first), so header and cell lines are not both 1.
CsvTable Table(const std::string& header, const std::string& rows = "") {
  return ParseCsv("# exported\n# by hand\n" + header + "\n" + rows, "runs.csv");
}

CsvColumnRule LossRule(const std::string& explicit_name = "") {
  return {"the loss", {"loss", "val_loss", "model size"}, "--loss-col", explicit_name};
}

CsvColumnRule UniqueRule(const std::string& explicit_name = "") {
  return {"U (unique tokens)", {"u", "unique_tokens"}, "", explicit_name};
}

// FindCsvColumn's InputError message ("" when it found a column or none).
std::string FindError(const CsvTable& table, const CsvColumnRule& rule) {
  try {
    FindCsvColumn(table, rule);
  } catch (const InputError& error) {
    return error.what();
  }
  return "";
}

TEST(CsvColumns, FindsTheOneAliasCaseInsensitively) {
  EXPECT_EQ(FindCsvColumn(Table("N,D,Val_Loss"), LossRule()), std::optional<size_t>(2));
  EXPECT_EQ(FindCsvColumn(Table("MODEL SIZE,x"), LossRule()), std::optional<size_t>(0));  // aliases may hold spaces
  EXPECT_EQ(FindCsvColumn(Table("N,D,ppl"), LossRule()), std::nullopt);
  EXPECT_EQ(FindCsvColumn(Table("N,D,loss_2"), LossRule()), std::nullopt);  // whole names only
}

TEST(CsvColumns, ExplicitNameOverridesTheAliases) {
  // "loss" is an alias, but the user named "ppl_loss": no ambiguity, and the alias column is ignored.
  EXPECT_EQ(FindCsvColumn(Table("loss,PPL_Loss"), LossRule("ppl_loss")), std::optional<size_t>(1));
  // A named column need not be an alias, and the name compares case-insensitively.
  EXPECT_EQ(FindCsvColumn(Table("N,d,Q"), UniqueRule("q")), std::optional<size_t>(2));
}

TEST(CsvColumns, AbsentNamedColumnIsAnErrorAtTheHeaderLine) {
  EXPECT_EQ(FindError(Table("N,D,loss"), LossRule("nope")),
            "runs.csv:3: no column named 'nope' (from --loss-col) for the loss; the header has 'N', 'D', 'loss'");
  EXPECT_EQ(FindError(Table("N,D,loss"), UniqueRule("nope")),
            "runs.csv:3: missing column for U (unique tokens): the header has 'N', 'D', 'loss'; no column is named "
            "'nope'");
}

TEST(CsvColumns, TwoMatchingColumnsAreAnErrorNeverAChoice) {
  EXPECT_EQ(FindError(Table("loss,N,val_loss,final"), LossRule()),
            "runs.csv:3: two columns could be the loss ('loss' and 'val_loss'); choose one with --loss-col");
  EXPECT_EQ(FindError(Table("u,N,Unique_Tokens"), UniqueRule()),
            "runs.csv:3: two columns could be U (unique tokens) ('u' and 'Unique_Tokens'); choose one by name");
  // The same name twice (up to case): no name can choose, so the message offers the column numbers, which do.
  EXPECT_EQ(FindError(Table("Loss,N,loss"), LossRule("loss")),
            "runs.csv:3: two columns are named 'loss' (from --loss-col) for the loss: 'Loss' and 'loss', columns 1 "
            "and 3; choose one by its number, --loss-col '#1' or '#3', or rename one of them");
  EXPECT_EQ(FindError(Table("N,D,loss,loss"), LossRule()),
            "runs.csv:3: two columns could be the loss ('loss' and 'loss', columns 3 and 4); choose one by its "
            "number, --loss-col '#3' or '#4', or rename one of them");
  EXPECT_EQ(FindCsvColumn(Table("N,D,loss,loss"), LossRule("#4")), std::optional<size_t>(3));
  EXPECT_EQ(FindError(Table("N,D,loss,loss"), LossRule("#5")),
            "runs.csv:3: no column #5 (from --loss-col) for the loss: the header has 4 columns");
  // A header that is itself named "#2" is found by its name first.
  EXPECT_EQ(FindCsvColumn(Table("N,#2,loss"), LossRule("#2")), std::optional<size_t>(1));
  EXPECT_EQ(FindError(Table("q,Q"), UniqueRule("Q")),
            "runs.csv:3: two columns could be U (unique tokens) ('q' and 'Q'); choose one by name");
}

TEST(CsvColumns, RequireReportsTheHeaderAndTheAcceptedNames) {
  const CsvTable table = Table("N,D");
  try {
    RequireCsvColumn(table, LossRule());
    FAIL() << "expected InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "runs.csv:3: missing column for the loss: the header has 'N', 'D'; accepted names are loss, val_loss, "
              "model size (or name it with --loss-col)");
    EXPECT_EQ(error.where().line, 3);
    EXPECT_EQ(error.where().column, 0);
  }
  EXPECT_EQ(std::string(MissingCsvColumnError(table, UniqueRule()).what()),
            "runs.csv:3: missing column for U (unique tokens): the header has 'N', 'D'; accepted names are u, "
            "unique_tokens");
  EXPECT_EQ(RequireCsvColumn(Table("N,val_loss"), LossRule()), 1u);
}

TEST(CsvColumns, ListsForComposedMessages) {
  EXPECT_EQ(QuotedCsvHeader(Table("N,\"a, b\",loss")), "'N', 'a, b', 'loss'");
  EXPECT_EQ(QuotedCsvHeader(Table("only")), "'only'");
  EXPECT_EQ(CsvAliasList(LossRule()), "loss, val_loss, model size");
  EXPECT_EQ(CsvAliasList(CsvColumnRule{"x", {}, "", ""}), "");
}

TEST(CsvCells, ParsesPositiveQuantitiesWithTheirLocation) {
  const CsvTable table = Table("N,D,loss", "70B,1.4T,1.94\n\n1e9,0,abc\n");
  ASSERT_EQ(table.rows.size(), 2u);
  EXPECT_DOUBLE_EQ(ParsePositiveCsvCell(table, table.rows[0], 0), 70e9);
  EXPECT_DOUBLE_EQ(ParsePositiveCsvCell(table, table.rows[0], 1), 1.4e12);
  EXPECT_DOUBLE_EQ(ParsePositiveCsvCell(table, table.rows[0], 2), 1.94);

  const InputLocation where = CsvCellLocation(table, table.rows[1], 2);
  EXPECT_EQ(where.file, "runs.csv");
  EXPECT_EQ(where.line, 6);  // after two comments, the header, the first row and a blank line
  EXPECT_EQ(where.column, 3);
  EXPECT_EQ(where.column_name, "loss");
  EXPECT_EQ(where.text, "");

  const auto error_of = [&table](size_t column) -> std::string {
    try {
      ParsePositiveCsvCell(table, table.rows[1], column);
    } catch (const InputError& error) {
      return error.what();
    }
    return "";
  };
  EXPECT_EQ(error_of(1), "runs.csv:6: column 2 ('D'): must be positive: '0'");
  EXPECT_EQ(error_of(2), "runs.csv:6: column 3 ('loss'): not a number: 'abc'");
  EXPECT_THROW(CsvCellLocation(table, table.rows[1], 3), InternalError);
}

// A lone CR ends a line wherever it is, as in ReadRow: a blank or comment line ended by one once swallowed the rows
// up to the next LF (found by tests/fuzz/csv_runs_fuzz.cc).
TEST(CsvReader, LoneCrEndsBlankAndCommentLinesToo) {
  for (const std::string end : {"\r", "\n", "\r\n"}) {
    const CsvTable table = ParseCsv("N,D,loss" + end + end + "1,2,3" + end + "# note" + end + "4,5,6" + end, "r.csv");
    ASSERT_EQ(table.rows.size(), 2u) << "line end " << (end == "\r" ? "CR" : end == "\n" ? "LF" : "CRLF");
    EXPECT_EQ(table.rows[0].fields, (std::vector<std::string>{"1", "2", "3"}));
    EXPECT_EQ(table.rows[0].line, 3);
    EXPECT_EQ(table.rows[1].fields, (std::vector<std::string>{"4", "5", "6"}));
    EXPECT_EQ(table.rows[1].line, 5);
  }
}

}  // namespace
}  // namespace scaleplan
