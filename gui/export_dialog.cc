#include "gui/export_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <string>

namespace scaleplan::gui {

ExportDialog::ExportDialog(ChartKind kind, QSize shown_size, QWidget* parent) : QDialog(parent) {
  setObjectName("export_dialog");
  setWindowTitle(tr("Export chart"));
  path_ = new QLineEdit(QStringLiteral("%1.png").arg(ChartKindName(kind)));
  path_->setObjectName("export_path");
  auto* browse = new QPushButton(tr("Browse…"));
  browse->setObjectName("export_browse");
  auto* path_row = new QHBoxLayout;
  path_row->addWidget(path_, 1);
  path_row->addWidget(browse);
  format_ = new QComboBox;
  format_->setObjectName("export_format");
  format_->addItem(tr("PNG image"), QStringLiteral("png"));
  format_->addItem(tr("SVG drawing"), QStringLiteral("svg"));
  const auto inches = [](const char* name) {
    auto* box = new QDoubleSpinBox;
    box->setObjectName(name);
    box->setRange(0.5, 100.0);
    box->setDecimals(2);
    box->setSingleStep(0.25);
    box->setSuffix(QStringLiteral(" in"));
    return box;
  };
  width_in_ = inches("export_width");
  height_in_ = inches("export_height");
  dpi_ = new QSpinBox;
  dpi_->setObjectName("export_dpi");
  dpi_->setRange(36, 2400);
  dpi_->setValue(static_cast<int>(kLayoutDpi));
  dpi_->setSuffix(QStringLiteral(" DPI"));
  pixels_ = new QLabel;
  pixels_->setObjectName("export_pixels");
  const QSize shown = shown_size.expandedTo(QSize(800, 500));
  width_in_->setValue(shown.width() / kLayoutDpi);
  height_in_->setValue(shown.height() / kLayoutDpi);

  auto* form = new QFormLayout;
  form->addRow(tr("File"), path_row);
  form->addRow(tr("Format"), format_);
  form->addRow(tr("Width"), width_in_);
  form->addRow(tr("Height"), height_in_);
  form->addRow(tr("Resolution"), dpi_);
  form->addRow(QString(), pixels_);
  buttons_ = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
  buttons_->setObjectName("export_buttons");
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(buttons_);

  connect(browse, &QPushButton::clicked, this, &ExportDialog::ChooseFile);
  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(format_, &QComboBox::currentIndexChanged, this, [this] {
    // The file name's extension follows the format.
    const QString text = path_->text();
    const QString old_suffix = QFileInfo(text).suffix();
    const QString suffix = format_->currentData().toString();
    if (!text.isEmpty() && old_suffix.toLower() != suffix) {
      path_->setText(old_suffix.isEmpty() ? text + '.' + suffix : text.left(text.size() - old_suffix.size()) + suffix);
    }
    Update();
  });
  connect(path_, &QLineEdit::textChanged, this, &ExportDialog::Update);
  connect(width_in_, &QDoubleSpinBox::valueChanged, this, &ExportDialog::Update);
  connect(height_in_, &QDoubleSpinBox::valueChanged, this, &ExportDialog::Update);
  connect(dpi_, &QSpinBox::valueChanged, this, &ExportDialog::Update);
  Update();
}

QString ExportDialog::path() const {
  QString path = path_->text().trimmed();
  const QString suffix = format_->currentData().toString();
  if (!path.isEmpty() && QFileInfo(path).suffix().toLower() != suffix) path += '.' + suffix;
  return path;
}

ExportSize ExportDialog::export_size() const {
  return InchExportSize(width_in_->value(), height_in_->value(), dpi_->value());
}

void ExportDialog::SetPath(const QString& path) {
  const QString suffix = QFileInfo(path).suffix().toLower();
  const int index = format_->findData(suffix);
  if (index >= 0) format_->setCurrentIndex(index);
  path_->setText(path);
}

void ExportDialog::SetSizeInches(double width_in, double height_in) {
  width_in_->setValue(width_in);
  height_in_->setValue(height_in);
}

void ExportDialog::SetDpi(int dpi) { dpi_->setValue(dpi); }

void ExportDialog::SetFormat(const QString& suffix) {
  const int index = format_->findData(suffix.toLower());
  if (index >= 0) format_->setCurrentIndex(index);
}

void ExportDialog::ChooseFile() {
  const bool svg = format_->currentData().toString() == QLatin1String("svg");
  QString filter = svg ? tr("SVG drawing (*.svg)") : tr("PNG image (*.png)");
  const QString chosen = QFileDialog::getSaveFileName(this, tr("Export chart"), path(),
                                                      tr("PNG image (*.png);;SVG drawing (*.svg)"), &filter);
  if (chosen.isEmpty()) return;
  if (QFileInfo(chosen).suffix().isEmpty()) {
    SetPath(chosen + (filter.contains(QLatin1String("svg")) ? ".svg" : ".png"));
  } else {
    SetPath(chosen);
  }
}

// The pixel size the file will have, and whether it can be written.
void ExportDialog::Update() {
  const ExportSize size = export_size();
  std::string why;
  const bool valid = CheckExportSize(size, &why);
  const bool svg = format_->currentData().toString() == QLatin1String("svg");
  pixels_->setText(
      valid ? (svg ? tr("%1 × %2 (view box; text %3× the screen's)") : tr("%1 × %2 pixels (text %3× the screen's)"))
                  .arg(size.width_px)
                  .arg(size.height_px)
                  .arg(size.scale, 0, 'g', 3)
            : QString::fromStdString(why));
  buttons_->button(QDialogButtonBox::Save)->setEnabled(valid && !path_->text().trimmed().isEmpty());
}

}  // namespace scaleplan::gui
