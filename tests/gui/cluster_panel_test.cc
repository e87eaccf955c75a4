// Drives the Cluster / Layout dock under QT_QPA_PLATFORM=offscreen: its table, summary and breakdown charts against
// PlanFrontier called directly for the same request, an infeasible cluster's reasons, inputs that do not parse,
// stale background plans, the proposed architecture fed by the Plan dock, the View menu, sessions (old ones too),
// and the window at 1366 x 768 and 1920 x 1080 with the dock shown.
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <QAction>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMenu>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedBarSeries>
#include <QTableWidget>
#include <QTest>

#include <gtest/gtest.h>

#include "core/architectures.h"
#include "core/bundled_data.h"
#include "core/frontier_plan.h"
#include "gui/cluster_panel.h"
#include "gui/main_window.h"
#include "gui/plan_panel.h"
#include "gui/session.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using gui::ClusterPanel;
using gui::MainWindow;

constexpr int kPlanTimeoutMs = 60000;

QString Q(const std::string& text) { return QString::fromStdString(text); }

// Waits until the panel has planned its current inputs.
void WaitForPlan(ClusterPanel* panel) {
  QElapsedTimer timer;
  timer.start();
  while (panel->IsPlanning() && timer.elapsed() < kPlanTimeoutMs) QTest::qWait(5);
  ASSERT_FALSE(panel->IsPlanning()) << "no plan within " << kPlanTimeoutMs << " ms";
}

// PlanFrontier for a bundled architecture, as the dock's inputs describe it (its target days default to
// kDefaultFrontierDays, which the request states here on its own).
FrontierPlan Expected(const std::string& architecture, double num_tokens, std::int64_t num_devices,
                      NumericType precision = NumericType::BF16) {
  FrontierRequest request;
  request.shape = FindArchitecture(architecture).shape;
  request.num_tokens = num_tokens;
  request.num_devices = num_devices;
  request.max_days = kDefaultFrontierDays;
  request.precision = precision;
  return PlanFrontier(request, BundledHardwareCatalogue().Find("H100-SXM"));
}

QStackedBarSeries* Bars(QChartView* view) {
  for (QAbstractSeries* series : view->chart()->series()) {
    if (auto* bars = qobject_cast<QStackedBarSeries*>(series)) return bars;
  }
  return nullptr;
}

// The sum of every bar set's value for category `index`.
double BarTotal(QStackedBarSeries* bars, int index) {
  double total = 0.0;
  for (QBarSet* set : bars->barSets()) total += set->at(index);
  return total;
}

QStringList BarNames(QStackedBarSeries* bars) {
  QStringList names;
  for (QBarSet* set : bars->barSets()) names << set->label();
  return names;
}

class ClusterPanelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Application();
    panel_ = std::make_unique<ClusterPanel>();
    panel_->show();
    WaitForPlan(panel_.get());
  }

  template <class Widget>
  Widget* Find(const char* name) const {
    auto* widget = panel_->findChild<Widget*>(name);
    EXPECT_NE(widget, nullptr) << "no widget named " << name;
    return widget;
  }

  // Replaces the text of line edit `name` by typing `text`, then presses Return.
  void TypeInto(const char* name, const QString& text) const {
    auto* field = Find<QLineEdit>(name);
    field->setFocus();
    field->selectAll();
    QTest::keyClick(field, Qt::Key_Backspace);
    QTest::keyClicks(field, text);
    QTest::keyClick(field, Qt::Key_Return);
  }

  // Types a device count into the spin box (each key press replans; the earlier plans go stale).
  void TypeDevices(int count) const {
    auto* devices = Find<QSpinBox>("cluster_devices");
    devices->setFocus();
    devices->selectAll();
    QTest::keyClicks(devices, QString::number(count));
    QTest::keyClick(devices, Qt::Key_Return);
  }

  void Choose(const char* combo, const QString& data) const {
    auto* box = Find<QComboBox>(combo);
    const int index = box->findData(data);
    ASSERT_GE(index, 0) << data.toStdString() << " not in " << combo;
    box->setCurrentIndex(index);
  }

  // llama3-405b on 16,384 H100s for 15.6T tokens: Llama 3's published run.
  void ChooseLlama405bRun() const {
    Choose("cluster_architecture", QStringLiteral("llama3-405b"));
    Find<QComboBox>("cluster_accelerator")->setCurrentText(QStringLiteral("H100-SXM"));
    TypeDevices(16384);
    TypeInto("cluster_tokens", QStringLiteral("15.6T"));
    WaitForPlan(panel_.get());
  }

  std::unique_ptr<ClusterPanel> panel_;
};

