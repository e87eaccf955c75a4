// The central chart tabs: one QChartView per ChartKind, built by BuildChart (gui/charts.h) from the runs model and
// the fit, with the plan's budget marked, and the roofline of the hardware profile (its tab shows only when there
// is a profile).
#ifndef SCALEPLAN_GUI_CHARTS_VIEW_H_
#define SCALEPLAN_GUI_CHARTS_VIEW_H_

#include <array>

#include <QTabWidget>

#include "gui/charts.h"

class QChartView;

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

 private:
  void ConnectHoverTips(QChart* chart);
  void Rebuild(ChartKind kind);
  void UpdateProfileTabs();

  std::array<QChartView*, std::size(kAllChartKinds)> views_{};
  ChartInputs inputs_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_CHARTS_VIEW_H_
