// The central chart tabs: one QChartView per ChartKind, built by BuildChart (gui/charts.h) from the runs model and
// the fit, with the plan's budget marked, and the roofline of the hardware profile (its tab shows only when there
// is a profile).
#ifndef SCALEPLAN_GUI_CHARTS_VIEW_H_
#define SCALEPLAN_GUI_CHARTS_VIEW_H_

#include <array>

#include <QTabWidget>

#include "gui/charts.h"

class QChartView;
class QAction;
class QScatterSeries;

namespace scaleplan::gui {

class ChartsView : public QTabWidget {
  Q_OBJECT

 public:
  explicit ChartsView(QWidget* parent = nullptr);

  // Rebuilds every chart (new runs, exclusions or a new fit); the budget marker keeps inputs.budget_flops.
  void SetInputs(const ChartInputs& inputs);
  // Rebuilds the roofline for `profile` (nullopt: no profile, the tab is hidden). SetInputs keeps it.
  void SetProfile(const std::optional<HardwareProfile>& profile);
  // Moves the budget markers only.
  void SetBudget(double budget_flops);
  // Puts the markers where a plan other than the compute-optimal one is (ChartInputs::plan); nullopt: at the
  // compute-optimal plan of the budget. Cheap when nothing changes.
  void SetPlanPoint(const std::optional<Allocation>& plan);
  const ChartInputs& inputs() const { return inputs_; }

  ChartKind CurrentKind() const;
  void SetCurrentKind(ChartKind kind);
  QChart* Chart(ChartKind kind) const;
  QChartView* View(ChartKind kind) const { return views_[static_cast<size_t>(kind)]; }

  // Loss axes logarithmic (ChartInputs::log_loss): rebuilds the loss charts. The checkable action "Log loss axis"
  // (in the window's View menu) follows it.
  void SetLogLoss(bool log_loss);
  bool log_loss() const { return inputs_.log_loss; }
  QAction* log_loss_action() const { return log_loss_; }

  // The hover text of `point` of `series`: for a run's point, RunTipText (its line, N, D, C and loss); else the
  // series' name and the point's coordinates. The file line of the run behind `point`, or -1.
  QString PointTip(QScatterSeries* series, const QPointF& point) const;
  int RunLineAt(const QScatterSeries* series, const QPointF& point) const;

 signals:
  // A run's point was clicked (its file line): the window selects that run in the runs table.
  void RunClicked(int line);

 private:
  void ConnectHoverTips(QChart* chart);
  void Rebuild(ChartKind kind);
  void UpdateProfileTabs();

  std::array<QChartView*, std::size(kAllChartKinds)> views_{};
  QAction* log_loss_;
  ChartInputs inputs_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_CHARTS_VIEW_H_