// Automatic devices for a short run of a large model: the fewest H100s that hold llama3-405b and meet 90 days train
// it at a low MFU, and a larger count costs fewer GPU-hours; the summary names the fewest beside the count chosen,
// both as PlanFrontier records them.
TEST_F(ClusterPanelTest, SummaryNamesTheFewestCountWhenACheaperOneIsChosen) {
  Choose("cluster_architecture", QStringLiteral("llama3-405b"));
  Find<QComboBox>("cluster_accelerator")->setCurrentText(QStringLiteral("H100-SXM"));
  TypeDevices(0);
  TypeInto("cluster_tokens", QStringLiteral("10B"));
  WaitForPlan(panel_.get());
  const FrontierPlan expected = Expected("llama3-405b", 10e9, 0);
  ASSERT_TRUE(expected.count_searched && expected.count_meets_days);
  ASSERT_LT(expected.fewest_num_devices, expected.num_devices);
  ASSERT_TRUE(panel_->plan().has_value()) << panel_->ErrorText().toStdString();
  EXPECT_EQ(panel_->plan()->plan.num_devices, expected.num_devices);
  const QString summary = Find<QLabel>("cluster_summary")->text();
  EXPECT_TRUE(summary.contains(QStringLiteral("cheaper than the fewest (%1) for 90 days")
                                   .arg(QString::number(expected.fewest_num_devices))))
      << summary.toStdString();
}

TEST_F(ClusterPanelTest, TableAndChartsShowPlanFrontiersLayouts) {
  ChooseLlama405bRun();
  const FrontierPlan expected = Expected("llama3-405b", 15.6e12, 16384);
  ASSERT_TRUE(expected.feasible);
  ASSERT_TRUE(panel_->plan().has_value()) << panel_->ErrorText().toStdString();
  EXPECT_EQ(panel_->plan()->plan.num_devices, 16384);

  auto* table = Find<QTableWidget>("cluster_layouts");
  const std::vector<LayoutEstimate>& best = expected.search.best;
  ASSERT_EQ(table->rowCount(), static_cast<int>(best.size()));
  ASSERT_GE(table->rowCount(), 1);
  EXPECT_LE(table->rowCount(), 5);
  for (int row = 0; row < table->rowCount(); ++row) {
    const ParallelLayout& layout = best[row].layout;
    EXPECT_EQ(table->item(row, ClusterPanel::TP)->text(), QString::number(layout.tp)) << "row " << row;
    EXPECT_EQ(table->item(row, ClusterPanel::PP)->text(), QString::number(layout.pp)) << "row " << row;
    EXPECT_EQ(table->item(row, ClusterPanel::DP)->text(), QString::number(layout.dp)) << "row " << row;
    EXPECT_EQ(table->item(row, ClusterPanel::VIRTUAL)->text(), QString::number(layout.virtual_stages));
    EXPECT_EQ(table->item(row, ClusterPanel::ZERO)->text(), QString::number(layout.zero_stage));
    EXPECT_EQ(table->item(row, ClusterPanel::RECOMPUTATION)->text(), RecomputationName(layout.recomputation));
    EXPECT_EQ(table->item(row, ClusterPanel::MFU)->data(Qt::UserRole).toDouble(), best[row].mfu);
    EXPECT_EQ(table->item(row, ClusterPanel::STEP_SECONDS)->data(Qt::UserRole).toDouble(), best[row].step_seconds);
    EXPECT_EQ(table->item(row, ClusterPanel::DAYS)->data(Qt::UserRole).toDouble(), best[row].days);
  }
  // The MFU as shown: the predicted fraction in percent, one decimal.
  EXPECT_EQ(table->item(0, ClusterPanel::MFU)->text(), QString::number(100.0 * best[0].mfu, 'f', 1) + " %");
  EXPECT_EQ(table->item(0, ClusterPanel::COST)->data(Qt::UserRole).toDouble(), expected.cost_usd);

  const QString summary = Find<QLabel>("cluster_summary")->text();
  EXPECT_TRUE(summary.startsWith(QStringLiteral("16,384 x H100-SXM (2,048 nodes)"))) << summary.toStdString();
  EXPECT_TRUE(summary.contains(QStringLiteral(": feasible"))) << summary.toStdString();
  ASSERT_TRUE(expected.meets_max_days.has_value());
  EXPECT_TRUE(summary.contains(*expected.meets_max_days ? QStringLiteral("meets 90 days")
                                                        : QStringLiteral("misses 90 days")))
      << summary.toStdString();

  // Step time: 7 parts per layout, each bar summing to the layout's step seconds.
  QStackedBarSeries* step = Bars(Find<QChartView>("cluster_step_chart"));
  ASSERT_NE(step, nullptr);
  EXPECT_EQ(BarNames(step), (QStringList{"compute", "TP", "PP", "DP", "EP", "CP", "bubble"}));
  ASSERT_EQ(step->barSets().front()->count(), static_cast<int>(best.size()));
  for (int i = 0; i < static_cast<int>(best.size()); ++i) {
    EXPECT_NEAR(BarTotal(step, i), best[i].step_seconds, 1e-12 * best[i].step_seconds) << "layout " << i;
  }
  EXPECT_EQ(step->barSets().front()->at(0), best[0].step.compute_seconds);
  EXPECT_EQ(step->barSets().back()->at(0), best[0].step.bubble_seconds);

  // Memory: 7 parts in GB, each bar summing to the layout's memory, under the usable line.
  QChartView* memory_view = Find<QChartView>("cluster_memory_chart");
  QStackedBarSeries* memory = Bars(memory_view);
  ASSERT_NE(memory, nullptr);
  EXPECT_EQ(BarNames(memory),
            (QStringList{"weights", "gradients", "optimizer", "activations", "logits", "gathered", "buffers"}));
  for (int i = 0; i < static_cast<int>(best.size()); ++i) {
    EXPECT_NEAR(BarTotal(memory, i) * 1e9, best[i].memory.Total(), 1e-9 * best[i].memory.Total()) << "layout " << i;
    EXPECT_LE(BarTotal(memory, i) * 1e9, best[i].usable_memory_bytes * (1 + 1e-12));
  }
  QLineSeries* usable = nullptr;
  for (QAbstractSeries* series : memory_view->chart()->series()) {
    if (series->objectName() == "usable") usable = qobject_cast<QLineSeries*>(series);
  }
  ASSERT_NE(usable, nullptr);
  EXPECT_DOUBLE_EQ(usable->at(0).y() * 1e9, best[0].usable_memory_bytes);
}

