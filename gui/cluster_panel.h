// The Cluster / Layout dock: the cluster stage of a plan. Inputs: the architecture (a bundled one, or the shape
// proposed for the Plan panel's N and D), training tokens, accelerator, device count (auto = the fewest that finish
// within the target days), target days, precision and global batch (empty = the default law). Output: the plan's
// summary (devices, days, GPU-hours, cost, whether it fits and meets the days, the reasons when not), its best
// layouts in a table and their step-time and memory breakdowns as stacked bar charts (gui/charts.h).
//
// Everything shown comes from PlanCluster (gui/cluster_plan.h), i.e. PlanFrontier, the function behind
// `scaleplan plan --accelerator NAME`. A count search takes a tenth of a second or more, so every plan runs on a
// pool thread (QtConcurrent + QFutureWatcher); an input that changes while a plan runs makes that plan stale: its
// result is dropped and the current inputs are planned when it ends.
#ifndef SCALEPLAN_GUI_CLUSTER_PANEL_H_
#define SCALEPLAN_GUI_CLUSTER_PANEL_H_

#include <optional>
#include <string>

#include <QFutureWatcher>
#include <QWidget>

#include "gui/cluster_plan.h"

class QChartView;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;
class QTableWidget;

namespace scaleplan::gui {

// What a background plan hands back: the plan, or why there is none.
struct ClusterOutcome {
  std::optional<ClusterPlan> plan;
  std::string error;
};

class ClusterPanel : public QWidget {
  Q_OBJECT

 public:
  // The table's columns, in order.
  enum Column {
    TP, PP, VIRTUAL, DP, CP, EP, MICRO_BATCHES, ZERO, RECOMPUTATION, MFU, STEP_SECONDS, DAYS, GPU_HOURS, COST,
    NUM_COLUMNS
  };

  explicit ClusterPanel(QWidget* parent = nullptr);
  ~ClusterPanel() override;

  // As bound from the widgets; false with the reason when a field does not parse.
  bool ReadSettings(ClusterSettings* settings, std::string* why) const;
  ClusterSettings Settings() const;  // what ReadSettings gives, the defaults for fields that do not parse
  void SetSettings(const ClusterSettings& settings);

  // The Plan panel's recommendation, for the proposed architecture (0, 0 = none yet).
  void SetPlanModel(double num_params, double num_tokens);

  // The plan shown (nullopt before the first one and when the inputs do not check).
  const std::optional<ClusterPlan>& plan() const { return plan_; }
  bool IsPlanning() const;
  QString ErrorText() const;

 signals:
  // The current inputs have been planned (or found not to check) and what is shown is up to date.
  void PlanShown();

 private:
  void OnInputsChanged();
  void OnArchitectureChanged();
  void StartPlan(const ClusterSettings& settings);
  void OnPlanDone();
  void ShowPlan();
  void ShowError(const QString& text);

  QComboBox* architecture_;
  QLabel* model_;
  QLineEdit* tokens_;
  QComboBox* accelerator_;
  QSpinBox* devices_;
  QDoubleSpinBox* days_;
  QComboBox* precision_;
  QLineEdit* batch_;
  QLabel* error_;
  QLabel* summary_;
  QLabel* reasons_;
  QLabel* status_;
  QTableWidget* layouts_;
  QChartView* step_chart_;
  QChartView* memory_chart_;
  QFutureWatcher<ClusterOutcome> watcher_;
  bool running_ = false;  // a plan is running on the pool
  bool stale_ = false;    // the inputs changed while it ran
  double plan_num_params_ = 0.0;
  double plan_num_tokens_ = 0.0;
  std::optional<ClusterPlan> plan_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_CLUSTER_PANEL_H_
