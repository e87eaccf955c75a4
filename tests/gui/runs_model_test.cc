// The one model over the runs table: exclusion, what the fit and the charts read from it, and the filter that
// keeps non-positive points off log axes.
#include "gui/runs_model.h"

#include <cmath>
#include <limits>

#include <QSignalSpy>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "tests/gui/gui_testing.h"

namespace scaleplan::gui {
namespace {

RunsTable ThreeRuns() {
  RunsTable table;
  table.source = "three";
  table.runs = {{1e8, 2e9, 1.2e18, 3.0, 2}, {2e8, 4e9, 4.8e18, 2.8, 3}, {4e8, 8e9, 1.92e19, 2.6, 4}};
  return table;
}

TEST(RunsModel, ShowsTheTableWithNumbersInTheValueRole) {
  testing::Application();
  RunsModel model;
  model.SetTable(BundledChinchillaRuns());
  const RunsTable bundled = BundledChinchillaRuns();
  ASSERT_EQ(model.rowCount(), static_cast<int>(bundled.runs.size()));
  EXPECT_EQ(model.columnCount(), RunsModel::kNumColumns);
  const TrainingRun& first = bundled.runs.front();
  EXPECT_EQ(model.data(model.index(0, RunsModel::kColumnParams), RunsModel::kValueRole).toDouble(), first.num_params);
  EXPECT_EQ(model.data(model.index(0, RunsModel::kColumnLoss), RunsModel::kValueRole).toDouble(), first.loss_nats);
  EXPECT_EQ(model.data(model.index(0, RunsModel::kColumnLine), RunsModel::kValueRole).toInt(), first.line);
  EXPECT_EQ(model.data(model.index(0, RunsModel::kColumnIncluded), Qt::CheckStateRole).toInt(), Qt::Checked);
}

TEST(RunsModel, ExcludingRowsChangesWhatTheFitAndChartsSee) {
  testing::Application();
  RunsModel model;
  model.SetTable(ThreeRuns());
  QSignalSpy changed(&model, &RunsModel::IncludedRunsChanged);
  // A user unticking row 1.
  ASSERT_TRUE(model.setData(model.index(1, RunsModel::kColumnIncluded), Qt::Unchecked, Qt::CheckStateRole));
  EXPECT_EQ(changed.count(), 1);
  EXPECT_TRUE(model.IsExcluded(1));
  EXPECT_EQ(model.ExcludedRows(), std::vector<int>{1});
  EXPECT_EQ(model.NumIncluded(), 2);
  const RunsTable included = model.IncludedRuns();
  ASSERT_EQ(included.runs.size(), 2u);
  EXPECT_EQ(included.runs[0].line, 2);
  EXPECT_EQ(included.runs[1].line, 4);
  EXPECT_EQ(included.source, "three");
  EXPECT_EQ(model.PlottableRuns().size(), 2u);
  // Excluding it again changes nothing and says nothing.
  model.SetExcluded({1}, true);
  EXPECT_EQ(changed.count(), 1);
  model.SetExcluded({1, 99, -1}, false);  // out-of-range rows are ignored
  EXPECT_EQ(changed.count(), 2);
  EXPECT_EQ(model.NumIncluded(), 3);
}

TEST(RunsModel, LogAxesNeverSeeNonPositivePoints) {
  testing::Application();
  RunsTable table = ThreeRuns();
  // The CSV loader rejects these; a table built in code can still hold them.
  table.runs.push_back({0.0, 1e9, 1e18, 3.0, 5});
  table.runs.push_back({1e8, -1e9, 1e18, 3.0, 6});
  table.runs.push_back({1e8, 1e9, 1e18, std::numeric_limits<double>::quiet_NaN(), 7});
  table.runs.push_back({1e8, 1e9, std::numeric_limits<double>::infinity(), 3.0, 8});
  RunsModel model;
  model.SetTable(table);
  EXPECT_EQ(model.rowCount(), 7);
  const std::vector<TrainingRun> plottable = model.PlottableRuns();
  ASSERT_EQ(plottable.size(), 3u);
  for (const TrainingRun& run : plottable) {
    EXPECT_GT(run.num_params, 0);
    EXPECT_GT(run.num_tokens, 0);
    EXPECT_TRUE(std::isfinite(run.compute_flops));
    EXPECT_GT(run.loss_nats, 0);
  }
}

}  // namespace
}  // namespace scaleplan::gui
