#include "gui/column_mapping_dialog.h"

#include <exception>

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include "core/csv.h"
#include "core/error.h"
#include "core/file.h"
#include "gui/widgets.h"

namespace scaleplan::gui {
namespace {

const QString kDetect = QStringLiteral("(detect)");


QComboBox* ColumnChoice(const char* name, const std::vector<std::string>& header, const std::string& initial) {
  auto* combo = new QComboBox;
  combo->setObjectName(name);
  combo->addItem(kDetect);
  for (const std::string& column : header) combo->addItem(ToQString(column));
  if (!initial.empty()) {
    const int index = combo->findText(ToQString(initial), Qt::MatchFixedString);
    if (index >= 0) combo->setCurrentIndex(index);
  }
  return combo;
}

std::string Chosen(const QComboBox* combo) {
  return combo->currentIndex() <= 0 ? std::string() : combo->currentText().toStdString();
}

}  // namespace

ColumnMappingDialog::ColumnMappingDialog(const QString& path, const RunsColumns& initial, QWidget* parent)
    : QDialog(parent), path_(path.toStdString()) {
  setWindowTitle(tr("Import runs: %1").arg(path));
  std::vector<std::string> header;
  QString read_error;
  try {
    text_ = ReadWholeFile(path_);
    header = ParseCsv(text_, path_).header;
  } catch (const std::exception& error) {
    read_error = QString::fromUtf8(error.what());
  }

  params_ = ColumnChoice("column_params", header, initial.params);
  tokens_ = ColumnChoice("column_tokens", header, initial.tokens);
  compute_ = ColumnChoice("column_compute", header, initial.compute);
  loss_ = ColumnChoice("column_loss", header, initial.loss);
  params_->setToolTip(tr("Parameters N, embeddings included"));
  tokens_->setToolTip(tr("Training tokens D (optional when C is given: D = C / 6N)"));
  compute_->setToolTip(tr("Training FLOPs C (optional when D is given: C = 6ND)"));
  loss_->setToolTip(tr("Final loss, nats per token"));

  detected_ = new QLabel;
  detected_->setObjectName("mapping_detected");
  detected_->setWordWrap(true);
  detected_->setTextFormat(Qt::PlainText);
  status_ = new QLabel;
  status_->setObjectName("mapping_status");
  status_->setWordWrap(true);
  status_->setTextFormat(Qt::PlainText);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  buttons_ = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  buttons_->button(QDialogButtonBox::Ok)->setText(tr("Import"));
  connect(buttons_, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons_, &QDialogButtonBox::rejected, this, &QDialog::reject);

  auto* form = new QFormLayout;
  form->addRow(tr("N (parameters)"), params_);
  form->addRow(tr("D (tokens)"), tokens_);
  form->addRow(tr("C (FLOPs)"), compute_);
  form->addRow(tr("Loss (nats/token)"), loss_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(new QLabel(tr("Columns are matched by name unless you choose one; “(detect)” uses the "
                                  "accepted header names.")));
  layout->addLayout(form);
  layout->addWidget(detected_);
  layout->addWidget(status_);
  layout->addWidget(buttons_);
  resize(560, sizeHint().height());

  if (!read_error.isEmpty()) {
    for (QComboBox* combo : {params_, tokens_, compute_, loss_}) combo->setEnabled(false);
    status_->setText(read_error);
    SetTone(status_, Tone::BAD);
    buttons_->button(QDialogButtonBox::Ok)->setEnabled(false);
    return;
  }
  for (QComboBox* combo : {params_, tokens_, compute_, loss_}) {
    connect(combo, &QComboBox::currentIndexChanged, this, &ColumnMappingDialog::Evaluate);
  }
  Evaluate();
}

RunsColumnChoices ImportDialogChoices() {
  RunsColumnChoices choices;
  choices.params = "the import dialog's N field";
  choices.tokens = "the import dialog's D field";
  choices.compute = "the import dialog's C field";
  choices.loss = "the import dialog's Loss field";
  return choices;
}

RunsColumns ColumnMappingDialog::Columns() const {
  RunsColumns columns{Chosen(params_), Chosen(tokens_), Chosen(compute_), Chosen(loss_)};
  columns.choices = ImportDialogChoices();
  return columns;
}

QString ColumnMappingDialog::StatusText() const { return status_->text(); }

void ColumnMappingDialog::Evaluate() {
  try {
    const RunsTable table = ParseRunsCsv(text_, path_, Columns());
    auto describe = [](const std::string& column, const char* derived) {
      return column.empty() ? QString::fromUtf8(derived) : QStringLiteral("'%1'").arg(ToQString(column));
    };
    detected_->setText(tr("N ← %1,  D ← %2,  C ← %3,  loss ← %4")
                           .arg(describe(table.params_column, "-"), describe(table.tokens_column, "C / (6 N)"),
                                describe(table.compute_column, "6 N D"), describe(table.loss_column, "-")));
    QString text = tr("%1 runs load.").arg(table.runs.size());
    for (const std::string& note : table.notes) text += ' ' + ToQString(note) + '.';
    status_->setText(text);
    SetTone(status_, Tone::PLAIN);
    loads_ = true;
  } catch (const std::exception& error) {
    detected_->clear();
    status_->setText(QString::fromUtf8(error.what()));
    SetTone(status_, Tone::BAD);
    loads_ = false;
  }
  buttons_->button(QDialogButtonBox::Ok)->setEnabled(loads_);
}

}  // namespace scaleplan::gui
