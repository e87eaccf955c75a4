// Figures fit to publish, on the real charts and widgets: exports at a chosen size and resolution (the export dialog,
// text that scales with the pixel size; `scaleplan plot --dpi` is tests/gui/plot_size_test), log axes labelled 10ⁿ with
// minor ticks, the log-loss axis, the legend inside the plot area, the bootstrap bands over the lines' own range, the
// extrapolation region, the residual chart's Huber band, and a run's point that names its run and selects it in the
// runs table.
#include <gtest/gtest.h>

#include <QAction>
#include <QAreaSeries>
#include <QCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QGraphicsLayout>
#include <QGraphicsLineItem>
#include <QGraphicsScene>
#include <QLabel>
#include <QLegend>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPushButton>
#include <QScatterSeries>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTimer>
#include <QToolTip>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/bundled_data.h"
#include "core/units.h"
#include "gui/charts.h"
#include "gui/charts_view.h"
#include "gui/export_dialog.h"
#include "gui/main_window.h"
#include "gui/runs_panel.h"
#include "tests/gui/gui_testing.h"
#include "tests/testing.h"

namespace scaleplan::gui {
namespace {

constexpr int kFitTimeoutMs = 60000;

// A path in the test's temporary folder (the file removed, so that a test sees only what it writes).
std::string TempPath(const std::string& name) {
  const std::string path = testing::WriteTempFile(name, "");
  std::remove(path.c_str());
  return path;
}

// Forty laws around Epoch AI's refit of Chinchilla, deterministic, standing in for bootstrap refits.
std::vector<ChinchillaLaw> NearbyLaws() {
  const ChinchillaLaw centre = FindPublishedLaw("epoch")->law;
  std::vector<ChinchillaLaw> laws;
  for (int i = 0; i < 40; ++i) {
    ChinchillaLaw law = centre;
    law.E *= 1 + 0.01 * std::sin(1.0 * i);
    law.A *= 1 + 0.05 * std::cos(1.3 * i);
    law.B *= 1 + 0.05 * std::sin(0.7 * i);
    law.alpha += 0.01 * std::sin(2.1 * i);
    law.beta += 0.01 * std::cos(0.9 * i);
    laws.push_back(law);
  }
  return laws;
}

ChartInputs BundledInputs() {
  ChartInputs inputs;
  inputs.runs = BundledChinchillaRuns().runs;
  inputs.source = "bundled";
  inputs.law = FindPublishedLaw("epoch")->law;
  return inputs;
}

// A chart laid out at `size` in a scene of its own (which owns it).
class LaidOutChart {
 public:
  LaidOutChart(QChart* chart, QSize size) : chart_(chart) {
    scene_.addItem(chart);
    chart->resize(size);
    for (int pass = 0; pass < 3; ++pass) chart->layout()->activate();
  }
  QChart* get() const { return chart_; }
  QChart* operator->() const { return chart_; }

 private:
  QGraphicsScene scene_;
  QChart* chart_;
};

template <class Series>
std::vector<Series*> AllSeries(QChart* chart, const QString& name) {
  std::vector<Series*> found;
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == name) found.push_back(qobject_cast<Series*>(series));
  }
  return found;
}

template <class Series>
Series* OneSeries(QChart* chart, const QString& name) {
  const std::vector<Series*> found = AllSeries<Series>(chart, name);
  return found.empty() ? nullptr : found.front();
}

QAbstractAxis* Axis(QChart* chart, const char* name) {
  for (QAbstractAxis* axis : chart->axes()) {
    if (axis->objectName() == QLatin1String(name)) return axis;
  }
  return nullptr;
}

// The central percentile interval of `values` at `confidence`, type 7 (linear between order statistics), by hand.
std::pair<double, double> NaiveInterval(std::vector<double> values, double confidence) {
  std::sort(values.begin(), values.end());
  const auto quantile = [&values](double p) {
    const double h = (static_cast<double>(values.size()) - 1) * p;
    const size_t lo = static_cast<size_t>(std::floor(h));
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (h - static_cast<double>(lo)) * (values[hi] - values[lo]);
  };
  return {quantile((1 - confidence) / 2), quantile((1 + confidence) / 2)};
}

class ChartExportTest : public ::testing::Test {
 protected:
  void SetUp() override { testing::Application(); }
};