TEST_F(ClusterPanelTest, InfeasibleClusterShowsTheReasons) {
  Choose("cluster_architecture", QStringLiteral("llama3-405b"));
  TypeDevices(8);
  WaitForPlan(panel_.get());
  const FrontierPlan expected = Expected("llama3-405b", 15.6e12, 8);
  ASSERT_FALSE(expected.feasible);
  ASSERT_FALSE(expected.reasons.empty());
  ASSERT_TRUE(panel_->plan().has_value()) << panel_->ErrorText().toStdString();
  EXPECT_EQ(Find<QTableWidget>("cluster_layouts")->rowCount(), 0);
  auto* summary = Find<QLabel>("cluster_summary");
  EXPECT_EQ(summary->text(), QStringLiteral("8 x H100-SXM (1 node): infeasible"));
  auto* reasons = Find<QLabel>("cluster_reasons");
  EXPECT_FALSE(reasons->isHidden());
  for (const std::string& reason : expected.reasons) {
    EXPECT_TRUE(reasons->text().contains(Q(reason))) << reason << " not in " << reasons->text().toStdString();
  }
  // The closest layout is drawn against the usable memory, which it exceeds.
  if (expected.search.least_memory) {
    QStackedBarSeries* memory = Bars(Find<QChartView>("cluster_memory_chart"));
    ASSERT_NE(memory, nullptr);
    ASSERT_EQ(memory->barSets().front()->count(), 1);
    EXPECT_NEAR(BarTotal(memory, 0) * 1e9, expected.search.least_memory->memory.Total(),
                1e-9 * expected.search.least_memory->memory.Total());
    EXPECT_GT(BarTotal(memory, 0) * 1e9, expected.search.least_memory->usable_memory_bytes);
  }

  // Back to a cluster that fits: the reasons go.
  TypeDevices(16384);
  WaitForPlan(panel_.get());
  EXPECT_TRUE(reasons->isHidden() || !reasons->text().contains(Q(expected.reasons.front())));
}

