// The one chart-building path (window, export and `scaleplan plot`): log axes only ever get positive points, the
// budget marker sits on the law's optimum, axes widen to follow it, labels carry SI suffixes, the band is drawn, and
// the roofline's ceilings meet at peak / bandwidth.
#include "gui/charts.h"

#include <cmath>
#include <memory>
#include <vector>

#include <QAreaSeries>
#include <QCategoryAxis>
#include <QChart>
#include <QCoreApplication>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>

#include <gtest/gtest.h>

#include "core/bundled_data.h"
#include "core/hardware_profile.h"
#include "tests/gui/gui_testing.h"

namespace scaleplan::gui {
namespace {

ChartInputs BundledInputs(double budget_flops) {
  ChartInputs inputs;
  inputs.runs = BundledChinchillaRuns().runs;
  inputs.source = "bundled";
  inputs.law = FindPublishedLaw("epoch")->law;
  inputs.budget_flops = budget_flops;
  inputs.profile = testing::SmallProfile();
  return inputs;
}

template <class Series>
Series* FindSeries(QChart* chart, const char* name) {
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == QLatin1String(name)) return qobject_cast<Series*>(series);
  }
  return nullptr;
}

QStringList Labels(QChart* chart, const char* axis_name) {
  for (QAbstractAxis* axis : chart->axes()) {
    if (axis->objectName() == QLatin1String(axis_name)) return qobject_cast<QCategoryAxis*>(axis)->categoriesLabels();
  }
  return {};
}

std::vector<QPointF> Points(QAbstractSeries* series) {
  std::vector<QPointF> points;
  if (auto* xy = qobject_cast<QXYSeries*>(series)) {
    for (int i = 0; i < xy->count(); ++i) points.push_back(xy->at(i));
  } else if (auto* area = qobject_cast<QAreaSeries*>(series)) {
    for (QXYSeries* edge : {static_cast<QXYSeries*>(area->upperSeries()), static_cast<QXYSeries*>(area->lowerSeries())}) {
      for (int i = 0; i < edge->count(); ++i) points.push_back(edge->at(i));
    }
  }
  return points;
}

std::vector<QGraphicsSimpleTextItem*> PointLabelItems(QChart* chart) {
  std::vector<QGraphicsSimpleTextItem*> labels;
  for (QGraphicsItem* item : chart->childItems()) {
    if (item->data(kPointLabelKey).toBool()) labels.push_back(static_cast<QGraphicsSimpleTextItem*>(item));
  }
  return labels;
}

TEST(Charts, LogAxesGetOnlyPositiveFinitePoints) {
  testing::Application();
  ChartInputs inputs = BundledInputs(5.76e23);
  FrontierBand band;
  band.label = "test band";
  for (double c : {1e20, 1e22, 1e24}) {
    const Allocation best = inputs.law->ComputeOptimal(c);
    band.compute_flops.push_back(c);
    band.params_low.push_back(best.num_params / 2);
    band.params_high.push_back(best.num_params * 2);
    band.tokens_low.push_back(best.num_tokens / 2);
    band.tokens_high.push_back(best.num_tokens * 2);
  }
  inputs.band = band;
  // A profile with kernels (the roofline) and collectives (the interconnect chart).
  inputs.profile = HardwareProfileFromJson(
      testing::ReadWholeFile(testing::SourcePath("tests/bad_input/profile_interconnect.json")), "fixture");
  for (ChartKind kind : kAllChartKinds) {
    std::unique_ptr<QChart> chart(BuildChart(kind, inputs));
    int log_series = 0;
    for (QAbstractSeries* series : chart->series()) {
      bool x_log = false, y_log = false;
      for (QAbstractAxis* axis : series->attachedAxes()) {
        if (qobject_cast<QLogValueAxis*>(axis) == nullptr) continue;
        (axis->orientation() == Qt::Horizontal ? x_log : y_log) = true;
      }
      ASSERT_TRUE(x_log) << ChartKindName(kind) << ": every chart's x axis is logarithmic";
      ++log_series;
      for (const QPointF& point : Points(series)) {
        EXPECT_TRUE(point.x() > 0 && std::isfinite(point.x())) << ChartKindName(kind);
        if (y_log) {
          EXPECT_TRUE(point.y() > 0 && std::isfinite(point.y())) << ChartKindName(kind);
        }
      }
    }
    EXPECT_GT(log_series, 2) << ChartKindName(kind);
  }
}

