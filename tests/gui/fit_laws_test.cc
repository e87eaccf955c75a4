// Every law of the command line in the Fit dock, driven on the real window under QT_QPA_PLATFORM=offscreen: for each
// choice of the law selector the dock's fitted numbers and the plan (N_opt, D_opt at the budget) against the core
// function called here directly (MakeKaplanFitReport, MakeIsoFlopFitReport, FitDataConstrained, FitExpressionLaw,
// the published laws), the frontier chart's marker at the plan; the custom expression's located parse error; File >
// Open fit with a Kaplan fit against `scaleplan plan --fit`, a malformed fit leaving the previous plan; the law in a
// session; and the Runs table's columns at 1366 x 768.
#include <gtest/gtest.h>

#include <QAbstractItemView>
#include <QChart>
#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QPushButton>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QTableView>
#include <QTableWidget>
#include <QTest>
#include <QTimer>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/bundled_data.h"
#include "core/chinchilla_law.h"
#include "core/data_constrained.h"
#include "core/expression_law.h"
#include "core/sparse_laws.h"
#include "fitting/data_constrained_fit.h"
#include "fitting/expression_fit.h"
#include "fitting/kaplan_fit.h"
#include "fitting/law_fits.h"
#include "fitting/sparse_fit.h"
#include "gui/charts_view.h"
#include "gui/fit_panel.h"
#include "gui/main_window.h"
#include "gui/plan_panel.h"
#include "gui/runs_model.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan {
namespace {

using gui::MainWindow;

// Generous: a fit with its charts takes well under a second in a release build, some seconds under ASan/UBSan on 2
// cores, and a restored session waits for two fits.
constexpr int kFitTimeoutMs = 60000;

// A path in the test's temporary folder with no file at it.
std::string FreshPath(const std::string& name) {
  const std::string path = testing::WriteTempFile(name, "");
  std::remove(path.c_str());
  return path;
}

class FitLawsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::Application();
    window_ = std::make_unique<MainWindow>();
    window_->resize(1366, 768);
    window_->show();
    WaitForFit();
  }

  void WaitForFit() {
    QSignalSpy spy(window_.get(), &MainWindow::Fitted);
    ASSERT_TRUE(spy.wait(kFitTimeoutMs)) << "no fit within " << kFitTimeoutMs << " ms";
    ASSERT_TRUE(spy.takeLast().at(0).toBool())
        << "the fit failed: " << Find<QLabel>("fit_status")->text().toStdString();
  }

  // Chooses `key` in the Fit dock's law selector and waits for its fit.
  void ChooseLaw(const char* key) {
    auto* selector = Find<QComboBox>("fit_law");
    const int index = selector->findData(QString::fromLatin1(key));
    ASSERT_GE(index, 0) << "no law " << key << " in the selector";
    QSignalSpy spy(window_.get(), &MainWindow::Fitted);
    selector->setCurrentIndex(index);
    ASSERT_TRUE(spy.count() > 0 || spy.wait(kFitTimeoutMs)) << "no fit of " << key;
    ASSERT_TRUE(spy.takeLast().at(0).toBool()) << key << ": " << Find<QLabel>("fit_status")->text().toStdString();
  }

  template <class Widget>
  Widget* Find(const char* name) const {
    auto* widget = window_->findChild<Widget*>(name);
    EXPECT_NE(widget, nullptr) << "no widget named " << name;
    return widget;
  }

  // The value of the results table's row `name` (NaN, and a failure, when there is none).
  double ResultValue(const char* name) const {
    auto* table = Find<QTableWidget>("fit_results");
    for (int row = 0; row < table->rowCount(); ++row) {
      if (table->item(row, 0)->text() == QLatin1String(name)) return table->item(row, 1)->data(Qt::UserRole).toDouble();
    }
    ADD_FAILURE() << "no row " << name << " in the results table";
    return std::nan("");
  }

  const gui::Recommendation& Plan() const {
    const auto& plan = window_->plan_panel()->recommendation();
    EXPECT_TRUE(plan.has_value()) << "no plan";
    static const gui::Recommendation kNone;
    return plan ? *plan : kNone;
  }

  // The plan's N and D are the core's compute-optimal allocation at the budget, and the frontier chart marks them.
  void ExpectPlan(const Allocation& expected) const {
    const gui::Recommendation& plan = Plan();
    EXPECT_NEAR(plan.allocation.num_params / expected.num_params, 1.0, 1e-12);
    EXPECT_NEAR(plan.allocation.num_tokens / expected.num_tokens, 1.0, 1e-12);
    QChart* chart = window_->charts()->Chart(gui::ChartKind::FRONTIER);
    QScatterSeries* marker = nullptr;
    QLineSeries* n_opt = nullptr;
    for (QAbstractSeries* series : chart->series()) {
      if (series->objectName() == QLatin1String("budget")) marker = qobject_cast<QScatterSeries*>(series);
      if (series->objectName() == QLatin1String("n_opt")) n_opt = qobject_cast<QLineSeries*>(series);
    }
    ASSERT_NE(n_opt, nullptr) << "the frontier chart has no N_opt(C) of this law";
    EXPECT_GT(n_opt->count(), 10);
    ASSERT_NE(marker, nullptr);
    ASSERT_EQ(marker->count(), 2);
    EXPECT_NEAR(marker->at(0).y() / expected.num_params, 1.0, 1e-12);
    EXPECT_NEAR(marker->at(1).y() / expected.num_tokens, 1.0, 1e-12);
  }

  double Budget() const { return window_->plan_panel()->budget_flops(); }

  // The line series of a chart whose property `key` (the fit chart's iso-N curves: "num_params"; the IsoFLOP chart's
  // profiles: "compute_flops") is set, with its value.
  std::vector<std::pair<QLineSeries*, double>> CurvesWith(gui::ChartKind kind, const char* key) const {
    std::vector<std::pair<QLineSeries*, double>> curves;
    for (QAbstractSeries* series : window_->charts()->Chart(kind)->series()) {
      auto* line = qobject_cast<QLineSeries*>(series);
      if (line != nullptr && line->property(key).isValid()) curves.emplace_back(line, line->property(key).toDouble());
    }
    return curves;
  }

  // Every point of the fit chart's iso-N curves is loss(N, C / 6N) and of the IsoFLOP profiles loss(N, C / 6N), to
  // `tolerance` relative.
  template <class Loss>
  void ExpectLossCurves(const Loss& loss, double tolerance) const {
    const auto iso_n = CurvesWith(gui::ChartKind::FIT, "num_params");
    ASSERT_FALSE(iso_n.empty()) << "the loss chart draws no L(N, D) of this law";
    int points = 0;
    for (const auto& [curve, n] : iso_n) {
      for (const QPointF& p : curve->points()) {
        EXPECT_NEAR(p.y() / loss(n, p.x() / (6.0 * n)), 1.0, tolerance) << "N " << n << ", C " << p.x();
        ++points;
      }
    }
    EXPECT_GT(points, 100);
    const auto profiles = CurvesWith(gui::ChartKind::ISOFLOP, "compute_flops");
    ASSERT_FALSE(profiles.empty()) << "the IsoFLOP chart draws no profile of this law";
    for (const auto& [curve, c] : profiles) {
      ASSERT_GT(curve->count(), 10);
      for (const QPointF& p : curve->points()) {
        EXPECT_NEAR(p.y() / loss(p.x(), c / (6.0 * p.x())), 1.0, tolerance) << "C " << c << ", N " << p.x();
      }
    }
  }

  // The loss chart's compute-optimal frontier, (C, L_opt) per point.
  QLineSeries* LossFrontier() const {
    for (QAbstractSeries* series : window_->charts()->Chart(gui::ChartKind::FIT)->series()) {
      if (series->objectName() == QLatin1String("frontier")) return qobject_cast<QLineSeries*>(series);
    }
    return nullptr;
  }

  // The dock's fit of `law` is the JSON `scaleplan fit --law LAW --out F` writes, key for key (no bootstrap: the
  // dock's bootstrap refits are the Approach-3 fit's).
  void ExpectFitIsCommandsOut(const char* law) const {
    const std::string path = FreshPath(std::string(law) + "_out.json");
    const testing::CommandResult fit =
        testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit --law " + law + " --out " + path);
    ASSERT_EQ(fit.exit_code, 0) << fit.err;
    ASSERT_TRUE(window_->fit_panel()->law_fit().has_value());
    const nlohmann::json dock = nlohmann::json::parse(window_->fit_panel()->law_fit()->json.dump());
    const nlohmann::json command = nlohmann::json::parse(testing::ReadWholeFile(path));
    EXPECT_FALSE(dock.contains("intervals"));
    EXPECT_EQ(dock, command) << nlohmann::json::diff(command, dock).dump();
  }

  std::unique_ptr<MainWindow> window_;
};

