#include "gui/charts.h"

#include <QAreaSeries>
#include <QBarCategoryAxis>
#include <QBarSet>
#include <QBuffer>
#include <QCategoryAxis>
#include <QChart>
#include <QFileInfo>
#include <QGraphicsLayout>
#include <QGraphicsLineItem>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QPainter>
#include <QFile>
#include <QSaveFile>
#include <QScatterSeries>
#include <QStackedBarSeries>
#include <QSvgGenerator>
#include <QValueAxis>
#include <algorithm>
#include <cmath>
#include <memory>

#include "core/collective_cost.h"
#include "core/file.h"
#include "core/statistics.h"
#include "core/units.h"
#include "fitting/chinchilla_fit.h"
#include "gui/recommendation.h"
#include "gui/runs_model.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

constexpr int kCurvePoints = 160;
constexpr int kMaxParamBins = 7;
constexpr int kMaxIsoflopBudgets = 8;
constexpr double kIsoflopNearFactor = 1.3;   // a run belongs to an IsoFLOP budget within this compute factor
constexpr double kIsoflopSpanFactor = 30.0;  // each IsoFLOP profile spans N_opt / 30 .. N_opt * 30

// Object names that UpdateBudgetMarker looks series and axes up by.
const char kBudgetPoint[] = "budget";
const char kBudgetLine[] = "budget_line";
const char kBudgetCurve[] = "budget_curve";
const char kAxisX[] = "x";
const char kAxisY[] = "y";
const char kLabelsSuffix[] = "_labels";
const char kLabelStyleProperty[] = "scaleplan_label_style";
const char kRunLinesProperty[] = "scaleplan_run_lines";
const char kExtrapolation[] = "extrapolation";
const char kBandName[] = "band";

const QColor kBudgetColour(200, 30, 45);
const QColor kFrontierColour(25, 25, 25);
const QColor kParamsColour(31, 119, 180);
const QColor kTokensColour(230, 120, 20);
const QColor kHuberColour(235, 160, 40, 120);

// BINARY_BYTES: message sizes, ticks at powers of two labelled in KiB, MiB, GiB (BinaryByteTicks), where BYTES puts
// them at powers of ten in kB, MB, GB.
enum class LabelStyle { SI, SCIENTIFIC, PLAIN, BYTES, BINARY_BYTES, BYTES_PER_SECOND };

template <class Series>
Series* FindSeries(QChart* chart, const char* name);

std::vector<double> LogSpace(double lo, double hi, int count) {
  std::vector<double> values(static_cast<size_t>(count));
  const double a = std::log(lo), b = std::log(hi);
  for (int i = 0; i < count; ++i) values[static_cast<size_t>(i)] = std::exp(a + (b - a) * i / (count - 1));
  return values;
}

double FloorDecade(double value) { return std::pow(10.0, std::floor(std::log10(value) + 1e-9)); }
double CeilDecade(double value) { return std::pow(10.0, std::ceil(std::log10(value) - 1e-9)); }

// Colours along a perceptually ordered ramp (viridis, stopping short of its pale yellow end), t in [0, 1].
QColor RampColour(double t) {
  static constexpr int kStops[][3] = {{68, 1, 84}, {65, 68, 135}, {42, 120, 142}, {34, 168, 132}, {122, 209, 81},
                                      {200, 200, 30}};
  constexpr int kLast = static_cast<int>(std::size(kStops)) - 1;
  t = std::clamp(t, 0.0, 1.0) * kLast;
  const int i = std::min(static_cast<int>(t), kLast - 1);
  const double f = t - i;
  auto mix = [&](int channel) {
    return static_cast<int>(std::lround(kStops[i][channel] * (1 - f) + kStops[i + 1][channel] * f));
  };
  return QColor(mix(0), mix(1), mix(2));
}

// A byte count in binary units: 512 -> "512 B", 1024 -> "1 KiB", 3 x 2^20 -> "3 MiB", 1.5 x 2^30 -> "1.5 GiB".
QString BinaryBytesLabel(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = 0;
  while (unit + 1 < static_cast<int>(std::size(kUnits)) && std::fabs(bytes) >= 1024.0) {
    bytes /= 1024.0;
    ++unit;
  }
  return QStringLiteral("%1 %2").arg(bytes, 0, 'g', 3).arg(QLatin1String(kUnits[unit]));
}

QString AxisLabel(double value, LabelStyle style) {
  switch (style) {
    case LabelStyle::SI: return ToQString(FormatQuantity(value, 3));
    case LabelStyle::SCIENTIFIC:
      return PowerOfTenLabel(value);
    case LabelStyle::PLAIN:
      return value >= 1e-3 && value < 1e5 ? QString::number(value, 'g', 4) : PowerOfTenLabel(value);
    case LabelStyle::BYTES: return ToQString(FormatBytes(value));
    case LabelStyle::BINARY_BYTES: return BinaryBytesLabel(value);
    case LabelStyle::BYTES_PER_SECOND: return ToQString(FormatRate(value, "B"));
  }
  return PowerOfTenLabel(value);
}

// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value`.
double NiceStep(double value) {
  const double decade = std::pow(10.0, std::floor(std::log10(value)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * decade >= value * (1 - 1e-12)) return m * decade;
  }
  return 10.0 * decade;
}

// Tick values for a log axis over [lo, hi]: evenly spaced nice values within a factor of 10 (a log loss axis over
// 1.8..4.2 gets 2, 2.5, 3, ...), 1-2-5 within two decades or fewer, whole decades beyond (every other decade, and so
// on, past eight of them).
std::vector<double> LogTicks(double lo, double hi) {
  const int first = static_cast<int>(std::ceil(std::log10(lo) - 1e-9));
  const int last = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
  std::vector<double> ticks;
  if (hi < 10.0 * lo) {
    const double step = NiceStep((hi - lo) / 6.0);
    for (double k = std::ceil(lo / step - 1e-9); k * step <= hi * (1 + 1e-9); k += 1.0) ticks.push_back(k * step);
    return ticks;
  }
  if (last - first <= 2) {
    for (int k = first - 1; k <= last; ++k) {
      for (double m : {1.0, 2.0, 5.0}) {
        const double value = m * std::pow(10.0, k);
        if (value >= lo * (1 - 1e-9) && value <= hi * (1 + 1e-9)) ticks.push_back(value);
      }
    }
    return ticks;
  }
  const int step = std::max(1, static_cast<int>(std::ceil((last - first + 1) / 8.0)));
  for (int k = first; k <= last; k += step) ticks.push_back(std::pow(10.0, k));
  return ticks;
}

// Tick values for a byte axis in binary units over [lo, hi]: powers of two, every 1st, 2nd, 5th or 10th (the fewest
// that keep at most eight ticks), counted from 2^0 so that 1 KiB, 1 MiB and 1 GiB are among them when in range.
std::vector<double> BinaryByteTicks(double lo, double hi) {
  const int first = static_cast<int>(std::ceil(std::log2(lo) - 1e-9));
  const int last = static_cast<int>(std::floor(std::log2(hi) + 1e-9));
  int step = 10;
  for (int candidate : {1, 2, 5}) {
    if ((last - first) / candidate + 1 <= 8) {
      step = candidate;
      break;
    }
  }
  std::vector<double> ticks;
  for (int k = first; k <= last; ++k) {
    if (k % step == 0) ticks.push_back(std::ldexp(1.0, k));
  }
  return ticks;
}

// The labelled ticks of a log axis in `style`.
std::vector<double> AxisTicks(double lo, double hi, LabelStyle style) {
  return style == LabelStyle::BINARY_BYTES ? BinaryByteTicks(lo, hi) : LogTicks(lo, hi);
}

void Relabel(QCategoryAxis* labels, double lo, double hi, LabelStyle style) {
  for (const QString& label : labels->categoriesLabels()) labels->remove(label);
  labels->setRange(std::log10(lo), std::log10(hi));
  labels->setStartValue(std::log10(lo));
  for (double tick : AxisTicks(lo, hi, style)) labels->append(AxisLabel(tick, style), std::log10(tick));
}

// The minor ticks of a log axis over [lo, hi]: 2..9 times each power of ten (whole decades only past nine decades),
// leaving out the labelled ticks; on a binary byte axis, the powers of two left unlabelled.
std::vector<double> MinorTickValues(double lo, double hi, LabelStyle style) {
  const std::vector<double> major = AxisTicks(lo, hi, style);
  if (style == LabelStyle::BINARY_BYTES) {
    std::vector<double> values;
    for (int k = static_cast<int>(std::ceil(std::log2(lo) - 1e-9)); std::ldexp(1.0, k) <= hi * (1 + 1e-9); ++k) {
      const double value = std::ldexp(1.0, k);
      if (std::find(major.begin(), major.end(), value) == major.end()) values.push_back(value);
    }
    return values;
  }
  const int first = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int last = static_cast<int>(std::floor(std::log10(hi) + 1e-9));
  const int top_multiple = last - first > 9 ? 1 : 9;
  std::vector<double> values;
  for (int k = first; k <= last; ++k) {
    for (int m = 1; m <= top_multiple; ++m) {
      const double value = m * std::pow(10.0, k);
      if (value < lo * (1 - 1e-9) || value > hi * (1 + 1e-9)) continue;
      const bool labelled =
          std::any_of(major.begin(), major.end(), [value](double tick) { return std::fabs(tick / value - 1) < 1e-9; });
      if (!labelled) values.push_back(value);
    }
  }
  return values;
}

constexpr double kMinorTickLength = 4.0;

// Short tick marks inside the plot area's edge at MinorTickValues, one QGraphicsLineItem child of the chart each
// (data(kMinorTickKey) = the axis' name), placed again whenever the plot area or the axis' range changes.
class MinorTicks : public QObject {
 public:
  MinorTicks(QChart* chart, QLogValueAxis* axis, Qt::Alignment alignment, LabelStyle style)
      : QObject(axis), chart_(chart), axis_(axis), alignment_(alignment), style_(style) {
    connect(chart, &QChart::plotAreaChanged, this, &MinorTicks::Place);
    connect(axis, &QLogValueAxis::rangeChanged, this, &MinorTicks::Place);
  }

  void Place() {
    const double lo = axis_->min(), hi = axis_->max();
    if (!(lo > 0) || !(hi > lo)) return;
    const std::vector<double> values = MinorTickValues(lo, hi, style_);
    while (items_.size() < values.size()) {
      auto* item = new QGraphicsLineItem(chart_);
      item->setPen(QPen(QColor(80, 80, 80), 1.0));
      item->setData(kMinorTickKey, axis_->objectName());
      item->setZValue(5);
      items_.push_back(item);
    }
    while (items_.size() > values.size()) {
      delete items_.back();
      items_.pop_back();
    }
    const QRectF plot = chart_->plotArea();
    const double span = std::log10(hi / lo);
    for (size_t i = 0; i < values.size(); ++i) {
      const double f = std::log10(values[i] / lo) / span;
      if (alignment_ & Qt::AlignBottom) {
        const double x = plot.left() + f * plot.width();
        items_[i]->setLine(x, plot.bottom(), x, plot.bottom() - kMinorTickLength);
      } else {
        const double y = plot.bottom() - f * plot.height();
        items_[i]->setLine(plot.left(), y, plot.left() + kMinorTickLength, y);
      }
    }
  }

 private:
  QChart* chart_;
  QLogValueAxis* axis_;
  Qt::Alignment alignment_;
  LabelStyle style_;
  std::vector<QGraphicsLineItem*> items_;
};

// A logarithmic axis. The series attach to a hidden QLogValueAxis (which maps values); a QCategoryAxis over log10
// of the same range draws the gridlines and labels, because QLogValueAxis can only print printf formats and we
// want "100M", "1B" and "1e20".
QLogValueAxis* AddLogAxis(QChart* chart, Qt::Alignment alignment, const char* name, double lo, double hi,
                          const QString& title, LabelStyle style) {
  auto* axis = new QLogValueAxis;
  axis->setObjectName(name);
  axis->setBase(10.0);
  axis->setRange(lo, hi);
  chart->addAxis(axis, alignment);
  axis->setVisible(false);

  auto* labels = new QCategoryAxis;
  labels->setObjectName(QString(name) + kLabelsSuffix);
  labels->setProperty(kLabelStyleProperty, static_cast<int>(style));
  labels->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
  labels->setTitleText(title);
  Relabel(labels, lo, hi, style);
  chart->addAxis(labels, alignment);
  new MinorTicks(chart, axis, alignment, style);
  return axis;
}

