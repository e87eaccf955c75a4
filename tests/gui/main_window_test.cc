// Drives the real window under QT_QPA_PLATFORM=offscreen: the Fit button against the library's fit, the budget
// slider and field against ChinchillaLaw::ComputeOptimal and the `scaleplan plan` binary (memory verdict, devices,
// days and cost included), the Dictionary panel against PlanDictionary and `scaleplan dictionary`, the Hardware
// panel's profile, probe and cancel, errors shown inline, the View menu, sessions and exports.
#include "gui/main_window.h"

#include <gtest/gtest.h>

#include <QAction>
#include <QChart>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QMenu>
#include <QMenuBar>
#include <QProgressBar>
#include <QPushButton>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTextBrowser>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/bundled_data.h"
#include "core/data_constrained.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "gui/charts_view.h"
#include "gui/column_mapping_dialog.h"
#include "gui/dictionary_panel.h"
#include "gui/fit_panel.h"
#include "gui/hardware_panel.h"
#include "gui/plan_panel.h"
#include "gui/runs_model.h"
#include "gui/runs_panel.h"
#include "gui/widgets.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using gui::MainWindow;

constexpr int kFitTimeoutMs = 60000;

QString Q(const std::string& text) { return QString::fromStdString(text); }

// The type of the loss axis (the axis named "y") of the window's loss-against-compute chart; -1 when it has none.
int LossAxisType(const MainWindow& window) {
  for (QAbstractAxis* axis : window.charts()->Chart(gui::ChartKind::FIT)->axes()) {
    if (axis->objectName() == QLatin1String("y")) return axis->type();
  }
  return -1;
}

// The runs of `table` without the rows in `excluded` (0-based, ascending).
RunsTable Without(const RunsTable& table, const std::vector<int>& excluded) {
  RunsTable out = table;
  out.runs.clear();
  for (size_t i = 0; i < table.runs.size(); ++i) {
    if (std::find(excluded.begin(), excluded.end(), static_cast<int>(i)) == excluded.end()) {
      out.runs.push_back(table.runs[i]);
    }
  }
  return out;
}

class MainWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Application();
    window_ = std::make_unique<MainWindow>();
    window_->show();
    WaitForFit(window_.get());
  }

  static void WaitForFit(MainWindow* window) {
    QSignalSpy spy(window, &MainWindow::Fitted);
    ASSERT_TRUE(spy.wait(kFitTimeoutMs)) << "no fit within " << kFitTimeoutMs << " ms";
    ASSERT_TRUE(spy.takeLast().at(0).toBool()) << "the fit failed";
  }

  template <class Widget>
  Widget* Find(const char* name) const {
    auto* widget = window_->findChild<Widget*>(name);
    EXPECT_NE(widget, nullptr) << "no widget named " << name;
    return widget;
  }

  // The "value" cell of the results table's row `name`.
  QTableWidgetItem* ResultCell(const QString& name) const {
    auto* table = Find<QTableWidget>("fit_results");
    for (int row = 0; row < table->rowCount(); ++row) {
      if (table->item(row, 0)->text() == name) return table->item(row, 1);
    }
    ADD_FAILURE() << "no row " << name.toStdString() << " in the results table";
    return nullptr;
  }
  double ResultValue(const QString& name) const {
    QTableWidgetItem* cell = ResultCell(name);
    return cell == nullptr ? std::nan("") : cell->data(Qt::UserRole).toDouble();
  }

  void ExpectResultsEqual(const ChinchillaFit& expected) const {
    EXPECT_EQ(ResultValue("E"), expected.law.E);
    EXPECT_EQ(ResultValue("A"), expected.law.A);
    EXPECT_EQ(ResultValue("B"), expected.law.B);
    EXPECT_EQ(ResultValue("alpha"), expected.law.alpha);
    EXPECT_EQ(ResultValue("beta"), expected.law.beta);
    EXPECT_EQ(ResultValue("a"), expected.law.ExponentParams());
    EXPECT_EQ(ResultValue("b"), expected.law.ExponentTokens());
    EXPECT_EQ(ResultValue("objective"), expected.search.objective);
    EXPECT_EQ(ResultValue("runs"), expected.residuals.num_runs);
    EXPECT_EQ(ResultValue("starts"), expected.search.num_starts);
    EXPECT_EQ(ResultValue("converged"), expected.search.num_converged);
    EXPECT_EQ(ResultValue("log RMSE"), expected.residuals.rmse);
    // What is shown is the same number, rounded for reading.
    ASSERT_NE(ResultCell("E"), nullptr);
    EXPECT_EQ(ResultCell("E")->text(), QString::number(expected.law.E, 'g', 6));
    EXPECT_EQ(ResultCell("alpha")->text(), QString::number(expected.law.alpha, 'g', 6));
  }

  // Types `text` into the budget field and presses Return.
  void TypeBudget(const QString& text) const { TypeInto("budget_text", text); }

  // Replaces the text of line edit `name` by typing `text`, then presses Return.
  void TypeInto(const char* name, const QString& text) const {
    auto* field = Find<QLineEdit>(name);
    field->setFocus();
    field->selectAll();
    QTest::keyClick(field, Qt::Key_Backspace);
    QTest::keyClicks(field, text);
    QTest::keyClick(field, Qt::Key_Return);
  }

  // Shows the dock `name` (the Plan, Dictionary and Hardware docks share one tabbed area).
  void RaiseDock(const char* name) const {
    auto* dock = Find<QDockWidget>(name);
    dock->show();
    dock->raise();
    QCoreApplication::processEvents();
  }

  std::unique_ptr<MainWindow> window_;
};

TEST_F(MainWindowTest, StartsWithTheBundledRunsFitted) {
  const RunsTable bundled = BundledChinchillaRuns();
  EXPECT_EQ(window_->runs_model()->rowCount(), static_cast<int>(bundled.runs.size()));
  EXPECT_EQ(window_->runs_model()->rowCount(), 240);
  // The published optimum of the bundled runs (Besiroglu et al. 2024; README).
  EXPECT_NEAR(ResultValue("objective"), 0.0010182740, 5e-11);
  EXPECT_NEAR(ResultValue("E"), 1.8172, 5e-5);
  EXPECT_NEAR(ResultValue("alpha"), 0.34731, 5e-6);
  EXPECT_NEAR(ResultValue("beta"), 0.36717, 5e-6);
  // The plan already follows the fit.
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  EXPECT_FALSE(Find<QLabel>("plan_params")->text().startsWith(QStringLiteral("–")));
}

TEST_F(MainWindowTest, FitButtonShowsTheLibrarysFit) {
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  ASSERT_TRUE(spy.at(0).at(0).toBool());
  ExpectResultsEqual(FitChinchilla(BundledChinchillaRuns(), MultiStartOptions{}));
}

TEST_F(MainWindowTest, BootstrapGivesIntervalsAndTheFrontierBand) {
  Find<QSpinBox>("fit_bootstrap")->setValue(40);
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  ASSERT_TRUE(spy.at(0).at(0).toBool());

  const RunsTable bundled = BundledChinchillaRuns();
  const ChinchillaFit fit = FitChinchilla(bundled, MultiStartOptions{});
  BootstrapOptions options;
  options.num_resamples = 40;
  const ChinchillaBootstrap expected = BootstrapChinchilla(bundled, fit, options);  // seeded: reproducible
  ASSERT_FALSE(expected.intervals.empty());
  auto* table = Find<QTableWidget>("fit_results");
  const QPointF alpha = table->item(3, 2)->data(Qt::UserRole).toPointF();
  ASSERT_EQ(table->item(3, 0)->text(), QStringLiteral("alpha"));
  EXPECT_EQ(expected.intervals[3].first, "alpha");
  EXPECT_EQ(alpha.x(), expected.intervals[3].second.lower);
  EXPECT_EQ(alpha.y(), expected.intervals[3].second.upper);
  EXPECT_LT(alpha.x(), fit.law.alpha);
  EXPECT_GT(alpha.y(), fit.law.alpha);

  // The plan's interval for its budget, over the same laws.
  const gui::Recommendation& shown = *window_->plan_panel()->recommendation();
  ASSERT_TRUE(shown.intervals.has_value());
  const double budget = shown.budget_flops;
  const auto intervals = IntervalsOfAllocation(expected.laws, options.confidence,
                                               [budget](const ChinchillaLaw& law) -> std::optional<Allocation> {
                                                 return law.ComputeOptimal(budget);
                                               });
  ASSERT_TRUE(intervals.has_value());
  EXPECT_EQ(shown.intervals->num_params.lower, intervals->num_params.lower);
  EXPECT_EQ(shown.intervals->loss.upper, intervals->loss.upper);
  EXPECT_TRUE(Find<QLabel>("plan_intervals")->text().startsWith(QStringLiteral("95% over 40 bootstrap fits: N ")))
      << Find<QLabel>("plan_intervals")->text().toStdString();
  // And the charts' bands, from the same refits: the frontier's N_opt and D_opt, the loss chart's L_opt(C) and one
  // per IsoFLOP profile.
  EXPECT_EQ(window_->charts()->inputs().bootstrap_laws.size(), expected.laws.size());
  EXPECT_EQ(window_->charts()->inputs().band_confidence, options.confidence);
  for (gui::ChartKind kind : {gui::ChartKind::FRONTIER, gui::ChartKind::FIT, gui::ChartKind::ISOFLOP}) {
    int bands = 0;
    for (QAbstractSeries* series : window_->charts()->Chart(kind)->series()) {
      bands += series->objectName() == QLatin1String("band");
    }
    EXPECT_GE(bands, kind == gui::ChartKind::FIT ? 1 : 2) << gui::ChartKindName(kind);
  }
}