// ---------------------------------------------------------------------------------------------------------------
TEST_F(ChartExportTest, PowersOfTenReadAsSuperscripts) {
  EXPECT_EQ(PowerOfTenLabel(1e20), QStringLiteral("10²⁰"));
  EXPECT_EQ(PowerOfTenLabel(3e21), QStringLiteral("3×10²¹"));
  EXPECT_EQ(PowerOfTenLabel(1e-3), QStringLiteral("10⁻³"));
  EXPECT_EQ(PowerOfTenLabel(1e7), QStringLiteral("10⁷"));
  EXPECT_EQ(PowerOfTenLabel(9.9999999999e21), QStringLiteral("10²²"));

  // The FLOPs axis of the loss chart is labelled at every decade of its range, as 10ⁿ.
  const ChartInputs inputs = BundledInputs();
  std::unique_ptr<QChart> chart(BuildChart(ChartKind::FIT, inputs));
  auto* labels = qobject_cast<QCategoryAxis*>(Axis(chart.get(), "x_labels"));
  auto* x = qobject_cast<QLogValueAxis*>(Axis(chart.get(), "x"));
  ASSERT_NE(labels, nullptr);
  ASSERT_NE(x, nullptr);
  double c_lo = inputs.runs.front().compute_flops, c_hi = c_lo;
  for (const TrainingRun& run : inputs.runs) {
    c_lo = std::min(c_lo, run.compute_flops);
    c_hi = std::max(c_hi, run.compute_flops);
  }
  const int first = static_cast<int>(std::floor(std::log10(c_lo))),
            last = static_cast<int>(std::ceil(std::log10(c_hi)));
  QStringList expected;
  for (int k = first; k <= last; ++k) expected << QStringLiteral("10") + PowerOfTenLabel(std::pow(10.0, k)).mid(2);
  EXPECT_EQ(labels->categoriesLabels(), expected) << labels->categoriesLabels().join(' ').toStdString();
  EXPECT_TRUE(labels->categoriesLabels().contains(QStringLiteral("10²⁰")));
}

TEST_F(ChartExportTest, LogAxesHaveMinorTicksAtTwoToNineTimesEachDecade) {
  LaidOutChart chart(BuildChart(ChartKind::FIT, BundledInputs()), QSize(1200, 800));
  auto* x = qobject_cast<QLogValueAxis*>(Axis(chart.get(), "x"));
  ASSERT_NE(x, nullptr);
  const double decades = std::log10(x->max() / x->min());
  ASSERT_NEAR(decades, std::round(decades), 1e-9);
  std::vector<double> tick_x;
  for (QGraphicsItem* item : chart->childItems()) {
    if (item->data(kMinorTickKey).toString() != QLatin1String("x")) continue;
    const QLineF line = static_cast<QGraphicsLineItem*>(item)->line();
    tick_x.push_back(line.x1());
    EXPECT_DOUBLE_EQ(line.y1(), chart->plotArea().bottom());  // on the axis, pointing into the plot
    EXPECT_LT(line.y2(), line.y1());
  }
  // 2, 3, ..., 9 times each power of ten: eight per decade.
  ASSERT_EQ(tick_x.size(), static_cast<size_t>(8 * std::lround(decades)));
  std::sort(tick_x.begin(), tick_x.end());
  const QRectF plot = chart->plotArea();
  // The first one is 2 x the axis' minimum: log10(2) of a decade in.
  EXPECT_NEAR(tick_x.front(), plot.left() + std::log10(2.0) / decades * plot.width(), 0.01);
  // The last one is 9 x the top decade's start: log10(0.9) of a decade before the end.
  EXPECT_NEAR(tick_x.back(), plot.right() + std::log10(0.9) / decades * plot.width(), 0.01);

  // The N axis of the frontier chart (left) has them too.
  LaidOutChart frontier(BuildChart(ChartKind::FRONTIER, BundledInputs()), QSize(1200, 800));
  int y_ticks = 0;
  for (QGraphicsItem* item : frontier->childItems())
    y_ticks += item->data(kMinorTickKey).toString() == QLatin1String("y");
  auto* y = qobject_cast<QLogValueAxis*>(Axis(frontier.get(), "y"));
  ASSERT_NE(y, nullptr);
  const long y_decades = std::lround(std::log10(y->max() / y->min()));
  EXPECT_EQ(y_ticks, y_decades > 9 ? 0 : 8 * y_decades);
}

