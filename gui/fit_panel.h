// The Fit dock: binds the fit options (law, Huber delta, start grid, starts, exhaustive), runs FitChinchilla off the
// UI thread (QtConcurrent + QFutureWatcher) with progress and cancel, and shows the result.
//
// Bootstrap refits (fitting/bootstrap.h), when asked for, run in the same background task after the fit and give the
// results table its intervals. Cancel stops the progress reports and discards the result; the work already handed
// to the solver finishes in the background (the fitting library has no cancellation point yet).
#ifndef SCALEPLAN_GUI_FIT_PANEL_H_
#define SCALEPLAN_GUI_FIT_PANEL_H_

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QWidget>
#include <optional>
#include <string>
#include <vector>

#include "core/runs_table.h"
#include "fitting/chinchilla_fit.h"
#include "gui/law_fit.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
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
  std::optional<LawFitResult> law_fit;           // any law but the Approach-3 fit (gui/law_fit.h)
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

  // The chosen law (a LawChoice key, or kOpenedFitLaw after OpenFit), and the custom expression with its parameter
  // ranges ("NAME=LO:HI:STEP" or "NAME=VALUE", one per parameter).
  std::string LawKey() const;
  // Chooses a law (false for an unknown key, which changes nothing); the fit starts as when chosen in the selector.
  bool SetLawKey(const std::string& key);
  std::string ExpressionText() const;
  std::vector<std::string> ExpressionParams() const;
  void SetExpression(const std::string& text, const std::vector<std::string>& params);
  // The parser's located error for the expression field as shown under it ("" when it parses).
  QString ExpressionErrorText() const;

  // A saved fit (`scaleplan fit --out`, any law that plans) read from `path` becomes the law: the selector shows it,
  // the table its coefficients, and FitFinished(true) is emitted. A file that does not read or does not plan changes
  // nothing and returns false with the reader's message. A moe fit returns at once and becomes the law when its
  // frontier (MoeFrontier, about 1 s) is computed on a pool thread, as krajewski2024's is: until then IsFitting()
  // and the previous law stays (CancelFit keeps it).
  bool OpenFit(const QString& path, QString* error);
  // The opened fit's path ("" when the law is not an opened fit).
  const QString& opened_fit_path() const { return opened_fit_path_; }

  // The file the runs were read from ("" = bundled) and how: a data-constrained fit reads its unique tokens, and an
  // expression its other columns, from it.
  void SetRunsFile(const std::string& path, const RunsColumns& columns);

  // The last usable fit of any law but Approach 3 (nullopt otherwise).
  const std::optional<LawFitResult>& law_fit() const { return law_fit_; }

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
  void OnLawChosen();
  void UpdateLawRows();  // the expression's rows only for the custom expression
  void ShowLawResults();
  void ShowOpenedFit(const QString& path);  // the selector's "Opened: FILE" entry, chosen

  RunsModel* model_;
  QComboBox* law_;
  QLineEdit* expression_;
  QLineEdit* expression_params_;
  QLabel* expression_error_;
  QFormLayout* form_ = nullptr;
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
  // A fit was started and neither finished nor cancelled. The watcher's own state cannot say: a fit queued behind a
  // cancelled one on the pool has not started (isRunning() is false), and a QtConcurrent::run task cannot be
  // cancelled, so its result would arrive after CancelFit.
  bool fit_pending_ = false;
  QElapsedTimer clock_;
  std::optional<ChinchillaFit> fit_;
  std::optional<ChinchillaBootstrap> bootstrap_result_;
  RunsTable fitted_runs_;
  std::optional<LawFitResult> law_fit_;
  QString opened_fit_path_;
  QString pending_open_path_;  // a moe fit opened while its frontier is computed ("" when none)
  std::string runs_path_;
  RunsColumns runs_columns_;
};

// The selector's entry for a fit opened from a file (File > Open fit...).
inline constexpr const char* kOpenedFitLaw = kOpenedFitLawKey;

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_FIT_PANEL_H_