QValueAxis* AddValueAxis(QChart* chart, Qt::Alignment alignment, const char* name, double lo, double hi,
                         const QString& title, const char* format) {
  auto* axis = new QValueAxis;
  axis->setObjectName(name);
  axis->setRange(lo, hi);
  axis->setLabelFormat(format);
  axis->setTickCount(7);
  axis->applyNiceNumbers();
  axis->setTitleText(title);
  chart->addAxis(axis, alignment);
  return axis;
}

QAbstractAxis* FindAxis(QChart* chart, const QString& name) {
  for (QAbstractAxis* axis : chart->axes()) {
    if (axis->objectName() == name) return axis;
  }
  return nullptr;
}

// The current range of axis `name` (log or value).
std::pair<double, double> AxisRange(QChart* chart, const char* name) {
  QAbstractAxis* axis = FindAxis(chart, name);
  if (auto* log_axis = qobject_cast<QLogValueAxis*>(axis)) return {log_axis->min(), log_axis->max()};
  if (auto* value_axis = qobject_cast<QValueAxis*>(axis)) return {value_axis->min(), value_axis->max()};
  return {0.0, 0.0};
}

// Widens axis `name` to include [lo, hi] (log axes to whole decades), keeping the labels in step.
void IncludeInAxis(QChart* chart, const char* name, double lo, double hi) {
  QAbstractAxis* axis = FindAxis(chart, name);
  if (auto* log_axis = qobject_cast<QLogValueAxis*>(axis)) {
    if (!(lo > 0) || !(hi > 0)) return;
    if (lo >= log_axis->min() && hi <= log_axis->max()) return;
    // An axis over whole decades widens to whole decades; a narrower one (log loss) by 5%.
    const auto is_decade = [](double v) { return std::fabs(std::log10(v) - std::round(std::log10(v))) < 1e-9; };
    const bool decades = is_decade(log_axis->min()) && is_decade(log_axis->max());
    const double new_lo = std::min(log_axis->min(), decades ? FloorDecade(lo) : lo / 1.05);
    const double new_hi = std::max(log_axis->max(), decades ? CeilDecade(hi) : hi * 1.05);
    log_axis->setRange(new_lo, new_hi);
    if (auto* labels = qobject_cast<QCategoryAxis*>(FindAxis(chart, QString(name) + kLabelsSuffix))) {
      Relabel(labels, new_lo, new_hi, static_cast<LabelStyle>(labels->property(kLabelStyleProperty).toInt()));
    }
  } else if (auto* value_axis = qobject_cast<QValueAxis*>(axis)) {
    if (lo >= value_axis->min() && hi <= value_axis->max()) return;
    value_axis->setRange(std::min(value_axis->min(), lo), std::max(value_axis->max(), hi));
    value_axis->applyNiceNumbers();
  }
}

template <class Series>
Series* AddSeries(QChart* chart, Series* series) {
  chart->addSeries(series);
  series->attachAxis(FindAxis(chart, kAxisX));
  series->attachAxis(FindAxis(chart, kAxisY));
  return series;
}

void HideFromLegend(QChart* chart, QAbstractSeries* series) {
  for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(false);
}

QLineSeries* Curve(const QString& name, const QColor& colour, double width, Qt::PenStyle style = Qt::SolidLine) {
  auto* series = new QLineSeries;
  series->setName(name);
  QPen pen(colour);
  pen.setWidthF(width);
  pen.setStyle(style);
  series->setPen(pen);
  return series;
}

QScatterSeries* Scatter(const QString& name, const QColor& colour, double size,
                        QScatterSeries::MarkerShape shape = QScatterSeries::MarkerShapeCircle) {
  auto* series = new QScatterSeries;
  series->setName(name);
  series->setMarkerShape(shape);
  series->setMarkerSize(size);
  series->setColor(colour);
  series->setBorderColor(colour.darker(130));
  return series;
}

QScatterSeries* BudgetMarker(const QString& name) {
  auto* marker = Scatter(name, kBudgetColour, 18, QScatterSeries::MarkerShapeStar);
  marker->setObjectName(kBudgetPoint);
  marker->setBorderColor(Qt::white);
  return marker;
}

QChart* NewChart(const QString& title) {
  auto* chart = new QChart;
  chart->setTitle(title);
  QFont font = chart->titleFont();
  font.setPointSizeF(font.pointSizeF() * 1.25);
  font.setBold(true);
  chart->setTitleFont(font);
  chart->setBackgroundRoundness(0);
  chart->setDropShadowEnabled(false);
  chart->setMargins(QMargins(6, 6, 6, 6));
  chart->legend()->setAlignment(Qt::AlignRight);
  return chart;
}

QString BudgetName(double budget_flops) {
  return QStringLiteral("plan: %1 FLOPs").arg(PowerOfTenLabel(budget_flops));
}

// The runs grouped into up to kMaxParamBins equal bins of log N.
struct ParamBin {
  double lo = 0, hi = 0;
  double log_sum = 0;
  std::vector<const TrainingRun*> runs;
  double Representative() const { return std::exp(log_sum / static_cast<double>(runs.size())); }
};

std::vector<ParamBin> BinByParams(const std::vector<TrainingRun>& runs) {
  if (runs.empty()) return {};
  const auto [min_it, max_it] = std::minmax_element(
      runs.begin(), runs.end(), [](const TrainingRun& a, const TrainingRun& b) { return a.num_params < b.num_params; });
  const double lo = std::log(min_it->num_params), hi = std::log(max_it->num_params);
  const int count = hi - lo < 1e-9 ? 1 : kMaxParamBins;
  std::vector<ParamBin> bins(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    bins[static_cast<size_t>(i)].lo = std::exp(lo + (hi - lo) * i / count);
    bins[static_cast<size_t>(i)].hi = std::exp(lo + (hi - lo) * (i + 1) / count);
  }
  for (const TrainingRun& run : runs) {
    const double t = count == 1 ? 0.0 : (std::log(run.num_params) - lo) / (hi - lo);
    const int i = std::clamp(static_cast<int>(t * count), 0, count - 1);
    bins[static_cast<size_t>(i)].runs.push_back(&run);
    bins[static_cast<size_t>(i)].log_sum += std::log(run.num_params);
  }
  std::erase_if(bins, [](const ParamBin& bin) { return bin.runs.empty(); });
  return bins;
}

QString BinName(const ParamBin& bin) {
  return QStringLiteral("N %1 – %2").arg(ToQString(FormatQuantity(bin.lo, 3)), ToQString(FormatQuantity(bin.hi, 3)));
}

QColor BinColour(size_t index, size_t count) {
  return RampColour(count <= 1 ? 0.5 : static_cast<double>(index) / static_cast<double>(count - 1));
}

// [min, max] of a member over the runs.
template <class Member>
std::pair<double, double> RunRange(const std::vector<TrainingRun>& runs, Member member, double fallback_lo,
                                   double fallback_hi) {
  if (runs.empty()) return {fallback_lo, fallback_hi};
  double lo = runs.front().*member, hi = lo;
  for (const TrainingRun& run : runs) {
    lo = std::min(lo, run.*member);
    hi = std::max(hi, run.*member);
  }
  return {lo, hi};
}

std::pair<double, double> Padded(double lo, double hi, double fraction) {
  const double span = std::max(hi - lo, 1e-3);
  return {lo - fraction * span, hi + fraction * span};
}

// Records the file lines of the runs behind a scatter series' points (SeriesRunLines).
void SetRunLines(QAbstractSeries* series, const std::vector<int>& lines) {
  QVariantList values;
  values.reserve(static_cast<qsizetype>(lines.size()));
  for (int line : lines) values.append(line);
  series->setProperty(kRunLinesProperty, values);
}

const QColor kShadeColour(110, 110, 110, 30);

// Shades the region past the runs, from x_from to the x axis' end over the whole y range, beneath the other series.
void RefreshExtrapolationShade(QChart* chart) {
  auto* area = FindSeries<QAreaSeries>(chart, kExtrapolation);
  if (area == nullptr) return;
  const double from = area->property("scaleplan_from").toDouble();
  const auto [x_lo, x_hi] = AxisRange(chart, kAxisX);
  const auto [y_lo, y_hi] = AxisRange(chart, kAxisY);
  const double start = std::max(from, x_lo);
  QList<QPointF> top, bottom;
  if (start < x_hi) {
    top = {{start, y_hi}, {x_hi, y_hi}};
    bottom = {{start, y_lo}, {x_hi, y_lo}};
  }
  if (area->upperSeries()->points() == top && area->lowerSeries()->points() == bottom) return;
  area->upperSeries()->replace(top);
  area->lowerSeries()->replace(bottom);
}

void AddExtrapolationShade(QChart* chart, double x_from) {
  auto* area = new QAreaSeries(new QLineSeries, new QLineSeries);
  area->setName(QStringLiteral("extrapolation (past the runs)"));
  area->setObjectName(kExtrapolation);
  area->setProperty("scaleplan_from", x_from);
  area->setBrush(kShadeColour);
  area->setPen(Qt::NoPen);
  AddSeries(chart, area);
  RefreshExtrapolationShade(chart);
}

// A shaded band between `low` and `high` at `xs` (a series named "band").
QAreaSeries* AddBandSeries(QChart* chart, const std::vector<double>& xs, const std::vector<double>& low,
                           const std::vector<double>& high, QColor colour, const QString& name) {
  auto* upper = new QLineSeries;
  auto* lower = new QLineSeries;
  for (size_t i = 0; i < xs.size(); ++i) {
    upper->append(xs[i], high[i]);
    lower->append(xs[i], low[i]);
  }
  auto* area = new QAreaSeries(upper, lower);
  area->setName(name);
  area->setObjectName(kBandName);
  colour.setAlpha(55);
  area->setBrush(colour);
  area->setPen(Qt::NoPen);
  return AddSeries(chart, area);
}

// The central interval at `confidence` of value(law, x) over the bootstrap laws at each x of `xs` (values that are
// not finite and positive left out), drawn as a band. Nothing when no x has a value.
template <class Value>
QAreaSeries* AddBootstrapBand(QChart* chart, const std::vector<double>& xs, const ChartInputs& inputs, Value value,
                              QColor colour, const QString& name) {
  std::vector<double> kept, low, high, values;
  for (double x : xs) {
    values.clear();
    for (const ChinchillaLaw& law : inputs.bootstrap_laws) {
      const double v = value(law, x);
      if (std::isfinite(v) && v > 0) values.push_back(v);
    }
    if (values.empty()) continue;
    const auto [lower, upper] = PercentileInterval(values, inputs.band_confidence);
    kept.push_back(x);
    low.push_back(lower);
    high.push_back(upper);
  }
  if (kept.empty()) return nullptr;
  return AddBandSeries(chart, kept, low, high, colour, name);
}

QString BandLabel(const ChartInputs& inputs) {
  if (!inputs.band_label.empty()) return ToQString(inputs.band_label);
  return QStringLiteral("%1% interval (%2 bootstrap fits)")
      .arg(100.0 * inputs.band_confidence, 0, 'g', 3)
      .arg(inputs.bootstrap_laws.size());
}

std::vector<double> Xs(const QXYSeries* series) {
  std::vector<double> xs;
  xs.reserve(static_cast<size_t>(series->count()));
  for (const QPointF& point : series->points()) xs.push_back(point.x());
  return xs;
}

QString RunsCount(const ChartInputs& inputs) { return QStringLiteral("%1 runs").arg(inputs.runs.size()); }

// "fitted", or the law's own name when it was given (`scaleplan plot --law hoffmann`).
QString LawName(const ChartInputs& inputs) {
  if (inputs.law_label.empty()) return QStringLiteral("fitted");
  return ToQString(inputs.law_label.substr(0, inputs.law_label.find(':')));
}