TEST_F(FitLawsTest, KaplanFitAndPlanAreMakeKaplanFitReports) {
  ChooseLaw("kaplan");
  LawFitOptions options;
  options.grid = KaplanModel::DefaultGrid();  // the dock's default: `fit --law kaplan` without --grid
  const KaplanFitReport expected = MakeKaplanFitReport(BundledChinchillaRuns(), options);
  ASSERT_TRUE(expected.fit.search.usable);
  EXPECT_EQ(ResultValue("N_c"), expected.fit.law.n_c);
  EXPECT_EQ(ResultValue("D_c"), expected.fit.law.d_c);
  EXPECT_EQ(ResultValue("alpha_N"), expected.fit.law.alpha_n);
  EXPECT_EQ(ResultValue("alpha_D"), expected.fit.law.alpha_d);
  EXPECT_EQ(ResultValue("objective"), expected.fit.search.objective);
  ExpectPlan(expected.fit.law.ComputeOptimal(Budget()));
  // The residuals chart draws the Kaplan law's loss on the runs.
  EXPECT_FALSE(window_->charts()->inputs().predicted_loss.empty());
  ExpectFitIsCommandsOut("kaplan");
}

TEST_F(FitLawsTest, IsoFlopFitAndPlanAreMakeIsoFlopFitReports) {
  ChooseLaw("isoflop");
  const IsoFlopFitReport expected = MakeIsoFlopFitReport(BundledChinchillaRuns(), LawFitOptions{});
  ASSERT_TRUE(expected.fit.usable);
  ASSERT_TRUE(expected.fit.has_frontier);
  EXPECT_EQ(ResultValue("a"), expected.fit.exponent_params);
  EXPECT_EQ(ResultValue("k_N"), expected.fit.coeff_params);
  EXPECT_EQ(ResultValue("b"), expected.fit.exponent_tokens);
  EXPECT_EQ(ResultValue("frontier E"), expected.fit.frontier.E);
  const Allocation at_budget = expected.fit.ComputeOptimal(Budget());
  ExpectPlan(at_budget);
  EXPECT_NEAR(Plan().allocation.loss_nats, at_budget.loss_nats, 1e-12);  // the loss frontier's
  ExpectFitIsCommandsOut("isoflop");
  // A unique-token limit needs Chinchilla's form: the plan says so as `plan --fit` does.
  auto* unique = Find<QLineEdit>("unique_tokens");
  ASSERT_NE(unique, nullptr);
  unique->setFocus();
  QTest::keyClicks(unique, QStringLiteral("1T"));
  QTest::keyClick(unique, Qt::Key_Return);
  EXPECT_FALSE(window_->plan_panel()->recommendation().has_value());
  EXPECT_NE(Find<QLabel>("plan_error")->text().indexOf(QStringLiteral("compute-optimal frontier only")), -1)
      << Find<QLabel>("plan_error")->text().toStdString();
}