TEST_F(ClusterPanelTest, Fp8ChangesThePeakAndThePlan) {
  ChooseLlama405bRun();
  Choose("cluster_precision", QString::number(static_cast<int>(NumericType::FP8)));
  WaitForPlan(panel_.get());
  const FrontierPlan expected = Expected("llama3-405b", 15.6e12, 16384, NumericType::FP8);
  ASSERT_TRUE(panel_->plan().has_value());
  ASSERT_TRUE(expected.feasible);
  auto* table = Find<QTableWidget>("cluster_layouts");
  EXPECT_EQ(table->item(0, ClusterPanel::STEP_SECONDS)->data(Qt::UserRole).toDouble(),
            expected.search.best[0].step_seconds);
  EXPECT_EQ(panel_->plan()->request.precision, NumericType::FP8);
}

TEST_F(ClusterPanelTest, InputsThatDoNotParseAreShownInline) {
  TypeInto("cluster_tokens", QStringLiteral("lots"));
  WaitForPlan(panel_.get());
  EXPECT_FALSE(panel_->plan().has_value());
  EXPECT_TRUE(panel_->ErrorText().startsWith(QStringLiteral("tokens: "))) << panel_->ErrorText().toStdString();
  EXPECT_EQ(Find<QTableWidget>("cluster_layouts")->rowCount(), 0);

  TypeInto("cluster_tokens", QStringLiteral("15.6T"));
  TypeInto("cluster_batch", QStringLiteral("-4M"));
  WaitForPlan(panel_.get());
  EXPECT_TRUE(panel_->ErrorText().startsWith(QStringLiteral("global batch: "))) << panel_->ErrorText().toStdString();

  // An accelerator without an fp8 peak is refused before planning.
  TypeInto("cluster_batch", QString());
  Find<QComboBox>("cluster_accelerator")->setCurrentText(QStringLiteral("A100-80GB"));
  Choose("cluster_precision", QString::number(static_cast<int>(NumericType::FP8)));
  WaitForPlan(panel_.get());
  EXPECT_EQ(panel_->ErrorText(), QStringLiteral("precision: A100-80GB has no fp8 peak"));
}

// Every key press of "16384" replans; only the plan of the last input is shown.
TEST_F(ClusterPanelTest, StalePlansAreDiscarded) {
  Choose("cluster_architecture", QStringLiteral("llama3-70b"));
  TypeInto("cluster_tokens", QStringLiteral("15T"));
  QSignalSpy shown(panel_.get(), &ClusterPanel::PlanShown);
  TypeDevices(16384);
  WaitForPlan(panel_.get());
  ASSERT_TRUE(panel_->plan().has_value());
  EXPECT_EQ(panel_->plan()->plan.num_devices, 16384);
  EXPECT_GE(shown.count(), 1);
  EXPECT_LT(shown.count(), 5) << "stale plans were shown";
  const FrontierPlan expected = Expected("llama3-70b", 15e12, 16384);
  ASSERT_TRUE(expected.feasible);
  EXPECT_EQ(Find<QTableWidget>("cluster_layouts")->item(0, ClusterPanel::DP)->text(),
            QString::number(expected.search.best[0].layout.dp));
}

// Auto devices: the fewest whole nodes that finish within the target days, as PlanFrontier's count search.
TEST_F(ClusterPanelTest, AutoCountMeetsTheTargetDays) {
  Choose("cluster_architecture", QStringLiteral("llama3-70b"));
  TypeInto("cluster_tokens", QStringLiteral("15T"));
  Find<QSpinBox>("cluster_devices")->setValue(0);
  WaitForPlan(panel_.get());
  const FrontierPlan expected = Expected("llama3-70b", 15e12, 0);
  ASSERT_TRUE(panel_->plan().has_value());
  EXPECT_TRUE(panel_->plan()->plan.count_searched);
  EXPECT_EQ(panel_->plan()->plan.num_devices, expected.num_devices);
  EXPECT_EQ(panel_->plan()->plan.days, expected.days);
}

class ClusterDockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Application();
    window_ = std::make_unique<MainWindow>();
    window_->show();
    QSignalSpy spy(window_.get(), &MainWindow::Fitted);
    ASSERT_TRUE(spy.wait(kPlanTimeoutMs)) << "no fit";
    WaitForPlan(window_->cluster_panel());
  }
  std::unique_ptr<MainWindow> window_;
};