// The law's L(N, D) drawn on the fit and IsoFLOP charts: the Chinchilla law's, or another law's (ChartInputs::loss).
bool HasLossCurves(const ChartInputs& inputs) { return inputs.law.has_value() || static_cast<bool>(inputs.loss); }
double LawLoss(const ChartInputs& inputs, double num_params, double num_tokens) {
  return inputs.law ? inputs.law->Loss(num_params, num_tokens) : inputs.loss(num_params, num_tokens);
}
// Whether the fit chart draws a compute-optimal frontier L_opt(C), and its allocation at C.
bool HasLossFrontier(const ChartInputs& inputs) {
  return inputs.law || (inputs.allocate && (inputs.loss || inputs.allocate_gives_loss));
}
Allocation OptimalAt(const ChartInputs& inputs, double compute_flops) {
  return inputs.law ? inputs.law->ComputeOptimal(compute_flops) : inputs.allocate(compute_flops);
}
// An allocation a log axis can show (a law without an optimum at a budget gives NaN there).
bool Drawable(const Allocation& a) {
  return std::isfinite(a.num_params) && a.num_params > 0 && std::isfinite(a.loss_nats) && a.loss_nats > 0;
}

// The loss axis (left): linear over [y_lo, y_hi], or with ChartInputs::log_loss logarithmic over the losses
// [l_lo, l_hi] padded by 3% either side.
void AddLossAxis(QChart* chart, const ChartInputs& inputs, double l_lo, double l_hi, double y_lo, double y_hi) {
  const QString title = QStringLiteral("final loss (nats/token)");
  if (inputs.log_loss && l_lo > 0) {
    AddLogAxis(chart, Qt::AlignLeft, kAxisY, l_lo / 1.03, l_hi * 1.03, title, LabelStyle::PLAIN);
  } else {
    AddValueAxis(chart, Qt::AlignLeft, kAxisY, y_lo, y_hi, title, "%.2f");
  }
}

// ------------------------------------------------------------------------------------------------------------------
QChart* BuildFitChart(const ChartInputs& inputs) {
  // A law with an L(N, D) (Chinchilla's closed form or inputs.loss) draws its iso-N curves and L_opt(C); one with only
  // a loss frontier (IsoFLOP's E + K C^-gamma) that frontier; any other law is drawn on the frontier chart only.
  const bool curves = HasLossCurves(inputs), has_frontier = HasLossFrontier(inputs);
  QChart* chart = NewChart(
      curves
          ? QStringLiteral("Loss against compute: %1 coloured by N, %2 L(N, D)").arg(RunsCount(inputs), LawName(inputs))
      : has_frontier ? QStringLiteral("Loss against compute: %1, the %2 law's L_opt(C) (it has no L(N, D))")
                           .arg(RunsCount(inputs), LawName(inputs))
      : inputs.allocate ? QStringLiteral("Loss against compute: %1 (the %2 law is drawn on the N_opt, D_opt chart)")
                              .arg(RunsCount(inputs), LawName(inputs))
                        : QStringLiteral("Loss against compute: %1 (no fit yet)").arg(RunsCount(inputs)));
  auto [c_lo, c_hi] = RunRange(inputs.runs, &TrainingRun::compute_flops, 1e18, 1e23);
  auto [l_lo, l_hi] = RunRange(inputs.runs, &TrainingRun::loss_nats, 2.0, 4.0);
  if (has_frontier && inputs.budget_flops > 0) {
    c_lo = std::min(c_lo, inputs.budget_flops);
    c_hi = std::max(c_hi, inputs.budget_flops);
    const Allocation best = OptimalAt(inputs, inputs.budget_flops);
    if (Drawable(best)) l_lo = std::min(l_lo, best.loss_nats);
  }
  const double x_lo = FloorDecade(c_lo), x_hi = CeilDecade(c_hi);
  const auto [y_lo, y_hi] = Padded(l_lo, l_hi, 0.04);
  AddLogAxis(chart, Qt::AlignBottom, kAxisX, x_lo, x_hi, QStringLiteral("training compute C (FLOPs)"),
             LabelStyle::SCIENTIFIC);
  AddLossAxis(chart, inputs, l_lo, l_hi, y_lo, y_hi);
  if (has_frontier && !inputs.runs.empty()) {
    AddExtrapolationShade(chart, RunRange(inputs.runs, &TrainingRun::compute_flops, 0.0, 0.0).second);
  }

  const std::vector<ParamBin> bins = BinByParams(inputs.runs);
  const std::vector<double> compute = LogSpace(x_lo, x_hi, kCurvePoints);
  for (size_t b = 0; b < bins.size(); ++b) {
    const QColor colour = BinColour(b, bins.size());
    auto* points = Scatter(BinName(bins[b]), colour, 8);
    points->setObjectName("runs");
    std::vector<int> lines;
    for (const TrainingRun* run : bins[b].runs) {
      points->append(run->compute_flops, run->loss_nats);
      lines.push_back(run->line);
    }
    SetRunLines(points, lines);
    AddSeries(chart, points);
    if (!curves) continue;
    // The fitted law at this bin's representative N, as the budget (and so D = C / 6N) grows.
    const double n = bins[b].Representative();
    auto* curve = Curve(QStringLiteral("L(%1, D)").arg(ToQString(FormatQuantity(n, 2))), colour, 1.6);
    curve->setProperty("num_params", n);
    for (double c : compute) {
      const double loss = LawLoss(inputs, n, c / (6.0 * n));
      if (std::isfinite(loss) && loss > 0 && loss <= 3.0 * y_hi) curve->append(c, loss);
    }
    AddSeries(chart, curve);
    HideFromLegend(chart, curve);
  }
  if (has_frontier) {
    auto* frontier = Curve(QStringLiteral("compute-optimal L_opt(C)"), kFrontierColour, 2.4, Qt::DashLine);
    frontier->setObjectName("frontier");
    for (double c : LogSpace(inputs.frontier_min_flops, inputs.frontier_max_flops, kCurvePoints)) {
      const Allocation best = OptimalAt(inputs, c);
      if (Drawable(best)) frontier->append(c, best.loss_nats);
    }
    // The bootstrap interval of L_opt(C), at the frontier's own points.
    if (inputs.law && !inputs.bootstrap_laws.empty()) {
      AddBootstrapBand(
          chart, Xs(frontier), inputs,
          [](const ChinchillaLaw& law, double c) { return law.ComputeOptimal(c).loss_nats; }, kFrontierColour,
          BandLabel(inputs));
    }
    AddSeries(chart, frontier);
    auto* marker = BudgetMarker(QString());
    AddSeries(chart, marker);
    if (inputs.budget_flops <= 0) HideFromLegend(chart, marker);
    UpdateBudgetMarker(chart, ChartKind::FIT, inputs);
  }
  return chart;
}

// IsoFLOP budgets inside [lo, hi]: 1 and 3 times whole decades, thinned to at most kMaxIsoflopBudgets.
std::vector<double> IsoflopBudgets(double lo, double hi) {
  std::vector<double> budgets;
  for (int k = static_cast<int>(std::floor(std::log10(lo))); k <= static_cast<int>(std::ceil(std::log10(hi))); ++k) {
    for (double m : {1.0, 3.0}) {
      const double value = m * std::pow(10.0, k);
      if (value >= lo && value <= hi) budgets.push_back(value);
    }
  }
  while (budgets.size() > static_cast<size_t>(kMaxIsoflopBudgets)) {
    std::vector<double> thinned;
    for (size_t i = 0; i < budgets.size(); i += 2) thinned.push_back(budgets[i]);
    budgets.swap(thinned);
  }
  if (budgets.empty()) budgets.push_back(std::sqrt(lo * hi));
  return budgets;
}

QChart* BuildIsoflopChart(const ChartInputs& inputs) {
  QChart* chart = NewChart(
      HasLossCurves(inputs) ? QStringLiteral("IsoFLOP profiles of the %1 law and their minima").arg(LawName(inputs))
      : inputs.allocate
          ? QStringLiteral("IsoFLOP profiles (the %1 law is drawn on the N_opt, D_opt chart)").arg(LawName(inputs))
          : QStringLiteral("IsoFLOP profiles (no fit yet)"));
  const auto [c_lo, c_hi] = RunRange(inputs.runs, &TrainingRun::compute_flops, 1e18, 1e22);
  auto [n_lo, n_hi] = RunRange(inputs.runs, &TrainingRun::num_params, 1e7, 1e10);
  const std::vector<double> budgets = IsoflopBudgets(c_lo, c_hi);
  std::vector<int> budget_of_run(inputs.runs.size(), -1);
  for (size_t r = 0; r < inputs.runs.size(); ++r) {
    for (size_t k = 0; k < budgets.size(); ++k) {
      if (std::fabs(std::log(inputs.runs[r].compute_flops / budgets[k])) < std::log(kIsoflopNearFactor)) {
        budget_of_run[r] = static_cast<int>(k);
      }
    }
  }
  double l_lo = 1e300, l_hi = -1e300;
  for (size_t r = 0; r < inputs.runs.size(); ++r) {
    l_lo = std::min(l_lo, inputs.runs[r].loss_nats);
    l_hi = std::max(l_hi, inputs.runs[r].loss_nats);
  }
  // The profiles of a law with an L(N, D) (Chinchilla's closed form, or inputs.loss with its minima from allocate).
  const bool profiles = HasLossCurves(inputs) && (inputs.law || inputs.allocate);
  if (profiles) {
    for (double c : budgets) {
      const Allocation best = OptimalAt(inputs, c);
      if (!Drawable(best)) continue;
      n_lo = std::min(n_lo, best.num_params / 4);
      n_hi = std::max(n_hi, best.num_params * 4);
      l_lo = std::min(l_lo, best.loss_nats);
      l_hi = std::max(l_hi, best.loss_nats + 0.3);
    }
    if (const Allocation best = inputs.budget_flops > 0 ? OptimalAt(inputs, inputs.budget_flops) : Allocation{};
        Drawable(best)) {
      n_lo = std::min(n_lo, best.num_params / 4);
      n_hi = std::max(n_hi, best.num_params * 4);
      l_lo = std::min(l_lo, best.loss_nats);
    }
  }
  if (l_lo > l_hi) std::tie(l_lo, l_hi) = std::pair(2.0, 4.0);
  const double x_lo = FloorDecade(n_lo), x_hi = CeilDecade(n_hi);
  const auto [y_lo, y_hi] = Padded(l_lo, l_hi, 0.04);
  AddLogAxis(chart, Qt::AlignBottom, kAxisX, x_lo, x_hi, QStringLiteral("parameters N"), LabelStyle::SI);
  AddLossAxis(chart, inputs, l_lo, l_hi, y_lo, y_hi);
  if (profiles && !inputs.runs.empty()) {
    AddExtrapolationShade(chart, RunRange(inputs.runs, &TrainingRun::num_params, 0.0, 0.0).second);
  }

  auto* others = Scatter(QStringLiteral("other runs"), QColor(185, 185, 185), 6);
  others->setObjectName("runs");
  std::vector<int> other_lines;
  for (size_t r = 0; r < inputs.runs.size(); ++r) {
    if (budget_of_run[r] < 0) {
      others->append(inputs.runs[r].num_params, inputs.runs[r].loss_nats);
      other_lines.push_back(inputs.runs[r].line);
    }
  }
  SetRunLines(others, other_lines);
  AddSeries(chart, others);
  if (others->count() == 0) HideFromLegend(chart, others);

  auto* minima = Scatter(QStringLiteral("minimum N_opt(C)"), kFrontierColour, 11,
                         QScatterSeries::MarkerShapeRotatedRectangle);
  minima->setObjectName("minima");
  for (size_t k = 0; k < budgets.size(); ++k) {
    const QColor colour = RampColour(budgets.size() <= 1 ? 0.5 : static_cast<double>(k) / (budgets.size() - 1));
    auto* near = Scatter(QString(), colour, 8);
    near->setObjectName("runs");
    std::vector<int> near_lines;
    for (size_t r = 0; r < inputs.runs.size(); ++r) {
      if (budget_of_run[r] == static_cast<int>(k)) {
        near->append(inputs.runs[r].num_params, inputs.runs[r].loss_nats);
        near_lines.push_back(inputs.runs[r].line);
      }
    }
    SetRunLines(near, near_lines);
    const Allocation best = profiles ? OptimalAt(inputs, budgets[k]) : Allocation{};
    if (!Drawable(best)) {
      near->setName(QStringLiteral("runs near C = %1 FLOPs").arg(PowerOfTenLabel(budgets[k])));
      AddSeries(chart, near);
      continue;
    }
    auto* profile = Curve(QStringLiteral("C = %1 FLOPs").arg(PowerOfTenLabel(budgets[k])), colour, 2.0);
    profile->setProperty("compute_flops", budgets[k]);
    for (double n : LogSpace(std::max(x_lo, best.num_params / kIsoflopSpanFactor),
                             std::min(x_hi, best.num_params * kIsoflopSpanFactor), kCurvePoints)) {
      const double loss = LawLoss(inputs, n, budgets[k] / (6.0 * n));
      if (std::isfinite(loss) && loss > 0) profile->append(n, loss);
    }
    // The bootstrap interval of this profile, at its own points.
    if (inputs.law && !inputs.bootstrap_laws.empty()) {
      const double c = budgets[k];
      QAreaSeries* band = AddBootstrapBand(
          chart, Xs(profile), inputs, [c](const ChinchillaLaw& law, double n) { return law.Loss(n, c / (6.0 * n)); },
          colour, k == 0 ? BandLabel(inputs) : QString());
      if (band != nullptr && k > 0) HideFromLegend(chart, band);
    }
    AddSeries(chart, profile);
    AddSeries(chart, near);
    HideFromLegend(chart, near);
    minima->append(best.num_params, best.loss_nats);
  }
  if (profiles) {
    AddSeries(chart, minima);
    auto* budget_curve = Curve(QString(), kBudgetColour, 2.4, Qt::DashLine);
    budget_curve->setObjectName(kBudgetCurve);
    AddSeries(chart, budget_curve);
    HideFromLegend(chart, budget_curve);
    auto* marker = BudgetMarker(QString());
    AddSeries(chart, marker);
    if (inputs.budget_flops <= 0) HideFromLegend(chart, marker);
    UpdateBudgetMarker(chart, ChartKind::ISOFLOP, inputs);
  }
  return chart;
}

