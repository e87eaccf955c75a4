// Before a CSV is imported: which header column holds N, D, C and the loss. Each quantity defaults to "detect"
// (the aliases of core/runs_table.h); the dialog shows what detection picked, and the loader's own error, inline,
// whenever the mapping cannot load the file. OK is enabled only for a mapping that loads.
#ifndef SCALEPLAN_GUI_COLUMN_MAPPING_DIALOG_H_
#define SCALEPLAN_GUI_COLUMN_MAPPING_DIALOG_H_

#include <string>

#include <QDialog>

#include "core/runs_table.h"

class QComboBox;
class QDialogButtonBox;
class QLabel;

namespace scaleplan::gui {

// The dialog's fields as the loader's messages name them ("... or name it with the import dialog's Loss field"),
// instead of the command line's --n-col, --d-col, --c-col and --loss-col.
RunsColumnChoices ImportDialogChoices();

class ColumnMappingDialog : public QDialog {
  Q_OBJECT

 public:
  ColumnMappingDialog(const QString& path, const RunsColumns& initial, QWidget* parent = nullptr);

  // The mapping chosen: empty names mean "detect".
  RunsColumns Columns() const;
  // The inline status: what was detected, or the loader's error.
  QString StatusText() const;
  bool MappingLoads() const { return loads_; }

 private:
  void Evaluate();

  std::string path_;
  std::string text_;  // the file's contents
  QComboBox* params_;
  QComboBox* tokens_;
  QComboBox* compute_;
  QComboBox* loss_;
  QLabel* detected_;
  QLabel* status_;
  QDialogButtonBox* buttons_;
  bool loads_ = false;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_COLUMN_MAPPING_DIALOG_H_
