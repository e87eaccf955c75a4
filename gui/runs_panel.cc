#include "gui/runs_panel.h"

#include <exception>
#include <set>

#include <QFileDialog>
#include <QGridLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "core/bundled_data.h"
#include "gui/column_mapping_dialog.h"
#include "gui/runs_model.h"
#include "gui/widgets.h"

namespace scaleplan::gui {

RunsPanel::RunsPanel(RunsModel* model, QWidget* parent) : QWidget(parent), model_(model) {
  proxy_ = new QSortFilterProxyModel(this);
  proxy_->setSourceModel(model_);
  proxy_->setSortRole(RunsModel::kValueRole);

  view_ = new QTableView;
  view_->setObjectName("runs_table");
  view_->setModel(proxy_);
  view_->setSortingEnabled(true);
  view_->sortByColumn(RunsModel::kColumnLine, Qt::AscendingOrder);
  view_->setSelectionBehavior(QAbstractItemView::SelectRows);
  view_->setAlternatingRowColors(true);
  view_->verticalHeader()->setVisible(false);
  view_->verticalHeader()->setDefaultSectionSize(view_->fontMetrics().height() + 6);
  // Each column as wide as its header and its values (a narrow dock scrolls sideways instead of eliding them); the
  // last column takes what is left. Sized once per table, not per repaint: ResizeToContents would measure every row.
  view_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
  view_->horizontalHeader()->setStretchLastSection(true);
  view_->setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
  view_->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
  connect(model_, &RunsModel::modelReset, this, &RunsPanel::FitColumns);
  FitColumns();

  // Short labels, full tooltips: the bottom row of docks must fit beside the Plan dock on a 1366-pixel screen.
  auto* import_button = new QPushButton(tr("Import…"));
  import_button->setObjectName("runs_import");
  import_button->setToolTip(tr("Import training runs from a CSV file, choosing its columns"));
  auto* bundled_button = new QPushButton(tr("Bundled"));
  bundled_button->setObjectName("runs_bundled");
  bundled_button->setToolTip(tr("Reload %1").arg(QString::fromStdString(kBundledChinchillaLabel)));
  auto* exclude_button = new QPushButton(tr("Exclude"));
  exclude_button->setObjectName("runs_exclude");
  exclude_button->setToolTip(tr("Leave the selected runs out of the fit"));
  auto* restore_button = new QPushButton(tr("Restore"));
  restore_button->setObjectName("runs_restore");
  restore_button->setToolTip(tr("Fit the selected runs again"));
  auto* restore_all_button = new QPushButton(tr("Restore all"));
  restore_all_button->setObjectName("runs_restore_all");
  restore_all_button->setToolTip(tr("Fit every run again"));
  connect(import_button, &QPushButton::clicked, this, &RunsPanel::ChooseAndImport);
  connect(bundled_button, &QPushButton::clicked, this, &RunsPanel::LoadBundled);
  connect(exclude_button, &QPushButton::clicked, this, [this] { ExcludeSelected(true); });
  connect(restore_button, &QPushButton::clicked, this, [this] { ExcludeSelected(false); });
  connect(restore_all_button, &QPushButton::clicked, this,
          [this] { model_->SetExcluded(model_->ExcludedRows(), false); });

  summary_ = new QLabel;
  summary_->setObjectName("runs_summary");
  summary_->setWordWrap(true);
  summary_->setTextFormat(Qt::PlainText);
  error_ = ErrorLabel("runs_error");

  // Two rows: where the runs come from, then which of them the fit uses.
  auto* buttons = new QGridLayout;
  buttons->addWidget(import_button, 0, 0);
  buttons->addWidget(bundled_button, 0, 1);
  buttons->addWidget(exclude_button, 1, 0);
  buttons->addWidget(restore_button, 1, 1);
  buttons->addWidget(restore_all_button, 1, 2);
  buttons->setColumnStretch(3, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(buttons);
  layout->addWidget(summary_);
  layout->addWidget(error_);
  layout->addWidget(view_, 1);

  connect(model_, &RunsModel::IncludedRunsChanged, this, &RunsPanel::UpdateSummary);
  connect(model_, &RunsModel::modelReset, this, &RunsPanel::UpdateSummary);
  UpdateSummary();
}

bool RunsPanel::ImportCsv(const QString& path, const RunsColumns& columns) {
  try {
    RunsColumns named = columns;
    named.choices = ImportDialogChoices();  // messages name the dialog's fields, not command-line flags
    RunsTable table = LoadRunsCsv(path.toStdString(), named);
    runs_path_ = path.toStdString();
    columns_ = columns;
    ShowError(QString());
    model_->SetTable(std::move(table));
    emit TableReplaced();
    return true;
  } catch (const std::exception& error) {
    ShowError(QString::fromUtf8(error.what()));
    return false;
  }
}

bool RunsPanel::SelectRun(int line) {
  const std::vector<TrainingRun>& runs = model_->table().runs;
  for (size_t row = 0; row < runs.size(); ++row) {
    if (runs[row].line != line) continue;
    const QModelIndex index = proxy_->mapFromSource(model_->index(static_cast<int>(row), 0));
    if (!index.isValid()) return false;
    view_->selectRow(index.row());
    view_->scrollTo(index);
    return true;
  }
  return false;
}

std::vector<int> RunsPanel::SelectedLines() const {
  std::vector<int> lines;
  const std::vector<TrainingRun>& runs = model_->table().runs;
  for (const QModelIndex& index : view_->selectionModel()->selectedRows()) {
    const int row = proxy_->mapToSource(index).row();
    if (row >= 0 && static_cast<size_t>(row) < runs.size()) lines.push_back(runs[static_cast<size_t>(row)].line);
  }
  return lines;
}

void RunsPanel::LoadBundled() {
  runs_path_.clear();
  columns_ = RunsColumns{};
  ShowError(QString());
  model_->SetTable(BundledChinchillaRuns());
  emit TableReplaced();
}

QString RunsPanel::ErrorText() const { return error_->isVisibleTo(this) ? error_->text() : QString(); }

void RunsPanel::ChooseAndImport() {
  const QString path = QFileDialog::getOpenFileName(this, tr("Import training runs"), QString(),
                                                    tr("CSV files (*.csv *.tsv *.txt);;All files (*)"));
  if (path.isEmpty()) return;
  ColumnMappingDialog dialog(path, RunsColumns{}, this);
  if (dialog.exec() != QDialog::Accepted) return;
  ImportCsv(path, dialog.Columns());
}

void RunsPanel::ExcludeSelected(bool excluded) {
  std::set<int> rows;
  for (const QModelIndex& index : view_->selectionModel()->selectedIndexes()) {
    rows.insert(proxy_->mapToSource(index).row());
  }
  model_->SetExcluded(std::vector<int>(rows.begin(), rows.end()), excluded);
}

void RunsPanel::ShowError(const QString& text) {
  error_->setText(text);
  error_->setVisible(!text.isEmpty());
}

void RunsPanel::FitColumns() {
  // The wider of the values (Qt measures up to 1,000 rows) and the header, sort indicator included.
  view_->resizeColumnsToContents();
}

void RunsPanel::UpdateSummary() {
  const RunsTable& table = model_->table();
  QString text = tr("%1 of %2 runs used, from %3")
                     .arg(model_->NumIncluded())
                     .arg(model_->rowCount())
                     .arg(QString::fromStdString(table.source));
  for (const std::string& note : table.notes) text += QStringLiteral("; ") + QString::fromStdString(note);
  summary_->setText(text);
}

}  // namespace scaleplan::gui