QChart* BuildFrontierChart(const ChartInputs& inputs) {
  // The frontier of the Chinchilla law, or of another law (Kaplan, IsoFLOP, an expression) through inputs.allocate.
  const bool has_frontier = inputs.law || inputs.allocate;
  const auto frontier = [&inputs](double c) { return inputs.law ? inputs.law->ComputeOptimal(c) : inputs.allocate(c); };
  const QString title =
      inputs.law ? QStringLiteral("Compute-optimal allocation: N_opt ∝ C^%1, D_opt ∝ C^%2")
                       .arg(inputs.law->ExponentParams(), 0, 'f', 3)
                       .arg(inputs.law->ExponentTokens(), 0, 'f', 3)
      : has_frontier ? QStringLiteral("Compute-optimal allocation N_opt(C), D_opt(C) (%1 law)").arg(LawName(inputs))
                     : QStringLiteral("Runs: parameters and tokens against compute (no fit yet)");
  const bool named_law = inputs.law && !inputs.law_label.empty();
  QChart* chart = NewChart(named_law ? title + QStringLiteral(" (%1 law)").arg(LawName(inputs)) : title);
  const auto [c_lo, c_hi] = RunRange(inputs.runs, &TrainingRun::compute_flops, 1e18, 1e23);
  const double x_lo = FloorDecade(std::min(c_lo, has_frontier ? inputs.frontier_min_flops : c_lo));
  const double x_hi = CeilDecade(std::max(c_hi, has_frontier ? inputs.frontier_max_flops : c_hi));
  auto [y_lo, unused_hi] = RunRange(inputs.runs, &TrainingRun::num_params, 1e7, 1e12);
  auto [unused_lo, y_hi] = RunRange(inputs.runs, &TrainingRun::num_tokens, 1e7, 1e12);
  (void)unused_hi;
  (void)unused_lo;
  if (has_frontier) {
    const Allocation low = frontier(x_lo), high = frontier(x_hi);
    for (double n : {low.num_params, low.num_tokens}) y_lo = std::isfinite(n) && n > 0 ? std::min(y_lo, n) : y_lo;
    for (double n : {high.num_params, high.num_tokens}) y_hi = std::isfinite(n) ? std::max(y_hi, n) : y_hi;
  }
  AddLogAxis(chart, Qt::AlignBottom, kAxisX, x_lo, x_hi, QStringLiteral("training compute C (FLOPs)"),
             LabelStyle::SCIENTIFIC);
  AddLogAxis(chart, Qt::AlignLeft, kAxisY, FloorDecade(y_lo), CeilDecade(y_hi),
             QStringLiteral("parameters N, training tokens D"), LabelStyle::SI);

  if (has_frontier && !inputs.runs.empty()) {
    AddExtrapolationShade(chart, RunRange(inputs.runs, &TrainingRun::compute_flops, 0.0, 0.0).second);
  }
  std::string why;
  if (inputs.law && !inputs.bootstrap_laws.empty()) {
    // The bootstrap intervals of N_opt and D_opt at the lines' own points (below).
    const std::vector<double> compute = LogSpace(x_lo, x_hi, kCurvePoints);
    AddBootstrapBand(
        chart, compute, inputs, [](const ChinchillaLaw& law, double c) { return law.ComputeOptimal(c).num_params; },
        kParamsColour, BandLabel(inputs));
    QAreaSeries* tokens_band = AddBootstrapBand(
        chart, compute, inputs, [](const ChinchillaLaw& law, double c) { return law.ComputeOptimal(c).num_tokens; },
        kTokensColour, QString());
    if (tokens_band != nullptr) HideFromLegend(chart, tokens_band);
  } else if (inputs.band && inputs.band->Check(&why) && !inputs.band->compute_flops.empty()) {
    const FrontierBand& band = *inputs.band;
    AddBandSeries(chart, band.compute_flops, band.params_low, band.params_high, kParamsColour, ToQString(band.label));
    HideFromLegend(
        chart, AddBandSeries(chart, band.compute_flops, band.tokens_low, band.tokens_high, kTokensColour, QString()));
  }

  auto* run_params = Scatter(QStringLiteral("runs: N"), kParamsColour.lighter(150), 6);
  auto* run_tokens = Scatter(QStringLiteral("runs: D"), kTokensColour.lighter(150), 6);
  run_params->setObjectName("runs");
  run_tokens->setObjectName("runs");
  std::vector<int> lines;
  for (const TrainingRun& run : inputs.runs) {
    run_params->append(run.compute_flops, run.num_params);
    run_tokens->append(run.compute_flops, run.num_tokens);
    lines.push_back(run.line);
  }
  SetRunLines(run_params, lines);
  SetRunLines(run_tokens, lines);
  AddSeries(chart, run_params);
  AddSeries(chart, run_tokens);
  if (has_frontier) {
    auto* params = Curve(QStringLiteral("N_opt(C)"), kParamsColour, 2.6);
    auto* tokens = Curve(QStringLiteral("D_opt(C)"), kTokensColour, 2.6);
    params->setObjectName("n_opt");
    tokens->setObjectName("d_opt");
    for (double c : LogSpace(x_lo, x_hi, kCurvePoints)) {
      const Allocation best = frontier(c);
      if (!(best.num_params > 0 && best.num_tokens > 0 && std::isfinite(best.num_params * best.num_tokens))) continue;
      params->append(c, best.num_params);
      tokens->append(c, best.num_tokens);
    }
    AddSeries(chart, params);
    AddSeries(chart, tokens);
    auto* line = Curve(QString(), kBudgetColour, 1.4, Qt::DashLine);
    line->setObjectName(kBudgetLine);
    AddSeries(chart, line);
    HideFromLegend(chart, line);
    auto* marker = BudgetMarker(QString());
    AddSeries(chart, marker);
    if (inputs.budget_flops <= 0) HideFromLegend(chart, marker);
    UpdateBudgetMarker(chart, ChartKind::FRONTIER, inputs);
  }
  return chart;
}

QChart* BuildResidualsChart(const ChartInputs& inputs) {
  const QString compute_axis = inputs.compute_axis_label.empty()
                                   ? QStringLiteral("training compute C (FLOPs)")
                                   : QString::fromStdString(inputs.compute_axis_label) + QStringLiteral(" (FLOPs)");
  if (!inputs.law && inputs.predicted_loss.empty()) {
    QChart* chart = NewChart(QStringLiteral("Residuals (no fit yet)"));
    const auto [c_lo, c_hi] = RunRange(inputs.runs, &TrainingRun::compute_flops, 1e18, 1e23);
    AddLogAxis(chart, Qt::AlignBottom, kAxisX, FloorDecade(c_lo), CeilDecade(c_hi), compute_axis,
               LabelStyle::SCIENTIFIC);
    AddValueAxis(chart, Qt::AlignLeft, kAxisY, -0.05, 0.05, QStringLiteral("ln(L_fit / L)"), "%.3f");
    return chart;
  }
  // The law's loss on a run: the Chinchilla law's, or an expression law's as computed for that run's line.
  const auto predict = [&inputs](const TrainingRun& run) {
    if (inputs.law) return inputs.law->Loss(run.num_params, run.num_tokens);
    const auto it = inputs.predicted_loss.find(run.line);
    return it != inputs.predicted_loss.end() ? it->second : std::nan("");
  };
  RunsTable table;
  table.runs = inputs.runs;
  const ResidualStats stats = ComputeResiduals(table, predict, inputs.huber_delta);
  QChart* chart = NewChart(QStringLiteral("Log residuals ln(L_fit / L): RMSE %1, bias %2, %3 of %4 runs beyond δ")
                               .arg(stats.rmse, 0, 'f', 4)
                               .arg(stats.mean, 0, 'f', 5)
                               .arg(stats.num_beyond_delta)
                               .arg(stats.num_runs));
  const auto [c_lo, c_hi] = RunRange(inputs.runs, &TrainingRun::compute_flops, 1e18, 1e23);
  const double x_lo = FloorDecade(c_lo), x_hi = CeilDecade(c_hi);
  // A symmetric range in three nice steps either side of zero.
  const double step = NiceStep(1.05 * std::max(stats.max_abs, 2.0 * inputs.huber_delta) / 3.0);
  AddLogAxis(chart, Qt::AlignBottom, kAxisX, x_lo, x_hi, compute_axis, LabelStyle::SCIENTIFIC);
  auto* y_axis = new QValueAxis;
  y_axis->setObjectName(kAxisY);
  y_axis->setRange(-3 * step, 3 * step);
  y_axis->setTickCount(7);
  y_axis->setLabelFormat(step >= 0.01 ? "%.2f" : "%.3f");
  y_axis->setTitleText(QStringLiteral("ln(L_fit / L)"));
  chart->addAxis(y_axis, Qt::AlignLeft);

  auto* zero = Curve(QString(), QColor(90, 90, 90), 1.0);
  zero->append(x_lo, 0.0);
  zero->append(x_hi, 0.0);
  AddSeries(chart, zero);
  HideFromLegend(chart, zero);
  // The Huber loss' quadratic zone |r| <= δ, filled so that it shows even when δ is a small part of the range.
  const QString delta_name = QStringLiteral("Huber δ = ±%1 (quadratic inside)").arg(inputs.huber_delta, 0, 'g', 3);
  QAreaSeries* huber = AddBandSeries(chart, {x_lo, x_hi}, {-inputs.huber_delta, -inputs.huber_delta},
                                     {inputs.huber_delta, inputs.huber_delta}, kHuberColour, delta_name);
  huber->setObjectName("huber_band");
  huber->setBrush(kHuberColour);
  for (double sign : {1.0, -1.0}) {
    auto* threshold = Curve(QString(), kHuberColour.darker(130), 1.0, Qt::DashLine);
    threshold->setObjectName("huber_threshold");
    threshold->append(x_lo, sign * inputs.huber_delta);
    threshold->append(x_hi, sign * inputs.huber_delta);
    AddSeries(chart, threshold);
    HideFromLegend(chart, threshold);
  }
  const std::vector<ParamBin> bins = BinByParams(inputs.runs);
  for (size_t b = 0; b < bins.size(); ++b) {
    auto* points = Scatter(BinName(bins[b]), BinColour(b, bins.size()), 8);
    points->setObjectName("runs");
    std::vector<int> lines;
    for (const TrainingRun* run : bins[b].runs) {
      points->append(run->compute_flops, std::log(predict(*run)) - std::log(run->loss_nats));
      lines.push_back(run->line);
    }
    SetRunLines(points, lines);
    AddSeries(chart, points);
  }
  return chart;
}

