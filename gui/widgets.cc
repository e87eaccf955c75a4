#include "gui/widgets.h"

#include <QComboBox>
#include <QLabel>
#include <QSpinBox>

#include "core/bundled_data.h"
#include "core/units.h"

namespace scaleplan::gui {
namespace {

constexpr int kMaxDevices = 10000000;

}  // namespace

void SetTone(QLabel* label, Tone tone) {
  switch (tone) {
    case Tone::PLAIN: label->setStyleSheet(QString()); return;
    case Tone::SECONDARY: label->setStyleSheet(QStringLiteral("color: #555;")); return;
    case Tone::WARNING: label->setStyleSheet(QStringLiteral("color: #9a5b00;")); return;
    case Tone::GOOD: label->setStyleSheet(QStringLiteral("color: #1b6e20;")); return;
    case Tone::BAD: label->setStyleSheet(QStringLiteral("color: #b00020;")); return;
  }
}

QLabel* ValueLabel(const char* object_name, Tone tone) {
  auto* label = new QLabel(QStringLiteral("–"));
  label->setObjectName(object_name);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  SetTone(label, tone);
  return label;
}

void EmphasiseLabels(std::initializer_list<QLabel*> labels) {
  for (QLabel* label : labels) {
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.3);
    font.setBold(true);
    label->setFont(font);
  }
}

QLabel* ErrorLabel(const char* object_name) {
  auto* label = new QLabel;
  label->setObjectName(object_name);
  label->setWordWrap(true);
  label->setTextFormat(Qt::PlainText);
  label->setTextInteractionFlags(Qt::TextSelectableByMouse);
  SetTone(label, Tone::BAD);
  label->hide();
  return label;
}

QComboBox* AcceleratorComboBox(const char* object_name) {
  auto* box = new QComboBox;
  box->setObjectName(object_name);
  for (const Accelerator& device : BundledHardwareCatalogue().accelerators()) {
    box->addItem(ToQString(device.name));
    box->setItemData(box->count() - 1,
                     QStringLiteral("%1 %2: %3 GB, %4 dense bf16 TFLOP/s, $%5/h (%6)")
                         .arg(ToQString(device.vendor), ToQString(device.name))
                         .arg(device.memory_bytes / 1e9, 0, 'g', 3)
                         .arg(device.DenseFlopsPerSecond(NumericType::BF16) / 1e12, 0, 'g', 4)
                         .arg(device.price_usd_per_hour, 0, 'f', 2)
                         .arg(ToQString(device.source)),
                     Qt::ToolTipRole);
  }
  return box;
}

QSpinBox* DeviceCountSpinBox(const char* object_name, const QString& tooltip) {
  auto* box = new QSpinBox;
  box->setObjectName(object_name);
  box->setRange(0, kMaxDevices);
  box->setSpecialValueText(QObject::tr("auto"));
  box->setToolTip(tooltip);
  return box;
}

QString QuantityText(double value) {
  for (int digits = 3; digits <= 6; ++digits) {
    const std::string text = FormatQuantity(value, digits);
    if (TryParseQuantity(text) == value) return ToQString(text);
  }
  return ExactNumber(value);
}

}  // namespace scaleplan::gui
