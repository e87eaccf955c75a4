// The Fit dock: binds the fit options (law, Huber delta, start grid, starts, exhaustive), runs FitChinchilla off the
// UI thread (QtConcurrent + QFutureWatcher) with progress and cancel, and shows the result.
//
// Bootstrap refits (fitting/bootstrap.h), when asked for, run in the same background task after the fit and give the
// results table its intervals. Cancel stops the progress reports and discards the result; the work already handed
// to the solver finishes in the background (the fitting library has no cancellation point yet).
#ifndef SCALEPLAN_GUI_FIT_PANEL_H_
#define SCALEPLAN_GUI_FIT_PANEL_H_

#include <optional>
#include <string>

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QWidget>

#include "core/runs_table.h"
#include "fitting/chinchilla_fit.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace scaleplan::gui {

class RunsModel;

// What a background fit hands back to the UI thread: a fit, or the message of the input error that stopped it.
struct FitOutcome {
  std::optional<ChinchillaFit> fit;
  std::optional<ChinchillaBootstrap> bootstrap;  // when bootstrap refits were asked for and the fit is usable
  std::string error;
  RunsTable runs;  // the runs fitted
};

class FitPanel : public QWidget {
  Q_OBJECT

 public:
  explicit FitPanel(RunsModel* model, QWidget* parent = nullptr);
  ~FitPanel() override;

  // The options as bound from the widgets; false with the reason (naming the field) when one does not check.
  bool ReadOptions(MultiStartOptions* options, InitGrid* grid, std::string* why) const;
  // The bootstrap refits asked for (0 = none) and their options; false with the reason when they do not check.
  bool ReadBootstrap(std::optional<BootstrapOptions>* options, std::string* why) const;
  int BootstrapCount() const;
  void SetBootstrapCount(int count);
  std::string GridSpec() const;
  void SetOptions(const MultiStartOptions& options, const std::string& grid_spec);

  // The last usable fit (nullopt before the first one finishes, or when the last one failed).
  const std::optional<ChinchillaFit>& fit() const { return fit_; }
  // The runs that fit saw.
  const RunsTable& fitted_runs() const { return fitted_runs_; }
  // The bootstrap of that fit, when one was asked for.
  const std::optional<ChinchillaBootstrap>& bootstrap() const { return bootstrap_result_; }
  bool IsFitting() const;

  // What the Fit and Cancel buttons do.
  void StartFit();
  void CancelFit();

 signals:
  // A fit finished (not cancelled); `usable` is false when it failed or did not converge (the status says why, and
  // fit() is nullopt).
  void FitFinished(bool usable);

 private:
  void OnFitDone();
  void ShowResults();
  // A fit that failed: clears the results table and says so with `verdict` (the error or the solver's status).
  void ShowNoFit(const QString& verdict);
  void SetStatus(const QString& text, bool is_error);
  void SetBusy(bool busy);

  RunsModel* model_;
  QComboBox* law_;
  QLineEdit* delta_;
  QLineEdit* grid_;
  QSpinBox* starts_;
  QCheckBox* exhaustive_;
  QSpinBox* bootstrap_;
  QPushButton* fit_button_;
  QPushButton* cancel_button_;
  QProgressBar* progress_;
  QLabel* status_;
  QTableWidget* results_;
  QFutureWatcher<FitOutcome> watcher_;
  QElapsedTimer clock_;
  std::optional<ChinchillaFit> fit_;
  std::optional<ChinchillaBootstrap> bootstrap_result_;
  RunsTable fitted_runs_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_FIT_PANEL_H_