TEST_F(MainWindowTest, ExcludedRowsAreLeftOutOfTheFitAndTheCharts) {
  auto* view = Find<QTableView>("runs_table");
  for (int row = 0; row < 5; ++row) {
    view->selectionModel()->select(view->model()->index(row, 1),
                                   QItemSelectionModel::Select | QItemSelectionModel::Rows);
  }
  QTest::mouseClick(Find<QPushButton>("runs_exclude"), Qt::LeftButton);
  const std::vector<int> excluded = window_->runs_model()->ExcludedRows();
  ASSERT_EQ(excluded, (std::vector<int>{0, 1, 2, 3, 4}));  // the view is sorted by file line: rows 0..4
  EXPECT_EQ(window_->charts()->inputs().runs.size(), 235u);

  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  ExpectResultsEqual(FitChinchilla(Without(BundledChinchillaRuns(), excluded), MultiStartOptions{}));
  EXPECT_EQ(ResultValue("runs"), 235);

  QTest::mouseClick(Find<QPushButton>("runs_restore_all"), Qt::LeftButton);
  EXPECT_TRUE(window_->runs_model()->ExcludedRows().empty());
  EXPECT_EQ(window_->charts()->inputs().runs.size(), 240u);
}

TEST_F(MainWindowTest, SliderMovesTheRecommendationAndTheChartMarker) {
  auto* slider = Find<QSlider>("budget_slider");
  ASSERT_NE(slider, nullptr);
  slider->setFocus();
  const int start = slider->value();
  QTest::keyClick(slider, Qt::Key_PageUp);  // one page: a factor 10^0.1
  EXPECT_EQ(slider->value(), start + slider->pageStep());
  QTest::keyClick(slider, Qt::Key_Right);
  ASSERT_EQ(slider->value(), start + slider->pageStep() + 1);
  const double budget = std::pow(10.0, slider->value() / 100.0);

  const ChinchillaLaw law = FitChinchilla(BundledChinchillaRuns(), MultiStartOptions{}).law;
  const Allocation expected = law.ComputeOptimal(budget);
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  const gui::Recommendation& shown = *window_->plan_panel()->recommendation();
  EXPECT_EQ(shown.budget_flops, budget);
  EXPECT_EQ(shown.allocation.num_params, expected.num_params);
  EXPECT_EQ(shown.allocation.num_tokens, expected.num_tokens);
  EXPECT_EQ(shown.allocation.loss_nats, expected.loss_nats);
  EXPECT_EQ(Find<QLabel>("plan_params")->text(), Q(FormatQuantity(expected.num_params, 3)));
  EXPECT_EQ(Find<QLabel>("plan_tokens")->text(), Q(FormatQuantity(expected.num_tokens, 3)));
  EXPECT_EQ(Find<QLabel>("plan_tokens_per_param")->text(), QString::number(expected.tokens_per_param, 'f', 1));
  EXPECT_EQ(Find<QLabel>("plan_loss")->text(), QStringLiteral("%1 nats/token").arg(expected.loss_nats, 0, 'f', 4));

  // The same budget through the command line.
  char compute[64];
  std::snprintf(compute, sizeof compute, "%.17g", budget);
  const testing::CommandResult plan =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " plan --compute " + compute + " --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  EXPECT_EQ(json["compute_flops"].get<double>(), budget);
  EXPECT_NEAR(json["num_params"].get<double>() / shown.allocation.num_params, 1.0, 1e-12);
  EXPECT_NEAR(json["num_tokens"].get<double>() / shown.allocation.num_tokens, 1.0, 1e-12);
  EXPECT_NEAR(json["tokens_per_param"].get<double>() / shown.allocation.tokens_per_param, 1.0, 1e-12);
  EXPECT_NEAR(json["loss"].get<double>(), shown.allocation.loss_nats, 1e-12);

  // The loss chart's marker sits at the new budget on the frontier.
  QChart* chart = window_->charts()->Chart(gui::ChartKind::FIT);
  QScatterSeries* marker = nullptr;
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == QLatin1String("budget")) marker = qobject_cast<QScatterSeries*>(series);
  }
  ASSERT_NE(marker, nullptr);
  ASSERT_EQ(marker->count(), 1);
  EXPECT_EQ(marker->at(0).x(), budget);
  EXPECT_EQ(marker->at(0).y(), expected.loss_nats);
}

// `scaleplan plan ... --mfu 0.4 --max-days 90 --format json`, parsed (one plan; 90 days: the panel's target). The Plan
// panel times a plan at its MFU field (default TrainingPlanOptions' 0.40), which is `plan --mfu`; without it `plan
// --accelerator` runs the layout search.
nlohmann::json PlanJson(const std::string& args) {
  const bool on_hardware =
      args.find("--accelerator") != std::string::npos || args.find("--profile") != std::string::npos;
  const testing::CommandResult result =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " plan " + args + (on_hardware ? " --max-days 90" : "") +
                          " --mfu 0.4 --format json");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return nlohmann::json::parse(result.out);
}

