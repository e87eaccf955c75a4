// The one Qt model over the core runs table. The Runs table view shows it; the fit and every chart read their runs
// from it (IncludedRuns, PlottableRuns), so excluding a row changes all of them.
#ifndef SCALEPLAN_GUI_RUNS_MODEL_H_
#define SCALEPLAN_GUI_RUNS_MODEL_H_

#include <vector>

#include <QAbstractTableModel>

#include "core/runs_table.h"

namespace scaleplan::gui {

class RunsModel : public QAbstractTableModel {
  Q_OBJECT

 public:
  enum Column { kColumnIncluded, kColumnParams, kColumnTokens, kColumnCompute, kColumnLoss, kColumnLine, kNumColumns };
  // Qt::UserRole holds the number itself (for sorting and for tests); DisplayRole the SI-suffixed text.
  static constexpr int kValueRole = Qt::UserRole;

  explicit RunsModel(QObject* parent = nullptr);

  // Replaces the runs; every row starts included.
  void SetTable(RunsTable table);
  const RunsTable& table() const { return table_; }

  bool IsExcluded(int row) const;
  void SetExcluded(const std::vector<int>& rows, bool excluded);
  std::vector<int> ExcludedRows() const;
  int NumIncluded() const;

  // The included runs as a table (source, columns and notes kept), for fitting.
  RunsTable IncludedRuns() const;
  // The included runs whose N, D, C and loss are all positive and finite: what log axes can show.
  std::vector<TrainingRun> PlottableRuns() const;

  int rowCount(const QModelIndex& parent = QModelIndex()) const override;
  int columnCount(const QModelIndex& parent = QModelIndex()) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;

 signals:
  // The set of included runs changed (new table, or rows excluded or restored).
  void IncludedRunsChanged();

 private:
  RunsTable table_;
  std::vector<bool> excluded_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_RUNS_MODEL_H_