// A short name for a kernel measurement: "gemm bf16 d768 n16.4K", "gather d768 n524K k32", "triad".
std::string KernelShortName(const std::string& name) {
  if (name == "encoder_gemm") return "gemm";
  if (name == "decoder_gather") return "gather";
  if (name == "scatter_add") return "scatter";
  return name;
}

std::string KernelLabel(const KernelMeasurement& kernel) {
  std::string label = KernelShortName(kernel.name);
  if (!kernel.dtype.empty() && kernel.dtype != "fp32") label += " " + kernel.dtype;
  if (kernel.name == "triad" || kernel.name == "fma_peak") return label;
  if (kernel.d > 0) label += " d" + std::to_string(kernel.d);
  if (kernel.n > 0) label += " n" + FormatQuantity(static_cast<double>(kernel.n), 3);
  if (kernel.k > 0) label += " k" + std::to_string(kernel.k);
  return label;
}

QColor KernelColour(const std::string& name) {
  if (name == "encoder_gemm") return QColor(31, 119, 180);
  if (name == "topk") return QColor(148, 103, 189);
  if (name == "decoder_gather") return QColor(44, 160, 44);
  if (name == "scatter_add") return QColor(230, 120, 20);
  if (name == "triad") return QColor(140, 86, 75);
  return QColor(120, 120, 120);
}

QString Rate(double value, const char* unit) { return ToQString(FormatRate(value, unit)); }

// Point labels that keep clear of each other. Qt Charts centres a series' point labels above their points, so two
// kernels measured at nearly the same intensity and rate (the triad and the scatter-add on a CPU, say) print on top
// of each other. Here each label tries above, below, right and left of its point, in that order, and takes the
// first place that overlaps neither a label placed before it nor any point; when no place is clear, the one that
// overlaps least. The labels are placed again whenever the plot area changes (the first layout, a resize).
class PointLabels : public QObject {
 public:
  explicit PointLabels(QChart* chart) : QObject(chart), chart_(chart) {
    connect(chart, &QChart::plotAreaChanged, this, &PointLabels::Place);
  }

  void Add(QScatterSeries* series, const QString& text, const QColor& colour, const QFont& font) {
    auto* item = new QGraphicsSimpleTextItem(text, chart_);
    item->setBrush(colour);
    item->setFont(font);
    item->setData(kPointLabelKey, true);
    item->setZValue(1000);  // above the series
    labels_.push_back({series, item});
  }

  void Place() {
    std::vector<QRectF> taken;  // the points, then each label as it is placed
    for (const Label& label : labels_) {
      const QPointF at = chart_->mapToPosition(label.series->at(0), label.series);
      const qreal side = label.series->markerSize();
      taken.emplace_back(at.x() - side / 2, at.y() - side / 2, side, side);
    }
    for (const Label& label : labels_) {
      const QPointF at = chart_->mapToPosition(label.series->at(0), label.series);
      const QSizeF size = label.item->boundingRect().size();
      const qreal gap = label.series->markerSize() / 2 + 2;
      const QPointF corners[] = {
          {at.x() - size.width() / 2, at.y() - gap - size.height()},  // above
          {at.x() - size.width() / 2, at.y() + gap},                  // below
          {at.x() + gap, at.y() - size.height() / 2},                 // right
          {at.x() - gap - size.width(), at.y() - size.height() / 2},  // left
      };
      QRectF best;
      qreal best_overlap = -1;
      for (const QPointF& corner : corners) {
        const QRectF place(corner, size);
        qreal overlap = 0;
        for (const QRectF& other : taken) {
          const QRectF common = place.intersected(other);
          overlap += common.width() * common.height();
        }
        if (best_overlap < 0 || overlap < best_overlap) {
          best = place;
          best_overlap = overlap;
        }
        if (overlap == 0) break;
      }
      label.item->setPos(best.topLeft());
      taken.push_back(best);
    }
  }

 private:
  struct Label {
    QScatterSeries* series;
    QGraphicsSimpleTextItem* item;
  };
  QChart* chart_;
  std::vector<Label> labels_;
};


QChart* BuildRooflineChart(const ChartInputs& inputs) {
  // Without a profile, or with one of 'probe --collectives' alone (peaks 0: no ceilings to draw), empty axes.
  if (!inputs.profile || !HasKernelMeasurements(*inputs.profile)) {
    QChart* chart =
        NewChart(inputs.profile ? QStringLiteral("Roofline (the profile has no kernel measurements: run the probe)")
                                : QStringLiteral("Roofline (no hardware profile: run the probe or load one)"));
    AddLogAxis(chart, Qt::AlignBottom, kAxisX, 1e-2, 1e3, QStringLiteral("arithmetic intensity (FLOP/byte)"),
               LabelStyle::PLAIN);
    AddLogAxis(chart, Qt::AlignLeft, kAxisY, 1e9, 1e15, QStringLiteral("achieved FLOP/s"), LabelStyle::SCIENTIFIC);
    return chart;
  }
  const HardwareProfile& profile = *inputs.profile;
  const Roofline roofline = MakeRoofline(profile);
  const double peak = roofline.peak_flops, bandwidth = roofline.bandwidth_bytes_per_s;
  const double ridge = roofline.ridge_intensity;
  // The figures are in the legend (the ceilings and the ridge point): the title stays short enough for small images.
  QChart* chart = NewChart(QStringLiteral("Roofline of %1 (%2, dense GEMM peak and triad bandwidth)")
                               .arg(ToQString(profile.device.empty() ? std::string("the profiled device") : profile.device),
                                    ToQString(profile.backend)));
  chart->legend()->setAlignment(Qt::AlignBottom);
  double i_lo = ridge, i_hi = ridge, f_lo = peak;
  for (const RooflinePoint& point : roofline.points) {
    i_lo = std::min(i_lo, point.intensity);
    i_hi = std::max(i_hi, point.intensity);
    f_lo = std::min(f_lo, point.flops_per_second);
  }
  const double x_lo = FloorDecade(i_lo / 3.0), x_hi = CeilDecade(i_hi * 3.0);
  const double y_lo = FloorDecade(std::min(f_lo / 3.0, peak / 100.0)), y_hi = CeilDecade(peak * 1.25);
  AddLogAxis(chart, Qt::AlignBottom, kAxisX, x_lo, x_hi, QStringLiteral("arithmetic intensity (FLOP/byte)"),
             LabelStyle::PLAIN);
  AddLogAxis(chart, Qt::AlignLeft, kAxisY, y_lo, y_hi, QStringLiteral("achieved FLOP/s"), LabelStyle::SCIENTIFIC);

  // The memory ceiling bandwidth x I up to the ridge (from where it enters the plot), then the compute ceiling.
  // Legend entries stay short, so that a 800-pixel image still shows them in one row under the plot.
  auto* memory = Curve(QStringLiteral("memory ceiling %1 × I").arg(Rate(bandwidth, "B")), QColor(60, 60, 60), 2.6);
  memory->setObjectName("memory_ceiling");
  const double x_start = std::max(x_lo, y_lo / bandwidth);
  if (x_start < ridge) {
    memory->append(x_start, bandwidth * x_start);
    memory->append(ridge, peak);
  }
  AddSeries(chart, memory);
  auto* compute = Curve(QStringLiteral("compute ceiling %1").arg(Rate(peak, "FLOP")),
                        QColor(20, 20, 20), 2.6, Qt::DashLine);
  compute->setObjectName("compute_ceiling");
  compute->append(std::max(x_lo, std::min(ridge, x_hi)), peak);
  compute->append(x_hi, peak);
  AddSeries(chart, compute);
  auto* ridge_point = Scatter(QStringLiteral("ridge %1 FLOP/B").arg(ridge, 0, 'g', 3), kBudgetColour, 12,
                              QScatterSeries::MarkerShapeRotatedRectangle);
  ridge_point->setObjectName("ridge");
  ridge_point->append(ridge, peak);
  AddSeries(chart, ridge_point);

  // One point per measurement, labelled; one legend entry per kernel.
  std::vector<std::string> in_legend;
  QFont label_font = chart->titleFont();
  label_font.setBold(false);
  label_font.setPointSizeF(label_font.pointSizeF() * 0.62);
  auto* labels = new PointLabels(chart);
  for (const RooflinePoint& point : roofline.points) {
    auto* series = Scatter(ToQString(KernelShortName(point.kernel)), KernelColour(point.kernel), 9);
    series->setObjectName("kernel");
    series->append(point.intensity, point.flops_per_second);
    AddSeries(chart, series);
    labels->Add(series, ToQString(point.label), KernelColour(point.kernel).darker(150), label_font);
    if (std::find(in_legend.begin(), in_legend.end(), point.kernel) != in_legend.end()) {
      HideFromLegend(chart, series);
    } else {
      in_legend.push_back(point.kernel);
    }
  }
  return chart;
}

// Bus bandwidth against message size for every collective of a profile's interconnect section, measured (solid,
// points) and its latency-bandwidth model (dashed), one colour per collective; inter-node lines are drawn thinner.
QChart* BuildCollectivesChart(const ChartInputs& inputs) {
  const InterconnectProfile* interconnect =
      inputs.profile && inputs.profile->interconnect ? &*inputs.profile->interconnect : nullptr;
  if (interconnect == nullptr) {
    QChart* chart = NewChart(QStringLiteral("Interconnect (no collectives: 'scaleplan probe --collectives')"));
    AddLogAxis(chart, Qt::AlignBottom, kAxisX, 1024.0, std::ldexp(1.0, 30), QStringLiteral("message size S"),
               LabelStyle::BINARY_BYTES);
    AddLogAxis(chart, Qt::AlignLeft, kAxisY, 1e6, 1e12, QStringLiteral("bus bandwidth"),
               LabelStyle::BYTES_PER_SECOND);
    return chart;
  }
  const std::vector<CollectiveCurve> curves = MakeCollectiveCurves(*interconnect);
  QChart* chart = NewChart(QStringLiteral("Collectives: %1 ranks on %2 node%3 (%4)")
                               .arg(interconnect->ranks)
                               .arg(interconnect->nodes)
                               .arg(interconnect->nodes == 1 ? "" : "s")
                               .arg(ToQString(interconnect->backend)));
  chart->legend()->setAlignment(Qt::AlignBottom);
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  for (const CollectiveCurve& curve : curves) {
    for (const auto& [bytes, busbw] : curve.measured) {
      x_lo = x_lo > 0 ? std::min(x_lo, bytes) : bytes;
      x_hi = std::max(x_hi, bytes);
      y_lo = y_lo > 0 ? std::min(y_lo, busbw) : busbw;
      y_hi = std::max(y_hi, busbw);
    }
  }
  if (!(x_lo > 0 && y_lo > 0)) x_lo = 1e3, x_hi = 1e9, y_lo = 1e6, y_hi = 1e12;
  // Margins of a factor 1.5 and 2 rather than whole decades: no empty decade, no tick label cut at the edge.
  AddLogAxis(chart, Qt::AlignBottom, kAxisX, x_lo / 1.5, x_hi * 1.5,
             QStringLiteral("message size S (as nccl-tests counts it)"), LabelStyle::BINARY_BYTES);
  AddLogAxis(chart, Qt::AlignLeft, kAxisY, y_lo / 2.0, y_hi * 2.0,
             QStringLiteral("bus bandwidth (algbw x F(n), nccl-tests)"), LabelStyle::BYTES_PER_SECOND);
  static const QColor kCollectiveColours[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                              QColor(214, 39, 40), QColor(148, 103, 189)};
  for (const CollectiveCurve& curve : curves) {
    const QColor colour = kCollectiveColours[curve.colour_index % std::size(kCollectiveColours)];
    const double width = curve.scope == "inter_node" ? 1.4 : 2.4;
    auto* measured = Curve(ToQString(curve.label), colour, width);
    measured->setObjectName("collective_measured");
    measured->setPointsVisible(true);
    for (const auto& [bytes, busbw] : curve.measured) measured->append(bytes, busbw);
    AddSeries(chart, measured);
    if (!curve.model.empty()) {
      auto* model = Curve(ToQString(curve.label + " model"), colour, 1.2, Qt::DashLine);
      model->setObjectName("collective_model");
      for (const auto& [bytes, busbw] : curve.model) model->append(bytes, busbw);
      AddSeries(chart, model);
      HideFromLegend(chart, model);
    }
  }
  return chart;
}

