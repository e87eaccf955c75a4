// File > Export chart: the figure's file, format, size and resolution. The size is in inches at a chosen DPI
// (InchExportSize in gui/charts.h: laid out at 96 per inch, drawn DPI / 96 times larger, so text keeps its point
// size on paper); it starts at the chart's size on screen at 96 DPI, which exports what the window shows.
#ifndef SCALEPLAN_GUI_EXPORT_DIALOG_H_
#define SCALEPLAN_GUI_EXPORT_DIALOG_H_

#include <QDialog>
#include <QSize>
#include <QString>

#include "gui/charts.h"

class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace scaleplan::gui {

class ExportDialog : public QDialog {
  Q_OBJECT

 public:
  // `kind` names the default file; `shown_size` is the chart's size on screen (pixels at 96 per inch).
  ExportDialog(ChartKind kind, QSize shown_size, QWidget* parent = nullptr);

  QString path() const;  // with .png or .svg as the format says
  ExportSize export_size() const;

  void SetPath(const QString& path);
  void SetSizeInches(double width_in, double height_in);
  void SetDpi(int dpi);
  void SetFormat(const QString& suffix);  // "png" or "svg"

 private:
  void ChooseFile();
  void Update();

  QLineEdit* path_;
  QComboBox* format_;
  QDoubleSpinBox* width_in_;
  QDoubleSpinBox* height_in_;
  QSpinBox* dpi_;
  QLabel* pixels_;
  QDialogButtonBox* buttons_;
};

}  // namespace scaleplan::gui

#endif  // SCALEPLAN_GUI_EXPORT_DIALOG_H_
