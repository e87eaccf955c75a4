#include "fitting/law_table.h"

#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/error.h"
#include "fitting/golden.h"
#include "fitting/sparse_fit.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

std::vector<std::string> NamesOf(const TableLawFit& fit) {
  std::vector<std::string> names;
  for (const auto& parameter : fit.parameters) names.push_back(parameter.first);
  return names;
}

// The hash that a golden records covers U: the same N, D and loss with another U is other data, and the same values
// under another header (read with --u-col) are the same data.
TEST(LawTable, TheDataConstrainedHashCoversTheUniqueTokens) {
  const std::string rows = "1e9,4e10,0.5e10,2.9\n2e9,8e10,1e10,2.7\n4e9,1.6e11,4e10,2.5\n";
  const std::string same = testing::WriteTempFile("law_table_u.csv", "N,D,U,loss\n" + rows);
  const std::string renamed = testing::WriteTempFile("law_table_unique.csv", "N,D,unique,loss\n" + rows);
  const std::string other = testing::WriteTempFile(
      "law_table_u_other.csv", "N,D,U,loss\n1e9,4e10,0.6e10,2.9\n2e9,8e10,1e10,2.7\n4e9,1.6e11,4e10,2.5\n");
  LawRunsOptions options;
  const LawRuns runs = LoadLawRuns("data-constrained", same, options);
  EXPECT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs.unique_tokens_column, "U");
  EXPECT_NE(LoadLawRuns("data-constrained", other, options).hash, runs.hash);
  options.unique_tokens_column = "unique";
  const LawRuns renamed_runs = LoadLawRuns("data-constrained", renamed, options);
  EXPECT_EQ(renamed_runs.hash, runs.hash);
  EXPECT_EQ(renamed_runs.unique_tokens_column, "unique");
  // The common view: C = 6 N D, line = the run's index.
  EXPECT_DOUBLE_EQ(runs.view.runs[2].compute_flops, 6 * 4e9 * 1.6e11);
  EXPECT_EQ(runs.view.runs[2].line, 2);
  // Without U the reader's message, saying whose runs these are not.
  try {
    LoadLawRuns("data-constrained", testing::WriteTempFile("law_table_no_u.csv", "N,D,loss\n1e9,4e10,2.9\n"), {});
    FAIL() << "runs without U were read";
  } catch (const InputError& error) {
    EXPECT_EQ(error.message().rfind("not data-constrained runs: missing column for U", 0), 0u) << error.message();
  }
}

// Kaplan's and IsoFLOP's entries record the names a golden of each law parses (GoldenParameterNames).
TEST(LawTable, KaplanAndIsoFlopRecordTheGoldensParameters) {
  const LawRuns runs = LawRunsOfTable("kaplan", BundledChinchillaRuns());
  EXPECT_EQ(runs.hash, FormatRunsHash(BundledChinchillaRuns()));
  const TableLawFit kaplan = FitTableLaw(*FindTableLaw("kaplan"), runs, {});
  ASSERT_TRUE(kaplan.usable) << kaplan.status;
  EXPECT_EQ(NamesOf(kaplan), GoldenParameterNames("kaplan"));
  const TableLawFit isoflop =
      FitTableLaw(*FindTableLaw("isoflop"), LawRunsOfTable("isoflop", BundledChinchillaRuns()), {});
  ASSERT_TRUE(isoflop.usable) << isoflop.status;
  EXPECT_EQ(NamesOf(isoflop), GoldenParameterNames("isoflop"));
  EXPECT_FALSE(isoflop.has_objective);
  EXPECT_FALSE(isoflop.predict_loss);  // IsoFLOP predicts no run's loss
}

// A fold of TableLawFitter is the law's fit of the training runs alone, and predicts a held-out run by eq. 1 of
// Frantar et al. with that fit's coefficients.
TEST(LawTable, AFoldIsTheFitOfItsTrainingRuns) {
  const LawRuns runs = LoadLawRuns("sparse", "", {});  // the bundled T5 runs
  const TableLaw& law = *FindTableLaw("sparse");
  const LawFitter fitter = TableLawFitter(law, runs, {});
  RunsTable train;
  train.source = runs.source;
  SparseRunsTable train_runs = std::get<SparseRunsTable>(runs.table);
  train_runs.runs.clear();
  for (size_t i = 0; i < runs.size(); ++i) {
    if (i % 4 == 3) continue;  // hold out every fourth run
    train.runs.push_back(runs.view.runs[i]);
    train_runs.runs.push_back(std::get<SparseRunsTable>(runs.table).runs[i]);
  }
  const FittedLaw fold = fitter.fit(train);
  ASSERT_TRUE(fold.usable) << fold.status;
  const SparseFit reference = FitSparseLaw(train_runs);
  ASSERT_TRUE(reference.search.usable);
  for (size_t i = 3; i < runs.size(); i += 4) {
    const SparseRun& run = std::get<SparseRunsTable>(runs.table).runs[i];
    const SparseLaw& p = reference.law;
    const double closed_form =
        (p.a_S * std::pow(1 - run.sparsity, p.b_S) + p.c_S) * std::pow(run.num_nonzero_params, -p.b_N) +
        std::pow(p.a_D / run.num_tokens, p.b_D) + p.c;
    EXPECT_NEAR(fold.predict_loss(runs.view.runs[i]) / closed_form, 1.0, 1e-12) << "run " << i;
  }
}

}  // namespace
}  // namespace scaleplan