TEST_F(ChartExportTest, LogLossPutsTheLossOnALogAxisWithPlainLabels) {
  ChartInputs inputs = BundledInputs();
  for (ChartKind kind : {ChartKind::FIT, ChartKind::ISOFLOP}) {
    std::unique_ptr<QChart> linear(BuildChart(kind, inputs));
    EXPECT_NE(qobject_cast<QValueAxis*>(Axis(linear.get(), "y")), nullptr);
  }
  inputs.log_loss = true;
  double l_lo = 1e300, l_hi = 0;
  for (const TrainingRun& run : inputs.runs) {
    l_lo = std::min(l_lo, run.loss_nats);
    l_hi = std::max(l_hi, run.loss_nats);
  }
  std::unique_ptr<QChart> chart(BuildChart(ChartKind::FIT, inputs));
  auto* y = qobject_cast<QLogValueAxis*>(Axis(chart.get(), "y"));
  ASSERT_NE(y, nullptr);
  EXPECT_LE(y->min(), l_lo);
  EXPECT_GE(y->max(), l_hi);
  auto* labels = qobject_cast<QCategoryAxis*>(Axis(chart.get(), "y_labels"));
  ASSERT_NE(labels, nullptr);
  // Losses of about 1.9..3.9 nats: a handful of evenly spaced labels such as "2", "2.5", "3", each at its own log10.
  const QStringList texts = labels->categoriesLabels();
  ASSERT_GE(texts.size(), 3) << texts.join(' ').toStdString();
  for (const QString& text : texts) {
    bool ok = false;
    const double value = text.toDouble(&ok);
    ASSERT_TRUE(ok) << text.toStdString();
    EXPECT_GE(value, y->min());
    EXPECT_LE(value, y->max());
    EXPECT_NEAR(labels->endValue(text), std::log10(value), 1e-9) << text.toStdString();
  }
  std::unique_ptr<QChart> isoflop(BuildChart(ChartKind::ISOFLOP, inputs));
  EXPECT_NE(qobject_cast<QLogValueAxis*>(Axis(isoflop.get(), "y")), nullptr);
}

TEST_F(ChartExportTest, BootstrapBandsCoverTheLinesRangeWithTheirPercentiles) {
  ChartInputs inputs = BundledInputs();
  inputs.bootstrap_laws = NearbyLaws();
  inputs.band_confidence = 0.8;

  // Loss against compute: the band of L_opt(C) at each of the frontier line's points.
  std::unique_ptr<QChart> fit(BuildChart(ChartKind::FIT, inputs));
  auto* frontier = OneSeries<QLineSeries>(fit.get(), "frontier");
  auto* band = OneSeries<QAreaSeries>(fit.get(), "band");
  ASSERT_NE(frontier, nullptr);
  ASSERT_NE(band, nullptr);
  ASSERT_EQ(band->upperSeries()->count(), frontier->count());
  EXPECT_EQ(band->upperSeries()->at(0).x(), frontier->at(0).x());
  EXPECT_EQ(band->upperSeries()->points().back().x(), frontier->points().back().x());
  EXPECT_EQ(band->name(), QStringLiteral("80% interval (40 bootstrap fits)"));
  for (int i : {0, 57, frontier->count() - 1}) {
    const double c = frontier->at(i).x();
    std::vector<double> losses;
    for (const ChinchillaLaw& law : inputs.bootstrap_laws) losses.push_back(law.ComputeOptimal(c).loss_nats);
    const auto [lo, hi] = NaiveInterval(losses, 0.8);
    EXPECT_NEAR(band->lowerSeries()->at(i).y(), lo, 1e-12 * lo);
    EXPECT_NEAR(band->upperSeries()->at(i).y(), hi, 1e-12 * hi);
    EXPECT_LT(lo, frontier->at(i).y() + 0.05);
  }

  // IsoFLOP profiles: one band per profile, over that profile's N range.
  std::unique_ptr<QChart> isoflop(BuildChart(ChartKind::ISOFLOP, inputs));
  std::vector<QLineSeries*> profiles;
  for (QAbstractSeries* series : isoflop->series()) {
    if (series->name().startsWith(QLatin1String("C = "))) profiles.push_back(qobject_cast<QLineSeries*>(series));
  }
  const std::vector<QAreaSeries*> bands = AllSeries<QAreaSeries>(isoflop.get(), "band");
  ASSERT_GE(profiles.size(), 3u);
  ASSERT_EQ(bands.size(), profiles.size());
  for (size_t k = 0; k < profiles.size(); ++k) {
    EXPECT_EQ(bands[k]->upperSeries()->count(), profiles[k]->count());
    EXPECT_EQ(bands[k]->upperSeries()->at(0).x(), profiles[k]->at(0).x());
    EXPECT_EQ(bands[k]->lowerSeries()->points().back().x(), profiles[k]->points().back().x());
  }

  // Frontier: N_opt's and D_opt's bands over the lines' own compute range.
  std::unique_ptr<QChart> allocation(BuildChart(ChartKind::FRONTIER, inputs));
  auto* n_opt = OneSeries<QLineSeries>(allocation.get(), "n_opt");
  const std::vector<QAreaSeries*> frontier_bands = AllSeries<QAreaSeries>(allocation.get(), "band");
  ASSERT_NE(n_opt, nullptr);
  ASSERT_EQ(frontier_bands.size(), 2u);
  for (QAreaSeries* area : frontier_bands) {
    EXPECT_EQ(area->upperSeries()->at(0).x(), n_opt->at(0).x());
    EXPECT_EQ(area->upperSeries()->points().back().x(), n_opt->points().back().x());
  }
  const double c = n_opt->at(80).x();
  std::vector<double> sizes;
  for (const ChinchillaLaw& law : inputs.bootstrap_laws) sizes.push_back(law.ComputeOptimal(c).num_params);
  const auto [n_lo, n_hi] = NaiveInterval(sizes, 0.8);
  EXPECT_NEAR(frontier_bands[0]->lowerSeries()->at(80).y(), n_lo, 1e-9 * n_lo);
  EXPECT_NEAR(frontier_bands[0]->upperSeries()->at(80).y(), n_hi, 1e-9 * n_hi);
  // The runs and lines are drawn over the bands: the bands come first.
  const QList<QAbstractSeries*> order = allocation->series();
  EXPECT_LT(order.indexOf(frontier_bands[1]), order.indexOf(n_opt));
}