template <class Series>
Series* FindSeries(QChart* chart, const char* name) {
  for (QAbstractSeries* series : chart->series()) {
    if (series->objectName() == name) return qobject_cast<Series*>(series);
  }
  return nullptr;
}

void ShowInLegend(QChart* chart, QAbstractSeries* series, bool visible) {
  for (QLegendMarker* marker : chart->legend()->markers(series)) marker->setVisible(visible);
}

}  // namespace

const char* ChartKindName(ChartKind kind) {
  switch (kind) {
    case ChartKind::FIT: return "fit";
    case ChartKind::ISOFLOP: return "isoflop";
    case ChartKind::FRONTIER: return "frontier";
    case ChartKind::RESIDUALS: return "residuals";
    case ChartKind::ROOFLINE: return "roofline";
    case ChartKind::COLLECTIVES: return "collectives";
  }
  return "fit";
}

QString ChartKindTitle(ChartKind kind) {
  switch (kind) {
    case ChartKind::FIT: return QStringLiteral("Loss vs compute");
    case ChartKind::ISOFLOP: return QStringLiteral("IsoFLOP profiles");
    case ChartKind::FRONTIER: return QStringLiteral("N_opt, D_opt vs compute");
    case ChartKind::RESIDUALS: return QStringLiteral("Residuals");
    case ChartKind::ROOFLINE: return QStringLiteral("Roofline");
    case ChartKind::COLLECTIVES: return QStringLiteral("Interconnect");
  }
  return QString();
}

std::optional<ChartKind> ParseChartKind(std::string_view name) {
  for (ChartKind kind : kAllChartKinds) {
    if (name == ChartKindName(kind)) return kind;
  }
  return std::nullopt;
}

bool FrontierBand::Check(std::string* why) const {
  auto fail = [why](const char* reason) {
    if (why != nullptr) *why = reason;
    return false;
  };
  const size_t n = compute_flops.size();
  if (params_low.size() != n || params_high.size() != n || tokens_low.size() != n || tokens_high.size() != n) {
    return fail("every band vector needs one value per compute_flops value");
  }
  for (size_t i = 0; i < n; ++i) {
    if (!(compute_flops[i] > 0) || !(params_low[i] > 0) || !(tokens_low[i] > 0)) {
      return fail("band values must be positive (they are drawn on log axes)");
    }
    if (params_low[i] > params_high[i] || tokens_low[i] > tokens_high[i]) return fail("band low above high");
    if (i > 0 && compute_flops[i] <= compute_flops[i - 1]) return fail("band compute values must increase");
  }
  return true;
}

FrontierBand MakeFrontierBand(const std::vector<ChinchillaLaw>& laws, double confidence, double min_flops,
                              double max_flops, int points, std::string label) {
  FrontierBand band;
  band.label = std::move(label);
  if (laws.empty() || points < 2) return band;
  for (double c : LogSpace(min_flops, max_flops, points)) {
    const auto intervals = IntervalsOfAllocation(
        laws, confidence, [c](const ChinchillaLaw& law) -> std::optional<Allocation> { return law.ComputeOptimal(c); });
    if (!intervals) continue;
    band.compute_flops.push_back(c);
    band.params_low.push_back(intervals->num_params.lower);
    band.params_high.push_back(intervals->num_params.upper);
    band.tokens_low.push_back(intervals->num_tokens.lower);
    band.tokens_high.push_back(intervals->num_tokens.upper);
  }
  return band;
}

std::vector<CollectiveCurve> MakeCollectiveCurves(const InterconnectProfile& interconnect) {
  std::vector<CollectiveCurve> curves;
  for (const CollectiveMeasurement& m : interconnect.collectives) {
    if (!(m.bytes > 0 && m.busbw_bytes_per_s > 0)) continue;  // a log axis cannot show them
    auto found = std::find_if(curves.begin(), curves.end(), [&](const CollectiveCurve& c) {
      return c.name == m.name && c.scope == m.scope;
    });
    if (found == curves.end()) {
      CollectiveCurve curve;
      curve.name = m.name;
      curve.scope = m.scope;
      curve.ranks = m.ranks;
      curve.label = m.name + (m.scope == "inter_node" ? " (inter-node)" : " (intra-node)");
      static constexpr Collective kCollectives[] = {Collective::ALL_REDUCE, Collective::ALL_GATHER,
                                                    Collective::REDUCE_SCATTER, Collective::ALL_TO_ALL,
                                                    Collective::SEND_RECV};
      for (size_t i = 0; i < std::size(kCollectives); ++i) {
        if (m.name == CollectiveName(kCollectives[i])) curve.colour_index = static_cast<int>(i);
      }
      curves.push_back(curve);
      found = curves.end() - 1;
    }
    found->measured.emplace_back(m.bytes, m.busbw_bytes_per_s);
  }
  for (CollectiveCurve& curve : curves) {
    std::sort(curve.measured.begin(), curve.measured.end());
    // The fitted model's bus bandwidth at each measured size: busbw(S) = F S / (steps alpha + F S / busbw_model).
    const CollectiveModel* model = interconnect.FindModel(curve.name, curve.scope);
    if (model == nullptr) continue;
    const Collective collective = static_cast<Collective>(curve.colour_index);
    const LinkModel link{model->busbw_bytes_per_s, model->latency_seconds};
    for (const auto& point : curve.measured) {
      const double bytes = point.first;
      const double seconds = CollectiveSeconds(collective, bytes, curve.ranks, link);
      if (seconds > 0) curve.model.emplace_back(bytes, BusBandwidthFactor(collective, curve.ranks) * bytes / seconds);
    }
  }
  return curves;
}

Roofline MakeRoofline(const HardwareProfile& profile) {
  Roofline roofline;
  roofline.peak_flops = profile.peak_flops;
  roofline.bandwidth_bytes_per_s = profile.bandwidth_bytes_per_s;
  roofline.ridge_intensity = profile.peak_flops / profile.bandwidth_bytes_per_s;
  for (const KernelMeasurement& kernel : profile.kernels) {
    const double intensity = kernel.arithmetic_intensity > 0 ? kernel.arithmetic_intensity
                             : kernel.bytes > 0            ? kernel.flops / kernel.bytes
                                                           : 0.0;
    if (!(intensity > 0) || !std::isfinite(intensity) || !(kernel.flops_per_second > 0) ||
        !std::isfinite(kernel.flops_per_second)) {
      continue;
    }
    roofline.points.push_back({KernelLabel(kernel), kernel.name, intensity, kernel.flops_per_second});
  }
  return roofline;
}

ChartInputs MakeChartInputs(const RunsModel& model, const std::optional<ChinchillaLaw>& law, double huber_delta) {
  ChartInputs inputs;
  inputs.runs = model.PlottableRuns();
  inputs.source = model.table().source;
  inputs.law = law;
  inputs.huber_delta = huber_delta;
  return inputs;
}

QString PowerOfTenLabel(double value) {
  static const QString kSuperscripts[] = {
      QStringLiteral("⁰"), QStringLiteral("¹"), QStringLiteral("²"), QStringLiteral("³"), QStringLiteral("⁴"),
      QStringLiteral("⁵"), QStringLiteral("⁶"), QStringLiteral("⁷"), QStringLiteral("⁸"), QStringLiteral("⁹")};
  if (!(value > 0) || !std::isfinite(value)) return QString::number(value);
  int exponent = static_cast<int>(std::floor(std::log10(value) + 1e-9));
  double mantissa = value / std::pow(10.0, exponent);
  if (mantissa >= 10.0 - 1e-9) {
    mantissa /= 10.0;
    ++exponent;
  }
  QString power = QStringLiteral("10");
  if (exponent < 0) power += QStringLiteral("⁻");
  for (QChar digit : QString::number(std::abs(exponent))) power += kSuperscripts[digit.digitValue()];
  if (std::fabs(mantissa - 1.0) < 1e-6) return power;
  return QStringLiteral("%1×%2").arg(mantissa, 0, 'g', 3).arg(power);
}

QString RunTipText(const TrainingRun& run) {
  return QStringLiteral("run at line %1\nN = %2, D = %3\nC = %4 FLOPs, loss = %5")
      .arg(run.line)
      .arg(ToQString(FormatQuantity(run.num_params, 3)), ToQString(FormatQuantity(run.num_tokens, 3)),
           ToQString(FormatScientific(run.compute_flops, 3)))
      .arg(run.loss_nats, 0, 'f', 4);
}

std::vector<int> SeriesRunLines(const QAbstractSeries* series) {
  std::vector<int> lines;
  if (series == nullptr) return lines;
  for (const QVariant& line : series->property(kRunLinesProperty).toList()) lines.push_back(line.toInt());
  return lines;
}

namespace {

// Keeps a chart's legend inside its plot area where a corner is free (PlaceLegendInside). The choice is made again
// only when the chart's size changes, so that moving the legend (which changes the plot area) cannot oscillate.
class LegendPlacer : public QObject {
 public:
  explicit LegendPlacer(QChart* chart) : QObject(chart), chart_(chart), alignment_(chart->legend()->alignment()) {
    connect(chart, &QChart::plotAreaChanged, this, &LegendPlacer::Place);
  }

  void Place() {
    const QRectF plot = chart_->plotArea();
    if (busy_ || plot.width() < 1 || plot.height() < 1) return;
    busy_ = true;
    QLegend* legend = chart_->legend();
    if (chart_->size() != decided_size_) {
      decided_size_ = chart_->size();
      // The plot area once the legend is inside: wider by the legend's width when it is beside the plot now.
      QRectF inside = plot;
      if (legend->isAttachedToChart() && legend->isVisible()) {
        inside.setRight(std::min(chart_->size().width() - 6, plot.right() + legend->geometry().width()));
      }
      corner_ = FreeCorner(plot, inside, LegendSize());
      if (corner_ >= 0 && legend->isAttachedToChart()) {
        legend->detachFromChart();
        legend->setAlignment(Qt::AlignTop);  // rows as wide as the box: one entry per row, flush left
        legend->setBackgroundVisible(true);
        legend->setBrush(QColor(255, 255, 255, 230));
        legend->setPen(QPen(QColor(170, 170, 170)));
      } else if (corner_ < 0 && !legend->isAttachedToChart()) {
        legend->setBackgroundVisible(false);
        legend->setAlignment(alignment_);
        legend->attachToChart();
      }
    }
    if (corner_ >= 0) {
      // Laid out first in a box as tall as the plot (so that no entry wraps into a second column), then fitted to
      // what its entries take.
      const QRectF area = chart_->plotArea();
      const QSizeF estimate = LegendSize();
      legend->setGeometry(CornerRect(area, QSizeF(estimate.width(), area.height() - 2 * kInset), corner_));
      const QSizeF taken = EntriesSize(legend);
      const QSizeF size(std::max(estimate.width(), taken.width()),
                        taken.height() > 0 ? taken.height() : estimate.height());
      legend->setGeometry(CornerRect(area, size, corner_));
    }
    busy_ = false;
  }

