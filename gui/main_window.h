// The desktop planner's window: chart tabs in the middle; Runs, Fit, Plan, Dictionary, Hardware and Cluster /
// Layout docks (View menu); sessions and exports in the File menu. It starts with the bundled runs loaded and fits them in the
// background. A hardware profile (measured or loaded in the Hardware dock) gets a roofline tab and, when asked,
// feeds its measured peaks to the Plan and Dictionary docks.
#ifndef SCALEPLAN_GUI_MAIN_WINDOW_H_
#define SCALEPLAN_GUI_MAIN_WINDOW_H_

#include <QMainWindow>
#include <QSize>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/chinchilla_law.h"
#include "core/plan.h"
#include "core/runs_table.h"

class QDockWidget;
class QLabel;

namespace scaleplan::gui {

class ChartsView;
struct ExportSize;
class ClusterPanel;
class DictionaryPanel;
class FitPanel;
class HardwarePanel;
class PlanPanel;
class RunsModel;
class RunsPanel;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

  // Shows the window at its preferred 1480 x 940 when that fits the screen's free area with the window manager's
  // title bar and borders, and maximised otherwise: the window manager then fits the frame to the free area, so the
  // status bar is never below the screen (a 1366 x 768 laptop).
  void ShowOnScreen();

  RunsModel* runs_model() const { return model_; }
  RunsPanel* runs_panel() const { return runs_panel_; }
  FitPanel* fit_panel() const { return fit_panel_; }
  PlanPanel* plan_panel() const { return plan_panel_; }
  DictionaryPanel* dictionary_panel() const { return dictionary_panel_; }
  HardwarePanel* hardware_panel() const { return hardware_panel_; }
  ClusterPanel* cluster_panel() const { return cluster_panel_; }
  ChartsView* charts() const { return charts_; }

  // Each returns false with the reason in *error (and shown inline) instead of throwing.
  bool ImportRunsCsv(const QString& path, const RunsColumns& columns);
  bool SaveSession(const QString& path, QString* error);
  bool LoadSession(const QString& path, QString* error);
  bool ExportChart(const QString& path, QSize size, QString* error);  // at the window's scale (96 DPI)
  bool ExportChart(const QString& path, const ExportSize& size, QString* error);
  bool ExportPlan(const QString& path, QString* error);
  // File > Open fit...: a saved fit (`scaleplan fit --out`, any law that plans) becomes the law of the plan and the
  // charts, as `scaleplan plan --fit`. A file that does not read or plan leaves everything as it was.
  bool OpenFit(const QString& path, QString* error);

 signals:
  // A fit finished (at start-up, after an import, or from the Fit button); false when it failed.
  void Fitted(bool usable);

 private:
  void BuildMenus();
  void OnTableReplaced();
  void OnFitFinished(bool usable);
  void RefreshCharts();
  void OnProfileChanged();
  void ShowMessage(const QString& text, bool is_error);
  void ChooseSessionToOpen();
  void ChooseSessionToSave();
  void ChooseChartExport();
  void ChoosePlanExport();
  void ChooseFitToOpen();
  // Shows a README section in the help window (one, reused).
  void ShowHelp(const QString& title, const QString& markdown);

  RunsModel* model_;
  RunsPanel* runs_panel_;
  FitPanel* fit_panel_;
  PlanPanel* plan_panel_;
  DictionaryPanel* dictionary_panel_;
  HardwarePanel* hardware_panel_;
  ClusterPanel* cluster_panel_;
  ChartsView* charts_;
  QDockWidget* runs_dock_;
  QDockWidget* fit_dock_;
  QDockWidget* plan_dock_;
  QDockWidget* dictionary_dock_;
  QDockWidget* hardware_dock_;
  QDockWidget* cluster_dock_;
  QLabel* message_;
  std::optional<ChinchillaLaw> law_;      // the fit of the current table, once there is one (a law's Chinchilla form)
  std::optional<PlanLaw> plan_law_;       // any other law chosen in the Fit dock or opened (gui/law_fit.h)
  std::map<int, double> predicted_loss_;  // its loss on each run, by file line, when it has no Chinchilla form
  double charts_unique_tokens_ = 0;       // the unique-token limit a data-constrained law was charted at (0: none)
  std::vector<Allocation> moe_frontier_;  // the published fine-grained MoE law's plans, when it is chosen
  double huber_delta_ = 1e-3;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_MAIN_WINDOW_H_