TEST_F(ChartExportTest, TheRegionPastTheRunsIsShadedAndFollowsTheAxis) {
  ChartInputs inputs = BundledInputs();
  double c_max = 0, n_max = 0;
  for (const TrainingRun& run : inputs.runs) {
    c_max = std::max(c_max, run.compute_flops);
    n_max = std::max(n_max, run.num_params);
  }
  for (ChartKind kind : {ChartKind::FIT, ChartKind::FRONTIER, ChartKind::ISOFLOP}) {
    SCOPED_TRACE(ChartKindName(kind));
    std::unique_ptr<QChart> chart(BuildChart(kind, inputs));
    auto* shade = OneSeries<QAreaSeries>(chart.get(), "extrapolation");
    ASSERT_NE(shade, nullptr);
    auto* x = qobject_cast<QLogValueAxis*>(Axis(chart.get(), "x"));
    ASSERT_EQ(shade->upperSeries()->count(), 2);
    EXPECT_DOUBLE_EQ(shade->upperSeries()->at(0).x(), kind == ChartKind::ISOFLOP ? n_max : c_max);
    EXPECT_DOUBLE_EQ(shade->upperSeries()->at(1).x(), x->max());
    // A budget past the axis widens it; the shade follows to the new end.
    inputs.budget_flops = 1e27;
    UpdateBudgetMarker(chart.get(), kind, inputs);
    inputs.budget_flops = 0;
    EXPECT_DOUBLE_EQ(shade->upperSeries()->at(1).x(), x->max());
    EXPECT_GT(x->max(), kind == ChartKind::ISOFLOP ? n_max : 1e26);
  }
  // Without a law there is nothing to extrapolate.
  inputs.law.reset();
  std::unique_ptr<QChart> runs_only(BuildChart(ChartKind::FIT, inputs));
  EXPECT_EQ(OneSeries<QAreaSeries>(runs_only.get(), "extrapolation"), nullptr);
}