TEST_F(MainWindowTest, FreshWindowPlansTheHardwareAsScaleplanPlan) {
  // The start-up plan on an H100 (Gopher's budget, the bundled fit): 73B parameters, whose selective activations
  // do not fit one device. `scaleplan plan` takes full recomputation (recompute auto) and says it fits: so does the
  // window, with the same device count, days and cost.
  Find<QComboBox>("accelerator")->setCurrentText(QStringLiteral("H100-SXM"));
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  const gui::Recommendation& shown = *window_->plan_panel()->recommendation();
  ASSERT_EQ(shown.budget_flops, 5.76e23);
  const nlohmann::json cli = PlanJson("--compute 5.76e23 --accelerator H100-SXM");
  EXPECT_NEAR(shown.allocation.num_params / cli["num_params"].get<double>(), 1.0, 1e-12);
  const TrainingHardware& h = shown.hardware;
  EXPECT_EQ(cli["recomputation"], "full");
  EXPECT_EQ(RecomputationName(h.memory.recomputation), cli["recomputation"].get<std::string>());
  EXPECT_TRUE(cli["feasible"].get<bool>());
  EXPECT_TRUE(h.time.feasible);
  EXPECT_EQ(h.time.num_accelerators, cli["num_accelerators"].get<long long>());
  EXPECT_EQ(h.memory.min_devices_for_memory, cli["min_devices_for_memory"].get<long long>());
  EXPECT_NEAR(h.time.days / cli["days"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(h.time.cost_usd / cli["cost_usd"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(h.memory_bytes_per_device / cli["memory_bytes_per_device"].get<double>(), 1.0, 1e-12);
  // What the labels say.
  const QString memory = Find<QLabel>("plan_memory")->text();
  EXPECT_TRUE(memory.startsWith(QStringLiteral("fits: "))) << memory.toStdString();
  EXPECT_TRUE(memory.endsWith(QStringLiteral("on %1 x H100-SXM (full recomputation)")
                                  .arg(cli["num_accelerators"].get<long long>())))
      << memory.toStdString();
  EXPECT_TRUE(Find<QLabel>("plan_time")->text().contains(
      QStringLiteral("on %1 × H100-SXM").arg(cli["num_accelerators"].get<long long>())))
      << Find<QLabel>("plan_time")->text().toStdString();
  EXPECT_EQ(Find<QLabel>("plan_cost")->text(),
            QStringLiteral("%1 at $%2 per device-hour")
                .arg(Q(FormatUsd(cli["cost_usd"].get<double>())))
                .arg(cli["price_usd_per_hour"].get<double>(), 0, 'f', 2));
  // The export carries `plan`'s keys with `plan`'s values.
  const nlohmann::ordered_json exported = window_->plan_panel()->PlanJson();
  EXPECT_EQ(exported["num_accelerators"].get<long long>(), cli["num_accelerators"].get<long long>());
  EXPECT_EQ(exported["recomputation"], cli["recomputation"]);

  // Selective asked for explicitly: no count holds it, as `plan --recompute selective` says.
  auto* recomputation = Find<QComboBox>("recomputation");
  recomputation->setCurrentIndex(recomputation->findText(QStringLiteral("selective")));
  const TrainingHardware& selective = window_->plan_panel()->recommendation()->hardware;
  EXPECT_FALSE(selective.time.feasible);
  EXPECT_TRUE(Find<QLabel>("plan_memory")->text().startsWith(QStringLiteral("does not fit")));
  const testing::CommandResult infeasible =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) +
                          " plan --compute 5.76e23 --accelerator H100-SXM --recompute selective "
                          "--mfu 0.4 --max-days 90 --format json");
  EXPECT_EQ(infeasible.exit_code, 1);
  const auto selective_cli = nlohmann::json::parse(infeasible.out);
  EXPECT_EQ(selective.time.num_accelerators, selective_cli["num_accelerators"].get<long long>());
  EXPECT_EQ(selective.verdict.reasons, selective_cli["reasons"].get<std::vector<std::string>>());
}

TEST_F(MainWindowTest, DictionaryPanelShowsTheLibrarysPlan) {
  RaiseDock("dictionary_dock");
  // A fresh panel: d 4096 on 1e20 FLOPs, k chosen in 32..128, on an H100 (`scaleplan dictionary`'s defaults).
  ASSERT_TRUE(window_->dictionary_panel()->recommendation().has_value());
  EXPECT_EQ(window_->dictionary_panel()->recommendation()->plan.sparse.num_latents,
            nlohmann::json::parse(testing::RunCommand(std::string(SCALEPLAN_BINARY) +
                                                      " dictionary --d-model 4096 --compute 1e20 --format json")
                                      .out)["num_latents"]
                .get<double>());

  TypeInto("dict_d_model", QStringLiteral("8192"));
  auto* goal = Find<QComboBox>("dict_goal");
  goal->setCurrentIndex(goal->findData(QStringLiteral("device_hours")));
  TypeInto("dict_value", QStringLiteral("5000"));
  TypeInto("dict_k", QStringLiteral("64"));
  TypeInto("dict_subject", QStringLiteral("70B"));
  Find<QComboBox>("dict_accelerator")->setCurrentText(QStringLiteral("A100-80GB"));
  Find<QSpinBox>("dict_count")->setValue(8);

  // The same request, built by hand, planned by the library.
  DictionaryRequest request;
  request.d_model = 8192;
  request.goal = DictionaryGoal::DEVICE_HOURS;
  request.device_hours = 5000;
  request.k = 64;
  request.subject.num_params = 70e9;
  request.options.num_devices = 8;
  request.accelerator = *BundledHardwareCatalogue().TryFind("A100-80GB");
  const DictionaryPlan expected = PlanDictionary(request);
  ASSERT_TRUE(expected.reachable) << expected.status;
  ASSERT_TRUE(window_->dictionary_panel()->recommendation().has_value())
      << Find<QLabel>("dict_error")->text().toStdString();
  const DictionaryPlan& shown = window_->dictionary_panel()->recommendation()->plan;
  const DictionaryCosts& s = expected.sparse;
  EXPECT_EQ(shown.sparse.num_latents, s.num_latents);
  EXPECT_EQ(shown.sparse.num_tokens, s.num_tokens);
  EXPECT_EQ(shown.sparse.cost_usd, s.cost_usd);
  EXPECT_EQ(shown.dense.days, expected.dense.days);
  EXPECT_EQ(Find<QLabel>("dict_latents")->text(), Q(FormatQuantity(s.num_latents, 3)));
  EXPECT_EQ(Find<QLabel>("dict_k_value")->text(), QStringLiteral("64 (k_aux %1)").arg(s.aux_latents, 0, 'g', 6));
  EXPECT_TRUE(Find<QLabel>("dict_tokens")->text().startsWith(Q(FormatQuantity(s.num_tokens, 3))));
  EXPECT_EQ(Find<QLabel>("dict_flops")->text(),
            QStringLiteral("%1 training + %2 harvesting")
                .arg(Q(FormatScientific(s.compute_flops, 3)), Q(FormatScientific(s.harvest_flops, 3))));
  EXPECT_TRUE(Find<QLabel>("dict_memory")->text().startsWith(Q(FormatBytes(s.memory_bytes) + " in all")));
  EXPECT_TRUE(Find<QLabel>("dict_devices")->text().startsWith(QStringLiteral("%1 × A100-80GB").arg(s.devices)));
  EXPECT_TRUE(Find<QLabel>("dict_days")->text().startsWith(Q(gui::FormatDuration(s.days))));
  EXPECT_TRUE(Find<QLabel>("dict_cost")->text().startsWith(Q(FormatUsd(s.cost_usd))));
  EXPECT_EQ(Find<QLabel>("dict_law")->text(), Q(kDictionaryPriorLabel));

  // `scaleplan dictionary` with the same options.
  const testing::CommandResult cli = testing::RunCommand(
      std::string(SCALEPLAN_BINARY) + " dictionary --d-model 8192 --gpu-hours 5000 --k 64 --subject-params 70B "
                                      "--accelerator A100-80GB --count 8 --format json");
  ASSERT_TRUE(cli.exit_code == 0 || cli.exit_code == 1) << cli.err;
  const auto json = nlohmann::json::parse(cli.out);
  EXPECT_EQ(json["num_latents"].get<double>(), shown.sparse.num_latents);
  EXPECT_EQ(json["devices"].get<long long>(), shown.sparse.devices);
  EXPECT_NEAR(json["days"].get<double>() / shown.sparse.days, 1.0, 1e-12);
  EXPECT_NEAR(json["cost_usd"].get<double>() / shown.sparse.cost_usd, 1.0, 1e-12);
  EXPECT_NEAR(json["dense"]["cost_usd"].get<double>() / shown.dense.cost_usd, 1.0, 1e-12);

  // Dense kernels first: the same dictionary, the dense costs.
  auto* kernels = Find<QComboBox>("dict_kernels");
  kernels->setCurrentIndex(kernels->findData(QStringLiteral("dense")));
  EXPECT_EQ(Find<QLabel>("dict_latents")->text(), Q(FormatQuantity(s.num_latents, 3)));
  EXPECT_TRUE(Find<QLabel>("dict_cost")->text().startsWith(Q(FormatUsd(expected.dense.cost_usd))));

  // A value that does not parse: said inline, no plan.
  TypeInto("dict_value", QStringLiteral("lots"));
  EXPECT_FALSE(window_->dictionary_panel()->recommendation().has_value());
  EXPECT_TRUE(Find<QLabel>("dict_error")->isVisibleTo(window_.get()));
  EXPECT_TRUE(Find<QLabel>("dict_error")->text().startsWith(QStringLiteral("value: "))) <<
      Find<QLabel>("dict_error")->text().toStdString();
}

TEST_F(MainWindowTest, AProfileWithCollectivesShowsTheInterconnectChart) {
  RaiseDock("hardware_dock");
  // A profile without an interconnect section: no interconnect tab, the button off.
  QString error;
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(Q(testing::WriteSmallProfile("no_collectives.json")), &error))
      << error.toStdString();
  const int tab = static_cast<int>(gui::ChartKind::COLLECTIVES);
  EXPECT_FALSE(window_->charts()->isTabVisible(tab));
  EXPECT_FALSE(Find<QPushButton>("hw_show_collectives")->isEnabled());
  // One with fitted models but no measured sizes (written by hand) plans, but has nothing to draw: no tab either.
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(
      Q(testing::SourcePath("tests/bad_input/profile_interconnect_models_only.json")), &error))
      << error.toStdString();
  EXPECT_FALSE(window_->charts()->isTabVisible(tab));
  EXPECT_FALSE(Find<QPushButton>("hw_show_collectives")->isEnabled());
  // View > the interconnect chart says why there is none: the section has no measurements.
  for (QAction* action : window_->findChildren<QAction*>()) {
    if (action->text().contains(gui::ChartKindTitle(gui::ChartKind::COLLECTIVES))) action->trigger();
  }
  EXPECT_TRUE(Find<QLabel>("window_message")->text().contains(QStringLiteral("has no measurements")))
      << Find<QLabel>("window_message")->text().toStdString();
  EXPECT_NE(window_->charts()->CurrentKind(), gui::ChartKind::COLLECTIVES);
  // With one ('probe --collectives'): the tab, and the button that shows it, one measured line per collective.
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(
      Q(testing::SourcePath("tests/bad_input/profile_interconnect.json")), &error))
      << error.toStdString();
  EXPECT_TRUE(window_->charts()->isTabVisible(tab));
  auto* button = Find<QPushButton>("hw_show_collectives");
  ASSERT_TRUE(button->isEnabled());
  QTest::mouseClick(button, Qt::LeftButton);
  EXPECT_EQ(window_->charts()->CurrentKind(), gui::ChartKind::COLLECTIVES);
  int measured = 0;
  for (QAbstractSeries* series : window_->charts()->Chart(gui::ChartKind::COLLECTIVES)->series()) {
    measured += series->objectName() == QLatin1String("collective_measured");
  }
  EXPECT_EQ(measured, 5);
  // One of 'probe --collectives' alone measured no kernels (peaks 0): no roofline to show and no ridge (not 0 / 0).
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(
      Q(testing::SourcePath("tests/bad_input/profile_collectives_only.json")), &error))
      << error.toStdString();
  EXPECT_FALSE(Find<QPushButton>("hw_show_roofline")->isEnabled());
  EXPECT_TRUE(Find<QLabel>("hw_ridge")->text().startsWith(QStringLiteral("– (no kernel measurements")))
      << Find<QLabel>("hw_ridge")->text().toStdString();
  QChart* roofline = window_->charts()->Chart(gui::ChartKind::ROOFLINE);
  EXPECT_TRUE(roofline->series().isEmpty());
  EXPECT_TRUE(roofline->title().contains(QStringLiteral("no kernel measurements"))) << roofline->title().toStdString();
}