TEST_F(ClusterDockTest, ViewMenuShowsTheDock) {
  auto* dock = window_->findChild<QDockWidget*>("cluster_dock");
  ASSERT_NE(dock, nullptr);
  EXPECT_EQ(dock->windowTitle(), QStringLiteral("Cluster / Layout"));
  auto* view = window_->findChild<QMenu*>("view_menu");
  ASSERT_NE(view, nullptr);
  ASSERT_TRUE(view->actions().contains(dock->toggleViewAction()));
  // Tabbed with the Plan, Dictionary and Hardware docks: the window still fits a 1366 x 768 screen.
  EXPECT_TRUE(window_->tabifiedDockWidgets(dock).contains(window_->findChild<QDockWidget*>("plan_dock")));
  EXPECT_LE(window_->minimumSizeHint().width(), 1366);
  EXPECT_LE(window_->minimumSizeHint().height(), 768);
  // Ctrl+1.. still switch the chart tabs, and no two actions share a shortcut.
  QStringList shortcuts;
  for (QAction* action : window_->findChildren<QAction*>()) {
    if (action->shortcut().isEmpty()) continue;
    const QString key = action->shortcut().toString();
    EXPECT_FALSE(shortcuts.contains(key)) << key.toStdString() << " used twice";
    shortcuts << key;
  }
  EXPECT_TRUE(shortcuts.contains(QStringLiteral("Ctrl+1")));
}

// "proposed for the plan's N" lays out the shape proposed for the Plan dock's N, trained on its D.
TEST_F(ClusterDockTest, ProposedArchitectureTakesThePlansModel) {
  ClusterPanel* panel = window_->cluster_panel();
  auto* architecture = panel->findChild<QComboBox*>("cluster_architecture");
  architecture->setCurrentIndex(architecture->findData(QString::fromLatin1(gui::kProposedArchitecture)));
  WaitForPlan(panel);
  const auto& recommendation = window_->plan_panel()->recommendation();
  ASSERT_TRUE(recommendation.has_value());
  ASSERT_TRUE(panel->plan().has_value()) << panel->ErrorText().toStdString();
  const gui::ClusterPlan shown = *panel->plan();  // a copy: the next plan replaces the panel's
  EXPECT_EQ(shown.request.num_tokens, recommendation->allocation.num_tokens);
  EXPECT_EQ(shown.request.shape.num_heads % 8, 0);
  EXPECT_NEAR(static_cast<double>(shown.plan.counts.total), recommendation->allocation.num_params,
              0.10 * recommendation->allocation.num_params);
  EXPECT_FALSE(panel->findChild<QLineEdit*>("cluster_tokens")->isEnabled());
  FrontierRequest request;
  request.shape = shown.request.shape;
  request.num_tokens = recommendation->allocation.num_tokens;
  request.max_days = kDefaultFrontierDays;
  const FrontierPlan expected = PlanFrontier(request, BundledHardwareCatalogue().Find("H100-SXM"));
  EXPECT_EQ(shown.plan.num_devices, expected.num_devices);
  EXPECT_EQ(shown.plan.feasible, expected.feasible);

  // The Plan dock's budget moves: the proposed model follows.
  window_->plan_panel()->SetBudget(1e25);
  WaitForPlan(panel);
  ASSERT_TRUE(panel->plan().has_value());
  EXPECT_EQ(panel->plan()->request.num_tokens, window_->plan_panel()->recommendation()->allocation.num_tokens);
  EXPECT_GT(panel->plan()->plan.counts.total, shown.plan.counts.total);
}

// Issue 19, item 3, on the layout-search path: with "proposed for the plan's N" and automatic devices, the
// searched count follows the Plan dock's budget smoothly: from 1e21 to 1e26 FLOPs in 7% steps it never falls, grows
// by at most 25% (or one 8-device node) per step, and every plan meets the 90 days.
TEST_F(ClusterDockTest, SearchedDeviceCountGrowsSmoothlyWithTheBudget) {
  ClusterPanel* panel = window_->cluster_panel();
  auto* architecture = panel->findChild<QComboBox*>("cluster_architecture");
  architecture->setCurrentIndex(architecture->findData(QString::fromLatin1(gui::kProposedArchitecture)));
  panel->findChild<QSpinBox*>("cluster_devices")->setValue(0);
  WaitForPlan(panel);
  long long previous = 0;
  double previous_budget = 0;
  int steps = 0;
  for (double budget = 1e21; budget <= 1e26; budget *= 1.07, ++steps) {
    window_->plan_panel()->SetBudget(budget);
    WaitForPlan(panel);
    ASSERT_TRUE(panel->plan().has_value()) << budget << ": " << panel->ErrorText().toStdString();
    const FrontierPlan& plan = panel->plan()->plan;
    ASSERT_TRUE(plan.count_searched) << budget;
    ASSERT_EQ(panel->plan()->request.num_tokens, window_->plan_panel()->recommendation()->allocation.num_tokens)
        << budget << ": the plan shown is not this budget's";
    const long long count = plan.num_devices;
    EXPECT_LE(plan.days, 90.0 * (1 + 1e-12)) << budget;
    EXPECT_GE(count, previous) << "the count falls from " << previous_budget << " to " << budget << " FLOPs";
    EXPECT_LE(count, std::max<long long>(std::ceil(1.25 * static_cast<double>(previous)), previous + 8))
        << previous << " -> " << count << " devices from " << previous_budget << " to " << budget << " FLOPs";
    previous = count;
    previous_budget = budget;
  }
  EXPECT_GT(steps, 150);
}