TEST_F(ChartExportTest, TheResidualChartsHuberBandIsFilledAndVisible) {
  ChartInputs inputs = BundledInputs();
  inputs.huber_delta = 1e-3;
  LaidOutChart chart(BuildChart(ChartKind::RESIDUALS, inputs), QSize(1200, 800));
  auto* band = OneSeries<QAreaSeries>(chart.get(), "huber_band");
  ASSERT_NE(band, nullptr);
  auto* x = qobject_cast<QLogValueAxis*>(Axis(chart.get(), "x"));
  auto* y = qobject_cast<QValueAxis*>(Axis(chart.get(), "y"));
  ASSERT_NE(y, nullptr);
  EXPECT_DOUBLE_EQ(band->upperSeries()->at(0).y(), 1e-3);
  EXPECT_DOUBLE_EQ(band->lowerSeries()->at(0).y(), -1e-3);
  EXPECT_DOUBLE_EQ(band->upperSeries()->at(0).x(), x->min());
  EXPECT_DOUBLE_EQ(band->upperSeries()->points().back().x(), x->max());
  EXPECT_GT(band->brush().color().alpha(), 60);  // filled, not just two dashed lines
  EXPECT_TRUE(band->name().contains(QStringLiteral("δ = ±0.001")));

  // Rendered, the band is a run of tinted rows about 2δ / (y range) of the plot's height, centred on zero.
  const QImage image = RenderChartImage(ChartKind::RESIDUALS, inputs, QSize(1200, 800));
  const QColor fill = band->brush().color();
  const double a = fill.alphaF();
  const QColor expected(static_cast<int>(std::lround(255 * (1 - a) + fill.red() * a)),
                        static_cast<int>(std::lround(255 * (1 - a) + fill.green() * a)),
                        static_cast<int>(std::lround(255 * (1 - a) + fill.blue() * a)));
  const QRectF plot = chart->plotArea();
  const double expected_rows = 2e-3 / (y->max() - y->min()) * plot.height();
  ASSERT_GE(expected_rows, 5.0);
  int best_rows = 0;
  for (int column = static_cast<int>(plot.left()) + 20; column < plot.right() - 20; column += 37) {
    int rows = 0;
    for (int row = static_cast<int>(plot.top()); row < plot.bottom(); ++row) {
      const QColor pixel = image.pixelColor(column, row);
      rows += std::abs(pixel.red() - expected.red()) <= 6 && std::abs(pixel.green() - expected.green()) <= 6 &&
              std::abs(pixel.blue() - expected.blue()) <= 6;
    }
    best_rows = std::max(best_rows, rows);
  }
  // Less the dashed edges and the zero line drawn across it.
  EXPECT_GE(best_rows, expected_rows - 5) << "expected about " << expected_rows << " rows";
  EXPECT_GE(best_rows, 5);
  EXPECT_LE(best_rows, expected_rows + 2) << "expected about " << expected_rows << " rows";
}

TEST_F(ChartExportTest, TheLegendGoesInsideTheplotWhereACornerIsFree) {
  LaidOutChart chart(BuildChart(ChartKind::FIT, BundledInputs()), QSize(1200, 800));
  QLegend* legend = chart->legend();
  ASSERT_FALSE(legend->isAttachedToChart()) << "the loss chart's top right is free of runs";
  const QRectF box = legend->geometry();
  const QRectF plot = chart->plotArea();
  EXPECT_TRUE(plot.contains(box)) << "legend " << box.x() << "," << box.y() << " " << box.width() << "x"
                                  << box.height();
  EXPECT_GT(box.height(), 40.0);
  // No run's point lies under it.
  int points = 0;
  for (QScatterSeries* runs : AllSeries<QScatterSeries>(chart.get(), "runs")) {
    for (const QPointF& point : runs->points()) {
      EXPECT_FALSE(box.contains(chart->mapToPosition(point, runs))) << point.x() << ", " << point.y();
      ++points;
    }
  }
  EXPECT_EQ(points, static_cast<int>(BundledChinchillaRuns().runs.size()));

  // Too small a chart for it: the legend stays beside the plot.
  LaidOutChart small(BuildChart(ChartKind::FIT, BundledInputs()), QSize(420, 300));
  EXPECT_TRUE(small->legend()->isAttachedToChart());
}

// ---------------------------------------------------------------------------------------------------------------
// Sizes and resolution.