TEST_F(MainWindowTest, HardwareProfileFeedsThePlansAndTheRoofline) {
  RaiseDock("hardware_dock");
  const std::string path = testing::WriteSmallProfile("window_profile.json");
  QString error;
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(Q(path), &error)) << error.toStdString();
  // The profile's figures as shown: 80 GFLOP/s, 20 GB/s, ridge 4 FLOP/byte, six measurements.
  EXPECT_TRUE(Find<QLabel>("hw_peak")->text().startsWith(QStringLiteral("80 GFLOP/s dense GEMM")))
      << Find<QLabel>("hw_peak")->text().toStdString();
  EXPECT_TRUE(Find<QLabel>("hw_bandwidth")->text().startsWith(QStringLiteral("20 GB/s")));
  EXPECT_TRUE(Find<QLabel>("hw_ridge")->text().startsWith(QStringLiteral("4 FLOP/byte")));
  auto* table = Find<QTableWidget>("hw_kernels");
  ASSERT_EQ(table->rowCount(), 6);
  EXPECT_EQ(table->item(2, 0)->text(), QStringLiteral("encoder_gemm"));
  EXPECT_EQ(table->item(2, 6)->data(Qt::UserRole).toDouble(), 6.44e9 / 0.0805);

  // The roofline tab appears, with the ridge at 80e9 / 20e9.
  EXPECT_TRUE(window_->charts()->isTabVisible(static_cast<int>(gui::ChartKind::ROOFLINE)));
  QChart* roofline = window_->charts()->Chart(gui::ChartKind::ROOFLINE);
  QScatterSeries* ridge = nullptr;
  for (QAbstractSeries* series : roofline->series()) {
    if (series->objectName() == QLatin1String("ridge")) ridge = qobject_cast<QScatterSeries*>(series);
  }
  ASSERT_NE(ridge, nullptr);
  EXPECT_EQ(ridge->at(0), QPointF(4.0, 8e10));
  QTest::mouseClick(Find<QPushButton>("hw_show_roofline"), Qt::LeftButton);
  EXPECT_EQ(window_->charts()->CurrentKind(), gui::ChartKind::ROOFLINE);

  // A CPU's profile is no H100's peak: the Plan panel keeps the catalogue's, as `plan --accelerator H100-SXM
  // --profile` now does, and says why; the measured CPU is an accelerator entry of its own.
  auto* accelerator = Find<QComboBox>("accelerator");
  accelerator->setCurrentText(QStringLiteral("H100-SXM"));
  TypeBudget(QStringLiteral("1e22"));
  const gui::Recommendation& plan = *window_->plan_panel()->recommendation();
  EXPECT_EQ(plan.hardware.peak_flops_per_second, 989e12);
  const nlohmann::json cli = PlanJson("--compute 1e22 --accelerator H100-SXM --profile '" + path + "'");
  EXPECT_EQ(plan.hardware.time.num_accelerators, cli["num_accelerators"].get<long long>());
  EXPECT_NEAR(plan.hardware.time.days / cli["days"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(plan.hardware.time.cost_usd / cli["cost_usd"].get<double>(), 1.0, 1e-12);
  EXPECT_TRUE(Find<QLabel>("plan_warnings")->text().contains(Q(cli["warnings"][0].get<std::string>())))
      << Find<QLabel>("plan_warnings")->text().toStdString();
  EXPECT_TRUE(Find<QLabel>("plan_warnings")->text().contains(QStringLiteral("choose 'Measured: Test CPU'")));
  const int measured = accelerator->findText(QStringLiteral("Measured: Test CPU"));
  ASSERT_GE(measured, 0);
  accelerator->setCurrentIndex(measured);  // a CPU profile does not say how much memory the device has
  EXPECT_FALSE(window_->plan_panel()->recommendation().has_value());
  EXPECT_NE(Find<QLabel>("plan_error")->text().indexOf(QStringLiteral("does not say how much memory")), -1)
      << Find<QLabel>("plan_error")->text().toStdString();
  accelerator->setCurrentText(QStringLiteral("H100-SXM"));
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  // So does the Dictionary panel, as `dictionary --profile`.
  const auto dictionary = nlohmann::json::parse(
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " dictionary --d-model 4096 --compute 1e20 --profile '" +
                          path + "' --accelerator H100-SXM --format json")
          .out);
  ASSERT_TRUE(window_->dictionary_panel()->recommendation().has_value());
  EXPECT_EQ(window_->dictionary_panel()->recommendation()->device, dictionary["device"].get<std::string>());
  EXPECT_NEAR(window_->dictionary_panel()->recommendation()->plan.sparse.days / dictionary["days"].get<double>(), 1.0,
              1e-12);

  // "Use for plans" off: no profile warning, no measured entry; the roofline stays.
  Find<QCheckBox>("hw_use_profile")->setChecked(false);
  EXPECT_EQ(window_->plan_panel()->recommendation()->hardware.peak_flops_per_second, 989e12);
  EXPECT_TRUE(window_->plan_panel()->recommendation()->warnings.empty());
  EXPECT_EQ(accelerator->findText(QStringLiteral("Measured: Test CPU")), -1);
  EXPECT_TRUE(window_->charts()->isTabVisible(static_cast<int>(gui::ChartKind::ROOFLINE)));
  Find<QCheckBox>("hw_use_profile")->setChecked(true);

  // A profile that does not parse: the reader's located message, inline; the loaded profile stays.
  const std::string bad = testing::WriteTempFile("bad_profile.json", "{\"schema_version\": 1, \"backend\": \"cpu\"}");
  EXPECT_FALSE(window_->hardware_panel()->LoadProfile(Q(bad), &error));
  EXPECT_EQ(error.toStdString(), bad + ": at 'device': missing required key");
  EXPECT_EQ(Find<QLabel>("hw_status")->text(), error);
  EXPECT_TRUE(Find<QLabel>("hw_status")->property("is_error").toBool());
  EXPECT_GE(accelerator->findText(QStringLiteral("Measured: Test CPU")), 0);
  EXPECT_FALSE(window_->hardware_panel()->LoadProfile(QStringLiteral("/nonexistent-dir/p.json"), &error));
  EXPECT_EQ(error, QStringLiteral("/nonexistent-dir/p.json: cannot read the file (No such file or directory)"));
}

