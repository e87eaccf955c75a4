#include "core/runs_table.h"

#include <gtest/gtest.h>

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