TEST_F(ChartExportTest, InchesAtADpiGiveWidthTimesDpiPixels) {
  const ExportSize size = InchExportSize(6.5, 4.0, 300);
  EXPECT_EQ(size.width_px, 1950);
  EXPECT_EQ(size.height_px, 1200);
  EXPECT_DOUBLE_EQ(size.scale, 300.0 / 96.0);
  EXPECT_DOUBLE_EQ(size.layout_width(), 6.5 * 96);
  const ExportSize pixels = PixelExportSize(2400, 1000);
  EXPECT_DOUBLE_EQ(pixels.scale, 1.25);  // min(2400 / 1200, 1000 / 800)
  std::string why;
  EXPECT_FALSE(CheckExportSize(InchExportSize(100, 4, 300), &why));
  EXPECT_NE(why.find("30000 x 1200"), std::string::npos) << why;
  EXPECT_FALSE(CheckExportSize(InchExportSize(6, 4, 20), &why));
  EXPECT_NE(why.find("36..2400"), std::string::npos) << why;

  const std::string path = TempPath("figure_300dpi.png");
  QString error;
  ASSERT_TRUE(WriteChartFile(ChartKind::FIT, BundledInputs(), QString::fromStdString(path), size, &error))
      << error.toStdString();
  QImage image(QString::fromStdString(path));
  EXPECT_EQ(image.width(), 1950);
  EXPECT_EQ(image.height(), 1200);
  EXPECT_EQ(image.dotsPerMeterX(), std::lround(300 / 0.0254));  // the PNG's pHYs says 300 DPI
}