TEST_F(MainWindowTest, ProbeRunsInTheBackgroundAndCancels) {
  RaiseDock("hardware_dock");
  auto* run = Find<QPushButton>("hw_probe");
  auto* cancel = Find<QPushButton>("hw_cancel");
  auto* mode = Find<QComboBox>("hw_probe_mode");
  ASSERT_EQ(mode->currentData().toString(), QStringLiteral("quick"));
  gui::HardwarePanel* panel = window_->hardware_panel();

  // Started and cancelled: the probe stops at its next step and no profile appears.
  QSignalSpy finished(panel, &gui::HardwarePanel::ProbeFinished);
  QTest::mouseClick(run, Qt::LeftButton);
  EXPECT_TRUE(panel->IsProbing());
  EXPECT_FALSE(run->isEnabled());
  EXPECT_TRUE(cancel->isEnabled());
  QTest::mouseClick(cancel, Qt::LeftButton);
  ASSERT_TRUE(finished.wait(30000));
  EXPECT_FALSE(finished.takeFirst().at(0).toBool());
  EXPECT_FALSE(panel->profile().has_value());
  EXPECT_EQ(Find<QLabel>("hw_status")->text(), QStringLiteral("Probe cancelled."));
  EXPECT_TRUE(run->isEnabled());
  EXPECT_FALSE(window_->charts()->isTabVisible(static_cast<int>(gui::ChartKind::ROOFLINE)));

  // Run to the end (the quick sweep): progress reaches the UI while it runs, and the measured peak feeds the plan.
  auto* bar = Find<QProgressBar>("hw_progress");
  QSignalSpy progress(bar, &QProgressBar::valueChanged);
  // The step's name fits its bar (shortened, the whole name in the tooltip) at every step.
  QString overflowing;
  const QMetaObject::Connection fits = QObject::connect(bar, &QProgressBar::valueChanged, bar, [bar, &overflowing] {
    if (bar->fontMetrics().horizontalAdvance(bar->text()) > bar->contentsRect().width()) overflowing = bar->text();
  });
  QTest::mouseClick(run, Qt::LeftButton);
  ASSERT_TRUE(finished.wait(90000));
  QObject::disconnect(fits);
  EXPECT_TRUE(overflowing.isEmpty()) << overflowing.toStdString() << " overflows its bar";
  ASSERT_TRUE(finished.takeFirst().at(0).toBool()) << Find<QLabel>("hw_status")->text().toStdString();
  EXPECT_GT(progress.count(), 3);
  ASSERT_TRUE(panel->profile().has_value());
  const HardwareProfile& measured = panel->profile()->profile;
  EXPECT_EQ(measured.backend, "cpu");
  EXPECT_GT(measured.peak_flops, 0.0);
  EXPECT_GT(measured.bandwidth_bytes_per_s, 0.0);
  EXPECT_FALSE(measured.kernels.empty());
  // This CPU's peak is no H100's: the plan keeps the catalogue's, and the measured CPU is an entry of its own.
  EXPECT_EQ(window_->plan_panel()->recommendation()->hardware.peak_flops_per_second, 989e12);
  EXPECT_GE(Find<QComboBox>("accelerator")->findText(Q(gui::MeasuredAcceleratorTitle(measured))), 0);
  EXPECT_TRUE(window_->charts()->isTabVisible(static_cast<int>(gui::ChartKind::ROOFLINE)));
  // Saved, it reads back as the same profile.
  const std::string saved = testing::WriteTempFile("measured.json", "");
  QString error;
  ASSERT_TRUE(panel->SaveProfile(Q(saved), &error)) << error.toStdString();
  EXPECT_EQ(HardwareProfileFromJson(testing::ReadWholeFile(saved), saved).peak_flops, measured.peak_flops);
  EXPECT_EQ(panel->ProfilePath(), Q(saved));
}

TEST_F(MainWindowTest, ViewMenuListsEveryDock) {
  auto* view = Find<QMenu>("view_menu");
  QStringList titles;
  for (QAction* action : view->actions()) titles << action->text();
  for (const char* dock : {"Runs", "Fit", "Plan", "Dictionary", "Hardware"}) {
    EXPECT_TRUE(titles.contains(QString::fromUtf8(dock)))
        << dock << " missing from " << titles.join(", ").toStdString();
  }
  auto* dictionary = Find<QDockWidget>("dictionary_dock");
  QAction* toggle = dictionary->toggleViewAction();
  ASSERT_TRUE(view->actions().contains(toggle));
  const bool shown = !dictionary->isHidden();
  toggle->trigger();
  EXPECT_EQ(dictionary->isHidden(), shown);
  toggle->trigger();
  EXPECT_EQ(dictionary->isHidden(), !shown);
}

// Every dock at its minimum fits a 1366 x 768 screen, the smallest common laptop width: the window never has to be
// wider than the screen (before the docks' labels were shortened it needed 1,621 pixels).
TEST_F(MainWindowTest, FitsASmallLaptopScreen) {
  const QSize minimum = window_->minimumSizeHint();
  EXPECT_LE(minimum.width(), 1366);
  EXPECT_LE(minimum.height(), 768);
}

TEST_F(MainWindowTest, BudgetFieldTakesFlopsAndGpuDays) {
  TypeBudget(QStringLiteral("1e24"));
  EXPECT_EQ(window_->plan_panel()->budget_flops(), 1e24);
  EXPECT_EQ(Find<QSlider>("budget_slider")->value(), 2400);

  TypeBudget(QStringLiteral("300 GPU-days"));
  const Accelerator& device = BundledHardwareCatalogue().accelerators().front();
  EXPECT_EQ(Find<QComboBox>("accelerator")->currentText(), Q(device.name));
  const double expected = 300 * 86400.0 * device.DenseFlopsPerSecond(NumericType::BF16) * TrainingPlanOptions{}.mfu;
  EXPECT_NEAR(window_->plan_panel()->budget_flops() / expected, 1.0, 1e-12);
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  const TrainingHardware& hardware = window_->plan_panel()->recommendation()->hardware;
  EXPECT_TRUE(hardware.time.feasible) << gui::MemoryVerdict(hardware);
  EXPECT_NEAR(hardware.time.device_hours, 300 * 24.0, 1e-6);  // the GPU-days come back

  TypeBudget(QStringLiteral("oops"));
  auto* error = Find<QLabel>("plan_error");
  EXPECT_TRUE(error->isVisibleTo(window_.get()));
  EXPECT_TRUE(error->text().startsWith(QStringLiteral("not a budget: 'oops'"))) << error->text().toStdString();
  EXPECT_NEAR(window_->plan_panel()->budget_flops() / expected, 1.0, 1e-12);  // unchanged

  TypeBudget(QStringLiteral("30 days"));
  EXPECT_NE(error->text().indexOf(QStringLiteral("wall-clock time needs a device count")), -1)
      << error->text().toStdString();
  Find<QSpinBox>("num_accelerators")->setValue(1000);
  TypeBudget(QStringLiteral("30 days"));
  EXPECT_FALSE(error->isVisibleTo(window_.get()));
  EXPECT_NEAR(window_->plan_panel()->budget_flops() / (1000 * 30 / 300.0 * expected), 1.0, 1e-12);
}

TEST_F(MainWindowTest, UniqueTokenLimitAndInferenceTokensChangeThePlan) {
  TypeBudget(QStringLiteral("1e24"));
  const ChinchillaLaw law = FitChinchilla(BundledChinchillaRuns(), MultiStartOptions{}).law;
  DataConstrainedLaw constrained;
  constrained.base = law;

  auto* unique = Find<QLineEdit>("unique_tokens");
  unique->setFocus();
  QTest::keyClicks(unique, QStringLiteral("200B"));
  QTest::keyClick(unique, Qt::Key_Return);
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  const DataConstrainedAllocation expected = PlanDataConstrained(constrained, 1e24, 200e9);
  ASSERT_TRUE(expected.data_limited);
  EXPECT_EQ(window_->plan_panel()->recommendation()->mode, "data-constrained");
  EXPECT_EQ(window_->plan_panel()->recommendation()->allocation.num_params, expected.allocation.num_params);
  EXPECT_EQ(Find<QLabel>("plan_params")->text(), Q(FormatQuantity(expected.allocation.num_params, 3)));
  EXPECT_TRUE(Find<QLabel>("plan_notes")->text().startsWith(QStringLiteral("Data-constrained: ")));

  unique->clear();
  QTest::keyClicks(unique, QStringLiteral("lots"));
  QTest::keyClick(unique, Qt::Key_Return);
  EXPECT_FALSE(window_->plan_panel()->recommendation().has_value());
  EXPECT_TRUE(Find<QLabel>("plan_error")->text().startsWith(QStringLiteral("unique-token limit: ")))
      << Find<QLabel>("plan_error")->text().toStdString();

  unique->clear();
  QTest::keyClick(unique, Qt::Key_Return);
  auto* inference = Find<QLineEdit>("inference_tokens");
  inference->setFocus();
  QTest::keyClicks(inference, QStringLiteral("20T"));
  QTest::keyClick(inference, Qt::Key_Return);
  ASSERT_TRUE(window_->plan_panel()->recommendation().has_value());
  const gui::Recommendation& shown = *window_->plan_panel()->recommendation();
  EXPECT_EQ(shown.mode, "inference-aware");
  EXPECT_LT(shown.allocation.num_params, law.ComputeOptimal(1e24).num_params);
  EXPECT_NEAR(shown.allocation.loss_nats, law.ComputeOptimal(1e24).loss_nats, 1e-9);
}

TEST_F(MainWindowTest, BadCsvErrorIsShownInlineAndTheRunsStay) {
  const std::string bad = testing::WriteTempFile("bad.csv", "N,D,loss\n1e9,2e10,2.5\n2e9,oops,2.4\n");
  EXPECT_FALSE(window_->ImportRunsCsv(Q(bad), RunsColumns{}));
  auto* error = Find<QLabel>("runs_error");
  EXPECT_TRUE(error->isVisibleTo(window_.get()));
  EXPECT_EQ(error->text().toStdString(), bad + ":3: column 2 ('D'): not a number: 'oops'");
  EXPECT_EQ(window_->runs_model()->rowCount(), 240);

  const std::string good = testing::WriteTempFile(
      "good.csv", "params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,2.9\n4e8,8e9,2.7\n8e8,1.6e10,2.55\n1.6e9,3.2e10,2.45\n"
                  "1e8,8e9,3.0\n");
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  EXPECT_TRUE(window_->ImportRunsCsv(Q(good), RunsColumns{}));
  EXPECT_FALSE(error->isVisibleTo(window_.get()));
  EXPECT_EQ(window_->runs_model()->rowCount(), 6);
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));  // an import is fitted at once
}