TEST_F(FitLawsTest, DataConstrainedFitIsFitDataConstrainedOnTheBundledMuennighoffRuns) {
  ChooseLaw("data-constrained");
  const DataConstrainedFit expected = FitDataConstrained(BundledMuennighoffRuns(), MuennighoffC4BaseLaw());
  ASSERT_TRUE(expected.usable);
  EXPECT_EQ(ResultValue("R_D*"), expected.R_D_star);
  EXPECT_EQ(ResultValue("R_N*"), expected.R_N_star);
  EXPECT_EQ(ResultValue("E"), MuennighoffC4BaseLaw().E);
  // Without a unique-token limit its plan is its base law's compute-optimal one (Hoffmann et al.'s closed form).
  ExpectPlan(MuennighoffC4BaseLaw().ComputeOptimal(Budget()));
}

TEST_F(FitLawsTest, PublishedLawsPlanWithoutRuns) {
  // Every run excluded: nothing to fit, and a published law still plans.
  std::vector<int> all(static_cast<size_t>(window_->runs_model()->rowCount()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  window_->runs_model()->SetExcluded(all, true);
  ASSERT_EQ(window_->runs_model()->NumIncluded(), 0);
  for (const char* name : {"hoffmann", "hoffmann-unrounded", "epoch"}) {
    SCOPED_TRACE(name);
    ChooseLaw(name);
    const std::optional<NamedLaw> law = FindPublishedLaw(name);
    ASSERT_TRUE(law.has_value());
    EXPECT_EQ(ResultValue("E"), law->law.E);
    EXPECT_EQ(ResultValue("alpha"), law->law.alpha);
    EXPECT_EQ(ResultValue("beta"), law->law.beta);
    const Allocation expected = law->law.ComputeOptimal(Budget());
    EXPECT_NEAR(Plan().allocation.num_params / expected.num_params, 1.0, 1e-12);
    EXPECT_NEAR(Plan().allocation.num_tokens / expected.num_tokens, 1.0, 1e-12);
  }
  // Hoffmann et al.'s rounded law (E 1.69, A 406.4, B 410.7, alpha 0.34, beta 0.28) at Gopher's budget, by the
  // closed form N_opt = G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta)): 32.19B parameters.
  ChooseLaw("hoffmann");
  window_->plan_panel()->SetBudget(5.76e23);
  const double g = std::pow(0.34 * 406.4 / (0.28 * 410.7), 1.0 / 0.62);
  const double n_opt = g * std::pow(5.76e23 / 6.0, 0.28 / 0.62);
  EXPECT_NEAR(n_opt / 1e9, 32.19, 0.01);
  EXPECT_NEAR(Plan().allocation.num_params / n_opt, 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.num_tokens / (5.76e23 / (6.0 * n_opt)), 1.0, 1e-12);
}

TEST_F(FitLawsTest, FineGrainedMoeLawPlansAsPlanLawKrajewski2024) {
  ChooseLaw("krajewski2024");
  const FineGrainedMoeLaw law = KrajewskiMoeLaw();
  EXPECT_EQ(ResultValue("alpha"), law.alpha);
  EXPECT_EQ(ResultValue("gamma"), law.gamma);
  window_->plan_panel()->SetBudget(1e22);
  const MoePlan expected = PlanFineGrainedMoe(law, 1e22);
  ASSERT_TRUE(Plan().moe.has_value());
  EXPECT_EQ(Plan().moe->num_active_params, expected.num_active_params);
  EXPECT_EQ(Plan().moe->granularity, expected.granularity);
  Allocation allocation;
  allocation.num_params = expected.num_params;
  allocation.num_tokens = expected.num_tokens;
  ExpectPlan(allocation);
  // And as the command line plans it.
  const testing::CommandResult plan =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " plan --law krajewski2024 --compute 1e22 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  EXPECT_NEAR(Plan().allocation.num_params / json["num_params"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().moe->num_active_params / json["num_active_params"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.num_tokens / json["num_tokens"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.loss_nats, json["loss"].get<double>(), 1e-12);
  EXPECT_TRUE(Find<QLabel>("plan_notes")->text().startsWith(QStringLiteral("Fine-grained MoE: ")))
      << Find<QLabel>("plan_notes")->text().toStdString();
  // The frontier chart draws plans a quarter decade apart, straight in log-log between them: exact on a plan (1e22),
  // within 1% of PlanFineGrainedMoe between two (3e22).
  ASSERT_TRUE(window_->fit_panel()->law_fit().has_value());
  const std::vector<Allocation>& frontier = window_->fit_panel()->law_fit()->moe_frontier;
  EXPECT_EQ(gui::InterpolateFrontier(frontier, 1e22).num_params, expected.num_params);
  const MoePlan between = PlanFineGrainedMoe(law, 3e22);
  EXPECT_NEAR(gui::InterpolateFrontier(frontier, 3e22).num_params / between.num_params, 1.0, 0.01);
  EXPECT_NEAR(gui::InterpolateFrontier(frontier, 3e22).num_tokens / between.num_tokens, 1.0, 0.01);
  EXPECT_TRUE(std::isnan(gui::InterpolateFrontier(frontier, 1e30).num_params));
}

TEST_F(FitLawsTest, CustomExpressionFitsAndPlansAsFitExpressionLaw) {
  ChooseLaw("expression");
  auto* expression = Find<QLineEdit>("fit_expression");
  auto* params = Find<QLineEdit>("fit_expression_params");
  ASSERT_TRUE(expression->isVisible());
  const std::string text = expression->text().toStdString();
  std::vector<ExpressionParam> specs;
  for (const QString& part : params->text().split(' ', Qt::SkipEmptyParts)) {
    specs.push_back(ParseExpressionParam(part.toStdString()));
  }
  const ExpressionLawSpec spec = MakeExpressionLawSpec(text, specs);
  const ExpressionRuns runs = BindExpressionLaw(spec, BundledChinchillaRuns(), "");
  const ExpressionFit fit = FitExpressionLaw(runs, spec, MultiStartOptions{});
  ASSERT_TRUE(fit.search.usable);
  for (size_t k = 0; k < fit.param_names.size(); ++k) {
    EXPECT_EQ(ResultValue(fit.param_names[k].c_str()), fit.params[k]) << fit.param_names[k];
  }
  const ExpressionLaw law = MakeExpressionLaw(text, fit.param_names, fit.params, "test");
  const ExpressionSearch search = ExpressionComputeOptimal(law, Budget());
  ASSERT_TRUE(search.allocation.has_value()) << search.why;
  ExpectPlan(*search.allocation);
}

TEST_F(FitLawsTest, KaplanLossChartsDrawKaplansLossAndFrontier) {
  ChooseLaw("kaplan");
  LawFitOptions options;
  options.grid = KaplanModel::DefaultGrid();
  const KaplanLaw law = MakeKaplanFitReport(BundledChinchillaRuns(), options).fit.law;
  // L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D, written out here from the fitted parameters.
  ExpectLossCurves(
      [&law](double n, double d) {
        return std::pow(std::pow(law.n_c / n, law.alpha_n / law.alpha_d) + law.d_c / d, law.alpha_d);
      },
      1e-12);
  QLineSeries* frontier = LossFrontier();
  ASSERT_NE(frontier, nullptr);
  ASSERT_GT(frontier->count(), 100);
  for (const QPointF& p : frontier->points()) EXPECT_NEAR(p.y() / law.ComputeOptimal(p.x()).loss_nats, 1.0, 1e-12);
  const QString title = window_->charts()->Chart(gui::ChartKind::FIT)->title();
  EXPECT_TRUE(title.contains(QStringLiteral("kaplan L(N, D)"))) << title.toStdString();
  EXPECT_TRUE(window_->charts()->Chart(gui::ChartKind::ISOFLOP)->title().contains(QStringLiteral("of the kaplan law")));
}

TEST_F(FitLawsTest, ChinchillaFormWrittenAsAnExpressionDrawsTheBuiltInLawsCurves) {
  ChooseLaw("expression");
  ASSERT_EQ(Find<QLineEdit>("fit_expression")->text(), QStringLiteral("E + A / N^alpha + B / D^beta"));
  ChinchillaLaw law;
  law.E = ResultValue("E");
  law.A = ResultValue("A");
  law.B = ResultValue("B");
  law.alpha = ResultValue("alpha");
  law.beta = ResultValue("beta");
  ExpectLossCurves([&law](double n, double d) { return law.Loss(n, d); }, 1e-9);
  // L_opt(C) by the expression's search against the closed form's.
  QLineSeries* frontier = LossFrontier();
  ASSERT_NE(frontier, nullptr);
  ASSERT_GT(frontier->count(), 100);
  for (const QPointF& p : frontier->points()) EXPECT_NEAR(p.y() / law.ComputeOptimal(p.x()).loss_nats, 1.0, 1e-9);
}

TEST_F(FitLawsTest, IsoFlopLossChartDrawsItsLossFrontierOnly) {
  ChooseLaw("isoflop");
  const IsoFlopFit law = MakeIsoFlopFitReport(BundledChinchillaRuns(), LawFitOptions{}).fit;
  ASSERT_TRUE(law.has_frontier);
  EXPECT_TRUE(CurvesWith(gui::ChartKind::FIT, "num_params").empty());  // Approach 2 fits no L(N, D)
  EXPECT_TRUE(CurvesWith(gui::ChartKind::ISOFLOP, "compute_flops").empty());
  QLineSeries* frontier = LossFrontier();
  ASSERT_NE(frontier, nullptr);
  ASSERT_GT(frontier->count(), 100);
  for (const QPointF& p : frontier->points()) {
    const double expected = law.frontier.E + law.frontier.K * std::pow(p.x(), -law.frontier.gamma);
    EXPECT_NEAR(p.y() / expected, 1.0, 1e-12);
  }
  const QString title = window_->charts()->Chart(gui::ChartKind::FIT)->title();
  EXPECT_TRUE(title.contains(QStringLiteral("isoflop law's L_opt(C)"))) << title.toStdString();
}

TEST_F(FitLawsTest, DataConstrainedChartsFollowThePlansUniqueTokenLimit) {
  ChooseLaw("data-constrained");
  const DataConstrainedFit fit = FitDataConstrained(BundledMuennighoffRuns(), MuennighoffC4BaseLaw());
  ASSERT_TRUE(fit.usable);
  DataConstrainedLaw law;
  law.base = MuennighoffC4BaseLaw();
  law.R_D_star = fit.R_D_star;
  law.R_N_star = fit.R_N_star;
  // Unlimited: the base law (Chinchilla's form) itself.
  ExpectLossCurves([&law](double n, double d) { return law.base.Loss(n, d); }, 1e-12);
  auto* unique = Find<QLineEdit>("unique_tokens");
  ASSERT_NE(unique, nullptr);
  unique->setFocus();
  QTest::keyClicks(unique, QStringLiteral("1B"));
  QTest::keyClick(unique, Qt::Key_Return);
  // Under U = 1B tokens the curves are the fitted law's L(N, D, U) and L_opt(C) the optimum under U.
  const double u = 1e9;
  ExpectLossCurves([&law, u](double n, double d) { return law.Loss(n, d, u); }, 1e-12);
  QLineSeries* frontier = LossFrontier();
  ASSERT_NE(frontier, nullptr);
  ASSERT_GT(frontier->count(), 100);
  for (const QPointF& p : frontier->points()) {
    EXPECT_NEAR(p.y() / PlanDataConstrained(law, p.x(), u).allocation.loss_nats, 1.0, 1e-12);
  }
  // The bound is felt: far above the compute 1B tokens serve, L_opt(C) stays above the data-limited floor.
  EXPECT_GT(frontier->points().back().y(), DataConstrainedLossFloor(law, u) - 1e-12);
  EXPECT_GT(DataConstrainedLossFloor(law, u), law.base.ComputeOptimal(frontier->points().back().x()).loss_nats);
  const QString title = window_->charts()->Chart(gui::ChartKind::FIT)->title();
  EXPECT_TRUE(title.contains(QStringLiteral("data-constrained at U = 1B L(N, D)"))) << title.toStdString();
}

TEST_F(FitLawsTest, MalformedExpressionShowsTheParsersLocatedErrorAndKeepsThePlan) {
  ChooseLaw("kaplan");
  const double params_before = Plan().allocation.num_params;
  auto* selector = Find<QComboBox>("fit_law");
  {
    const QSignalBlocker block(selector);  // choose the expression without fitting its default
    selector->setCurrentIndex(selector->findData(QStringLiteral("expression")));
  }
  auto* expression = Find<QLineEdit>("fit_expression");
  expression->setText(QString());
  QTest::keyClicks(expression, QStringLiteral("E + A / N^alpha + B / D^"));
  auto* error = Find<QLabel>("fit_expression_error");
  // Column 25, just past the end; the caret under it, below the expression indented by two.
  EXPECT_EQ(error->text(), QStringLiteral("expression:1:25: expected a number, a name or '(' after '^' (the "
                                          "expression ends here)\n  E + A / N^alpha + B / D^\n") +
                               QString(2 + 24, ' ') + QLatin1Char('^'));
  EXPECT_TRUE(error->isVisible());
  // A long message does not widen the window beyond a 1366-pixel screen.
  QCoreApplication::processEvents();
  EXPECT_LE(window_->minimumSizeHint().width(), 1366);
  EXPECT_LE(window_->width(), 1366);
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  QTest::mouseClick(Find<QPushButton>("fit_button"), Qt::LeftButton);
  EXPECT_FALSE(spy.wait(300));
  EXPECT_TRUE(Find<QLabel>("fit_status")->text().startsWith(QStringLiteral("expression:1:25:")));
  EXPECT_EQ(Plan().allocation.num_params, params_before);
}

TEST_F(FitLawsTest, OpenFitPlansAKaplanFitAsScaleplanPlan) {
  const std::string path = FreshPath("kaplan_fit.json");
  const std::string binary = SCALEPLAN_BINARY;
  const testing::CommandResult fit = testing::RunCommand(binary + " fit --law kaplan --out " + path);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  QString error;
  ASSERT_TRUE(window_->OpenFit(QString::fromStdString(path), &error)) << error.toStdString();
  EXPECT_EQ(Find<QComboBox>("fit_law")->currentData().toString(), QStringLiteral("opened-fit"));
  window_->plan_panel()->SetBudget(1e22);
  const testing::CommandResult plan =
      testing::RunCommand(binary + " plan --fit " + path + " --compute 1e22 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  EXPECT_NEAR(Plan().allocation.num_params / json["num_params"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.num_tokens / json["num_tokens"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.loss_nats, json["loss"].get<double>(), 1e-12);
  EXPECT_EQ(window_->plan_panel()->PlanJson()["law"]["N_c"].get<double>(), json["law"]["N_c"].get<double>());
}

// File > Open fit of a moe fit returns before its frontier (57 PlanFineGrainedMoe searches, about 1 s) is computed:
// that runs on a pool thread, as krajewski2024's does, while the event loop goes on (a timer fires); cancelled, the
// previous law stays; done, the frontier is the plans of the saved law and the plan is `plan --fit`'s.
TEST_F(FitLawsTest, OpenFitPlansAMoeFitOffTheUiThreadAsScaleplanPlan) {
  const std::string path = FreshPath("moe_fit.json");
  const std::string binary = SCALEPLAN_BINARY;
  const testing::CommandResult fit = testing::RunCommand(
      binary + " fit " + testing::SourcePath("tests/bad_input/moe_plain.csv") + " --law moe --out " + path);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  auto* selector = Find<QComboBox>("fit_law");
  const QString law_before = selector->currentData().toString();
  const double params_before = Plan().allocation.num_params;
  QString error;
  ASSERT_TRUE(window_->OpenFit(QString::fromStdString(path), &error)) << error.toStdString();
  ASSERT_TRUE(window_->fit_panel()->IsFitting());
  window_->fit_panel()->CancelFit();
  EXPECT_EQ(selector->currentData().toString(), law_before);
  EXPECT_EQ(Plan().allocation.num_params, params_before);

  int ticks = 0;
  QTimer timer;
  timer.setInterval(5);
  QObject::connect(&timer, &QTimer::timeout, [&ticks] { ++ticks; });
  timer.start();
  QSignalSpy spy(window_.get(), &MainWindow::Fitted);
  ASSERT_TRUE(window_->OpenFit(QString::fromStdString(path), &error)) << error.toStdString();
  // Returned with the frontier still to compute: nothing planned with the moe law yet.
  ASSERT_EQ(spy.count(), 0) << "the frontier was computed inside OpenFit, on the UI thread";
  EXPECT_TRUE(window_->fit_panel()->IsFitting());
  EXPECT_EQ(Plan().allocation.num_params, params_before);
  ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  EXPECT_GT(ticks, 0) << "the event loop did not run while the frontier was computed";
  ASSERT_TRUE(spy.takeLast().at(0).toBool());
  EXPECT_EQ(selector->currentData().toString(), QStringLiteral("opened-fit"));
  ASSERT_TRUE(window_->fit_panel()->law_fit().has_value());
  const FineGrainedMoeLaw saved = ParseSavedMoeLaw(testing::ReadWholeFile(path), path);
  const std::vector<Allocation>& frontier = window_->fit_panel()->law_fit()->moe_frontier;
  ASSERT_EQ(frontier.size(), 57u);  // 1e15..1e29 FLOPs a quarter decade apart
  for (const size_t k : {size_t{0}, size_t{28}, size_t{56}}) {
    const MoePlan plan = PlanFineGrainedMoe(saved, frontier[k].compute_flops);
    EXPECT_NEAR(frontier[k].num_params / plan.num_params, 1.0, 1e-12) << k;
    EXPECT_NEAR(frontier[k].num_tokens / plan.num_tokens, 1.0, 1e-12) << k;
  }
  window_->plan_panel()->SetBudget(1e22);
  ASSERT_TRUE(Plan().moe.has_value());
  const testing::CommandResult plan =
      testing::RunCommand(binary + " plan --fit " + path + " --compute 1e22 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  EXPECT_NEAR(Plan().allocation.num_params / json["num_params"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().moe->num_active_params / json["num_active_params"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.num_tokens / json["num_tokens"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().moe->granularity / json["granularity"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(Plan().allocation.loss_nats, json["loss"].get<double>(), 1e-12);
}

// An opened routing fit shows each router's coefficients, cutoff and effective size as `plan --fit ROUTING.json` gives
// them, and the plan says why a routing law plans no budget.
TEST_F(FitLawsTest, OpenFitShowsARoutingFitsEffectiveSizesAndNoBudgetPlan) {
  const std::string path = FreshPath("routing_fit.json");
  const std::string binary = SCALEPLAN_BINARY;
  ASSERT_EQ(testing::RunCommand(binary + " fit --law routing --out " + path).exit_code, 0);
  QString error;
  ASSERT_TRUE(window_->OpenFit(QString::fromStdString(path), &error)) << error.toStdString();
  const testing::CommandResult plan = testing::RunCommand(
      binary + " plan --fit " + path + " --params 1.3B --experts 64 --format json");
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  const auto json = nlohmann::json::parse(plan.out);
  ASSERT_EQ(json["plans"].size(), 3u);
  for (const auto& row : json["plans"]) {
    const std::string router = row["router"];
    EXPECT_NEAR(ResultValue((router + ".N_eff(1.3B, 64)").c_str()) / row["effective_params"].get<double>(), 1.0,
                1e-12);
    EXPECT_NEAR(ResultValue((router + ".N_cutoff").c_str()) / json["cutoffs"][router].get<double>(), 1.0, 1e-12);
  }
  EXPECT_FALSE(window_->plan_panel()->recommendation().has_value());
}

TEST_F(FitLawsTest, AMalformedFitLeavesThePreviousPlan) {
  const double params_before = Plan().allocation.num_params;
  const QString law_before = Find<QComboBox>("fit_law")->currentText();
  struct Case {
    const char* name;
    std::string text;
    const char* message;  // part of the reader's message
  };
  const std::vector<Case> cases = {
      {"not_json.json", "{\"law\": \"kaplan\", ", "kaplan"},
      {"dictionary_fit.json", "{\"law\": \"dictionary\"}", "dictionary"},
      {"routing_fit.json", "{\"law\": \"routing\", \"usable\": true, \"routers\": []}", "routers"},
      {"missing.json", "", "missing.json"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string path = c.text.empty() ? FreshPath(c.name) : testing::WriteTempFile(c.name, c.text);
    QString error;
    QSignalSpy spy(window_.get(), &MainWindow::Fitted);
    EXPECT_FALSE(window_->OpenFit(QString::fromStdString(path), &error));
    EXPECT_EQ(spy.count(), 0);
    EXPECT_NE(error.indexOf(QString::fromStdString(path)), -1) << error.toStdString();
    EXPECT_EQ(Plan().allocation.num_params, params_before);
    EXPECT_EQ(Find<QComboBox>("fit_law")->currentText(), law_before);
  }
}

TEST_F(FitLawsTest, SessionsRestoreTheChosenLaw) {
  ChooseLaw("kaplan");
  const double kaplan_params = Plan().allocation.num_params;
  const std::string path = FreshPath("law_session.json");
  QString error;
  ASSERT_TRUE(window_->SaveSession(QString::fromStdString(path), &error)) << error.toStdString();
  EXPECT_EQ(nlohmann::json::parse(testing::ReadWholeFile(path))["fit"]["law"], "kaplan");

  MainWindow restored;
  restored.show();
  {
    QSignalSpy first(&restored, &MainWindow::Fitted);
    ASSERT_TRUE(first.wait(kFitTimeoutMs));
  }
  QSignalSpy spy(&restored, &MainWindow::Fitted);
  ASSERT_TRUE(restored.LoadSession(QString::fromStdString(path), &error)) << error.toStdString();
  while (restored.fit_panel()->IsFitting() || spy.count() == 0) ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  EXPECT_EQ(restored.fit_panel()->LawKey(), "kaplan");
  ASSERT_TRUE(restored.plan_panel()->recommendation().has_value());
  EXPECT_EQ(restored.plan_panel()->recommendation()->allocation.num_params, kaplan_params);

  // An unknown law is refused before anything changes.
  const std::string bad = testing::WriteTempFile("bad_law_session.json", "{\"fit\": {\"law\": \"kaplann\"}}");
  EXPECT_FALSE(restored.LoadSession(QString::fromStdString(bad), &error));
  EXPECT_NE(error.indexOf(QStringLiteral("/fit/law: unknown law 'kaplann'")), -1) << error.toStdString();
  EXPECT_EQ(restored.fit_panel()->LawKey(), "kaplan");
}

TEST_F(FitLawsTest, SessionsRestoreAnOpenedFit) {
  const std::string fit_path = FreshPath("session_kaplan_fit.json");
  const testing::CommandResult fit =
      testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit --law kaplan --out " + fit_path);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  QString error;
  ASSERT_TRUE(window_->OpenFit(QString::fromStdString(fit_path), &error)) << error.toStdString();
  const double opened_params = Plan().allocation.num_params;
  const std::string path = FreshPath("opened_fit_session.json");
  ASSERT_TRUE(window_->SaveSession(QString::fromStdString(path), &error)) << error.toStdString();
  const auto saved = nlohmann::json::parse(testing::ReadWholeFile(path));
  EXPECT_EQ(saved["fit"]["law"], "opened-fit");
  EXPECT_EQ(saved["fit"]["fit_path"], fit_path);

  MainWindow restored;
  restored.show();
  {
    QSignalSpy first(&restored, &MainWindow::Fitted);
    ASSERT_TRUE(first.wait(kFitTimeoutMs));
  }
  ASSERT_TRUE(restored.LoadSession(QString::fromStdString(path), &error)) << error.toStdString();
  QSignalSpy spy(&restored, &MainWindow::Fitted);
  while (restored.fit_panel()->IsFitting()) ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  EXPECT_EQ(restored.fit_panel()->LawKey(), "opened-fit");
  ASSERT_TRUE(restored.plan_panel()->recommendation().has_value());
  EXPECT_EQ(restored.plan_panel()->recommendation()->allocation.num_params, opened_params);

  // A session whose fit no longer reads is refused before anything changes.
  std::remove(fit_path.c_str());
  EXPECT_FALSE(restored.LoadSession(QString::fromStdString(path), &error));
  EXPECT_NE(error.indexOf(QString::fromStdString(fit_path)), -1) << error.toStdString();
  EXPECT_EQ(restored.plan_panel()->recommendation()->allocation.num_params, opened_params);
}

// A session with an opened fit loaded while the window's first fit of the bundled runs is still running (what
// `scaleplan-gui --load SESSION.json` does at start-up): the opened fit plans, not the runs' fit that finishes later.
TEST_F(FitLawsTest, ASessionLoadedAtStartUpKeepsItsOpenedFit) {
  const std::string fit_path = FreshPath("startup_moe_fit.json");
  const testing::CommandResult fit = testing::RunCommand(std::string(SCALEPLAN_BINARY) + " fit " +
                                                         testing::SourcePath("tests/bad_input/moe_plain.csv") +
                                                         " --law moe --out " + fit_path);
  ASSERT_EQ(fit.exit_code, 0) << fit.err;
  const std::string path = testing::WriteTempFile(
      "startup_session.json", "{\"schema_version\": 1, \"fit\": {\"law\": \"opened-fit\", \"fit_path\": \"" +
                                  fit_path + "\"}, \"plan\": {\"budget_flops\": 1e22}}");
  MainWindow restored;
  restored.show();
  QString error;
  ASSERT_TRUE(restored.LoadSession(QString::fromStdString(path), &error)) << error.toStdString();
  QTest::qWait(200);
  QSignalSpy spy(&restored, &MainWindow::Fitted);
  while (restored.fit_panel()->IsFitting()) ASSERT_TRUE(spy.wait(kFitTimeoutMs));
  QTest::qWait(500);  // any late result of the runs' fit would arrive here
  EXPECT_EQ(restored.fit_panel()->LawKey(), "opened-fit");
  ASSERT_TRUE(restored.plan_panel()->recommendation().has_value());
  ASSERT_TRUE(restored.plan_panel()->recommendation()->moe.has_value());
  EXPECT_NEAR(restored.plan_panel()->recommendation()->allocation.num_params /
                  PlanFineGrainedMoe(KrajewskiMoeLaw(), 1e22).num_params,
              1.0, 1e-3);
}

TEST_F(FitLawsTest, RunsTableColumnsAreReadableAt1366By768) {
  auto* view = Find<QTableView>("runs_table");
  QCoreApplication::processEvents();
  QHeaderView* header = view->horizontalHeader();
  const auto* item_view = static_cast<const QAbstractItemView*>(view);
  for (int column = 0; column < header->count(); ++column) {
    SCOPED_TRACE(column);
    // Wide enough for the header's text and every value, so nothing is elided; the table scrolls sideways instead.
    EXPECT_GE(header->sectionSize(column), item_view->sizeHintForColumn(column));
    EXPECT_GE(header->sectionSize(column), header->sectionSizeHint(column));
  }
}

}  // namespace
}  // namespace scaleplan