 private:
  static constexpr double kInset = 8.0;

  // The legend's box: one row per visible entry (marker and label in the legend's font), with its margins.
  QSizeF LegendSize() const {
    QLegend* legend = chart_->legend();
    const QFontMetricsF metrics(legend->font());
    qreal label_width = 0, height = 0;
    for (QLegendMarker* marker : legend->markers()) {
      if (!marker->isVisible()) continue;
      label_width = std::max(label_width, metrics.horizontalAdvance(marker->label()));
      // A scatter series' entry shows its marker at the series' size (the plan's star is larger than the text).
      const auto* scatter = qobject_cast<const QScatterSeries*>(marker->series());
      height += std::max(metrics.height(), scatter != nullptr ? scatter->markerSize() : 0.0) + 8;
    }
    qreal left = 0, top = 0, right = 0, bottom = 0;
    legend->getContentsMargins(&left, &top, &right, &bottom);
    return QSizeF(label_width + metrics.height() + 32 + left + right, height + top + bottom + 12);
  }

  // The extent of the legend's visible entries (laid out), with its margins; empty when none is laid out yet.
  static QSizeF EntriesSize(QLegend* legend) {
    QRectF entries;
    const QList<QGraphicsItem*> top_items = legend->childItems();
    std::vector<QGraphicsItem*> items(top_items.begin(), top_items.end());
    while (!items.empty()) {
      QGraphicsItem* item = items.back();
      items.pop_back();
      if (!item->isVisible()) continue;
      const QList<QGraphicsItem*> children = item->childItems();
      if (children.isEmpty()) {
        entries |= item->mapRectToItem(legend, item->boundingRect());
      } else {
        items.insert(items.end(), children.begin(), children.end());
      }
    }
    if (entries.isEmpty()) return QSizeF();
    qreal left = 0, top = 0, right = 0, bottom = 0;
    legend->getContentsMargins(&left, &top, &right, &bottom);
    return QSizeF(entries.right() + right + 6, entries.bottom() + bottom + 6);
  }

  // Corners in order: top right, top left, bottom right, bottom left.
  static QRectF CornerRect(const QRectF& plot, const QSizeF& size, int corner) {
    const double x = corner % 2 == 0 ? plot.right() - kInset - size.width() : plot.left() + kInset;
    const double y = corner < 2 ? plot.top() + kInset : plot.bottom() - kInset - size.height();
    return QRectF(QPointF(x, y), size);
  }

  // The first corner of `inside` where a legend of `size` covers no point or line of the series (the budget marker,
  // which moves with the slider, and the extrapolation shade left out), or -1. Positions are mapped in the current
  // plot area and carried over to `inside` by their fraction of it.
  int FreeCorner(const QRectF& plot, const QRectF& inside, const QSizeF& size) const {
    if (size.width() > 0.6 * inside.width() || size.height() > 0.8 * inside.height()) return -1;
    std::vector<std::vector<QPointF>> paths;  // in `inside` coordinates; one point alone = a marker
    const auto carry = [&](QPointF at) {
      return QPointF(inside.left() + (at.x() - plot.left()) / plot.width() * inside.width(),
                     inside.top() + (at.y() - plot.top()) / plot.height() * inside.height());
    };
    for (QAbstractSeries* series : chart_->series()) {
      const QString name = series->objectName();
      if (!series->isVisible() || name == QLatin1String(kExtrapolation) || name.startsWith(QLatin1String("budget"))) {
        continue;
      }
      std::vector<const QXYSeries*> edges;
      if (auto* area = qobject_cast<QAreaSeries*>(series)) {
        edges = {area->upperSeries(), area->lowerSeries()};
      } else if (auto* xy = qobject_cast<QXYSeries*>(series)) {
        edges = {xy};
      }
      const bool markers = qobject_cast<QScatterSeries*>(series) != nullptr;
      for (const QXYSeries* edge : edges) {
        if (edge == nullptr) continue;
        std::vector<QPointF> path;
        for (const QPointF& point : edge->points()) {
          const QPointF at = carry(chart_->mapToPosition(point, series));
          if (markers) {
            paths.push_back({at});
          } else {
            path.push_back(at);
          }
        }
        if (!path.empty()) paths.push_back(std::move(path));
      }
    }
    for (int corner = 0; corner < 4; ++corner) {
      const QRectF box = CornerRect(inside, size, corner).adjusted(-6, -6, 6, 6);
      bool free = true;
      for (const std::vector<QPointF>& path : paths) {
        if (path.size() == 1) free = !box.contains(path[0]);
        for (size_t i = 1; free && i < path.size(); ++i) free = !SegmentMeetsBox(path[i - 1], path[i], box);
        if (!free) break;
      }
      if (free) return corner;
    }
    return -1;
  }

  static bool SegmentMeetsBox(QPointF a, QPointF b, const QRectF& box) {
    if (box.contains(a) || box.contains(b)) return true;
    const QLineF segment(a, b);
    const QLineF sides[] = {{box.topLeft(), box.topRight()},
                            {box.topRight(), box.bottomRight()},
                            {box.bottomRight(), box.bottomLeft()},
                            {box.bottomLeft(), box.topLeft()}};
    for (const QLineF& side : sides) {
      if (segment.intersects(side) == QLineF::BoundedIntersection) return true;
    }
    return false;
  }

  QChart* chart_;
  Qt::Alignment alignment_;  // beside the plot
  bool busy_ = false;
  QSizeF decided_size_;
  int corner_ = -1;
};

}  // namespace

void PlaceLegendInside(QChart* chart) {
  auto* placer = new LegendPlacer(chart);
  placer->Place();
}

QChart* BuildChartSeries(ChartKind kind, const ChartInputs& inputs);

QChart* BuildChart(ChartKind kind, const ChartInputs& inputs) {
  QChart* chart = BuildChartSeries(kind, inputs);
  if (!IsProfileChart(kind)) PlaceLegendInside(chart);
  return chart;
}

QChart* BuildChartSeries(ChartKind kind, const ChartInputs& inputs) {
  switch (kind) {
    case ChartKind::FIT: return BuildFitChart(inputs);
    case ChartKind::ISOFLOP: return BuildIsoflopChart(inputs);
    case ChartKind::FRONTIER: return BuildFrontierChart(inputs);
    case ChartKind::RESIDUALS: return BuildResidualsChart(inputs);
    case ChartKind::ROOFLINE: return BuildRooflineChart(inputs);
    case ChartKind::COLLECTIVES: return BuildCollectivesChart(inputs);
  }
  return BuildFitChart(inputs);
}

void UpdateBudgetMarker(QChart* chart, ChartKind kind, const ChartInputs& inputs) {
  // A law without Chinchilla's form (inputs.allocate) marks the frontier chart, the fit chart where it draws L_opt(C)
  // and the IsoFLOP chart where it has an L(N, D).
  const bool has_marker = inputs.law || (inputs.allocate && (kind == ChartKind::FRONTIER ||
                                                             (kind == ChartKind::FIT && HasLossFrontier(inputs)) ||
                                                             (kind == ChartKind::ISOFLOP && inputs.loss)));
  if (chart == nullptr || !has_marker || kind == ChartKind::ROOFLINE || kind == ChartKind::COLLECTIVES) return;
  auto* marker = FindSeries<QScatterSeries>(chart, kBudgetPoint);
  const bool shown = inputs.budget_flops > 0;
  if (marker != nullptr) {
    marker->setName(shown ? BudgetName(inputs.budget_flops) : QString());
    ShowInLegend(chart, marker, shown);
  }
  if (!shown) {
    if (marker != nullptr) marker->clear();
    if (auto* line = FindSeries<QLineSeries>(chart, kBudgetLine)) line->clear();
    if (auto* curve = FindSeries<QLineSeries>(chart, kBudgetCurve)) curve->clear();
    return;
  }
  // The compute-optimal plan at the budget, or the plan made instead (its own training FLOPs, N, D and loss).
  const Allocation best = inputs.plan  ? *inputs.plan
                          : inputs.law ? inputs.law->ComputeOptimal(inputs.budget_flops)
                                       : inputs.allocate(inputs.budget_flops);
  const double c = inputs.plan ? inputs.plan->compute_flops : inputs.budget_flops;
  if (marker != nullptr) marker->setName(BudgetName(c));
  switch (kind) {
    case ChartKind::FIT: {
      if (!Drawable(best)) {
        if (marker != nullptr) marker->clear();
        break;
      }
      IncludeInAxis(chart, kAxisX, c, c);
      IncludeInAxis(chart, kAxisY, best.loss_nats, best.loss_nats);
      if (marker != nullptr) marker->replace(QList<QPointF>{{c, best.loss_nats}});
      break;
    }
    case ChartKind::FRONTIER: {
      IncludeInAxis(chart, kAxisX, c, c);
      IncludeInAxis(chart, kAxisY, best.num_params, best.num_tokens);
      if (marker != nullptr) marker->replace(QList<QPointF>{{c, best.num_params}, {c, best.num_tokens}});
      if (auto* line = FindSeries<QLineSeries>(chart, kBudgetLine)) {
        const auto [y_lo, y_hi] = AxisRange(chart, kAxisY);
        line->replace(QList<QPointF>{{c, y_lo}, {c, y_hi}});
      }
      break;
    }
    case ChartKind::ISOFLOP: {
      if (!Drawable(best)) {
        if (marker != nullptr) marker->clear();
        if (auto* curve = FindSeries<QLineSeries>(chart, kBudgetCurve)) curve->clear();
        break;
      }
      IncludeInAxis(chart, kAxisX, best.num_params / 4, best.num_params * 4);
      IncludeInAxis(chart, kAxisY, best.loss_nats, best.loss_nats);
      if (marker != nullptr) marker->replace(QList<QPointF>{{best.num_params, best.loss_nats}});
      if (auto* curve = FindSeries<QLineSeries>(chart, kBudgetCurve)) {
        const auto [x_lo, x_hi] = AxisRange(chart, kAxisX);
        QList<QPointF> points;
        points.reserve(kCurvePoints);
        for (double n : LogSpace(std::max(x_lo, best.num_params / kIsoflopSpanFactor),
                                 std::min(x_hi, best.num_params * kIsoflopSpanFactor), kCurvePoints)) {
          const double loss = LawLoss(inputs, n, c / (6.0 * n));
          if (std::isfinite(loss) && loss > 0) points.append({n, loss});
        }
        curve->replace(points);
      }
      break;
    }
    case ChartKind::RESIDUALS:
    case ChartKind::ROOFLINE:
    case ChartKind::COLLECTIVES:
      break;
  }
  RefreshExtrapolationShade(chart);  // the axes may have widened
}

namespace {

// Lays the chart out at the layout size in a scene of its own and paints it `size.scale` times larger.
void PaintChart(QChart* chart, const ExportSize& size, QPainter* painter) {
  QGraphicsScene scene;
  scene.addItem(chart);  // the scene owns (and deletes) the chart
  const QSizeF layout(size.layout_width(), size.layout_height());
  chart->resize(layout);
  // Settle the layout: placing the legend inside the plot area (PlaceLegendInside) asks for another pass.
  for (int pass = 0; pass < 3 && chart->layout() != nullptr; ++pass) chart->layout()->activate();
  scene.setSceneRect(QRectF(QPointF(0, 0), layout));
  painter->setRenderHint(QPainter::Antialiasing);
  painter->setRenderHint(QPainter::TextAntialiasing);
  painter->scale(size.scale, size.scale);
  scene.render(painter, QRectF(QPointF(0, 0), layout), QRectF(QPointF(0, 0), layout));
}

ExportSize UnscaledSize(QSize size) { return ExportSize{size.width(), size.height(), 1.0, kLayoutDpi}; }

}  // namespace

ExportSize PixelExportSize(int width_px, int height_px) {
  ExportSize size;
  size.width_px = width_px;
  size.height_px = height_px;
  size.scale =
      std::min(static_cast<double>(width_px) / kReferenceWidthPx, static_cast<double>(height_px) / kReferenceHeightPx);
  if (!(size.scale > 0)) size.scale = 1.0;
  size.dpi = kLayoutDpi;
  return size;
}