TEST_F(MainWindowTest, ColumnMappingDialogShowsDetectionAndErrors) {
  const std::string path = testing::WriteTempFile("runs.csv", "model_size,train_tokens,accuracy\n1e9,2e10,2.5\n");
  gui::ColumnMappingDialog dialog(Q(path), RunsColumns{}, window_.get());
  // No alias matches "accuracy": the loader's own message, inline, and no Import.
  EXPECT_FALSE(dialog.MappingLoads());
  EXPECT_TRUE(dialog.StatusText().startsWith(Q(path + ":1: missing column for the loss")))
      << dialog.StatusText().toStdString();
  auto* loss = dialog.findChild<QComboBox*>("column_loss");
  ASSERT_NE(loss, nullptr);
  loss->setCurrentIndex(loss->findText(QStringLiteral("accuracy")));
  EXPECT_TRUE(dialog.MappingLoads()) << dialog.StatusText().toStdString();
  EXPECT_EQ(dialog.findChild<QLabel*>("mapping_detected")->text(),
            QStringLiteral("N ← 'model_size',  D ← 'train_tokens',  C ← 6 N D,  loss ← 'accuracy'"));
  const RunsColumns columns = dialog.Columns();
  EXPECT_EQ(columns.loss, "accuracy");
  EXPECT_EQ(columns.params, "");  // still detected

  // One run loads, but is too few to fit: the fit's error is shown inline too.
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  EXPECT_TRUE(window_->ImportRunsCsv(Q(path), columns));
  EXPECT_EQ(window_->runs_model()->rowCount(), 1);
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  EXPECT_FALSE(spy.at(0).at(0).toBool());
  auto* status = Find<QLabel>("fit_status");
  EXPECT_NE(status->text().indexOf(QStringLiteral("too few runs to fit")), -1) << status->text().toStdString();
  EXPECT_TRUE(status->property("is_error").toBool());
  EXPECT_FALSE(window_->plan_panel()->recommendation().has_value());
}

TEST_F(MainWindowTest, CancelDiscardsTheFit) {
  const double objective = ResultValue("objective");
  auto* delta = Find<QLineEdit>("fit_delta");
  delta->setText(QStringLiteral("0.01"));  // a different objective, were the fit to land
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  EXPECT_TRUE(Find<QPushButton>("fit_cancel")->isEnabled());
  QTest::mouseClick(Find<QPushButton>("fit_cancel"), Qt::LeftButton);
  QTest::qWait(2000);
  EXPECT_EQ(spy.count(), 0);
  EXPECT_EQ(ResultValue("objective"), objective);
  EXPECT_TRUE(Find<QPushButton>("fit_button")->isEnabled());
  EXPECT_FALSE(Find<QPushButton>("fit_cancel")->isEnabled());
  EXPECT_TRUE(Find<QLabel>("fit_status")->text().startsWith(QStringLiteral("Fit cancelled")));
}

TEST_F(MainWindowTest, BadFitOptionsAreShownInline) {
  Find<QLineEdit>("fit_grid")->setText(QStringLiteral("alpha=2:1:0.1"));
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  EXPECT_FALSE(spy.wait(300));
  const QString status = Find<QLabel>("fit_status")->text();
  EXPECT_NE(status.indexOf(QStringLiteral("start grid")), -1) << status.toStdString();
  EXPECT_TRUE(Find<QLabel>("fit_status")->property("is_error").toBool());
}

TEST_F(MainWindowTest, SessionRoundTrip) {
  window_->runs_model()->SetExcluded({2, 3}, true);
  Find<QComboBox>("accelerator")->setCurrentText(QStringLiteral("A100-80GB"));
  Find<QSpinBox>("num_accelerators")->setValue(256);
  Find<QSpinBox>("fit_starts")->setValue(32);
  TypeBudget(QStringLiteral("1e24"));
  auto* recomputation = Find<QComboBox>("recomputation");
  recomputation->setCurrentIndex(recomputation->findText(QStringLiteral("full")));
  RaiseDock("dictionary_dock");
  TypeInto("dict_d_model", QStringLiteral("2048"));
  auto* goal = Find<QComboBox>("dict_goal");
  goal->setCurrentIndex(goal->findData(QStringLiteral("latents")));
  TypeInto("dict_value", QStringLiteral("1M"));
  auto* kernels = Find<QComboBox>("dict_kernels");
  kernels->setCurrentIndex(kernels->findData(QStringLiteral("dense")));
  const std::string profile = testing::WriteSmallProfile("session_profile.json");
  QString profile_error;
  ASSERT_TRUE(window_->hardware_panel()->LoadProfile(Q(profile), &profile_error)) << profile_error.toStdString();
  Find<QCheckBox>("hw_use_profile")->setChecked(false);
  Find<QComboBox>("hw_probe_mode")->setCurrentIndex(1);  // standard
  window_->charts()->SetCurrentKind(gui::ChartKind::ROOFLINE);
  window_->findChild<QAction*>("log_loss")->trigger();  // View > Log loss axis
  ASSERT_TRUE(window_->charts()->log_loss());
  const std::string path = testing::WriteTempFile("session.json", "");
  QString error;
  ASSERT_TRUE(window_->SaveSession(Q(path), &error)) << error.toStdString();

  MainWindow restored;
  WaitForFit(&restored);
  QSignalSpy spy(&restored, &MainWindow::Fitted);
  ASSERT_TRUE(restored.LoadSession(Q(path), &error)) << error.toStdString();
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  EXPECT_EQ(restored.runs_model()->ExcludedRows(), (std::vector<int>{2, 3}));
  EXPECT_EQ(restored.plan_panel()->budget_flops(), 1e24);
  EXPECT_EQ(restored.plan_panel()->Settings().accelerator, "A100-80GB");
  EXPECT_EQ(restored.plan_panel()->Settings().training.num_accelerators, 256);
  EXPECT_EQ(restored.plan_panel()->Settings().recompute, RecomputeChoice::FULL);
  const gui::DictionarySettings dictionary = restored.dictionary_panel()->Settings();
  EXPECT_EQ(dictionary.request.d_model, 2048);
  EXPECT_EQ(dictionary.request.goal, DictionaryGoal::LATENTS);
  EXPECT_EQ(dictionary.request.num_latents, 1e6);
  EXPECT_EQ(dictionary.shown, DictionaryKernels::DENSE);
  EXPECT_EQ(restored.hardware_panel()->ProfilePath(), Q(profile));
  ASSERT_TRUE(restored.hardware_panel()->profile().has_value());
  EXPECT_EQ(restored.hardware_panel()->profile()->profile.peak_flops, 8e10);
  EXPECT_FALSE(restored.hardware_panel()->UseForPlans());
  EXPECT_EQ(restored.hardware_panel()->ProbeMode(), "standard");
  // The profile is loaded but not used for plans: the A100's catalogue peak, 312 TFLOP/s dense bf16.
  EXPECT_EQ(restored.plan_panel()->recommendation()->hardware.peak_flops_per_second, 312e12);
  EXPECT_EQ(restored.charts()->CurrentKind(), gui::ChartKind::ROOFLINE);
  // View > Log loss axis: the menu's check mark and the loss chart's axis.
  EXPECT_TRUE(restored.findChild<QAction*>("log_loss")->isChecked());
  EXPECT_TRUE(restored.charts()->log_loss());
  EXPECT_EQ(LossAxisType(restored), QAbstractAxis::AxisTypeLogValue);
  EXPECT_EQ(restored.findChild<QSpinBox*>("fit_starts")->value(), 32);
  MultiStartOptions options;
  options.num_starts = 32;
  ASSERT_TRUE(restored.fit_panel()->fit().has_value());
  EXPECT_EQ(restored.fit_panel()->fit()->law.E, FitChinchilla(Without(BundledChinchillaRuns(), {2, 3}), options).law.E);

  const std::string broken = testing::WriteTempFile("broken.json", "{\"plan\": {\"mfu\": \"high\"}}");
  EXPECT_FALSE(restored.LoadSession(Q(broken), &error));
  EXPECT_EQ(error.toStdString(), broken + ": /plan/mfu: must be a number, got string");
  EXPECT_TRUE(restored.charts()->log_loss());  // a session that does not load changes nothing

  // A session saved before the choice was kept has no "log_loss": the loss axis is linear again.
  const std::string old = testing::WriteTempFile("old_view.json", "{\"schema_version\": 1, \"view\": {\"chart\": 0}}");
  ASSERT_TRUE(restored.LoadSession(Q(old), &error)) << error.toStdString();
  EXPECT_FALSE(restored.findChild<QAction*>("log_loss")->isChecked());
  EXPECT_EQ(LossAxisType(restored), QAbstractAxis::AxisTypeValue);
}