TEST(Charts, BudgetMarkerSitsOnTheOptimumAndAxesFollowIt) {
  testing::Application();
  ChartInputs inputs = BundledInputs(1e23);
  const ChinchillaLaw& law = *inputs.law;
  std::unique_ptr<QChart> fit(BuildChart(ChartKind::FIT, inputs));
  std::unique_ptr<QChart> frontier(BuildChart(ChartKind::FRONTIER, inputs));
  std::unique_ptr<QChart> isoflop(BuildChart(ChartKind::ISOFLOP, inputs));

  inputs.budget_flops = 3e26;  // beyond the loss chart's x axis (runs up to ~1e22, padded to 1e23)
  UpdateBudgetMarker(fit.get(), ChartKind::FIT, inputs);
  UpdateBudgetMarker(frontier.get(), ChartKind::FRONTIER, inputs);
  UpdateBudgetMarker(isoflop.get(), ChartKind::ISOFLOP, inputs);
  const Allocation best = law.ComputeOptimal(3e26);

  auto* marker = FindSeries<QScatterSeries>(fit.get(), "budget");
  ASSERT_NE(marker, nullptr);
  ASSERT_EQ(marker->count(), 1);
  EXPECT_EQ(marker->at(0), QPointF(3e26, best.loss_nats));
  EXPECT_EQ(marker->name(), QStringLiteral("plan: 3×10²⁶ FLOPs"));
  // The x axis widened to the next decade, and its labels with it.
  QLogValueAxis* x_axis = nullptr;
  for (QAbstractAxis* axis : fit->axes()) {
    if (axis->objectName() == QLatin1String("x")) x_axis = qobject_cast<QLogValueAxis*>(axis);
  }
  ASSERT_NE(x_axis, nullptr);
  EXPECT_EQ(x_axis->max(), 1e27);
  EXPECT_TRUE(Labels(fit.get(), "x_labels").contains(QStringLiteral("10²⁶")))
      << Labels(fit.get(), "x_labels").join(' ').toStdString();

  auto* points = FindSeries<QScatterSeries>(frontier.get(), "budget");
  ASSERT_NE(points, nullptr);
  ASSERT_EQ(points->count(), 2);
  EXPECT_EQ(points->at(0), QPointF(3e26, best.num_params));
  EXPECT_EQ(points->at(1), QPointF(3e26, best.num_tokens));

  auto* curve = FindSeries<QLineSeries>(isoflop.get(), "budget_curve");
  ASSERT_NE(curve, nullptr);
  ASSERT_GT(curve->count(), 10);
  // The IsoFLOP profile's lowest point is (within the sampling) the closed-form optimum.
  QPointF lowest = curve->at(0);
  for (int i = 0; i < curve->count(); ++i) {
    if (curve->at(i).y() < lowest.y()) lowest = curve->at(i);
    EXPECT_NEAR(curve->at(i).y(), law.Loss(curve->at(i).x(), 3e26 / (6 * curve->at(i).x())), 1e-12);
  }
  EXPECT_NEAR(std::log(lowest.x() / best.num_params), 0.0, 0.05);
  EXPECT_GE(lowest.y(), best.loss_nats - 1e-12);

  // No budget: the marker empties and leaves the legend.
  inputs.budget_flops = 0;
  UpdateBudgetMarker(fit.get(), ChartKind::FIT, inputs);
  EXPECT_EQ(marker->count(), 0);
}

TEST(Charts, CountAxesUseSiSuffixesAndFlopAxesScientific) {
  testing::Application();
  std::unique_ptr<QChart> frontier(BuildChart(ChartKind::FRONTIER, BundledInputs(0)));
  const QStringList y = Labels(frontier.get(), "y_labels");
  EXPECT_TRUE(y.contains(QStringLiteral("1B"))) << y.join(' ').toStdString();
  EXPECT_TRUE(y.contains(QStringLiteral("100M"))) << y.join(' ').toStdString();
  const QStringList x = Labels(frontier.get(), "x_labels");
  EXPECT_TRUE(x.contains(QStringLiteral("10²¹"))) << x.join(' ').toStdString();
}

