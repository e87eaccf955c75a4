#include "core/hyperparams_runs.h"

#include <string>

#include <gtest/gtest.h>

#include "core/error.h"

namespace scaleplan {
namespace {

std::string ErrorOf(const std::string& csv, const HyperparamsColumns& columns = {}) {
  try {
    ParseHyperparamsRunsCsv(csv, "bad.csv", columns);
  } catch (const InputError& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(HyperparamsRuns, ReadsTokensSequencesAndComputeFromNAndD) {
  // A batch in tokens, compute given.
  HyperparamsRuns runs = ParseHyperparamsRunsCsv("C,batch_tokens,lr,loss\n1e18,131072,1e-3,3\n", "a.csv");
  ASSERT_EQ(runs.runs.size(), 1u);
  EXPECT_EQ(runs.runs[0].batch_tokens, 131072.0);
  EXPECT_EQ(runs.runs[0].compute_flops, 1e18);
  EXPECT_EQ(runs.runs[0].num_params, 0.0);  // no N column
  EXPECT_EQ(runs.runs[0].line, 2);
  // 64 sequences of 2,048 tokens are 131,072 tokens; N and D give C = 6 N D = 6 x 1e8 x 2e9 = 1.2e18.
  HyperparamsColumns columns;
  columns.seq_len = 2048;
  runs = ParseHyperparamsRunsCsv("N,D,batch_size,learning_rate,loss\n1e8,2e9,64,1e-3,3\n", "b.csv", columns);
  EXPECT_EQ(runs.runs[0].batch_tokens, 131072.0);
  EXPECT_EQ(runs.runs[0].compute_flops, 1.2e18);
  EXPECT_EQ(runs.runs[0].num_params, 1e8);
  EXPECT_TRUE(runs.batch_in_sequences);
  // A named column is in sequences exactly when a sequence length is given.
  columns.batch = "bs";
  columns.seq_len = 0;
  runs = ParseHyperparamsRunsCsv("C,bs,lr,loss\n1e18,4096,1e-3,3\n", "c.csv", columns);
  EXPECT_EQ(runs.runs[0].batch_tokens, 4096.0);
  columns.seq_len = 4096;
  runs = ParseHyperparamsRunsCsv("C,bs,lr,loss\n1e18,4096,1e-3,3\n", "c.csv", columns);
  EXPECT_EQ(runs.runs[0].batch_tokens, 4096.0 * 4096.0);
  // As a runs table: compute, loss and N per run, for the budget grouping.
  const RunsTable table = runs.AsRunsTable();
  ASSERT_EQ(table.runs.size(), 1u);
  EXPECT_EQ(table.runs[0].compute_flops, 1e18);
  EXPECT_EQ(table.runs[0].loss_nats, 3.0);
}

TEST(HyperparamsRuns, BadInputIsLocated) {
  EXPECT_NE(ErrorOf("C,batch_tokens,lr,loss\n1e18,1e5,1e-3,3\n1e18,2e5,0,3.1\n").find("bad.csv:3: column 3 ('lr')"),
            std::string::npos);
  EXPECT_NE(ErrorOf("C,batch_tokens,lr,loss\n1e18,1e5,-2e-3,3\n").find("bad.csv:2: column 3 ('lr')"),
            std::string::npos);
  EXPECT_NE(ErrorOf("C,batch_size,lr,loss\n1e18,64,1e-3,3\n").find("'batch_size' counts sequences: give --seq-len"),
            std::string::npos);
  EXPECT_NE(ErrorOf("C,lr,loss\n1e18,1e-3,3\n").find("missing column for the batch"), std::string::npos);
  EXPECT_NE(ErrorOf("C,batch_tokens,loss\n1e18,1e5,3\n").find("missing column for the learning rate"),
            std::string::npos);
  EXPECT_NE(ErrorOf("N,batch_tokens,lr,loss\n1e8,1e5,1e-3,3\n").find("missing column for C (compute), or N and D"),
            std::string::npos);
  EXPECT_NE(ErrorOf("C,batch_tokens,batch_size,lr,loss\n1e18,1e5,8,1e-3,3\n").find("two columns could be the batch"),
            std::string::npos);
  EXPECT_NE(ErrorOf("C,batch_tokens,lr,loss\n").find("no runs"), std::string::npos);
}

}  // namespace
}  // namespace scaleplan