TEST_F(MainWindowTest, ExportsPlanAndChartsAtomically) {
  QString error;
  const std::string json_path = testing::WriteTempFile("plan.json", "old");
  ASSERT_TRUE(window_->ExportPlan(Q(json_path), &error)) << error.toStdString();
  const auto json = nlohmann::json::parse(testing::ReadWholeFile(json_path));
  const gui::Recommendation& shown = *window_->plan_panel()->recommendation();
  EXPECT_EQ(json["num_params"].get<double>(), shown.allocation.num_params);
  EXPECT_EQ(json["compute_flops"].get<double>(), shown.budget_flops);
  EXPECT_EQ(json["mode"], "compute-optimal");

  const std::string csv_path = testing::WriteTempFile("plan.csv", "");
  ASSERT_TRUE(window_->ExportPlan(Q(csv_path), &error)) << error.toStdString();
  const std::string csv = testing::ReadWholeFile(csv_path);
  EXPECT_EQ(csv.rfind("compute_flops,num_params,num_tokens,", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 2);

  const std::string png_path = testing::WriteTempFile("chart.png", "");
  ASSERT_TRUE(window_->ExportChart(Q(png_path), QSize(900, 600), &error)) << error.toStdString();
  const auto size = testing::ReadPngSize(testing::ReadWholeFile(png_path));
  ASSERT_TRUE(size.has_value());
  EXPECT_EQ(size->width, 900u);
  EXPECT_EQ(size->height, 600u);
  const std::string svg_path = testing::WriteTempFile("chart.svg", "");
  ASSERT_TRUE(window_->ExportChart(Q(svg_path), QSize(900, 600), &error)) << error.toStdString();
  EXPECT_NE(testing::ReadWholeFile(svg_path).find("viewBox=\"0 0 900 600\""), std::string::npos);

  // A failed write leaves the old file alone and says why, inline.
  EXPECT_FALSE(window_->ExportPlan(QStringLiteral("/nonexistent-dir/plan.json"), &error));
  EXPECT_TRUE(error.startsWith(QStringLiteral("/nonexistent-dir/plan.json: cannot write"))) << error.toStdString();
  EXPECT_EQ(Find<QLabel>("window_message")->text(), error);
}

// A fit that fails leaves nothing of the previous fit on screen: the table is cleared, the Fit dock and the plan say
// that these runs cannot identify the law, with the verdict, and the charts drop the previous law.
TEST_F(MainWindowTest, FailedFitClearsThePreviousFit) {
  auto* table = Find<QTableWidget>("fit_results");
  ASSERT_EQ(table->rowCount(), 13);  // the bundled runs' fit
  ASSERT_TRUE(window_->charts()->inputs().law.has_value());
  const std::string one_run = testing::WriteTempFile("one_run.csv", "N,D,loss\n1e9,2e10,2.5\n");
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  ASSERT_TRUE(window_->ImportRunsCsv(Q(one_run), RunsColumns{}));
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  ASSERT_FALSE(spy.at(0).at(0).toBool());

  EXPECT_EQ(table->rowCount(), 0);
  EXPECT_FALSE(table->isEnabled());
  EXPECT_FALSE(window_->fit_panel()->fit().has_value());
  const QString status = Find<QLabel>("fit_status")->text();
  EXPECT_TRUE(status.startsWith(QStringLiteral("No fit: these runs cannot identify the law (")))
      << status.toStdString();
  EXPECT_NE(status.indexOf(QStringLiteral("too few runs to fit")), -1) << status.toStdString();  // the verdict
  EXPECT_EQ(Find<QLabel>("plan_law")->text(),
            QStringLiteral("No fit: these runs cannot identify the law (see the Fit panel)"));
  EXPECT_FALSE(window_->plan_panel()->recommendation().has_value());
  EXPECT_FALSE(window_->charts()->inputs().law.has_value());

  // The next fit that works brings the table back.
  QSignalSpy again(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("runs_bundled"), Qt::LeftButton);
  ASSERT_TRUE(again.wait(kFitTimeoutMs));
  ASSERT_TRUE(again.at(0).at(0).toBool());
  EXPECT_EQ(table->rowCount(), 13);
  EXPECT_TRUE(table->isEnabled());
  EXPECT_TRUE(Find<QLabel>("plan_law")->text().startsWith(QStringLiteral("Approach-3 fit")));
}

// Switching the Dictionary goal never reads the old goal's number in the new unit (1e20 FLOPs as a target MSE):
// the value field takes the new goal's default, or the number last used with that goal.
TEST_F(MainWindowTest, DictionaryGoalSwitchResetsTheValue) {
  RaiseDock("dictionary_dock");
  auto* goal = Find<QComboBox>("dict_goal");
  auto* value = Find<QLineEdit>("dict_value");
  ASSERT_EQ(value->text(), QStringLiteral("1e+20"));
  goal->setCurrentIndex(goal->findData(QStringLiteral("target_loss")));
  EXPECT_EQ(value->text(), QStringLiteral("0.15"));
  const auto& shown = window_->dictionary_panel()->recommendation();
  ASSERT_TRUE(shown.has_value());
  EXPECT_EQ(shown->request.goal, DictionaryGoal::TARGET_LOSS);
  EXPECT_EQ(shown->request.target_loss, 0.15);
  EXPECT_EQ(shown->request.compute_flops, 0.0);

  TypeInto("dict_value", QStringLiteral("0.2"));
  goal->setCurrentIndex(goal->findData(QStringLiteral("device_hours")));
  EXPECT_EQ(value->text(), QStringLiteral("1K"));
  EXPECT_EQ(window_->dictionary_panel()->recommendation()->request.device_hours, 1000.0);
  goal->setCurrentIndex(goal->findData(QStringLiteral("latents")));
  EXPECT_EQ(window_->dictionary_panel()->recommendation()->request.num_latents, 1e6);
  // Back to the target loss: the 0.2 typed for it, not the latents' count.
  goal->setCurrentIndex(goal->findData(QStringLiteral("target_loss")));
  EXPECT_EQ(value->text(), QStringLiteral("0.2"));
  EXPECT_EQ(window_->dictionary_panel()->recommendation()->request.target_loss, 0.2);
  goal->setCurrentIndex(goal->findData(QStringLiteral("compute")));
  EXPECT_EQ(window_->dictionary_panel()->recommendation()->request.compute_flops, 1e20);
}

// Import errors speak of the import dialog's fields, not of command-line flags the window's user never sees.
TEST_F(MainWindowTest, ImportErrorsNameTheDialogsFieldsNotFlags) {
  const std::string path = testing::WriteTempFile("no_loss.csv", "params,tokens,accuracy\n1e9,2e10,0.5\n");
  EXPECT_FALSE(window_->ImportRunsCsv(Q(path), RunsColumns{}));
  const QString error = Find<QLabel>("runs_error")->text();
  EXPECT_TRUE(error.startsWith(Q(path + ":1: missing column for the loss"))) << error.toStdString();
  EXPECT_NE(error.indexOf(QStringLiteral("the import dialog's Loss field")), -1) << error.toStdString();
  EXPECT_EQ(error.indexOf(QStringLiteral("--")), -1) << error.toStdString();
  gui::ColumnMappingDialog dialog(Q(path), RunsColumns{}, window_.get());
  EXPECT_NE(dialog.StatusText().indexOf(QStringLiteral("the import dialog's Loss field")), -1)
      << dialog.StatusText().toStdString();
  EXPECT_EQ(dialog.StatusText().indexOf(QStringLiteral("--loss-col")), -1);
  // The command line still names its flag.
  const testing::CommandResult cli = testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit '" + path + "'");
  EXPECT_NE(cli.err.find("--loss-col"), std::string::npos) << cli.err;
}

// A restored session shows counts as they were typed ("8B", "70B", "500B"), not 8000000000; the numbers are exact.
TEST_F(MainWindowTest, SessionRestoresCountsAsPeopleWriteThem) {
  TypeInto("inference_tokens", QStringLiteral("8B"));
  TypeInto("unique_tokens", QStringLiteral("500B"));
  RaiseDock("dictionary_dock");
  TypeInto("dict_subject", QStringLiteral("70B"));
  const std::string path = testing::WriteTempFile("counts_session.json", "");
  QString error;
  ASSERT_TRUE(window_->SaveSession(Q(path), &error)) << error.toStdString();

  MainWindow restored;
  restored.show();
  WaitForFit(&restored);
  ASSERT_TRUE(restored.LoadSession(Q(path), &error)) << error.toStdString();
  EXPECT_EQ(restored.findChild<QLineEdit*>("inference_tokens")->text(), QStringLiteral("8B"));
  EXPECT_EQ(restored.findChild<QLineEdit*>("unique_tokens")->text(), QStringLiteral("500B"));
  EXPECT_EQ(restored.findChild<QLineEdit*>("dict_subject")->text(), QStringLiteral("70B"));
  EXPECT_EQ(restored.plan_panel()->Settings().inference_tokens, 8e9);
  EXPECT_EQ(restored.dictionary_panel()->Settings().request.subject.num_params, 70e9);
  // A count that no suffix writes exactly keeps all its digits.
  EXPECT_EQ(gui::QuantityText(8000000001.0), QStringLiteral("8000000001"));
  EXPECT_EQ(gui::QuantityText(1.5e13), QStringLiteral("15T"));
}

// The Help menu lists the README's sections and About; a section opens in the help window as formatted text.
TEST_F(MainWindowTest, HelpMenuShowsTheReadmesSections) {
  auto* help = Find<QMenu>("help_menu");
  QStringList titles;
  for (QAction* action : help->actions()) titles << action->text();
  // The README's own "## " headings, read from the file here (the window has the copy embedded at build time).
  std::vector<std::string> headings;
  std::string readme = testing::ReadWholeFile(std::string(SCALEPLAN_SOURCE_DIR) + "/README.md");
  bool in_code = false;
  size_t at = 0;
  while (at < readme.size()) {
    const size_t end = std::min(readme.find('\n', at), readme.size());
    const std::string line = readme.substr(at, end - at);
    if (line.rfind("```", 0) == 0) in_code = !in_code;
    if (!in_code && line.rfind("## ", 0) == 0) headings.push_back(line.substr(3));
    at = end + 1;
  }
  ASSERT_GT(headings.size(), 10u);
  for (std::string heading : headings) {
    heading.erase(std::remove(heading.begin(), heading.end(), '`'), heading.end());
    EXPECT_TRUE(titles.contains(Q(heading))) << heading << " missing from the Help menu";
  }
  EXPECT_TRUE(titles.contains(QStringLiteral("&About scaleplan")));
  for (QAction* action : help->actions()) {
    if (action->text() != QStringLiteral("Exit codes")) continue;
    action->trigger();
    auto* dialog = window_->findChild<QDialog*>("help_dialog");
    ASSERT_NE(dialog, nullptr);
    EXPECT_TRUE(dialog->isVisible());
    const QString text = dialog->findChild<QTextBrowser*>("help_text")->toPlainText();
    EXPECT_TRUE(text.startsWith(QStringLiteral("Exit codes"))) << text.left(80).toStdString();
    EXPECT_NE(text.indexOf(QStringLiteral("usage")), -1);
  }
}

// The points of chart `kind`'s plan marker.
QList<QPointF> PlanMarker(const gui::ChartsView* charts, gui::ChartKind kind) {
  for (QAbstractSeries* series : charts->Chart(kind)->series()) {
    if (series->objectName() == QLatin1String("budget")) return qobject_cast<QScatterSeries*>(series)->points();
  }
  return {};
}

// Inference-aware and data-constrained plans show their own training FLOPs, and every chart marks the plan where it
// is (its N, D, 6 N D and loss), not the compute-optimal plan at the budget.
TEST_F(MainWindowTest, ConstrainedPlansAreMarkedWhereTheyAre) {
  const double budget = window_->plan_panel()->budget_flops();
  TypeInto("inference_tokens", QStringLiteral("20T"));
  const gui::Recommendation plan = *window_->plan_panel()->recommendation();
  ASSERT_EQ(plan.mode, "inference-aware");
  const Allocation& a = plan.allocation;
  EXPECT_NEAR(a.compute_flops / (6.0 * a.num_params * a.num_tokens), 1.0, 1e-12);
  EXPECT_GT(a.compute_flops, 1.05 * budget);  // smaller and trained longer than the budget's compute-optimal plan
  EXPECT_EQ(
      Find<QLabel>("plan_training_flops")->text(),
      Q(FormatScientific(a.compute_flops, 3) + " FLOPs (6 N D; the budget is " + FormatScientific(budget, 3) + ")"));
  gui::ChartsView* charts = window_->charts();
  EXPECT_EQ(PlanMarker(charts, gui::ChartKind::FIT), (QList<QPointF>{{a.compute_flops, a.loss_nats}}));
  EXPECT_EQ(PlanMarker(charts, gui::ChartKind::FRONTIER),
            (QList<QPointF>{{a.compute_flops, a.num_params}, {a.compute_flops, a.num_tokens}}));
  EXPECT_EQ(PlanMarker(charts, gui::ChartKind::ISOFLOP), (QList<QPointF>{{a.num_params, a.loss_nats}}));

  // No inference: back on the frontier at the budget.
  TypeInto("inference_tokens", QString());
  const Allocation optimal = window_->plan_panel()->law()->law.ComputeOptimal(budget);
  EXPECT_EQ(PlanMarker(charts, gui::ChartKind::FIT), (QList<QPointF>{{budget, optimal.loss_nats}}));
  EXPECT_EQ(Find<QLabel>("plan_training_flops")->text(), Q(FormatScientific(budget, 3) + " FLOPs (6 N D)"));

  // A binding unique-token limit: the data-constrained plan's loss (repeated data is worth less) at its N and D.
  TypeInto("unique_tokens", QStringLiteral("100B"));
  const gui::Recommendation limited = *window_->plan_panel()->recommendation();
  ASSERT_EQ(limited.mode, "data-constrained");
  ASSERT_TRUE(limited.data_limited);
  EXPECT_GT(limited.allocation.loss_nats, optimal.loss_nats);
  EXPECT_EQ(PlanMarker(charts, gui::ChartKind::FIT),
            (QList<QPointF>{{limited.allocation.compute_flops, limited.allocation.loss_nats}}));
  EXPECT_EQ(PlanMarker(charts, gui::ChartKind::FRONTIER),
            (QList<QPointF>{{limited.allocation.compute_flops, limited.allocation.num_params},
                            {limited.allocation.compute_flops, limited.allocation.num_tokens}}));
}

// The automatic device count should follow the budget smoothly: never fewer devices as the budget grows, and across
// a 7% step in budget at most 25% more (or one 8-device node more, for small counts). Swept from 1e21 to 1e26 FLOPs
// on an H100. The count is the larger of the days count (smooth) and the fewest devices whose memory holds the state
// under `--recompute auto`, which picks the recomputation that needs the fewest devices (EstimateModelMemory, shared
// with `plan --mfu`): "selective whenever some count holds it" jumped 35 -> 154 -> 46 devices between 1.07e23 and
// 1.22e23 FLOPs, where selective recomputation's activations neared a device's memory.
TEST_F(MainWindowTest, DeviceCountGrowsSmoothlyWithTheBudget) {
  Find<QComboBox>("accelerator")->setCurrentText(QStringLiteral("H100-SXM"));
  ASSERT_EQ(Find<QDoubleSpinBox>("target_days")->value(), 90.0);
  gui::PlanPanel* panel = window_->plan_panel();
  long long previous = 0;
  double previous_budget = 0;
  int steps = 0;
  for (double budget = 1e21; budget <= 1e26; budget *= 1.07, ++steps) {
    panel->SetBudget(budget);
    ASSERT_TRUE(panel->recommendation().has_value()) << budget;
    const TrainingHardware& h = panel->recommendation()->hardware;
    const long long count = h.time.num_accelerators;
    EXPECT_LE(h.time.days, 90.0 * (1 + 1e-12)) << budget;
    EXPECT_GE(count, previous) << "the count falls from " << previous_budget << " to " << budget << " FLOPs";
    EXPECT_LE(count, std::max<long long>(std::ceil(1.25 * static_cast<double>(previous)), previous + 8))
        << previous << " -> " << count << " devices from " << previous_budget << " to " << budget << " FLOPs";
    previous = count;
    previous_budget = budget;
  }
  EXPECT_GT(steps, 150);
}

// The Plan dock's device count finishes within the target days (90 by default, as `plan --max-days 90`), and the
// time line says so; without a limit the count is the fewest whose memory holds the training state.
TEST_F(MainWindowTest, DeviceCountFinishesWithinTheTargetDays) {
  Find<QComboBox>("accelerator")->setCurrentText(QStringLiteral("H100-SXM"));
  ASSERT_EQ(Find<QDoubleSpinBox>("target_days")->value(), 90.0);
  gui::PlanPanel* panel = window_->plan_panel();
  panel->SetBudget(5.76e23);
  const QString time = Find<QLabel>("plan_time")->text();
  EXPECT_NE(time.indexOf(QStringLiteral(", the fewest to finish in 90 days")), -1) << time.toStdString();
  const nlohmann::json cli = PlanJson("--compute 5.76e23 --accelerator H100-SXM");
  EXPECT_EQ(panel->recommendation()->hardware.time.num_accelerators, cli["num_accelerators"].get<long long>());
  // No limit: the fewest that hold the training state (the first plan used to read "2.2 years on 21 x H100-SXM").
  Find<QDoubleSpinBox>("target_days")->setValue(0.0);
  EXPECT_EQ(panel->recommendation()->hardware.time.num_accelerators,
            panel->recommendation()->hardware.memory.min_devices_for_memory);
}

}  // namespace
}  // namespace scaleplan