// Legend entries name budgets as the FLOP axes label them (PowerOfTenLabel), never as "3e18".
TEST(Charts, LegendBudgetsReadAsPowersOfTen) {
  testing::Application();
  std::unique_ptr<QChart> isoflop(BuildChart(ChartKind::ISOFLOP, BundledInputs(0)));
  QStringList names;
  for (QAbstractSeries* series : isoflop->series()) names << series->name();
  // The bundled runs span 3e18 .. 1e22 FLOPs: profiles at 1 and 3 times each decade.
  EXPECT_TRUE(names.contains(QStringLiteral("C = 3×10¹⁸ FLOPs"))) << names.join(" | ").toStdString();
  EXPECT_TRUE(names.contains(QStringLiteral("C = 10¹⁹ FLOPs"))) << names.join(" | ").toStdString();
  EXPECT_TRUE(names.contains(QStringLiteral("C = 3×10²¹ FLOPs"))) << names.join(" | ").toStdString();
  EXPECT_FALSE(names.join(' ').contains(QStringLiteral("e18"))) << names.join(" | ").toStdString();

  const std::pair<double, const char*> budgets[] = {
      {1e18, "plan: 10¹⁸ FLOPs"}, {3e18, "plan: 3×10¹⁸ FLOPs"}, {6.5e20, "plan: 6.5×10²⁰ FLOPs"}};
  for (const auto& [budget_flops, expected] : budgets) {
    for (ChartKind kind : {ChartKind::FIT, ChartKind::ISOFLOP, ChartKind::FRONTIER}) {
      std::unique_ptr<QChart> chart(BuildChart(kind, BundledInputs(budget_flops)));
      auto* marker = FindSeries<QScatterSeries>(chart.get(), "budget");
      ASSERT_NE(marker, nullptr) << ChartKindName(kind);
      EXPECT_EQ(marker->name(), QString::fromUtf8(expected)) << ChartKindName(kind);
    }
  }
}

TEST(Charts, InvalidBandIsNotDrawn) {
  testing::Application();
  ChartInputs inputs = BundledInputs(0);
  FrontierBand band;
  band.compute_flops = {1e20, 1e21};
  band.params_low = {2e9, 1e9};
  band.params_high = {1e9, 2e9};  // low above high in the first point
  band.tokens_low = {1e10, 1e10};
  band.tokens_high = {2e10, 2e10};
  std::string why;
  EXPECT_FALSE(band.Check(&why));
  EXPECT_EQ(why, "band low above high");
  inputs.band = band;
  std::unique_ptr<QChart> chart(BuildChart(ChartKind::FRONTIER, inputs));
  EXPECT_EQ(FindSeries<QAreaSeries>(chart.get(), "band"), nullptr);
}

// Two scatter-add measurements 5% apart in rate, at the same intensity (as a probe's sweep over d gives): labels
// centred above their points, as Qt Charts draws them, collide (checked below). Laid out at 800 x 600, no two
// labels overlap, and no label covers a point.
TEST(Charts, RooflineLabelsKeepClearOfEachOtherAndOfThePoints) {
  testing::Application();
  HardwareProfile profile = testing::SmallProfile();
  KernelMeasurement twin = profile.kernels.back();
  ASSERT_EQ(twin.name, "scatter_add");
  twin.d = 1024;
  twin.seconds_median *= 1.05;
  profile.kernels.push_back(twin);
  ChartInputs inputs;
  inputs.profile = profile;
  QGraphicsScene scene;
  QChart* chart = BuildChart(ChartKind::ROOFLINE, inputs);
  scene.addItem(chart);  // the scene owns the chart
  chart->resize(800, 600);
  QCoreApplication::processEvents();

  std::vector<QRectF> points, naive;
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() != QLatin1String("kernel")) continue;
    auto* scatter = qobject_cast<QScatterSeries*>(series);
    const QPointF at = chart->mapToScene(chart->mapToPosition(scatter->at(0), scatter));
    const qreal side = scatter->markerSize();
    points.emplace_back(at.x() - side / 2, at.y() - side / 2, side, side);
  }
  const std::vector<QGraphicsSimpleTextItem*> labels = PointLabelItems(chart);
  ASSERT_EQ(labels.size(), points.size());
  std::vector<QRectF> placed;
  for (size_t i = 0; i < labels.size(); ++i) {
    placed.push_back(labels[i]->sceneBoundingRect());
    const QSizeF size = placed.back().size();
    naive.emplace_back(points[i].center().x() - size.width() / 2, points[i].top() - size.height(), size.width(),
                       size.height());
  }
  bool naive_collide = false;
  for (size_t i = 0; i < naive.size(); ++i) {
    for (size_t j = i + 1; j < naive.size(); ++j) naive_collide = naive_collide || naive[i].intersects(naive[j]);
  }
  EXPECT_TRUE(naive_collide) << "the profile no longer exercises the placement";
  for (size_t i = 0; i < placed.size(); ++i) {
    for (size_t j = 0; j < placed.size(); ++j) {
      if (j > i) {
        EXPECT_FALSE(placed[i].intersects(placed[j]))
            << labels[i]->text().toStdString() << " / " << labels[j]->text().toStdString();
      }
      EXPECT_FALSE(placed[i].intersects(points[j]))
          << labels[i]->text().toStdString() << " covers point " << j;
    }
  }
}