// The text and markers of a figure twice as large (in pixels) are twice as large: the same layout, scaled.
TEST_F(ChartExportTest, TextScalesWithThePixelSize) {
  const ChartInputs inputs = BundledInputs();
  const QImage small = RenderChartImage(ChartKind::FIT, inputs, PixelExportSize(1200, 800));
  const QImage large = RenderChartImage(ChartKind::FIT, inputs, PixelExportSize(2400, 1600));
  ASSERT_EQ(large.size(), QSize(2400, 1600));
  // Downscaled by two, the large image is the small one up to antialiasing.
  const QImage halved = large.scaled(1200, 800, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
  double difference = 0;
  for (int row = 0; row < 800; row += 3) {
    for (int column = 0; column < 1200; column += 3) {
      difference += std::abs(qGray(halved.pixel(column, row)) - qGray(small.pixel(column, row)));
    }
  }
  EXPECT_LT(difference / (400.0 * 267.0), 6.0) << "mean grey difference per pixel";
}

// ---------------------------------------------------------------------------------------------------------------
// The export dialog.

TEST_F(ChartExportTest, TheExportDialogWritesTheSizeAndResolutionItShows) {
  ExportDialog dialog(ChartKind::FRONTIER, QSize(960, 600));
  auto* width = dialog.findChild<QDoubleSpinBox*>("export_width");
  auto* height = dialog.findChild<QDoubleSpinBox*>("export_height");
  auto* dpi = dialog.findChild<QSpinBox*>("export_dpi");
  auto* pixels = dialog.findChild<QLabel*>("export_pixels");
  auto* buttons = dialog.findChild<QDialogButtonBox*>("export_buttons");
  ASSERT_TRUE(width && height && dpi && pixels && buttons);
  // It opens at the chart's size on screen at 96 DPI.
  EXPECT_DOUBLE_EQ(width->value(), 10.0);
  EXPECT_DOUBLE_EQ(height->value(), 6.25);
  EXPECT_EQ(dpi->value(), 96);
  EXPECT_EQ(dialog.path(), QStringLiteral("frontier.png"));

  const std::string path = TempPath("dialog_export.png");
  dialog.SetPath(QString::fromStdString(path));
  width->setValue(3.5);
  height->setValue(2.5);
  dpi->setValue(600);
  EXPECT_TRUE(pixels->text().startsWith(QStringLiteral("2100 × 1500 pixels"))) << pixels->text().toStdString();
  EXPECT_TRUE(buttons->button(QDialogButtonBox::Save)->isEnabled());
  QString error;
  ASSERT_TRUE(WriteChartFile(ChartKind::FRONTIER, BundledInputs(), dialog.path(), dialog.export_size(), &error))
      << error.toStdString();
  QImage image(QString::fromStdString(path));
  EXPECT_EQ(image.width(), 3.5 * 600);
  EXPECT_EQ(image.height(), 2.5 * 600);

  // A size past 16384 pixels is refused before anything is written, with the reason where the size was.
  width->setValue(40);
  EXPECT_FALSE(buttons->button(QDialogButtonBox::Save)->isEnabled());
  EXPECT_TRUE(pixels->text().contains(QStringLiteral("24000 x 1500"))) << pixels->text().toStdString();

  // SVG: the format renames the file.
  dialog.SetFormat(QStringLiteral("svg"));
  EXPECT_TRUE(dialog.path().endsWith(QLatin1String("dialog_export.svg"))) << dialog.path().toStdString();
}

// ---------------------------------------------------------------------------------------------------------------
// Tooltips and clicks.

TEST_F(ChartExportTest, ARunsPointNamesItsRun) {
  ChartsView view;
  view.resize(1200, 800);
  view.show();
  const ChartInputs inputs = BundledInputs();
  view.SetInputs(inputs);
  for (ChartKind kind : {ChartKind::FIT, ChartKind::ISOFLOP, ChartKind::FRONTIER, ChartKind::RESIDUALS}) {
    SCOPED_TRACE(ChartKindName(kind));
    QScatterSeries* runs = nullptr;
    for (QScatterSeries* series : AllSeries<QScatterSeries>(view.Chart(kind), "runs")) {
      if (series->count() > 0) runs = series;
    }
    ASSERT_NE(runs, nullptr);
    const std::vector<int> lines = SeriesRunLines(runs);
    ASSERT_EQ(lines.size(), static_cast<size_t>(runs->count()));
    const int i = runs->count() / 2;
    const TrainingRun* run = nullptr;
    for (const TrainingRun& candidate : inputs.runs) {
      if (candidate.line == lines[static_cast<size_t>(i)]) run = &candidate;
    }
    ASSERT_NE(run, nullptr);
    // The point is that run's.
    if (kind == ChartKind::FIT) {
      EXPECT_EQ(runs->at(i), QPointF(run->compute_flops, run->loss_nats));
    } else if (kind == ChartKind::ISOFLOP) {
      EXPECT_EQ(runs->at(i), QPointF(run->num_params, run->loss_nats));
    } else if (kind == ChartKind::FRONTIER) {
      EXPECT_EQ(runs->at(i).x(), run->compute_flops);
    }
    emit runs->hovered(runs->at(i), true);
    const QString tip = QToolTip::text();
    EXPECT_EQ(tip, view.PointTip(runs, runs->at(i)));
    EXPECT_TRUE(tip.startsWith(QStringLiteral("run at line %1\n").arg(run->line))) << tip.toStdString();
    EXPECT_TRUE(tip.contains(QStringLiteral("N = %1").arg(QString::fromStdString(FormatQuantity(run->num_params, 3)))))
        << tip.toStdString();
    EXPECT_TRUE(tip.contains(QStringLiteral("D = %1").arg(QString::fromStdString(FormatQuantity(run->num_tokens, 3)))))
        << tip.toStdString();
    EXPECT_TRUE(tip.contains(QStringLiteral("loss = %1").arg(run->loss_nats, 0, 'f', 4))) << tip.toStdString();
    emit runs->hovered(runs->at(i), false);
  }
}

TEST_F(ChartExportTest, ClickingARunsPointSelectsItInTheRunsTable) {
  MainWindow window;
  window.resize(1480, 940);
  QSignalSpy fitted(&window, &MainWindow::Fitted);
  window.show();
  ASSERT_TRUE(fitted.wait(kFitTimeoutMs));
  ChartsView* charts = window.charts();
  charts->SetCurrentKind(ChartKind::FIT);
  QApplication::processEvents();
  QChartView* view = charts->View(ChartKind::FIT);
  QChart* chart = view->chart();
  // A run's point at least 12 pixels from every other point of any scatter series (so the click is unambiguous).
  std::vector<std::pair<QScatterSeries*, int>> points;
  std::vector<QPointF> positions;
  for (QAbstractSeries* series : chart->series()) {
    auto* scatter = qobject_cast<QScatterSeries*>(series);
    if (scatter == nullptr) continue;
    for (int i = 0; i < scatter->count(); ++i) {
      points.push_back({scatter, i});
      positions.push_back(chart->mapToPosition(scatter->at(i), scatter));
    }
  }
  int chosen = -1;
  for (size_t p = 0; p < points.size() && chosen < 0; ++p) {
    if (points[p].first->objectName() != QLatin1String("runs")) continue;
    if (!chart->plotArea().adjusted(10, 10, -10, -10).contains(positions[p])) continue;
    if (chart->legend()->geometry().adjusted(-10, -10, 10, 10).contains(positions[p])) continue;
    bool alone = true;
    for (size_t q = 0; q < points.size() && alone; ++q) {
      alone = q == p || QLineF(positions[p], positions[q]).length() >= 12;
    }
    if (alone) chosen = static_cast<int>(p);
  }
  ASSERT_GE(chosen, 0) << "no run's point stands alone";
  auto [series, index] = points[static_cast<size_t>(chosen)];
  const int line = SeriesRunLines(series)[static_cast<size_t>(index)];
  const QPoint at = view->mapFromScene(chart->mapToScene(positions[static_cast<size_t>(chosen)]));
  QSignalSpy clicked(charts, &ChartsView::RunClicked);
  QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier, at);
  ASSERT_EQ(clicked.count(), 1);
  EXPECT_EQ(clicked.takeFirst().at(0).toInt(), line);
  EXPECT_EQ(window.runs_panel()->SelectedLines(), std::vector<int>{line});
  // A click on empty plot area selects nothing new.
  QTest::mouseClick(view->viewport(), Qt::LeftButton, Qt::NoModifier,
                    view->mapFromScene(chart->mapToScene(chart->plotArea().topLeft() + QPointF(3, 3))));
  EXPECT_EQ(clicked.count(), 0);
  EXPECT_EQ(window.runs_panel()->SelectedLines(), std::vector<int>{line});
}

