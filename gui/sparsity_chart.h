// The Plan dock's sparse model: a sparsity input and a sparse-training method over the weight-sparse law of Frantar et
// al. 2023 (the notebook's T5 coefficients, D = steps x 65,536 tokens; core/sparse_laws.h), the compute-optimal
// sparse plan at the dock's budget beside the dense plan, and a chart of loss against sparsity at that budget: the
// method's curve (core MakeSparsityCurve), the dense plan's loss, the chosen sparsity and the optimum over
// [0, 0.99]. All numbers come from core's PlanSparseAtSparsity and PlanOptimalSparsity, as `scaleplan plan
// --sparsity` and `--optimal-sparsity` print them.
#ifndef SCALEPLAN_GUI_SPARSITY_CHART_H_
#define SCALEPLAN_GUI_SPARSITY_CHART_H_

#include <QGroupBox>

#include "core/sparse_laws.h"

class QChart;
class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;

namespace scaleplan::gui {

// The series' object names, for tests and exports.
inline constexpr char kSparsityCurveSeries[] = "sparsity_curve";      // loss of the compute-optimal plan at each S
inline constexpr char kSparsityDenseSeries[] = "sparsity_dense";      // the dense plan's loss, a horizontal line
inline constexpr char kSparsityChosenSeries[] = "sparsity_chosen";    // one point: the chosen S
inline constexpr char kSparsityOptimumSeries[] = "sparsity_optimum";  // one point: the optimum over S

// A new chart (the caller owns it) of loss against sparsity; `chosen` is the plan at the input's sparsity.
QChart* BuildSparsityChart(const SparsityCurve& curve, const SparsePlan& chosen);

class SparsityBox : public QGroupBox {
  Q_OBJECT

 public:
  explicit SparsityBox(QWidget* parent = nullptr);

  // The budget in FLOPs the method executes (the Plan dock's); non-positive or non-finite budgets are ignored.
  void SetBudget(double budget_flops);
  double budget_flops() const { return budget_flops_; }

  double sparsity() const;
  void SetSparsity(double sparsity);  // clamped to the input's [0, 0.99]
  SparseMethod method() const;

  const SparsityCurve& curve() const { return curve_; }
  const SparsePlan& plan() const { return plan_; }  // at sparsity()
  QChart* chart() const;

 signals:
  void PlanChanged();

 private:
  void Recompute();

  double budget_flops_;
  SparseLaw law_;
  SparsityCurve curve_;
  SparsePlan plan_;

  QDoubleSpinBox* sparsity_;
  QComboBox* method_;
  QLabel* nonzero_params_;
  QLabel* params_;
  QLabel* tokens_;
  QLabel* loss_;
  QLabel* optimum_;
  QLabel* note_;
  QChartView* view_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_SPARSITY_CHART_H_