ExportSize InchExportSize(double width_in, double height_in, double dpi) {
  ExportSize size;
  size.width_px = static_cast<int>(std::lround(width_in * dpi));
  size.height_px = static_cast<int>(std::lround(height_in * dpi));
  size.dpi = dpi;
  size.scale = dpi / kLayoutDpi;
  return size;
}

bool CheckExportSize(const ExportSize& size, std::string* why) {
  constexpr int kMinSide = 64, kMaxSide = 16384;
  constexpr double kMinDpi = 36, kMaxDpi = 2400;
  if (!(size.dpi >= kMinDpi && size.dpi <= kMaxDpi)) {
    if (why != nullptr) *why = "the resolution must lie in 36..2400 dots per inch, got " + FormatNumber(size.dpi, 4);
    return false;
  }
  for (int side : {size.width_px, size.height_px}) {
    if (side < kMinSide || side > kMaxSide) {
      if (why != nullptr) {
        *why = "the width and height must come to 64..16384 pixels, got " + std::to_string(size.width_px) + " x " +
               std::to_string(size.height_px);
      }
      return false;
    }
  }
  if (!(size.scale > 0)) {
    if (why != nullptr) *why = "the drawing scale must be positive";
    return false;
  }
  return true;
}

QImage RenderChartImage(ChartKind kind, const ChartInputs& inputs, QSize size) {
  return RenderChartImage(kind, inputs, UnscaledSize(size));
}

QImage RenderChartImage(ChartKind kind, const ChartInputs& inputs, const ExportSize& size) {
  QImage image(QSize(size.width_px, size.height_px), QImage::Format_ARGB32_Premultiplied);
  image.fill(Qt::white);
  const int dots_per_metre = static_cast<int>(std::lround(size.dpi / 0.0254));
  image.setDotsPerMeterX(dots_per_metre);
  image.setDotsPerMeterY(dots_per_metre);
  QPainter painter(&image);
  PaintChart(BuildChart(kind, inputs), size, &painter);
  painter.end();
  return image;
}

bool WriteChartFile(ChartKind kind, const ChartInputs& inputs, const QString& path, QSize size, QString* error) {
  return WriteChartFile(kind, inputs, path, UnscaledSize(size), error);
}

bool RenderChartFile(ChartKind kind, const ChartInputs& inputs, const QString& format, const ExportSize& size,
                     QByteArray* bytes, QString* error) {
  const QString suffix = format.toLower();
  if (suffix != QLatin1String("png") && suffix != QLatin1String("svg")) {
    if (error != nullptr) *error = QStringLiteral("the format must be png or svg, not '%1'").arg(format);
    return false;
  }
  std::string why;
  if (!CheckExportSize(size, &why)) {
    if (error != nullptr) *error = ToQString(why);
    return false;
  }
  bytes->clear();
  QBuffer buffer(bytes);
  buffer.open(QIODevice::WriteOnly);
  bool drawn = false;
  const QSize pixels(size.width_px, size.height_px);
  if (suffix == QLatin1String("png")) {
    drawn = RenderChartImage(kind, inputs, size).save(&buffer, "PNG");
  } else {
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    // The view box is the pixel size; the physical size is width_px / dpi inches. QSvgGenerator writes font sizes
    // in its own resolution's pixels, so it stays at the layout's 96 per inch and the size carries the ratio.
    generator.setSize(QSize(static_cast<int>(std::lround(size.width_px * kLayoutDpi / size.dpi)),
                            static_cast<int>(std::lround(size.height_px * kLayoutDpi / size.dpi))));
    generator.setViewBox(QRect(QPoint(0, 0), pixels));
    generator.setResolution(static_cast<int>(kLayoutDpi));
    // QSvgGenerator writes the title and description verbatim: escape them (a source may read "<bundled ...>").
    generator.setTitle(QStringLiteral("scaleplan: %1").arg(ChartKindTitle(kind)).toHtmlEscaped());
    generator.setDescription(
        QStringLiteral("%1 chart of %2").arg(ChartKindName(kind), ToQString(inputs.source)).toHtmlEscaped());
    QPainter painter;
    if (painter.begin(&generator)) {
      painter.fillRect(QRect(QPoint(0, 0), pixels), Qt::white);
      PaintChart(BuildChart(kind, inputs), size, &painter);
      drawn = painter.end();
    }
  }
  if (!drawn) {
    bytes->clear();
    if (error != nullptr) *error = QStringLiteral("cannot draw the %1 image").arg(suffix);
    return false;
  }
  return true;
}

bool WriteChartFile(ChartKind kind, const ChartInputs& inputs, const QString& path, const ExportSize& size,
                    QString* error) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  if (suffix != QLatin1String("png") && suffix != QLatin1String("svg")) {
    if (error != nullptr) *error = QStringLiteral("%1: the file name must end in .png or .svg").arg(path);
    return false;
  }
  QByteArray bytes;
  QString why;
  if (!RenderChartFile(kind, inputs, suffix, size, &bytes, &why)) {
    if (error != nullptr) *error = QStringLiteral("%1: %2").arg(path, why);
    return false;
  }
  // A link is followed to its file, replaced atomically there; a device or a pipe (/dev/stdout, a FIFO) is written in
  // place (core/file.h): renaming a file over it would turn /dev/full or the pipe into a regular file.
  const OutputTarget target = ResolveOutputTarget(QFile::encodeName(path).toStdString());
  QSaveFile save_file(QFile::decodeName(QByteArray::fromStdString(target.path)));
  QFile direct_file(QFile::decodeName(QByteArray::fromStdString(target.path)));
  QFileDevice& file = target.direct ? static_cast<QFileDevice&>(direct_file) : save_file;
  if (!file.open(QIODevice::WriteOnly)) {
    if (error != nullptr) *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
    return false;
  }
  const bool written = file.write(bytes) == bytes.size();
  const bool committed = written && (target.direct ? direct_file.flush() && direct_file.error() == QFileDevice::NoError
                                                   : save_file.commit());
  if (!committed) {
    if (!target.direct && !written) save_file.cancelWriting();
    if (error != nullptr) *error = QStringLiteral("%1: cannot write: %2").arg(path, file.errorString());
    return false;
  }
  return true;
}

std::vector<const LayoutEstimate*> BreakdownLayouts(const FrontierPlan& plan) {
  std::vector<const LayoutEstimate*> layouts;
  for (const LayoutEstimate& estimate : plan.search.best) layouts.push_back(&estimate);
  if (layouts.empty() && plan.search.least_memory) layouts.push_back(&*plan.search.least_memory);
  return layouts;
}

namespace {

// Tableau-like colours, one per part of a breakdown.
const QColor kPartColours[kBreakdownParts] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                              QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                              QColor(127, 127, 127)};

// A stacked bar chart of `parts` (name and the value of each layout), with the layouts as categories.
QChart* StackedBreakdown(const QString& title, const QString& unit, const std::vector<const LayoutEstimate*>& layouts,
                         const std::vector<std::pair<QString, std::vector<double>>>& parts, double line_value,
                         const QString& line_name) {
  QChart* chart = NewChart(title);
  // Seven short names down the right: a dock is too narrow for them in one row below.
  QFont legend_font = chart->legend()->font();
  legend_font.setPointSizeF(legend_font.pointSizeF() * 0.85);
  chart->legend()->setFont(legend_font);
  chart->legend()->setMarkerShape(QLegend::MarkerShapeRectangle);
  auto* series = new QStackedBarSeries;
  series->setObjectName("breakdown");
  double top = line_value;
  std::vector<double> totals(layouts.size(), 0.0);
  for (size_t part = 0; part < parts.size(); ++part) {
    auto* set = new QBarSet(parts[part].first);
    set->setColor(kPartColours[part % kBreakdownParts]);
    set->setBorderColor(kPartColours[part % kBreakdownParts]);
    for (size_t i = 0; i < layouts.size(); ++i) {
      set->append(parts[part].second[i]);
      totals[i] += parts[part].second[i];
    }
    series->append(set);
  }
  for (double total : totals) top = std::max(top, total);
  chart->addSeries(series);
  QStringList categories;
  for (size_t i = 0; i < layouts.size(); ++i) {
    categories << (layouts[i]->feasible ? QStringLiteral("#%1").arg(i + 1) : QStringLiteral("closest"));
  }
  auto* x = new QBarCategoryAxis;
  x->setObjectName("layouts");
  x->append(categories);
  x->setLabelsFont(legend_font);
  x->setTruncateLabels(false);  // "#1" is never elided to "..."
  chart->addAxis(x, Qt::AlignBottom);
  series->attachAxis(x);
  auto* y = new QValueAxis;
  y->setObjectName("value");
  y->setTitleText(unit);
  y->setTitleFont(legend_font);
  y->setLabelsFont(legend_font);
  y->setLabelFormat(QStringLiteral("%.3g"));
  y->setRange(0.0, top > 0.0 ? top * 1.08 : 1.0);
  y->applyNiceNumbers();
  chart->addAxis(y, Qt::AlignLeft);
  series->attachAxis(y);
  if (line_value > 0.0 && !layouts.empty()) {
    QLineSeries* line = Curve(line_name, kBudgetColour, 2.0, Qt::DashLine);
    line->setObjectName("usable");
    line->append(-0.5, line_value);
    line->append(static_cast<double>(layouts.size()) - 0.5, line_value);
    chart->addSeries(line);
    line->attachAxis(x);
    line->attachAxis(y);
  }
  return chart;
}

}  // namespace

QChart* BuildStepTimeChart(const FrontierPlan& plan) {
  const std::vector<const LayoutEstimate*> layouts = BreakdownLayouts(plan);
  std::vector<std::pair<QString, std::vector<double>>> parts = {
      {QStringLiteral("compute"), {}}, {QStringLiteral("TP"), {}}, {QStringLiteral("PP"), {}},
      {QStringLiteral("DP"), {}},      {QStringLiteral("EP"), {}}, {QStringLiteral("CP"), {}},
      {QStringLiteral("bubble"), {}}};
  for (const LayoutEstimate* estimate : layouts) {
    const StepBreakdown& step = estimate->step;
    const double values[kBreakdownParts] = {step.compute_seconds, step.tp_comm_seconds, step.pp_comm_seconds,
                                            step.dp_comm_seconds, step.ep_comm_seconds, step.cp_comm_seconds,
                                            step.bubble_seconds};
    for (int part = 0; part < kBreakdownParts; ++part) parts[part].second.push_back(values[part]);
  }
  return StackedBreakdown(QStringLiteral("Step time"), QStringLiteral("seconds per step"), layouts, parts, 0.0,
                          QString());
}

QChart* BuildMemoryChart(const FrontierPlan& plan) {
  const std::vector<const LayoutEstimate*> layouts = BreakdownLayouts(plan);
  std::vector<std::pair<QString, std::vector<double>>> parts = {
      {QStringLiteral("weights"), {}},     {QStringLiteral("gradients"), {}}, {QStringLiteral("optimizer"), {}},
      {QStringLiteral("activations"), {}}, {QStringLiteral("logits"), {}},    {QStringLiteral("gathered"), {}},
      {QStringLiteral("buffers"), {}}};
  double usable_bytes = 0.0;
  for (const LayoutEstimate* estimate : layouts) {
    const MemoryBreakdown& memory = estimate->memory;
    const double values[kBreakdownParts] = {memory.weight_bytes,     memory.gradient_bytes, memory.optimizer_bytes,
                                            memory.activation_bytes, memory.logit_bytes,
                                            memory.gathered_weight_bytes, memory.buffer_bytes};
    for (int part = 0; part < kBreakdownParts; ++part) parts[part].second.push_back(values[part] / 1e9);
    usable_bytes = std::max(usable_bytes, estimate->usable_memory_bytes);
  }
  return StackedBreakdown(QStringLiteral("Memory per device"), QStringLiteral("GB"), layouts, parts,
                          usable_bytes / 1e9, QStringLiteral("usable"));
}

}  // namespace scaleplan::gui