// File > Export chart opens the dialog; what it is given is what is written.
TEST_F(ChartExportTest, TheFileMenusExportWritesTheDialogsSizeAndResolution) {
  MainWindow window;
  QSignalSpy fitted(&window, &MainWindow::Fitted);
  window.show();
  ASSERT_TRUE(fitted.wait(kFitTimeoutMs));
  window.charts()->SetCurrentKind(ChartKind::ISOFLOP);
  QAction* action = nullptr;
  for (QAction* candidate : window.findChildren<QAction*>()) {
    if (candidate->text().startsWith(QStringLiteral("Export &chart"))) action = candidate;
  }
  ASSERT_NE(action, nullptr);
  const std::string path = TempPath("menu_export.png");
  bool filled = false;
  QTimer::singleShot(0, [&] {
    auto* dialog = qobject_cast<ExportDialog*>(QApplication::activeModalWidget());
    if (dialog == nullptr) return;
    EXPECT_EQ(dialog->path(), QStringLiteral("isoflop.png"));
    dialog->SetPath(QString::fromStdString(path));
    dialog->SetSizeInches(7.0, 4.5);
    dialog->SetDpi(200);
    filled = true;
    dialog->findChild<QDialogButtonBox*>("export_buttons")->button(QDialogButtonBox::Save)->click();
  });
  action->trigger();
  ASSERT_TRUE(filled) << "the export dialog did not open";
  QImage image(QString::fromStdString(path));
  EXPECT_EQ(image.width(), 1400);  // 7 in x 200
  EXPECT_EQ(image.height(), 900);  // 4.5 in x 200
  EXPECT_EQ(image.dotsPerMeterY(), std::lround(200 / 0.0254));
}

TEST_F(ChartExportTest, TheLogLossActionRebuildsTheLossCharts) {
  ChartsView view;
  view.SetInputs(BundledInputs());
  auto* action = view.findChild<QAction*>("log_loss");
  ASSERT_NE(action, nullptr);
  EXPECT_NE(qobject_cast<QValueAxis*>(Axis(view.Chart(ChartKind::FIT), "y")), nullptr);
  action->trigger();
  EXPECT_TRUE(view.log_loss());
  EXPECT_NE(qobject_cast<QLogValueAxis*>(Axis(view.Chart(ChartKind::FIT), "y")), nullptr);
  EXPECT_NE(qobject_cast<QLogValueAxis*>(Axis(view.Chart(ChartKind::ISOFLOP), "y")), nullptr);
  // A new fit keeps it.
  view.SetInputs(BundledInputs());
  EXPECT_NE(qobject_cast<QLogValueAxis*>(Axis(view.Chart(ChartKind::FIT), "y")), nullptr);
}

}  // namespace
}  // namespace scaleplan::gui