TEST_F(ClusterDockTest, SessionKeepsTheDocksInputs) {
  gui::ClusterSettings settings;
  settings.architecture = "deepseek-v3";
  settings.num_tokens = 14.8e12;
  settings.accelerator = "H800-SXM";
  settings.num_devices = 2048;
  settings.max_days = 60;
  settings.precision = NumericType::FP8;
  settings.global_batch_tokens = 62914560;
  window_->cluster_panel()->SetSettings(settings);
  WaitForPlan(window_->cluster_panel());
  const std::string path = testing::WriteTempFile("cluster_session.json", "");
  QString error;
  ASSERT_TRUE(window_->SaveSession(Q(path), &error)) << error.toStdString();

  MainWindow restored;
  QSignalSpy spy(&restored, &MainWindow::Fitted);
  ASSERT_TRUE(spy.wait(kPlanTimeoutMs));
  ASSERT_TRUE(restored.LoadSession(Q(path), &error)) << error.toStdString();
  WaitForPlan(restored.cluster_panel());
  EXPECT_EQ(restored.cluster_panel()->Settings(), settings);
  ASSERT_TRUE(restored.cluster_panel()->plan().has_value()) << restored.cluster_panel()->ErrorText().toStdString();
  EXPECT_EQ(restored.cluster_panel()->plan()->plan.num_devices, 2048);

  // A session saved before the dock existed loads, with the dock's defaults.
  const gui::Session old = gui::ParseSession(R"({"schema_version": 1, "plan": {"mfu": 0.4}})", "old.json");
  EXPECT_EQ(old.cluster, gui::ClusterSettings{});
  EXPECT_THROW(gui::ParseSession(R"({"cluster": {"precision": "fp4"}})", "bad.json"), InputError);
  EXPECT_THROW(gui::ParseSession(R"({"cluster": {"architecture": "gpt-5"}})", "bad.json"), InputError);
}

// The window at a small laptop's and a desktop's size with the dock raised: its table and both charts are on
// screen and not squeezed (the screenshots are written next to the other temporary files for a look).
TEST_F(ClusterDockTest, DockFitsSmallAndLargeScreens) {
  auto* dock = window_->findChild<QDockWidget*>("cluster_dock");
  ASSERT_NE(dock, nullptr);
  dock->show();
  dock->raise();
  for (const QSize size : {QSize(1366, 768), QSize(1920, 1080)}) {
    window_->resize(size);
    QTest::qWait(100);
    EXPECT_EQ(window_->size(), size);
    for (const char* name : {"cluster_step_chart", "cluster_memory_chart"}) {
      auto* chart = window_->findChild<QChartView*>(name);
      ASSERT_NE(chart, nullptr);
      EXPECT_TRUE(chart->isVisible()) << name;
      EXPECT_GE(chart->height(), 250) << name;
      EXPECT_GE(chart->width(), 300) << name;
    }
    const std::string path = testing::WriteTempFile(
        "cluster_dock_" + std::to_string(size.width()) + "x" + std::to_string(size.height()) + ".png", "");
    EXPECT_TRUE(window_->grab().save(Q(path), "PNG"));
    std::printf("screenshot: %s\n", path.c_str());
  }
  // The whole panel, as the dock scrolls through it.
  const std::string panel = testing::WriteTempFile("cluster_panel.png", "");
  EXPECT_TRUE(window_->cluster_panel()->grab().save(Q(panel), "PNG"));
  std::printf("screenshot: %s\n", panel.c_str());
}

}  // namespace
}  // namespace scaleplan
