// Drives the Plan dock's sparse model under QT_QPA_PLATFORM=offscreen: the sparsity typed into its input and the
// method picked in its list give the plan core computes for the dock's budget, and the loss-against-sparsity chart
// draws core's curve, the dense plan, the chosen sparsity and the optimum.
#include "gui/sparsity_chart.h"

#include <cmath>
#include <string>

#include <QChart>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QLineSeries>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTest>

#include <gtest/gtest.h>

#include "core/sparse_laws.h"
#include "core/units.h"
#include "gui/plan_panel.h"
#include "tests/gui/gui_testing.h"

namespace scaleplan {
namespace {

using gui::PlanPanel;
using gui::SparsityBox;

template <class Series>
Series* FindSeries(QChart* chart, const char* name) {
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == QLatin1String(name)) return qobject_cast<Series*>(series);
  }
  return nullptr;
}

// Types a sparsity into the input as a user would: select all, type, Enter.
void TypeSparsity(QDoubleSpinBox* input, const char* text) {
  input->setFocus();
  QTest::keyClick(input, Qt::Key_A, Qt::ControlModifier);
  QTest::keyClicks(input, text);
  QTest::keyClick(input, Qt::Key_Return);
}

TEST(SparsityChartTest, TypedSparsityAndMethodGiveCoresPlanAtTheDocksBudget) {
  testing::Application();
  PlanPanel panel;
  panel.resize(600, 1400);
  panel.show();
  auto* box = panel.findChild<SparsityBox*>("sparsity_box");
  ASSERT_NE(box, nullptr);
  auto* input = box->findChild<QDoubleSpinBox*>("sparsity");
  auto* method = box->findChild<QComboBox*>("sparse_method");
  ASSERT_NE(input, nullptr);
  ASSERT_NE(method, nullptr);

  // The dock's budget reaches the box.
  panel.SetBudget(1e21);
  EXPECT_DOUBLE_EQ(box->budget_flops(), 1e21);

  QSignalSpy changed(box, &SparsityBox::PlanChanged);
  method->setCurrentIndex(method->findText("rigl"));
  TypeSparsity(input, "0.75");
  EXPECT_GE(changed.count(), 1);
  EXPECT_DOUBLE_EQ(box->sparsity(), 0.75);
  ASSERT_EQ(box->method(), SparseMethod::RIGL);

  const SparsePlan expected = PlanSparseAtSparsity(FrantarT5Law(), 1e21, 0.75, SparseMethod::RIGL);
  EXPECT_DOUBLE_EQ(box->plan().loss_nats, expected.loss_nats);
  EXPECT_NEAR(box->plan().num_params, expected.num_nonzero_params / 0.25, expected.num_params * 1e-12);
  const QString loss_text = box->findChild<QLabel*>("sparse_loss")->text();
  EXPECT_TRUE(loss_text.startsWith(QString::fromStdString(FormatNumber(expected.loss_nats, 4))))
      << loss_text.toStdString();
  EXPECT_EQ(box->findChild<QLabel*>("sparse_nonzero_params")->text().toStdString(),
            FormatQuantity(expected.num_nonzero_params));

  // A sparsity outside the input's [0, 0.99] cannot be entered.
  TypeSparsity(input, "1.5");
  EXPECT_LE(box->sparsity(), 0.99);
}

TEST(SparsityChartTest, ChartDrawsTheCurveTheDensePlanTheChoiceAndTheOptimum) {
  testing::Application();
  SparsityBox box;
  box.SetBudget(1e21);
  box.findChild<QComboBox*>("sparse_method")
      ->setCurrentIndex(box.findChild<QComboBox*>("sparse_method")->findText("gmp"));
  box.SetSparsity(0.9);
  QChart* chart = box.chart();
  ASSERT_NE(chart, nullptr);
  auto* curve = FindSeries<QLineSeries>(chart, gui::kSparsityCurveSeries);
  auto* dense = FindSeries<QLineSeries>(chart, gui::kSparsityDenseSeries);
  auto* chosen = FindSeries<QScatterSeries>(chart, gui::kSparsityChosenSeries);
  auto* optimum = FindSeries<QScatterSeries>(chart, gui::kSparsityOptimumSeries);
  ASSERT_TRUE(curve && dense && chosen && optimum);
  ASSERT_EQ(curve->count(), 100);

  // GMP trains dense before pruning, so at S = 0 it is the dense plan: the curve starts on the dense line.
  EXPECT_DOUBLE_EQ(curve->at(0).x(), 0.0);
  EXPECT_NEAR(curve->at(0).y(), dense->at(0).y(), 1e-12);
  // The optimum is no worse than any point of the curve (a brute-force check over its 100 sparsities), and is
  // GMP's interior optimum at 1e21 FLOPs (S 0.498, loss 1.3424 against 1.3534 dense; README).
  double lowest = 1e300;
  for (int i = 0; i < curve->count(); ++i) lowest = std::min(lowest, curve->at(i).y());
  EXPECT_LE(optimum->at(0).y(), lowest + 1e-12);
  EXPECT_NEAR(optimum->at(0).x(), 0.498, 0.002);
  EXPECT_NEAR(optimum->at(0).y(), 1.3424, 5e-5);
  EXPECT_NEAR(dense->at(0).y(), 1.3534, 5e-5);
  // The chosen point is the plan at S 0.9.
  EXPECT_DOUBLE_EQ(chosen->at(0).x(), 0.9);
  EXPECT_DOUBLE_EQ(chosen->at(0).y(), PlanSparseAtSparsity(FrantarT5Law(), 1e21, 0.9, SparseMethod::GMP).loss_nats);

  // A static mask's cost per non-zero weight does not grow with S: its optimum is the search's upper bound, and the
  // box says so.
  box.findChild<QComboBox*>("sparse_method")
      ->setCurrentIndex(box.findChild<QComboBox*>("sparse_method")->findText("static"));
  EXPECT_NEAR(box.curve().optimum.sparsity, 0.99, 1e-6);
  EXPECT_TRUE(box.findChild<QLabel*>("sparse_optimum")->text().contains("upper bound"));
}

}  // namespace
}  // namespace scaleplan
