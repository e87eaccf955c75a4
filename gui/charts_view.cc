#include "gui/charts_view.h"

#include <QAbstractAxis>
#include <QAction>
#include <QChart>
#include <QChartView>
#include <QCursor>
#include <QGraphicsItem>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsTextItem>
#include <QKeySequence>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QToolTip>

#include "core/units.h"

namespace scaleplan::gui {
namespace {

size_t Index(ChartKind kind) { return static_cast<size_t>(kind); }

// "1.23e+20" for FLOPs, "1.2B" for counts, plain decimals otherwise, by the axis the value sits on.
QString AxisValue(const QAbstractAxis* axis, double value) {
  if (qobject_cast<const QLogValueAxis*>(axis) != nullptr) {
    return QString::fromStdString(value >= 1e18 ? FormatScientific(value, 3) : FormatQuantity(value, 3));
  }
  return QString::number(value, 'g', 4);
}

QString AxisTitle(const QChart* chart, Qt::Orientation orientation) {
  for (const QAbstractAxis* axis : chart->axes(orientation)) {
    if (!axis->titleText().isEmpty()) return axis->titleText();
  }
  return QString();
}

}  // namespace

ChartsView::ChartsView(QWidget* parent) : QTabWidget(parent) {
  setObjectName("charts");
  setDocumentMode(true);
  for (ChartKind kind : kAllChartKinds) {
    auto* view = new QChartView;
    view->setObjectName(QStringLiteral("chart_%1").arg(ChartKindName(kind)));
    view->setRenderHint(QPainter::Antialiasing);
    views_[Index(kind)] = view;
    addTab(view, ChartKindTitle(kind));
  }
  log_loss_ = new QAction(tr("&Log loss axis"), this);
  log_loss_->setObjectName("log_loss");
  log_loss_->setCheckable(true);
  log_loss_->setShortcut(QKeySequence(tr("Ctrl+L")));
  log_loss_->setToolTip(tr("Draw the loss on a logarithmic axis (loss against compute, IsoFLOP profiles)"));
  connect(log_loss_, &QAction::toggled, this, &ChartsView::SetLogLoss);
  UpdateProfileTabs();
}

void ChartsView::SetLogLoss(bool log_loss) {
  if (log_loss_->isChecked() != log_loss) log_loss_->setChecked(log_loss);  // comes back here through toggled
  if (inputs_.log_loss == log_loss) return;
  inputs_.log_loss = log_loss;
  Rebuild(ChartKind::FIT);
  Rebuild(ChartKind::ISOFLOP);
}

// The profile charts' tabs show only what there is to draw: the roofline with a profile, the interconnect with a
// profile that has collectives.
void ChartsView::UpdateProfileTabs() {
  setTabVisible(static_cast<int>(Index(ChartKind::ROOFLINE)), inputs_.profile.has_value());
  setTabVisible(static_cast<int>(Index(ChartKind::COLLECTIVES)),
                inputs_.profile.has_value() && HasCollectiveMeasurements(*inputs_.profile));
}

void ChartsView::SetInputs(const ChartInputs& inputs) {
  std::optional<HardwareProfile> profile = std::move(inputs_.profile);
  std::optional<Allocation> plan = std::move(inputs_.plan);
  inputs_ = inputs;
  inputs_.log_loss = log_loss_->isChecked();
  if (!inputs_.profile) inputs_.profile = std::move(profile);
  if (!inputs_.plan) inputs_.plan = std::move(plan);
  for (ChartKind kind : kAllChartKinds) Rebuild(kind);
  UpdateProfileTabs();
}

void ChartsView::SetProfile(const std::optional<HardwareProfile>& profile) {
  inputs_.profile = profile;
  Rebuild(ChartKind::ROOFLINE);
  Rebuild(ChartKind::COLLECTIVES);
  UpdateProfileTabs();
}

void ChartsView::Rebuild(ChartKind kind) {
  QChartView* view = views_[Index(kind)];
  QChart* old_chart = view->chart();
  QChart* chart = BuildChart(kind, inputs_);
  view->setChart(chart);  // the view owns the new chart and releases the old one
  delete old_chart;
  // Cache the drawn items but the text: when the slider moves only the budget marker's cache is redrawn. Qt Charts
  // lays its text out again after a rebuild (title, axis titles, tick labels, legend labels are QGraphicsTextItems
  // whose QTextDocument repaints them), and a device-coordinate cache on those items kept a pixmap without the
  // text: a chart rebuilt while shown lost every label until its tab was shown again (tests/gui/chart_redraw_test).
  QList<QGraphicsItem*> items = chart->childItems();
  while (!items.isEmpty()) {
    QGraphicsItem* item = items.takeLast();
    items.append(item->childItems());
    if (item->type() == QGraphicsTextItem::Type || item->type() == QGraphicsSimpleTextItem::Type) continue;
    item->setCacheMode(QGraphicsItem::DeviceCoordinateCache);
  }
  ConnectHoverTips(chart);
}

void ChartsView::SetPlanPoint(const std::optional<Allocation>& plan) {
  const auto same = [](const Allocation& a, const Allocation& b) {
    return a.num_params == b.num_params && a.num_tokens == b.num_tokens && a.compute_flops == b.compute_flops &&
           a.loss_nats == b.loss_nats;
  };
  if (plan.has_value() == inputs_.plan.has_value() && (!plan || same(*plan, *inputs_.plan))) return;
  inputs_.plan = plan;
  for (ChartKind kind : kAllChartKinds) UpdateBudgetMarker(views_[Index(kind)]->chart(), kind, inputs_);
}

void ChartsView::SetBudget(double budget_flops) {
  inputs_.budget_flops = budget_flops;
  for (ChartKind kind : kAllChartKinds) UpdateBudgetMarker(views_[Index(kind)]->chart(), kind, inputs_);
}

ChartKind ChartsView::CurrentKind() const {
  const int index = currentIndex();
  return index >= 0 && index < static_cast<int>(std::size(kAllChartKinds)) ? kAllChartKinds[index] : ChartKind::FIT;
}

void ChartsView::SetCurrentKind(ChartKind kind) { setCurrentIndex(static_cast<int>(Index(kind))); }

QChart* ChartsView::Chart(ChartKind kind) const { return views_[Index(kind)]->chart(); }

int ChartsView::RunLineAt(const QScatterSeries* series, const QPointF& point) const {
  const std::vector<int> lines = SeriesRunLines(series);
  const QList<QPointF> points = series->points();
  if (lines.size() != static_cast<size_t>(points.size())) return -1;
  for (qsizetype i = 0; i < points.size(); ++i) {
    if (points[i] == point) return lines[static_cast<size_t>(i)];
  }
  return -1;
}

QString ChartsView::PointTip(QScatterSeries* series, const QPointF& point) const {
  if (const int line = RunLineAt(series, point); line >= 0) {
    for (const TrainingRun& run : inputs_.runs) {
      if (run.line == line) return RunTipText(run);
    }
  }
  const QAbstractAxis* x_axis = nullptr;
  const QAbstractAxis* y_axis = nullptr;
  for (const QAbstractAxis* axis : series->attachedAxes()) {
    (axis->orientation() == Qt::Horizontal ? x_axis : y_axis) = axis;
  }
  const QChart* chart = series->chart();
  QString text = series->name().isEmpty() ? QString() : series->name() + '\n';
  text += QStringLiteral("%1: %2\n%3: %4")
              .arg(AxisTitle(chart, Qt::Horizontal), AxisValue(x_axis, point.x()), AxisTitle(chart, Qt::Vertical),
                   AxisValue(y_axis, point.y()));
  return text;
}

void ChartsView::ConnectHoverTips(QChart* chart) {
  for (QAbstractSeries* series : chart->series()) {
    auto* scatter = qobject_cast<QScatterSeries*>(series);
    if (scatter == nullptr) continue;
    connect(scatter, &QScatterSeries::hovered, chart, [this, scatter](const QPointF& point, bool inside) {
      if (!inside) {
        QToolTip::hideText();
        return;
      }
      QToolTip::showText(QCursor::pos(), PointTip(scatter, point));
    });
    connect(scatter, &QScatterSeries::clicked, chart, [this, scatter](const QPointF& point) {
      if (const int line = RunLineAt(scatter, point); line >= 0) emit RunClicked(line);
    });
  }
}

}  // namespace scaleplan::gui
