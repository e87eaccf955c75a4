// The Runs dock: the runs table (RunsModel), CSV import through the column-mapping dialog, excluding and
// restoring rows, and load errors shown inline.
#ifndef SCALEPLAN_GUI_RUNS_PANEL_H_
#define SCALEPLAN_GUI_RUNS_PANEL_H_

#include <QWidget>
#include <string>
#include <vector>

#include "core/runs_table.h"

class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace scaleplan::gui {

class RunsModel;

class RunsPanel : public QWidget {
  Q_OBJECT

 public:
  explicit RunsPanel(RunsModel* model, QWidget* parent = nullptr);

  // Loads `path` with `columns` into the model. On bad input the error is shown inline, the model keeps its runs
  // and the result is false.
  bool ImportCsv(const QString& path, const RunsColumns& columns);
  // Replaces the runs with the bundled Chinchilla runs.
  void LoadBundled();

  // "" for the bundled runs.
  const std::string& runs_path() const { return runs_path_; }
  const RunsColumns& columns() const { return columns_; }
  QString ErrorText() const;

  // Asks for a file and its column mapping, then imports it.
  void ChooseAndImport();

  // Selects the run read from file line `line` in the table and scrolls to it (a click on its point in a chart).
  // False when no run has that line.
  bool SelectRun(int line);
  // The file lines of the selected rows, in the table's order.
  std::vector<int> SelectedLines() const;

 signals:
  // The runs were replaced (not just rows excluded): a new fit is due.
  void TableReplaced();

 private:
  void ExcludeSelected(bool excluded);
  void ShowError(const QString& text);
  void UpdateSummary();
  // Sizes each column of the runs table to its header and values (once per table).
  void FitColumns();

  RunsModel* model_;
  QSortFilterProxyModel* proxy_;
  QTableView* view_;
  QLabel* summary_;
  QLabel* error_;
  std::string runs_path_;
  RunsColumns columns_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_RUNS_PANEL_H_