// The interconnect chart of a profile whose times follow t = steps(n) alpha + F(n) S / busbw exactly
// (tests/bad_input/profile_interconnect.json): the model lines lie on the measured ones, and the large-message bus
// bandwidth tends to the model's busbw.
TEST(Charts, CollectivesChartDrawsMeasuredBusBandwidthAndItsModel) {
  testing::Application();
  HardwareProfile profile = HardwareProfileFromJson(
      testing::ReadWholeFile(testing::SourcePath("tests/bad_input/profile_interconnect.json")), "fixture");
  ASSERT_TRUE(profile.interconnect.has_value());
  const std::vector<CollectiveCurve> curves = MakeCollectiveCurves(*profile.interconnect);
  ASSERT_EQ(curves.size(), 5u);
  for (const CollectiveCurve& curve : curves) {
    ASSERT_EQ(curve.measured.size(), 4u) << curve.name;
    ASSERT_EQ(curve.model.size(), 4u) << curve.name;
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(curve.model[i].first, curve.measured[i].first);
      EXPECT_NEAR(curve.model[i].second / curve.measured[i].second, 1.0, 1e-9) << curve.name << " " << i;
    }
    EXPECT_LT(curve.measured.front().first, curve.measured.back().first);  // ascending sizes
  }
  // all_reduce on 2 ranks: F = 1, 2 latency steps of 5 us, 10 GB/s: busbw(16 MiB) = S / (1e-5 + S / 1e10).
  EXPECT_EQ(curves[0].label, "all_reduce (intra-node)");
  const double s = 16777216.0;
  EXPECT_NEAR(curves[0].measured.back().second, s / (1e-5 + s / 1e10), 1e-3);

  ChartInputs inputs;
  inputs.profile = profile;
  std::unique_ptr<QChart> chart(BuildChart(ChartKind::COLLECTIVES, inputs));
  int measured = 0, model = 0;
  for (QAbstractSeries* series : chart->series()) {
    measured += series->objectName() == QLatin1String("collective_measured");
    model += series->objectName() == QLatin1String("collective_model");
  }
  EXPECT_EQ(measured, 5);
  EXPECT_EQ(model, 5);
  // Message sizes in binary units, as the probe chooses them (1 KiB .. 16 MiB): ticks at every other power of two
  // over 1024 / 1.5 .. 16 MiB x 1.5 (2^10 .. 2^24, 8 ticks), never "1 kB" for 1024 bytes.
  EXPECT_EQ(Labels(chart.get(), "x_labels"),
            (QStringList{"1 KiB", "4 KiB", "16 KiB", "64 KiB", "256 KiB", "1 MiB", "4 MiB", "16 MiB"}));
  // Without an interconnect section the chart says what to run.
  profile.interconnect.reset();
  inputs.profile = profile;
  std::unique_ptr<QChart> empty(BuildChart(ChartKind::COLLECTIVES, inputs));
  EXPECT_TRUE(empty->title().contains(QStringLiteral("probe --collectives"))) << empty->title().toStdString();
  EXPECT_EQ(Labels(empty.get(), "x_labels"), (QStringList{"1 KiB", "32 KiB", "1 MiB", "32 MiB", "1 GiB"}));
}

// A profile of 'probe --collectives' alone has no kernels and peaks of 0: no ceilings, no NaN axes, and the title
// says why the chart is empty.
TEST(Charts, RooflineOfAProfileWithoutKernelsIsEmptyAndSaysSo) {
  testing::Application();
  HardwareProfile profile = HardwareProfileFromJson(
      testing::ReadWholeFile(testing::SourcePath("tests/bad_input/profile_interconnect.json")), "fixture");
  profile.peak_flops = 0.0;
  profile.bandwidth_bytes_per_s = 0.0;
  profile.kernels.clear();
  ASSERT_FALSE(HasKernelMeasurements(profile));
  ChartInputs inputs;
  inputs.profile = profile;
  std::unique_ptr<QChart> chart(BuildChart(ChartKind::ROOFLINE, inputs));
  EXPECT_TRUE(chart->title().contains(QStringLiteral("no kernel measurements"))) << chart->title().toStdString();
  EXPECT_TRUE(chart->series().isEmpty());
  for (QAbstractAxis* axis : chart->axes()) {
    if (auto* log_axis = qobject_cast<QLogValueAxis*>(axis)) {
      EXPECT_TRUE(std::isfinite(log_axis->min()) && std::isfinite(log_axis->max()) && log_axis->min() > 0)
          << axis->objectName().toStdString();
    }
  }
}

TEST(Charts, RooflineCeilingsMeetAtTheRidgePoint) {
  testing::Application();
  const HardwareProfile profile = testing::SmallProfile();
  ChartInputs inputs;
  inputs.profile = profile;
  std::unique_ptr<QChart> chart(BuildChart(ChartKind::ROOFLINE, inputs));
  // The profile's figures, written out: 80 GFLOP/s and 20 GB/s meet at 4 FLOP/byte.
  const double peak = 8e10, bandwidth = 2e10, ridge = 4.0;

  auto* ridge_point = FindSeries<QScatterSeries>(chart.get(), "ridge");
  ASSERT_NE(ridge_point, nullptr);
  ASSERT_EQ(ridge_point->count(), 1);
  EXPECT_DOUBLE_EQ(ridge_point->at(0).x(), ridge);
  EXPECT_DOUBLE_EQ(ridge_point->at(0).y(), peak);
  EXPECT_EQ(ridge_point->name(), QStringLiteral("ridge 4 FLOP/B"));

  auto* memory = FindSeries<QLineSeries>(chart.get(), "memory_ceiling");
  ASSERT_NE(memory, nullptr);
  ASSERT_EQ(memory->count(), 2);
  for (const QPointF& point : Points(memory)) EXPECT_NEAR(point.y() / (bandwidth * point.x()), 1.0, 1e-12);
  EXPECT_DOUBLE_EQ(memory->at(1).x(), ridge);
  EXPECT_EQ(memory->name(), QStringLiteral("memory ceiling 20 GB/s × I"));
  auto* compute = FindSeries<QLineSeries>(chart.get(), "compute_ceiling");
  ASSERT_NE(compute, nullptr);
  ASSERT_EQ(compute->count(), 2);
  EXPECT_DOUBLE_EQ(compute->at(0).x(), ridge);
  for (const QPointF& point : Points(compute)) EXPECT_EQ(point.y(), peak);
  EXPECT_EQ(compute->name(), QStringLiteral("compute ceiling 80 GFLOP/s"));

  // One labelled point per kernel measurement that moves memory: at (flops / bytes, flops / seconds).
  std::vector<QScatterSeries*> kernels;
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == QLatin1String("kernel")) kernels.push_back(qobject_cast<QScatterSeries*>(series));
  }
  ASSERT_EQ(kernels.size(), profile.kernels.size() - 1);  // all but the FMA loop, which moves no memory
  for (size_t i = 0; i < kernels.size(); ++i) {
    const KernelMeasurement& kernel = profile.kernels[i + 1];
    ASSERT_EQ(kernels[i]->count(), 1);
    EXPECT_NEAR(kernels[i]->at(0).x() / (kernel.flops / kernel.bytes), 1.0, 1e-12) << kernel.name;
    EXPECT_NEAR(kernels[i]->at(0).y() / (kernel.flops / kernel.seconds_median), 1.0, 1e-12) << kernel.name;
  }
  const std::vector<QGraphicsSimpleTextItem*> labels = PointLabelItems(chart.get());
  ASSERT_EQ(labels.size(), kernels.size());
  EXPECT_EQ(labels[1]->text(), QStringLiteral("gemm d768 n16.4K"));
  EXPECT_EQ(labels[3]->text(), QStringLiteral("gather d768 n524K k32"));
  // Intensities as plain numbers, rates in powers of ten; the axes hold every point and the ridge.
  const QStringList x = Labels(chart.get(), "x_labels");
  EXPECT_TRUE(x.contains(QStringLiteral("0.1")) && x.contains(QStringLiteral("1")) && x.contains(QStringLiteral("100")))
      << x.join(' ').toStdString();
  EXPECT_TRUE(Labels(chart.get(), "y_labels").contains(QStringLiteral("10¹⁰")));

  // Without a profile: an empty chart that says what is missing.
  std::unique_ptr<QChart> empty(BuildChart(ChartKind::ROOFLINE, ChartInputs{}));
  EXPECT_TRUE(empty->title().contains(QStringLiteral("no hardware profile"))) << empty->title().toStdString();
  EXPECT_TRUE(empty->series().isEmpty());
}

TEST(Charts, RenderedImageHasTheRequestedSizeAndIsDrawn) {
  testing::Application();
  const QImage image = RenderChartImage(ChartKind::FIT, BundledInputs(5.76e23), QSize(700, 450));
  EXPECT_EQ(image.size(), QSize(700, 450));
  int non_white = 0;
  for (int y = 0; y < image.height(); y += 2) {
    for (int x = 0; x < image.width(); x += 2) non_white += image.pixel(x, y) != qRgb(255, 255, 255);
  }
  EXPECT_GT(non_white, 2000);
}

}  // namespace
}  // namespace scaleplan::gui
